#include "launcher/job_health.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <utility>

#include "core/exit_status.h"
#include "core/seconds.h"

namespace lasynth {
namespace launcher {
namespace {

bool is_failure(const dist::ExitReport& exit) {
  return exit.signal != 0 || (exit.code != 0 && exit.code != kExitPreempted);
}

// Connected and neither ended nor gone: a rank expected to progress.
bool active(const RankStatus& s) { return s.connected && !s.said_bye && !s.lost && !s.exit; }

bool in_collective(const RankStatus& s) { return s.beaten && s.beat.in_collective_s > 0; }

// "since 08:01:02 UTC" from Unix seconds.
std::string utc_time(double unix_s) {
  const std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[16];
  std::strftime(text, sizeof(text), "%H:%M:%S", &tm);
  return text;
}

// The median of `sorted` without its element at `skip`. REQUIRES: sorted.size() >= 2.
double median_without(const std::vector<double>& sorted, size_t skip) {
  const size_t n = sorted.size() - 1;
  auto at = [&](size_t k) { return sorted[k < skip ? k : k + 1]; };
  return n % 2 == 1 ? at(n / 2) : (at(n / 2 - 1) + at(n / 2)) / 2;
}

}  // namespace

// The words, in the enums' order.
const char* to_string(RankState state) {
  static const char* const kWords[] = {"waiting",  "running", "stalled", "lost",
                                       "finished", "stopped", "failed"};
  return kWords[static_cast<int>(state)];
}

const char* to_string(JobState state) {
  static const char* const kWords[] = {"running", "stopping", "stopped", "finished", "failed"};
  return kWords[static_cast<int>(state)];
}

JobHealth::JobHealth(JobHealthOptions options, HealthClock::time_point now)
    : options_(std::move(options)),
      attempt_start_(now),
      ranks_(static_cast<size_t>(options_.world_size)) {}

void JobHealth::begin_attempt(int attempt, HealthClock::time_point now, int world_size) {
  if (world_size > 0) options_.world_size = world_size;
  attempt_ = attempt;
  attempt_start_ = now;
  ranks_.assign(static_cast<size_t>(options_.world_size), Rank{});
  failure_.reset();
  state_ = JobState::kRunning;
}

bool JobHealth::expects(Sender from, dist::MessageKind kind) {
  switch (kind) {
    case dist::MessageKind::kBeat:
    case dist::MessageKind::kBye:
      return from == Sender::kRank;
    case dist::MessageKind::kExit:
      return from == Sender::kAgent;
    default:
      return false;
  }
}

std::optional<Failure> JobHealth::handle(int rank, Sender from, const dist::MonitorMessage& m,
                                         HealthClock::time_point now) {
  Rank& r = ranks_[static_cast<size_t>(rank)];
  RankStatus& s = r.status;
  switch (m.kind) {
    case dist::MessageKind::kHello:
      s.host = m.hello.host;
      if (from == Sender::kAgent) {
        r.agent = true;
        r.agent_lost = false;
      } else {
        if (!s.connected) s.last_progress = now;
        s.pid = m.hello.pid;
        s.connected = true;
        s.said_bye = s.lost = false;
        s.last_beat = now;
      }
      return std::nullopt;
    case dist::MessageKind::kBeat:
      if (m.beat.progress > s.beat.progress) s.last_progress = now;
      s.beat = m.beat;
      s.beaten = true;
      s.last_beat = now;
      // Start-up (loading data and the model) is work without progress: measured from the first
      // progress on, a rank slow to start is not taken for a slow rank.
      if (m.beat.progress > 0) r.samples.push_back({now, m.beat.progress, m.beat.work_s});
      while (r.samples.size() > 2 &&
             seconds_between(r.samples[1].at, now) >= options_.straggler_window_s) {
        r.samples.pop_front();
      }
      return std::nullopt;
    case dist::MessageKind::kBye:
      s.said_bye = true;
      return std::nullopt;
    case dist::MessageKind::kExit:
      s.exit = m.exit;
      if (is_failure(m.exit)) return fail(rank, dist::describe_exit(m.exit));
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

void JobHealth::closed(int rank, Sender from, HealthClock::time_point now) {
  Rank& r = ranks_[static_cast<size_t>(rank)];
  if (from == Sender::kAgent) {
    if (!r.status.exit) {
      r.agent_lost = true;
      r.agent_lost_at = now;
    }
  } else if (!r.status.said_bye) {
    r.status.lost = true;
    r.lost_at = now;
  }
}

std::optional<Failure> JobHealth::check(HealthClock::time_point now) {
  for (size_t i = 0; i < ranks_.size(); ++i) {
    const Rank& r = ranks_[i];
    const RankStatus& s = r.status;
    const int rank = static_cast<int>(i);
    if (s.exit) continue;  // ended and reported: the agent said how
    std::optional<Failure> declared;
    if (s.lost && seconds_between(r.lost_at, now) > options_.lost_grace_s) {
      declared = fail(rank,
                      "lost its connection to the monitor without a clean end: the process died "
                      "or its node is unreachable");
    } else if (r.agent_lost && seconds_between(r.agent_lost_at, now) > options_.lost_grace_s &&
               !s.said_bye) {
      declared = fail(rank,
                      "lost its agent (lasynth-launch --agent ended without reporting): the node "
                      "or the agent was killed");
    } else if (s.connected && !s.said_bye && !s.lost &&
               seconds_between(s.last_beat, now) > options_.heartbeat_timeout_s) {
      declared = fail_node(rank, now);
      if (!declared) {
        declared = fail(rank, fmt::format("sent no heartbeat for {:.0f} s (last at step {}): it "
                                          "is stalled or stopped (--heartbeat-timeout {})",
                                          seconds_between(s.last_beat, now), s.beat.step,
                                          options_.heartbeat_timeout_s));
      }
    }
    if (declared) return declared;
  }
  if (std::optional<Failure> hung = fail_progress(now)) return hung;
  return fail_start(now);
}

std::optional<Failure> JobHealth::fail_node(int rank, HealthClock::time_point now) {
  const std::string& host = ranks_[static_cast<size_t>(rank)].status.host;
  if (failure_ || host.empty()) return std::nullopt;
  std::vector<int> on_host;
  bool other_hosts = false;
  for (size_t i = 0; i < ranks_.size(); ++i) {
    const RankStatus& s = ranks_[i].status;
    if (s.host != host) {
      other_hosts = other_hosts || !s.host.empty();
      continue;
    }
    // A live rank beats every second: half the timeout of silence is not one of them.
    const bool silent =
        s.connected && !s.said_bye && !s.exit &&
        (s.lost || seconds_between(s.last_beat, now) > options_.heartbeat_timeout_s / 2);
    if (!silent) return std::nullopt;
    on_host.push_back(static_cast<int>(i));
  }
  // On one host, or alone on its host, a rank's silence says no more than its own stall.
  if (!other_hosts || on_host.size() < 2) return std::nullopt;
  const RankStatus& s = ranks_[static_cast<size_t>(rank)].status;
  Failure f;
  f.rank = rank;
  f.host = host;
  f.pid = s.pid;
  f.node_lost = true;
  f.ranks = on_host;
  f.cause = fmt::format(
      "went silent with every rank on it (rank(s) {}): no heartbeat for {:.0f} s and no word "
      "from their agents, so the node is down or unreachable (--heartbeat-timeout {})",
      fmt::join(on_host, ","), seconds_between(s.last_beat, now), options_.heartbeat_timeout_s);
  f.message = fmt::format("node {} {}", host, f.cause);
  failure_ = f;
  state_ = JobState::kFailed;
  return failure_;
}

std::optional<Failure> JobHealth::fail_progress(HealthClock::time_point now) {
  const double timeout = options_.progress_timeout_s;
  if (failure_ || timeout <= 0) return std::nullopt;
  std::optional<HealthClock::time_point> latest;
  int64_t highest_step = 0;
  for (const Rank& r : ranks_) {
    if (!active(r.status)) continue;
    if (!latest || r.status.last_progress > *latest) latest = r.status.last_progress;
    highest_step = std::max(highest_step, r.status.beat.step);
  }
  if (!latest) return std::nullopt;
  const bool someone_progressed = seconds_between(*latest, now) <= timeout;
  int culprit = -1;
  for (size_t i = 0; i < ranks_.size(); ++i) {
    const RankStatus& s = ranks_[i].status;
    if (!active(s) || seconds_between(s.last_progress, now) <= timeout) continue;
    if (in_collective(s) && someone_progressed) continue;  // it waits for the one progressing
    // Outside a collective first (ranks inside one may be waiting for it), then the longest
    // without progress.
    if (culprit >= 0) {
      const RankStatus& c = ranks_[static_cast<size_t>(culprit)].status;
      if (in_collective(s) != in_collective(c)) {
        if (in_collective(s)) continue;
      } else if (s.last_progress >= c.last_progress) {
        continue;
      }
    }
    culprit = static_cast<int>(i);
  }
  if (culprit < 0) return std::nullopt;
  const RankStatus& s = ranks_[static_cast<size_t>(culprit)].status;
  const std::string where =
      in_collective(s) ? fmt::format("inside a collective since {} UTC (for {:.0f} s)",
                                     utc_time(s.beat.in_collective_since),
                                     s.beat.in_collective_s + seconds_between(s.last_beat, now))
                       : std::string("not inside a collective");
  return fail(culprit, fmt::format("made no progress for {:.0f} s at step {} (the highest step of "
                                   "any rank is {}), {}: it is hung (--progress-timeout {})",
                                   seconds_between(s.last_progress, now), s.beat.step, highest_step,
                                   where, timeout));
}

double JobHealth::work_rate(const Rank& r) {
  if (r.samples.size() < 2) return std::nan("");
  const Sample& first = r.samples.front();
  const Sample& last = r.samples.back();
  const double work = last.work_s - first.work_s;
  // A rank that only waited in collectives did too little work to measure.
  if (seconds_between(first.at, last.at) < 2 || work < 0.1) return std::nan("");
  return static_cast<double>(last.progress - first.progress) / work;
}

std::optional<Failure> JobHealth::fail_start(HealthClock::time_point now) {
  if (failure_ || seconds_between(attempt_start_, now) <= options_.start_timeout_s) {
    return std::nullopt;
  }
  Failure f;
  f.ranks = never_arrived();
  if (f.ranks.empty()) return std::nullopt;
  const std::string missing = fmt::format("{}", fmt::join(f.ranks, ","));
  const int first = f.ranks.front();
  f.cause = fmt::format("never reached the monitor within {:.0f} s (--start-timeout)",
                        options_.start_timeout_s);
  f.message = fmt::format("rank(s) {} {}", missing, f.cause);
  f.rank = first;
  f.host = "?";
  failure_ = f;
  state_ = JobState::kFailed;
  return failure_;
}

std::vector<int> JobHealth::never_arrived() const {
  std::vector<int> out;
  for (size_t i = 0; i < ranks_.size(); ++i) {
    const RankStatus& s = ranks_[i].status;
    if (!s.connected && !s.exit) out.push_back(static_cast<int>(i));
  }
  return out;
}

std::optional<Failure> JobHealth::fail(int rank, const std::string& cause) {
  if (failure_) return std::nullopt;
  const RankStatus& s = ranks_[static_cast<size_t>(rank)].status;
  Failure f;
  f.rank = rank;
  f.ranks = {rank};
  f.host = s.host.empty() ? "?" : s.host;
  f.pid = s.pid;
  f.cause = cause;
  f.message = fmt::format("rank {} on {} (pid {}) {}", rank, f.host, s.pid, cause);
  failure_ = f;
  state_ = JobState::kFailed;
  return failure_;
}

std::map<int, int> JobHealth::exits() const {
  std::map<int, int> out;
  for (size_t i = 0; i < ranks_.size(); ++i) {
    const auto& e = ranks_[i].status.exit;
    if (e) out[static_cast<int>(i)] = e->signal ? 128 + e->signal : e->code;
  }
  return out;
}

void JobHealth::stop_requested() {
  if (state_ == JobState::kRunning) state_ = JobState::kStopping;
}

RankState JobHealth::state_of(const Rank& r, HealthClock::time_point now) const {
  const RankStatus& s = r.status;
  if (s.exit) {
    if (s.exit->signal == 0 && s.exit->code == 0) return RankState::kFinished;
    if (s.exit->signal == 0 && s.exit->code == kExitPreempted) return RankState::kStopped;
    return RankState::kFailed;
  }
  if (s.said_bye) return RankState::kFinished;
  if (s.lost) return RankState::kLost;
  if (!s.connected) return RankState::kWaiting;
  return seconds_between(s.last_beat, now) > options_.heartbeat_timeout_s ? RankState::kStalled
                                                                          : RankState::kRunning;
}

std::vector<RankStatus> JobHealth::ranks(HealthClock::time_point now) const {
  std::vector<RankStatus> out;
  out.reserve(ranks_.size());
  std::vector<double> measured;
  for (const Rank& r : ranks_) {
    out.push_back(r.status);
    RankStatus& s = out.back();
    s.state = state_of(r, now);
    s.work_rate = active(s) ? work_rate(r) : std::nan("");
    if (std::isfinite(s.work_rate)) measured.push_back(s.work_rate);
  }
  if (measured.size() < 2) return out;
  std::sort(measured.begin(), measured.end());
  for (RankStatus& s : out) {
    if (!std::isfinite(s.work_rate)) continue;
    const size_t self = static_cast<size_t>(
        std::lower_bound(measured.begin(), measured.end(), s.work_rate) - measured.begin());
    s.straggler = s.work_rate < options_.straggler_fraction * median_without(measured, self);
  }
  return out;
}

}  // namespace launcher
}  // namespace lasynth
