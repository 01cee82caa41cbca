// lasynth-launch: runs a data-parallel lasynth job and watches it.
//
//   lasynth-launch -n 8 [--hosts a:4,b:4] [--monitor-port P] [--heartbeat-timeout S]
//                  [--progress-timeout S] [--max-restarts K [--exclude-failed-hosts]]
//                  -- lasynth train ...
//
// Prints and runs the mpirun line (srun --mpi=pmix inside a SLURM allocation), serves a live
// page, /status and /metrics, ends the whole job when a rank dies, stalls or hangs, passes SIGINT,
// SIGTERM and SIGUSR1 on to every rank as a request to checkpoint and stop, and can relaunch
// from the latest checkpoint.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "app/cli_checks.h"
#include "core/exit_status.h"
#include "launcher/agent.h"
#include "launcher/job.h"

extern char** environ;

int main(int argc, char** argv) {
  using namespace lasynth::launcher;
  // The agent mode is how mpirun/srun start each rank; not for users.
  if (argc >= 2 && std::string(argv[1]) == "--agent") {
    std::vector<std::string> command(argv + 2, argv + argc);
    if (!command.empty() && command[0] == "--") command.erase(command.begin());
    return run_agent(command);
  }
  CLI::App app{
      "lasynth-launch: run a data-parallel lasynth job on this machine, on hosts, or in a "
      "SLURM allocation, with a live monitor, failure detection and restarts"};
  lasynth::app::one_line_errors(app, "lasynth-launch");
  app.option_defaults()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
      ->always_capture_default();
  JobOptions o;
  std::string hosts;
  std::string mode = "auto";
  app.add_option("-n,--ranks", o.launch.ranks, "number of processes (one per core or GPU)")
      ->required()
      ->check(lasynth::app::at_least(1));
  app.add_option("--hosts", hosts,
                 "hosts and their slots, e.g. a:4,b:4 (default: this machine; inside SLURM: the "
                 "allocation)");
  app.add_option("--launcher", mode,
                 "mpirun, srun, or auto (srun inside a SLURM allocation, else mpirun)")
      ->check(CLI::IsMember({"auto", "mpirun", "srun"}));
  app.add_option("--monitor-port", o.http_port,
                 "port of the status page, /status and /metrics (0: any free port, printed; -1: "
                 "no page)")
      ->check(lasynth::app::number_in(-1, 65535));
  app.add_flag("--monitor-public", o.http_public,
               "serve the page on every interface, not only loopback (anyone who reaches this "
               "host sees the job)");
  app.add_option("--monitor-address", o.monitor_address,
                 "address of this host that ranks on other hosts connect to (default: found from "
                 "the route to them)");
  app.add_option(
         "--heartbeat-timeout", o.heartbeat_timeout_s,
         "seconds without a heartbeat after which a rank counts as stalled and the job ends")
      ->check(lasynth::app::positive());
  app.add_option("--progress-timeout", o.progress_timeout_s,
                 "seconds a rank may go without progress (a training step, or a batch decoded by "
                 "eval, validation or retraining) before the job ends naming it, its host, its "
                 "step and whether it is inside a collective; a rank blocked in a collective "
                 "while another rank progresses is waiting, not hung (0: never)")
      ->check(lasynth::app::at_least(0.0));
  app.add_option("--start-timeout", o.start_timeout_s,
                 "seconds for every rank to reach the monitor")
      ->check(lasynth::app::positive());
  app.add_option("--max-restarts", o.max_restarts,
                 "after a failure, relaunch with --resume at most this many times")
      ->check(lasynth::app::at_least(0));
  app.add_flag("--exclude-failed-hosts", o.exclude_failed_hosts,
               "with --max-restarts and --hosts: a restart leaves out a host that failed twice "
               "(a lost node, or its ranks never starting) and continues on the other hosts' "
               "ranks with the checkpoint's global batch (adds --keep_global_batch)");
  app.add_flag("--dry-run", o.dry_run, "print the command line and exit");
  app.add_option("command", o.launch.command, "what every rank runs, after --")->required();
  app.footer(fmt::format(
      "Exit status: 0 the job finished; {} stopped by SIGINT/SIGTERM/SIGUSR1 after every rank "
      "checkpointed (continue with --resume); {} the job failed (one line names the rank, host "
      "and cause); {} bad usage.\nRanks find the monitor through LASYNTH_MONITOR and "
      "LASYNTH_MONITOR_TOKEN, which lasynth-launch sets.\n/status and /metrics show each "
      "rank's seconds since progress, and mark it a straggler when, over the last 20 s, its "
      "progress per second spent outside collectives is below half the median of the other "
      "ranks' (the others wait for it).\nTo test failure detection, "
      "LASYNTH_FAULT=KIND:rank=R:step=N makes rank R, at training step N, hang (its heartbeat "
      "goes on), crash (abort) or run slow (each step 3x as long).",
      lasynth::kExitPreempted, kJobFailedExitCode, kUsageExitCode));
  try {
    app.parse(argc, argv);
    char self[4096];
    const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    o.launch.agent = n > 0 ? std::string(self, static_cast<size_t>(n)) : argv[0];
    if (!hosts.empty()) o.launch.hosts = parse_hosts(hosts);
    const bool in_slurm = std::getenv("SLURM_JOB_ID") != nullptr;
    o.launch.srun = mode == "srun" || (mode == "auto" && in_slurm && hosts.empty());
    o.launch.as_root = geteuid() == 0;
    o.launch.local_cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    char hostname[256] = {};
    gethostname(hostname, sizeof(hostname) - 1);
    o.launch.hostname = hostname;
    o.launch.export_names = exported_names(environ);
    return run_job(o);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kUsageExitCode;
  } catch (const std::exception& e) {
    std::cerr << "lasynth-launch: error: " << e.what() << '\n';
    return kJobFailedExitCode;
  }
}
