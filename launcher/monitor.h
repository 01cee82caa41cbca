// lasynth-launch's monitor (Boost.Asio, one thread): ranks connect to it and send heartbeats
// (src/dist/monitor_protocol.h); it serves what it knows over HTTP (/status JSON, /metrics in
// Prometheus' text format, / a page that updates itself) and decides when the job has failed
// (launcher/job_health.h says when: a rank that dies, whose connection drops without a clean
// end, that is silent for longer than the heartbeat timeout, that makes no progress for longer
// than the progress timeout, or that never arrives; and which ranks straggle). Malformed,
// oversized, unknown or unauthenticated traffic is dropped and counted.
#ifndef LASYNTH_LAUNCHER_MONITOR_H_
#define LASYNTH_LAUNCHER_MONITOR_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "launcher/job_health.h"

namespace lasynth {
namespace launcher {

struct MonitorOptions {
  int world_size = 1;
  std::string token;                       // ranks must present it
  std::string beat_address = "127.0.0.1";  // where ranks connect ("0.0.0.0": every interface)
  uint16_t beat_port = 0;                  // 0: any free port
  std::string http_address = "127.0.0.1";
  int http_port = 0;  // 0: any free port; -1: no HTTP
  double heartbeat_timeout_s = 60;
  // A rank's progress counter silent this long fails the job (job_health.h says when); 0: never.
  double progress_timeout_s = 600;
  double start_timeout_s = 300;  // for every rank to connect
  // How long a dropped connection waits for its agent's report before it counts as a death.
  double lost_grace_s = 2;
  std::string job;                       // the command, shown on the page
  std::string advertised = "127.0.0.1";  // the address ranks were told, shown in /status
};

struct MonitorCounters {
  int64_t connections = 0;
  int64_t messages = 0;  // well-formed lines
  int64_t beats = 0;
  int64_t malformed = 0;
  int64_t oversized = 0;
  int64_t unknown = 0;
  int64_t refused = 0;  // no hello, a wrong token, a rank outside the job
  // Accepts that failed for want of file descriptors (EMFILE, ENFILE): each waits a moment
  // before the next accept instead of spinning.
  int64_t out_of_descriptors = 0;
  int64_t http_requests = 0;
};

// Thread-safe: the launcher's thread calls it while the monitor's own thread serves the sockets.
// Raises this process's soft limit on open files to `wanted` where the hard limit allows (a
// monitor of N ranks holds about 2N connections: each rank's and its agent's). Returns the soft
// limit in force after.
int64_t raise_open_file_limit(int64_t wanted);

class Monitor {
 public:
  explicit Monitor(MonitorOptions options);
  ~Monitor();  // stops the thread and closes every connection
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  uint16_t beat_port() const;
  uint16_t http_port() const;  // 0 without HTTP

  // A new launch of the job (a restart): forgets the ranks, keeps the counters and the history.
  // `world_size`: its ranks, when fewer hosts run it than before (0: as many as before).
  void begin_attempt(int attempt, int world_size = 0);
  // The first failure of this attempt, if any.
  std::optional<Failure> failure() const;
  // The ranks that have neither connected nor been reported this attempt.
  std::vector<int> never_arrived() const;
  // Exit statuses the agents reported for this attempt: rank -> status (128 + signal when
  // killed); ranks not reported are absent.
  std::map<int, int> exits() const;
  // Sends "stop" to every connected rank (checkpoint at the next step boundary, exit
  // kExitPreempted).
  void request_stop();
  // Tells every agent to kill its rank (the job failed): ranks end even where mpirun or srun
  // cannot end them (a remote node whose daemon lost mpirun).
  void end_ranks();
  // The launcher's verdict once the job's command ended, shown on the page and in /status.
  void set_state(JobState state);

  nlohmann::json status() const;
  std::string prometheus() const;
  MonitorCounters counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace launcher
}  // namespace lasynth

#endif  // LASYNTH_LAUNCHER_MONITOR_H_
