// One lasynth-launch job: start the monitor, run the mpirun/srun line, watch it, end it on the
// first failure (the whole job, within seconds, with the monitor's message naming rank, host and
// cause), pass SIGINT/SIGTERM/SIGUSR1 on to every rank as a request to checkpoint and stop, and
// relaunch with --resume after a failure, at most max_restarts times.
#ifndef LASYNTH_LAUNCHER_JOB_H_
#define LASYNTH_LAUNCHER_JOB_H_

#include <string>
#include <vector>

#include "launcher/command.h"

namespace lasynth {
namespace launcher {

// lasynth-launch's exit statuses (besides the job's own 0 and kExitPreempted).
constexpr int kJobFailedExitCode = 1;
constexpr int kUsageExitCode = 2;

struct JobOptions {
  LaunchOptions launch;
  int http_port = 0;  // -1: no page
  bool http_public = false;
  std::string monitor_address;  // what ranks on other hosts connect to (empty: found)
  double heartbeat_timeout_s = 60;
  double progress_timeout_s = 600;  // 0: no progress timeout
  double start_timeout_s = 300;
  int max_restarts = 0;
  // A restart leaves out a host of --hosts that failed twice (named by the failure, or running
  // the rank that never came), continuing on the other hosts' ranks with the checkpoint's global
  // batch (--keep_global_batch).
  bool exclude_failed_hosts = false;
  bool dry_run = false;
  // Seconds between SIGTERM and SIGKILL when the job is ended.
  double kill_grace_s = 3;
};

// Returns the exit status for lasynth-launch: 0 done, kExitPreempted stopped on a signal after the
// ranks checkpointed, kJobFailedExitCode failed (after the restarts allowed).
int run_job(const JobOptions& o);

}  // namespace launcher
}  // namespace lasynth

#endif  // LASYNTH_LAUNCHER_JOB_H_
