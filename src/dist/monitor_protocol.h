// What ranks and the launcher's monitor say to each other (lasynth-launch, DESIGN.md "Process
// model"): one JSON object per line over TCP, at most kMaxMonitorLine bytes. A connection opens
// with a hello carrying the job's token; ranks then send beats, a rank's agent (the process that
// mpirun or srun started and that runs the rank) reports how the rank ended, and the monitor may
// answer "stop" (checkpoint at the next step boundary and exit with the preemption code) or, to
// an agent, "end" (the job failed: kill the rank now, whatever mpirun or srun manage to do).
//
//   {"type":"hello","token":"…","role":"rank"|"agent","rank":1,"size":4,"host":"n1","pid":42}
//   {"type":"beat","step":120,"epoch":0,"loss":1.25,"examples_per_s":88.5,"progress":131,
//    "work_s":95.2,"in_collective_s":0.5,"in_collective_since":1764662400.25}
//   {"type":"exit","code":0,"signal":0}      agent -> monitor
//   {"type":"bye"}                           rank -> monitor: a clean end, nothing is wrong
//   {"type":"stop"}                          monitor -> rank
//   {"type":"end"}                           monitor -> agent
#ifndef LASYNTH_DIST_MONITOR_PROTOCOL_H_
#define LASYNTH_DIST_MONITOR_PROTOCOL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lasynth {
namespace dist {

// Longer lines are not messages: the monitor drops the connection that sent one.
constexpr size_t kMaxMonitorLine = 4096;

// The monitor's address for ranks ("HOST:PORT") and the job's token.
constexpr const char* kMonitorAddressEnv = "LASYNTH_MONITOR";
constexpr const char* kMonitorTokenEnv = "LASYNTH_MONITOR_TOKEN";
// Seconds between heartbeats (default 1).
constexpr const char* kHeartbeatIntervalEnv = "LASYNTH_HEARTBEAT_S";

struct MonitorHello {
  std::string token;
  std::string role = "rank";  // "rank" or "agent"
  int rank = 0;
  int size = 1;
  std::string host;
  int64_t pid = 0;
};

// What a rank reports every beat: its training (step, epoch, loss, examples_per_s, set by the
// training loop) and its progress (the rest, dist/progress.h, filled in by the heartbeat thread
// as it sends; absent from a beat, they read 0).
struct Heartbeat {
  int64_t step = 0;
  int64_t epoch = 0;
  double loss = 0;
  double examples_per_s = 0;
  int64_t progress = 0;            // steps trained plus batches decoded, ever growing
  double work_s = 0;               // seconds outside blocking collectives, from its own origin
  double in_collective_s = 0;      // seconds inside the current blocking collective; 0: not in one
  double in_collective_since = 0;  // when it entered it, Unix seconds; 0: not in one
};

struct ExitReport {
  int code = 0;    // the exit status, when signal is 0
  int signal = 0;  // the signal that ended the rank, or 0
};

enum class MessageKind { kHello, kBeat, kExit, kBye, kStop, kEnd, kUnknown, kMalformed };

struct MonitorMessage {
  MessageKind kind = MessageKind::kMalformed;
  MonitorHello hello;
  Heartbeat beat;
  ExitReport exit;
};

// Never throws: a line that is not a JSON object with the fields of its type is kMalformed, an
// object of another type kUnknown.
MonitorMessage parse_monitor_line(std::string_view line);

// Each ends with '\n'.
std::string monitor_line(const MonitorHello& hello);
std::string monitor_line(const Heartbeat& beat);
std::string monitor_line(const ExitReport& exit);
std::string monitor_bye_line();
std::string monitor_stop_line();
std::string monitor_end_line();

// "HOST:PORT" (the last colon splits, so "[::1]:80" and "::1:80" do not occur: use names or
// IPv4). Throws ConfigError naming the variable for anything else.
void split_monitor_address(const std::string& address, std::string* host, uint16_t* port);

// "killed by signal 9 (SIGKILL)" or "exited with status 3".
std::string describe_exit(const ExitReport& exit);

}  // namespace dist
}  // namespace lasynth

#endif  // LASYNTH_DIST_MONITOR_PROTOCOL_H_
