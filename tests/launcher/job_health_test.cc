// The monitor's judgement of a job without sockets or threads: messages and a clock the test
// moves by hand.
#include "launcher/job_health.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <utility>
#include <vector>

#include "core/exit_status.h"

namespace lasynth {
namespace launcher {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

dist::MonitorMessage hello(int rank, const std::string& host, int64_t pid) {
  dist::MonitorMessage m;
  m.kind = dist::MessageKind::kHello;
  m.hello.rank = rank;
  m.hello.host = host;
  m.hello.pid = pid;
  return m;
}

dist::MonitorMessage beat(int64_t step) {
  dist::MonitorMessage m;
  m.kind = dist::MessageKind::kBeat;
  m.beat.step = step;
  m.beat.loss = 1.5;
  return m;
}

dist::MonitorMessage bye() {
  dist::MonitorMessage m;
  m.kind = dist::MessageKind::kBye;
  return m;
}

dist::MonitorMessage exit_report(int code, int signal) {
  dist::MonitorMessage m;
  m.kind = dist::MessageKind::kExit;
  m.exit.code = code;
  m.exit.signal = signal;
  return m;
}

// Two ranks, short timeouts, and a clock that starts at an arbitrary point and moves on request.
class JobHealthTest : public ::testing::Test {
 protected:
  static JobHealthOptions two_ranks() {
    JobHealthOptions o;
    o.world_size = 2;
    o.heartbeat_timeout_s = 10;
    o.start_timeout_s = 30;
    o.lost_grace_s = 2;
    return o;
  }

  HealthClock::time_point now_ = HealthClock::time_point() + seconds(1000);
  JobHealth health_{two_ranks(), now_};

  void advance(HealthClock::duration d) { now_ += d; }
  std::optional<Failure> send(int rank, Sender from, const dist::MonitorMessage& m) {
    return health_.handle(rank, from, m, now_);
  }
  // Both ranks and their agents connected.
  void connect_all() {
    for (int rank = 0; rank < 2; ++rank) {
      send(rank, Sender::kAgent, hello(rank, "h" + std::to_string(rank), 0));
      send(rank, Sender::kRank, hello(rank, "h" + std::to_string(rank), 100 + rank));
    }
  }
  // The message of the failure check() declares once `grace` has passed since now_, after
  // checking that it declares none a moment before; "" when there is none.
  std::string failure_after(HealthClock::duration grace) {
    advance(grace - milliseconds(100));
    if (health_.check(now_)) return "declared too early: " + health_.failure()->message;
    advance(milliseconds(200));
    const std::optional<Failure> f = health_.check(now_);
    return f ? f->message : "";
  }
  RankState state(int rank) const { return health_.ranks(now_)[static_cast<size_t>(rank)].state; }
};

TEST_F(JobHealthTest, StatesHaveTheirWords) {
  const std::vector<std::pair<RankState, std::string>> ranks = {
      {RankState::kWaiting, "waiting"},   {RankState::kRunning, "running"},
      {RankState::kStalled, "stalled"},   {RankState::kLost, "lost"},
      {RankState::kFinished, "finished"}, {RankState::kStopped, "stopped"},
      {RankState::kFailed, "failed"}};
  for (const auto& [state, word] : ranks) EXPECT_EQ(to_string(state), word);
  const std::vector<std::pair<JobState, std::string>> jobs = {{JobState::kRunning, "running"},
                                                              {JobState::kStopping, "stopping"},
                                                              {JobState::kStopped, "stopped"},
                                                              {JobState::kFinished, "finished"},
                                                              {JobState::kFailed, "failed"}};
  for (const auto& [state, word] : jobs) EXPECT_EQ(to_string(state), word);
}

TEST_F(JobHealthTest, OnlyTheMessagesEachSenderSendsAreExpected) {
  EXPECT_TRUE(JobHealth::expects(Sender::kRank, dist::MessageKind::kBeat));
  EXPECT_TRUE(JobHealth::expects(Sender::kRank, dist::MessageKind::kBye));
  EXPECT_FALSE(JobHealth::expects(Sender::kRank, dist::MessageKind::kExit));
  EXPECT_TRUE(JobHealth::expects(Sender::kAgent, dist::MessageKind::kExit));
  EXPECT_FALSE(JobHealth::expects(Sender::kAgent, dist::MessageKind::kBeat));
  EXPECT_FALSE(JobHealth::expects(Sender::kAgent, dist::MessageKind::kBye));
  EXPECT_FALSE(JobHealth::expects(Sender::kRank, dist::MessageKind::kUnknown));
  EXPECT_FALSE(JobHealth::expects(Sender::kRank, dist::MessageKind::kHello));
}

TEST_F(JobHealthTest, ARankGoesFromWaitingToRunningToStalledAndBackWithABeat) {
  EXPECT_EQ(state(0), RankState::kWaiting);
  send(0, Sender::kRank, hello(0, "h0", 100));
  EXPECT_EQ(state(0), RankState::kRunning);
  send(0, Sender::kRank, beat(5));
  advance(seconds(11));
  EXPECT_EQ(state(0), RankState::kStalled);
  send(0, Sender::kRank, beat(6));
  EXPECT_EQ(state(0), RankState::kRunning);
  const RankStatus r = health_.ranks(now_)[0];
  EXPECT_EQ(r.host, "h0");
  EXPECT_EQ(r.pid, 100);
  EXPECT_TRUE(r.connected);
  EXPECT_TRUE(r.beaten);
  EXPECT_EQ(r.beat.step, 6);
  EXPECT_EQ(r.last_beat, now_);
}

TEST_F(JobHealthTest, AnAgentReportingASignalFailsTheJobNamingRankHostAndPid) {
  connect_all();
  EXPECT_FALSE(health_.check(now_));
  const std::optional<Failure> f = send(1, Sender::kAgent, exit_report(0, 9));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->rank, 1);
  EXPECT_EQ(f->host, "h1");
  EXPECT_EQ(f->pid, 101);
  EXPECT_EQ(f->cause, "killed by signal 9 (SIGKILL)");
  EXPECT_EQ(f->message, "rank 1 on h1 (pid 101) killed by signal 9 (SIGKILL)");
  EXPECT_EQ(health_.failure()->message, f->message);
  EXPECT_EQ(health_.state(), JobState::kFailed);
  EXPECT_EQ(state(1), RankState::kFailed);
  EXPECT_EQ(health_.exits().at(1), 128 + 9);
}

TEST_F(JobHealthTest, ANonZeroStatusFailsButThePreemptionStatusAndZeroDoNot) {
  connect_all();
  EXPECT_FALSE(send(0, Sender::kAgent, exit_report(kExitPreempted, 0)));
  EXPECT_EQ(state(0), RankState::kStopped);
  EXPECT_FALSE(send(1, Sender::kAgent, exit_report(0, 0)));
  EXPECT_EQ(state(1), RankState::kFinished);
  EXPECT_FALSE(health_.failure());
  EXPECT_EQ(health_.exits(), (std::map<int, int>{{0, kExitPreempted}, {1, 0}}));

  health_.begin_attempt(1, now_);
  connect_all();
  const std::optional<Failure> f = send(0, Sender::kAgent, exit_report(3, 0));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->message, "rank 0 on h0 (pid 100) exited with status 3");
}

TEST_F(JobHealthTest, OnlyTheFirstFailureCounts) {
  connect_all();
  ASSERT_TRUE(send(1, Sender::kAgent, exit_report(0, 9)));
  EXPECT_FALSE(send(0, Sender::kAgent, exit_report(1, 0)));
  advance(seconds(100));
  EXPECT_FALSE(health_.check(now_));
  EXPECT_EQ(health_.failure()->rank, 1);
}

TEST_F(JobHealthTest, ADroppedConnectionIsADeathOnlyAfterTheGracePeriod) {
  connect_all();
  send(1, Sender::kRank, beat(3));
  health_.closed(1, Sender::kRank, now_);
  EXPECT_EQ(state(1), RankState::kLost);
  EXPECT_EQ(failure_after(seconds(2)),
            "rank 1 on h1 (pid 101) lost its connection to the monitor without a clean end: the "
            "process died or its node is unreachable");
  EXPECT_EQ(health_.state(), JobState::kFailed);
  EXPECT_FALSE(health_.check(now_)) << "declared once";
}

TEST_F(JobHealthTest, AnAgentsReportWithinTheGracePeriodDecidesInstead) {
  connect_all();
  health_.closed(0, Sender::kRank, now_);
  advance(seconds(1));
  EXPECT_FALSE(send(0, Sender::kAgent, exit_report(kExitPreempted, 0)));
  advance(seconds(5));
  EXPECT_FALSE(health_.check(now_));
  EXPECT_EQ(state(0), RankState::kStopped);
}

TEST_F(JobHealthTest, AByeIsACleanEndNotADeath) {
  connect_all();
  send(0, Sender::kRank, bye());
  health_.closed(0, Sender::kRank, now_);
  health_.closed(0, Sender::kAgent, now_);
  advance(seconds(60));
  EXPECT_EQ(state(0), RankState::kFinished);
  send(1, Sender::kRank, bye());
  health_.closed(1, Sender::kRank, now_);
  EXPECT_FALSE(health_.check(now_));
}

TEST_F(JobHealthTest, ALostAgentIsADeathAfterTheGracePeriod) {
  connect_all();
  send(1, Sender::kRank, beat(4));  // the rank still beats: its agent alone went
  health_.closed(1, Sender::kAgent, now_);
  EXPECT_EQ(failure_after(seconds(2)),
            "rank 1 on h1 (pid 101) lost its agent (lasynth-launch --agent ended without "
            "reporting): the node or the agent was killed");
}

TEST_F(JobHealthTest, AnAgentThatSaysHelloAgainIsNotLost) {
  connect_all();
  health_.closed(1, Sender::kAgent, now_);
  send(1, Sender::kAgent, hello(1, "h1", 0));
  advance(seconds(5));
  send(1, Sender::kRank, beat(2));
  EXPECT_FALSE(health_.check(now_));
}

TEST_F(JobHealthTest, ASilentRankIsStalled) {
  connect_all();
  send(0, Sender::kRank, beat(12));
  advance(seconds(5));
  send(1, Sender::kRank, beat(12));
  advance(seconds(6));
  EXPECT_EQ(state(0), RankState::kStalled);
  EXPECT_EQ(state(1), RankState::kRunning);
  const std::optional<Failure> f = health_.check(now_);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->rank, 0);
  EXPECT_EQ(f->message,
            "rank 0 on h0 (pid 100) sent no heartbeat for 11 s (last at step 12): it is stalled "
            "or stopped (--heartbeat-timeout 10)");
}

TEST_F(JobHealthTest, RanksThatNeverArriveFailTheStart) {
  send(0, Sender::kRank, hello(0, "h0", 100));
  for (int step = 1; step <= 6; ++step) {
    advance(seconds(5));
    send(0, Sender::kRank, beat(step));
  }
  EXPECT_FALSE(health_.check(now_)) << "not before the timeout has passed";
  advance(milliseconds(1));
  const std::optional<Failure> f = health_.check(now_);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->rank, 1);
  EXPECT_EQ(f->host, "?");
  EXPECT_EQ(f->message, "rank(s) 1 never reached the monitor within 30 s (--start-timeout)");
}

TEST_F(JobHealthTest, ARankReportedEndedBeforeConnectingHasArrived) {
  send(1, Sender::kAgent, hello(1, "h1", 0));
  send(1, Sender::kAgent, exit_report(0, 0));
  send(0, Sender::kRank, hello(0, "h0", 100));
  advance(seconds(31));
  send(0, Sender::kRank, beat(1));
  EXPECT_FALSE(health_.check(now_));
  EXPECT_EQ(state(1), RankState::kFinished);
}

TEST_F(JobHealthTest, StopAndTheLaunchersVerdictSetTheJobsState) {
  EXPECT_EQ(health_.state(), JobState::kRunning);
  health_.stop_requested();
  EXPECT_EQ(health_.state(), JobState::kStopping);
  health_.set_state(JobState::kStopped);
  EXPECT_EQ(health_.state(), JobState::kStopped);
  health_.set_state(JobState::kFinished);
  EXPECT_EQ(health_.state(), JobState::kFinished);

  health_.begin_attempt(1, now_);
  connect_all();
  send(0, Sender::kAgent, exit_report(0, 6));
  health_.stop_requested();
  EXPECT_EQ(health_.state(), JobState::kFailed) << "a failed job is not stopping";
}

TEST_F(JobHealthTest, ANewAttemptForgetsRanksAndFailureAndRestartsTheClock) {
  connect_all();
  send(0, Sender::kRank, beat(7));
  ASSERT_TRUE(send(1, Sender::kAgent, exit_report(0, 9)));
  advance(seconds(100));
  health_.begin_attempt(1, now_);
  EXPECT_EQ(health_.attempt(), 1);
  EXPECT_FALSE(health_.failure());
  EXPECT_EQ(health_.state(), JobState::kRunning);
  EXPECT_TRUE(health_.exits().empty());
  for (const RankStatus& r : health_.ranks(now_)) {
    EXPECT_EQ(r.state, RankState::kWaiting);
    EXPECT_TRUE(r.host.empty());
    EXPECT_FALSE(r.beaten);
  }
  advance(seconds(29));
  EXPECT_FALSE(health_.check(now_)) << "the start timeout counts from the new attempt";
  advance(seconds(2));
  ASSERT_TRUE(health_.check(now_));
  EXPECT_EQ(health_.failure()->message,
            "rank(s) 0,1 never reached the monitor within 30 s (--start-timeout)");
}

TEST_F(JobHealthTest, AReconnectedRankIsRunningAgain) {
  connect_all();
  health_.closed(0, Sender::kRank, now_);
  EXPECT_EQ(state(0), RankState::kLost);
  send(0, Sender::kRank, hello(0, "h0", 100));
  EXPECT_EQ(state(0), RankState::kRunning);
  advance(seconds(3));
  EXPECT_FALSE(health_.check(now_));
}

// What one heartbeat says of a rank's progress.
struct Progress {
  int64_t step = 0;
  int64_t progress = 0;
  double work_s = 0;
  double in_collective_s = 0;      // 0: outside a collective
  double in_collective_since = 0;  // Unix seconds
};

dist::MonitorMessage progress_beat(const Progress& p) {
  dist::MonitorMessage m = beat(p.step);
  m.beat.progress = p.progress;
  m.beat.work_s = p.work_s;
  m.beat.in_collective_s = p.in_collective_s;
  m.beat.in_collective_since = p.in_collective_since;
  return m;
}

// 2025-12-02 08:00:00 UTC.
constexpr double kEightOClock = 1764662400;

// The progress timeout and stragglers: ranks beat every second of a clock the test moves.
class JobProgressTest : public ::testing::Test {
 protected:
  static JobHealthOptions options(int ranks) {
    JobHealthOptions o;
    o.world_size = ranks;
    o.heartbeat_timeout_s = 10;
    o.start_timeout_s = 300;
    o.progress_timeout_s = 20;
    return o;
  }
  explicit JobProgressTest(int ranks = 2) : health_(options(ranks), now_) {
    for (int rank = 0; rank < ranks; ++rank) {
      health_.handle(rank, Sender::kRank, hello(rank, "h" + std::to_string(rank), 100 + rank),
                     now_);
    }
  }

  // For `seconds` seconds, every second: each rank beats what `at(rank, second)` says, then the
  // monitor checks. The failure declared, with the second it came at (1-based), if any.
  std::optional<std::pair<int, Failure>> run(
      int seconds, const std::function<Progress(int rank, int second)>& at) {
    for (int t = 1; t <= seconds; ++t) {
      now_ += std::chrono::seconds(1);
      for (int rank = 0; rank < static_cast<int>(health_.ranks(now_).size()); ++rank) {
        health_.handle(rank, Sender::kRank, progress_beat(at(rank, t)), now_);
      }
      if (const std::optional<Failure> f = health_.check(now_)) return std::make_pair(t, *f);
    }
    return std::nullopt;
  }
  RankStatus rank(int r) const { return health_.ranks(now_)[static_cast<size_t>(r)]; }

  HealthClock::time_point now_ = HealthClock::time_point() + std::chrono::seconds(1000);
  JobHealth health_;
};

TEST_F(JobProgressTest, AHungRankFailsTheJobAfterTheTimeoutNamingItsStepAndTheHighest) {
  // Both train to step 5; then rank 1 hangs outside any collective while rank 0 finishes step 6
  // and waits in the next all-reduce for it, beating all along.
  const auto f = run(60, [](int rank, int t) {
    const int64_t step = rank == 0 ? std::min(t, 6) : std::min(t, 5);
    Progress p{step, step};
    if (rank == 0 && t > 6) {
      p.in_collective_s = t - 6;
      p.in_collective_since = kEightOClock;
    }
    return p;
  });
  ASSERT_TRUE(f);
  EXPECT_EQ(f->first, 5 + 21) << "rank 1 last progressed at second 5; the timeout is 20 s";
  EXPECT_EQ(f->second.rank, 1);
  EXPECT_EQ(f->second.message,
            "rank 1 on h1 (pid 101) made no progress for 21 s at step 5 (the highest step of any "
            "rank is 6), not inside a collective: it is hung (--progress-timeout 20)");
  EXPECT_EQ(health_.state(), JobState::kFailed);
  EXPECT_EQ(rank(1).state, RankState::kRunning) << "it beats: the heartbeat did not see it";
}

TEST_F(JobProgressTest, ARankWaitingInACollectiveForAProgressingRankIsNotHung) {
  // Rank 0 validates alone (a batch decoded per second) while rank 1 waits in a collective for
  // it for 100 s; then rank 0 hangs too, and it, not the waiting rank, is named.
  const auto f = run(200, [](int rank, int t) {
    if (rank == 1) return Progress{3, 3, 0, static_cast<double>(t), kEightOClock};
    return Progress{3, std::min(t, 100)};
  });
  ASSERT_TRUE(f);
  EXPECT_EQ(f->first, 121);
  EXPECT_EQ(f->second.rank, 0);
  EXPECT_NE(f->second.message.find("rank 0 on h0 (pid 100) made no progress for 21 s at step 3 "
                                   "(the highest step of any rank is 3), not inside a collective"),
            std::string::npos)
      << f->second.message;
}

TEST_F(JobProgressTest, WhenEveryRankWaitsInACollectiveTheLongestSilentIsNamedWithSinceWhen) {
  // A collective that never completes: rank 0 entered it at second 3, rank 1 at second 4.
  const auto f = run(60, [](int rank, int t) {
    const int entered = 3 + rank;
    Progress p{std::min(t, entered), std::min(t, entered)};
    if (t > entered) {
      p.in_collective_s = t - entered;
      p.in_collective_since = kEightOClock + entered;
    }
    return p;
  });
  ASSERT_TRUE(f);
  EXPECT_EQ(f->first, 4 + 21) << "not before every rank has gone 20 s without progress";
  EXPECT_EQ(f->second.message,
            "rank 0 on h0 (pid 100) made no progress for 22 s at step 3 (the highest step of any "
            "rank is 4), inside a collective since 08:00:03 UTC (for 22 s): it is hung "
            "(--progress-timeout 20)");
}

TEST_F(JobProgressTest, ProgressCountsFromTheHelloAndSecondsSinceProgressAreKept) {
  const auto f = run(5, [](int rank, int t) { return Progress{0, rank == 0 ? t : 0}; });
  EXPECT_FALSE(f);
  EXPECT_EQ(rank(0).last_progress, now_);
  EXPECT_EQ(now_ - rank(1).last_progress, std::chrono::seconds(5)) << "since its hello";
  const auto g = run(30, [](int rank, int t) { return Progress{0, rank == 0 ? 5 + t : 0}; });
  ASSERT_TRUE(g);
  EXPECT_EQ(g->first, 16);
  EXPECT_EQ(g->second.rank, 1);
}

TEST_F(JobProgressTest, ATimeoutOfZeroNeverFails) {
  JobHealthOptions o = options(2);
  o.progress_timeout_s = 0;
  JobHealth health(o, now_);
  for (int r = 0; r < 2; ++r) health.handle(r, Sender::kRank, hello(r, "h", 1), now_);
  for (int t = 0; t < 1000; ++t) {
    now_ += std::chrono::seconds(1);
    for (int r = 0; r < 2; ++r) health.handle(r, Sender::kRank, progress_beat({1, 1}), now_);
    ASSERT_FALSE(health.check(now_)) << t;
  }
}

TEST_F(JobProgressTest, ARankThatKeepsTheOthersWaitingIsAStraggler) {
  // Both progress 10 per second (lockstep), but rank 0 spends two thirds of each second waiting
  // in collectives for rank 1, which works all the time: rank 1 does a third of rank 0's
  // progress per second of work.
  auto lockstep = [](double slow_work) {
    return [slow_work](int rank, int t) {
      return Progress{t, 10 * t, rank == 0 ? t / 3.0 : slow_work * t};
    };
  };
  EXPECT_FALSE(run(1, lockstep(1.0)));
  EXPECT_TRUE(std::isnan(rank(0).work_rate)) << "one beat measures nothing";
  EXPECT_FALSE(rank(1).straggler);
  EXPECT_FALSE(run(30, lockstep(1.0)));
  EXPECT_NEAR(rank(0).work_rate, 30, 1e-6);
  EXPECT_NEAR(rank(1).work_rate, 10, 1e-6);
  EXPECT_FALSE(rank(0).straggler);
  EXPECT_TRUE(rank(1).straggler);
}

TEST_F(JobProgressTest, EqualRanksAreNotStragglersNorIsOneThatOnlyWaits) {
  EXPECT_FALSE(run(10, [](int, int t) { return Progress{t, t, 0.5 * t}; }));
  EXPECT_FALSE(rank(0).straggler);
  EXPECT_FALSE(rank(1).straggler);
  // Rank 1 waits in a collective while rank 0 alone works: rank 1 did no work to measure.
  EXPECT_FALSE(run(25, [](int rank, int t) {
    return rank == 0 ? Progress{10, 10 + t, 5.0 + t} : Progress{10, 10, 5, static_cast<double>(t)};
  }));
  EXPECT_TRUE(std::isnan(rank(1).work_rate));
  EXPECT_FALSE(rank(0).straggler);
  EXPECT_FALSE(rank(1).straggler);
}

TEST_F(JobProgressTest, StartUpIsNotMeasured) {
  // Rank 1 spends 10 s of work loading before its first step, rank 0 1 s; then they work alike.
  EXPECT_FALSE(run(10, [](int rank, int t) { return Progress{0, 0, rank == 1 ? t : 0.1 * t}; }));
  EXPECT_FALSE(run(5, [](int rank, int t) {
    return Progress{t, t, (rank == 1 ? 10.0 : 1.0) + 0.5 * t};
  }));
  EXPECT_NEAR(rank(0).work_rate, 2, 1e-6);
  EXPECT_NEAR(rank(1).work_rate, 2, 1e-6);
  EXPECT_FALSE(rank(1).straggler);
}

// Four ranks, two on each of two hosts: when both of h1's ranks go silent the node is named with
// its ranks; one silent rank beside a beating one on its host is a rank's stall.
TEST(JobHealthNodes, EveryRankOfAHostSilentIsTheNodeLost) {
  for (bool both : {true, false}) {
    JobHealthOptions o;
    o.world_size = 4;
    o.heartbeat_timeout_s = 10;
    HealthClock::time_point now = HealthClock::time_point() + seconds(1000);
    JobHealth health(o, now);
    for (int rank = 0; rank < 4; ++rank) {
      const std::string host = rank < 2 ? "h0" : "h1";
      health.handle(rank, Sender::kAgent, hello(rank, host, 0), now);
      health.handle(rank, Sender::kRank, hello(rank, host, 100 + rank), now);
    }
    // Rank 2's last beat is a second before rank 3's: the node still goes as one.
    std::optional<Failure> f;
    int declared_at = 0;
    for (int t = 1; t <= 16 && !f; ++t) {
      now += seconds(1);
      for (int rank = 0; rank < 4; ++rank) {
        const bool silent = (rank == 2 && t > 3) || (rank == 3 && both && t > 4);
        if (!silent) health.handle(rank, Sender::kRank, beat(t), now);
      }
      f = health.check(now);
      declared_at = t;
    }
    ASSERT_TRUE(f);
    EXPECT_EQ(declared_at, 14);  // 11 s after rank 2's last beat
    EXPECT_EQ(f->rank, 2);
    EXPECT_EQ(f->host, "h1");
    EXPECT_EQ(f->node_lost, both);
    EXPECT_EQ(f->message,
              both ? "node h1 went silent with every rank on it (rank(s) 2,3): no heartbeat for "
                     "11 s and no word from their agents, so the node is down or unreachable "
                     "(--heartbeat-timeout 10)"
                   : "rank 2 on h1 (pid 102) sent no heartbeat for 11 s (last at step 3): it is "
                     "stalled or stopped (--heartbeat-timeout 10)");
  }
}

class JobProgressFourRanksTest : public JobProgressTest {
 protected:
  JobProgressFourRanksTest() : JobProgressTest(4) {}
};

TEST_F(JobProgressFourRanksTest, AStragglerIsMeasuredOverTheLastWindowAgainstTheOthersMedian) {
  // Ranks 0..2 need 1 s of work per 10 steps; rank 3 needs 2.5 s (below half of the others').
  auto work = [](double rank3) {
    return [rank3](int rank, int t) {
      return Progress{t, 10 * t, (rank == 3 ? rank3 : 1.0) * t, 0, 0};
    };
  };
  EXPECT_FALSE(run(30, work(2.5)));
  for (int r = 0; r < 3; ++r) EXPECT_FALSE(rank(r).straggler) << r;
  EXPECT_TRUE(rank(3).straggler);
  // It recovers: once the window holds only its fast seconds, it is no longer one.
  const double worked = 2.5 * 30;
  EXPECT_FALSE(run(25, [&](int rank, int t) {
    return Progress{30 + t, 10 * (30 + t), rank == 3 ? worked + t : 30.0 + t, 0, 0};
  }));
  EXPECT_FALSE(rank(3).straggler);
}

}  // namespace
}  // namespace launcher
}  // namespace lasynth
