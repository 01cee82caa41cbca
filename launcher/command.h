// The command line lasynth-launch runs: `mpirun` on the hosts given (or this machine), or
// `srun --mpi=pmix` inside a SLURM allocation, each rank started through this same program's
// agent (lasynth-launch --agent -- COMMAND) so that the monitor learns how every rank ended.
#ifndef LASYNTH_LAUNCHER_COMMAND_H_
#define LASYNTH_LAUNCHER_COMMAND_H_

#include <string>
#include <vector>

namespace lasynth {
namespace launcher {

struct HostSlots {
  std::string host;
  int slots = 1;
};

// "a:4,b:4" (a host without ":N" has 1 slot). Throws ConfigError naming the bad part.
std::vector<HostSlots> parse_hosts(const std::string& text);

// Whether `host` names this machine (its hostname, localhost, a loopback address).
bool is_local_host(const std::string& host, const std::string& hostname);

struct LaunchOptions {
  int ranks = 1;
  std::vector<HostSlots> hosts;      // empty: this machine
  std::vector<std::string> command;  // what each rank runs
  std::string agent;                 // the path of lasynth-launch itself
  bool srun = false;                 // inside a SLURM allocation
  bool as_root = false;              // Open MPI refuses root without a flag
  int local_cores = 1;
  std::string hostname;  // this machine's
  // Variables every rank must see: mpirun exports them with -x (srun exports everything).
  std::vector<std::string> export_names;
};

struct LaunchPlan {
  std::vector<std::string> argv;
  bool all_local = true;  // every rank on this machine: loopback transports, monitor on loopback
};

// Throws ConfigError when the hosts have fewer slots than ranks.
LaunchPlan plan_launch(const LaunchOptions& o);

// The names of the environment variables to pass on to ranks: NCCL_*, OMP_*, LASYNTH_*, present
// in `environ` (sorted).
std::vector<std::string> exported_names(char** environ_list);

}  // namespace launcher
}  // namespace lasynth

#endif  // LASYNTH_LAUNCHER_COMMAND_H_
