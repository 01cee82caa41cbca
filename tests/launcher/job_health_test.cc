// The monitor's judgement of a job without sockets or threads: messages and a clock the test
// moves by hand.
#include "launcher/job_health.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace launcher
}  // namespace lasynth
