// A rank's line to lasynth-launch's monitor: a background thread connects to LASYNTH_MONITOR,
// introduces the rank with the job's token and sends a heartbeat every LASYNTH_HEARTBEAT_S
// seconds (1 by default) with the latest step, loss and throughput, and the process's progress
// as dist/progress.h has it at that moment. The beats come from their own thread so that a long
// step, a checkpoint or a validation pass is not mistaken for a stall, while a stopped or dead
// process (kill -STOP, kill -9) falls silent; a process whose main thread hangs goes on beating,
// and its progress tells. A "stop" from the monitor (the launcher got SIGINT/SIGTERM/SIGUSR1)
// calls on_stop. Losing the monitor never stops training: it is said once on stderr.
#ifndef LASYNTH_DIST_HEARTBEAT_CLIENT_H_
#define LASYNTH_DIST_HEARTBEAT_CLIENT_H_

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "dist/monitor_protocol.h"
#include "dist/world.h"

namespace lasynth {
namespace dist {

// How this process introduces itself to the monitor: the job's token (LASYNTH_MONITOR_TOKEN), its
// place in the job, its host and pid, and its role ("rank" or "agent").
MonitorHello hello_from_environment(const World& world, const std::string& role);

class HeartbeatClient {
 public:
  // Null when LASYNTH_MONITOR is not set (no launcher). Throws ConfigError when it is malformed.
  static std::unique_ptr<HeartbeatClient> from_environment(const World& world,
                                                           std::function<void()> on_stop = {});

  HeartbeatClient(const std::string& address, MonitorHello hello, double interval_s,
                  std::function<void()> on_stop);
  // Says bye (a clean end) and joins the thread.
  ~HeartbeatClient();
  HeartbeatClient(const HeartbeatClient&) = delete;
  HeartbeatClient& operator=(const HeartbeatClient&) = delete;

  // The latest training state; the next beat carries it, with the progress fields filled in
  // from dist/progress.h. Cheap (a lock, no I/O).
  void update(const Heartbeat& beat);

 private:
  void run();

  std::string host_;
  uint16_t port_ = 0;
  MonitorHello hello_;
  double interval_s_;
  std::function<void()> on_stop_;
  std::mutex mu_;
  Heartbeat latest_;
  std::atomic<bool> done_{false};
  struct Io;  // Asio stays out of the header: ranks include this next to torch
  std::unique_ptr<Io> io_;
  std::thread thread_;
};

}  // namespace dist
}  // namespace lasynth

#endif  // LASYNTH_DIST_HEARTBEAT_CLIENT_H_
