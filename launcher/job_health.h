// The monitor's judgement of a job, as a state machine with no sockets, threads or clock of its
// own: the monitor feeds it what ranks and agents say (handle, closed) and asks it, every quarter
// second, whether time alone has made the job fail (check); every call carries the time, so a
// test drives it with a clock of its own.
//
// The job has failed, for the current attempt, at the first of:
//   - an agent reports that its rank was killed by a signal or exited with a non-zero status
//     other than kExitPreempted (stopped with a checkpoint, on request);
//   - a rank's connection drops without a bye, and its agent reports nothing within lost_grace_s
//     (the process died or its node is unreachable);
//   - an agent's connection drops without a report, and its rank has not said bye within
//     lost_grace_s (the node or the agent was killed);
//   - a connected rank sends no heartbeat for longer than heartbeat_timeout_s (stalled);
//   - a connected rank's progress counter (dist/progress.h: steps trained, batches decoded) has
//     not advanced for longer than progress_timeout_s (hung: its heartbeat thread goes on while
//     the rest of it is stuck), unless it is blocked in a collective while another rank
//     progressed within that time (it waits for that rank). Of several such ranks the failure
//     names one outside a collective first (the others wait for it), then the longest without
//     progress;
//   - start_timeout_s after the attempt began, some rank has never connected nor been reported.
// A rank whose agent reported its end is judged by that report alone.
//
// A running rank is a straggler when, over the last straggler_window_s since its first progress,
// its progress per second of work (time outside blocking collectives, as it reports) is below
// straggler_fraction times the median of the other running ranks' (at least two ranks measured).
// Ranks of a data-parallel job advance together, so their step rates cannot tell: a slow rank makes
// the others wait in collectives, and it is their waiting that shows it.
#ifndef LASYNTH_LAUNCHER_JOB_HEALTH_H_
#define LASYNTH_LAUNCHER_JOB_HEALTH_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dist/monitor_protocol.h"

namespace lasynth {
namespace launcher {

using HealthClock = std::chrono::steady_clock;

// Why the job failed. The message's wording is an interface: users and tests grep it.
struct Failure {
  int rank = -1;
  std::string host;
  int64_t pid = 0;
  std::string cause;    // "killed by signal 9 (SIGKILL)", "sent no heartbeat for 12 s", ...
  std::string message;  // one line naming rank, host, pid and cause
  // Every rank on `host`, two or more, went silent together while the job spans other hosts:
  // the node, not a rank, failed. `message` then names the node and its ranks.
  bool node_lost = false;
  // The ranks it is about: the node's when one was lost, those that never came when the start
  // failed, else `rank`.
  std::vector<int> ranks;
};

// A rank as /status shows it (to_string gives the word).
enum class RankState {
  kWaiting,   // not connected this attempt, nothing reported
  kRunning,   // connected and beating within the heartbeat timeout
  kStalled,   // connected, silent for longer than the heartbeat timeout
  kLost,      // its connection dropped without a bye, and no agent report (yet)
  kFinished,  // said bye, or its agent reported exit status 0
  kStopped,   // its agent reported kExitPreempted: stopped with a checkpoint, on request
  kFailed,    // its agent reported a signal or another non-zero status
};

// The job as the page and /status show it (to_string gives the word).
enum class JobState {
  kRunning,   // an attempt is under way and nothing has failed
  kStopping,  // a stop was requested (a signal to lasynth-launch): ranks checkpoint and exit
  kStopped,   // the ranks stopped with checkpoints; lasynth-launch exits with kExitPreempted
  kFinished,  // the job ended with status 0
  kFailed,    // a failure above, or the job's own exit status, ended the attempt
};

const char* to_string(RankState state);
const char* to_string(JobState state);

// Who a connection speaks for: the rank itself or its agent (the process that runs the rank).
enum class Sender { kRank, kAgent };

struct JobHealthOptions {
  int world_size = 1;
  double heartbeat_timeout_s = 60;  // silence after which a connected rank is stalled
  double start_timeout_s = 300;     // for every rank to connect (or be reported), per attempt
  // How long a dropped connection waits for the other side's word before it counts as a death:
  // a rank's end is often seen before its agent's report arrives.
  double lost_grace_s = 2;
  // Silence of a rank's progress counter after which the job fails; 0: never.
  double progress_timeout_s = 600;
  // Below this fraction of the median of the others' progress per second of work: a straggler.
  double straggler_fraction = 0.5;
  // The span over which progress per second of work is measured.
  double straggler_window_s = 20;
};

// What is known of one rank in this attempt.
struct RankStatus {
  RankState state = RankState::kWaiting;
  std::string host;                   // from the first hello (rank's or agent's); empty before
  int64_t pid = 0;                    // from the rank's hello
  bool connected = false;             // the rank's own connection said hello
  bool beaten = false;                // it sent at least one heartbeat
  bool said_bye = false;              // a clean end
  bool lost = false;                  // its connection dropped without a bye
  dist::Heartbeat beat;               // the last heartbeat
  HealthClock::time_point last_beat;  // of the last heartbeat, or of the hello before one
  // When its progress counter last advanced, or of its first hello before it did.
  HealthClock::time_point last_progress;
  // Its progress per second of work over the straggler window; NaN until measured. Computed by
  // ranks(), as is straggler.
  double work_rate = std::numeric_limits<double>::quiet_NaN();
  bool straggler = false;
  std::optional<dist::ExitReport> exit;  // how it ended, as its agent reported
};

// Not thread-safe: the monitor calls it holding its mutex.
class JobHealth {
 public:
  // REQUIRES: options.world_size >= 1.
  JobHealth(JobHealthOptions options, HealthClock::time_point now);

  // A new launch of the job (a restart) begins at `now`: forgets the ranks and the failure, and
  // the job is running again, on `world_size` ranks (0: as many as before).
  void begin_attempt(int attempt, HealthClock::time_point now, int world_size = 0);
  int world_size() const { return options_.world_size; }
  int attempt() const { return attempt_; }

  // Whether `from` sends messages of `kind` after its hello: ranks send beat and bye, agents
  // exit. Anything else is traffic the monitor counts as unknown and does not hand on.
  static bool expects(Sender from, dist::MessageKind kind);

  // What a connection speaking for `rank` said: its hello (message.kind kHello), then what
  // expects() allows. Returns the attempt's failure when this message declared it (an agent's
  // report of a signal or a non-zero status), nothing otherwise.
  // REQUIRES: 0 <= rank < world_size; kind is kHello or expects(from, kind).
  std::optional<Failure> handle(int rank, Sender from, const dist::MonitorMessage& message,
                                HealthClock::time_point now);

  // The connection speaking for `rank` ended. The monitor passes a rank's connection only when
  // it is the rank's latest one (a rank that reconnected is not lost). Decisions wait for
  // check(), after lost_grace_s.
  // REQUIRES: 0 <= rank < world_size, and the connection said hello this attempt.
  void closed(int rank, Sender from, HealthClock::time_point now);

  // The decisions time makes (deaths after the grace period, silence, ranks that never came).
  // Returns the attempt's failure when this call declared it, nothing otherwise.
  std::optional<Failure> check(HealthClock::time_point now);

  // The attempt's first failure, if any.
  const std::optional<Failure>& failure() const { return failure_; }
  // The ranks that have neither connected nor been reported this attempt.
  std::vector<int> never_arrived() const;

  // Exit statuses the agents reported this attempt: rank -> status (128 + signal when killed);
  // ranks not reported are absent.
  std::map<int, int> exits() const;

  // A stop was requested: a running job is now stopping (a failed one stays failed).
  void stop_requested();
  // The launcher's verdict once the job's command ended (finished, stopped, failed).
  void set_state(JobState state) { state_ = state; }
  JobState state() const { return state_; }

  // Every rank, in rank order, with its state at `now`.
  std::vector<RankStatus> ranks(HealthClock::time_point now) const;

 private:
  // One heartbeat's progress, for the work rate.
  struct Sample {
    HealthClock::time_point at;
    int64_t progress = 0;
    double work_s = 0;
  };
  struct Rank {
    RankStatus status;  // its state, work_rate and straggler fields are computed by ranks()
    std::deque<Sample> samples;  // the straggler window's, oldest first, one reaching past it
    HealthClock::time_point lost_at;
    bool agent = false;       // its agent said hello
    bool agent_lost = false;  // the agent's connection dropped before it reported
    HealthClock::time_point agent_lost_at;
  };

  // Declares the failure unless the attempt has one already; returns it when declared here.
  std::optional<Failure> fail(int rank, const std::string& cause);
  std::optional<Failure> fail_start(HealthClock::time_point now);
  // The failure of `rank`'s whole host when every rank on it is silent, nothing otherwise.
  std::optional<Failure> fail_node(int rank, HealthClock::time_point now);
  std::optional<Failure> fail_progress(HealthClock::time_point now);
  // Progress per second of work over the window, NaN when too little was measured.
  static double work_rate(const Rank& r);
  RankState state_of(const Rank& r, HealthClock::time_point now) const;

  JobHealthOptions options_;  // world_size changes with an attempt on fewer ranks
  int attempt_ = 0;
  HealthClock::time_point attempt_start_;
  std::vector<Rank> ranks_;
  std::optional<Failure> failure_;
  JobState state_ = JobState::kRunning;
};

}  // namespace launcher
}  // namespace lasynth

#endif  // LASYNTH_LAUNCHER_JOB_HEALTH_H_
