#include "launcher/job.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <cstring>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <thread>

#include "core/error.h"
#include "core/exit_status.h"
#include "core/subprocess.h"
#include "dist/monitor_protocol.h"
#include "launcher/monitor.h"

extern char** environ;

namespace lasynth {
namespace launcher {
namespace {

std::atomic<int> g_signal{0};
std::atomic<int> g_signals{0};

void on_signal(int signal) {
  g_signal = signal;
  ++g_signals;
}

void say(const std::string& line) { std::cerr << "lasynth-launch: " << line << '\n' << std::flush; }

std::string random_token() {
  std::random_device device;
  std::string token;
  for (int i = 0; i < 4; ++i) token += fmt::format("{:08x}", device());
  return token;
}

// The address of this machine that ranks on `peer` reach: the source address the kernel picks
// for a route to it (no packet is sent).
std::string address_towards(const std::string& peer) {
  namespace asio = boost::asio;
  asio::io_context context;
  boost::system::error_code error;
  const auto results =
      asio::ip::udp::resolver(context).resolve(asio::ip::udp::v4(), peer, "9", error);
  if (error || results.empty()) return "";
  asio::ip::udp::socket socket(context);
  socket.open(asio::ip::udp::v4(), error);
  if (!error) socket.connect(*results.begin(), error);
  if (error) return "";
  return socket.local_endpoint().address().to_string();
}

// This machine's address from its hostname (for srun, where the peers are SLURM's nodes).
std::string address_of_hostname(const std::string& hostname) {
  namespace asio = boost::asio;
  asio::io_context context;
  boost::system::error_code error;
  const auto results =
      asio::ip::tcp::resolver(context).resolve(asio::ip::tcp::v4(), hostname, "", error);
  if (error) return "";
  for (const auto& r : results) {
    if (!r.endpoint().address().is_loopback()) return r.endpoint().address().to_string();
  }
  return "";
}

// Its own process group: ending the job signals mpirun/srun and everything they started here.
Subprocess spawn_job(const std::vector<std::string>& argv) {
  SpawnOptions o;
  o.new_process_group = true;
  o.default_signals = {SIGINT, SIGTERM, SIGUSR1};
  o.error_prefix = "lasynth-launch: ";
  return Subprocess::spawn(argv, o);
}

// Ends the job once the agents were told to kill their ranks: mpirun and srun end by themselves
// when their ranks are gone (and Open MPI's mpirun crashes in PMIx when signalled in the middle of
// its own abort), so they get the grace period first; then SIGTERM to the job's process group,
// and SIGKILL after a second grace period. SIGCONT first: a stopped process acts on nothing.
int end_job(Subprocess& job, double grace_s) {
  const pid_t group = job.pid();
  kill(-group, SIGCONT);
  auto wait_until = [&](double seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      if (job.poll()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  };
  if (!wait_until(grace_s)) {
    kill(-group, SIGTERM);
    if (!wait_until(grace_s)) kill(-group, SIGKILL);
  }
  const int status = job.wait().shell_status();
  kill(-group, SIGKILL);  // whatever of the group is left
  return status;
}

enum class Outcome { kDone, kStopped, kFailed };

// The monitor's options for this job; `remote`: some ranks run on other hosts, which reach the
// monitor at the address advertised to them.
MonitorOptions monitor_options(const JobOptions& o, bool remote) {
  const LaunchOptions& launch = o.launch;
  MonitorOptions mo;
  mo.world_size = launch.ranks;
  mo.token = random_token();
  mo.heartbeat_timeout_s = o.heartbeat_timeout_s;
  mo.progress_timeout_s = o.progress_timeout_s;
  mo.start_timeout_s = o.start_timeout_s;
  mo.http_port = o.http_port;
  mo.http_address = o.http_public ? "0.0.0.0" : "127.0.0.1";
  mo.job = shell_line(launch.command);
  mo.advertised = "127.0.0.1";
  if (!remote) return mo;
  mo.beat_address = "0.0.0.0";  // ranks must present the token
  mo.advertised = o.monitor_address;
  for (const HostSlots& h : launch.hosts) {
    if (mo.advertised.empty() && !is_local_host(h.host, launch.hostname)) {
      mo.advertised = address_towards(h.host);
    }
  }
  if (mo.advertised.empty()) mo.advertised = address_of_hostname(launch.hostname);
  if (mo.advertised.empty()) {
    throw ConfigError(
        fmt::format("cannot tell which address of {} the other hosts reach: pass --monitor-address",
                    launch.hostname));
  }
  return mo;
}

// --dry-run: the launch line, with the monitor's variables among those exported.
int print_dry_run(const LaunchOptions& launch) {
  LaunchOptions shown = launch;
  shown.export_names.insert(shown.export_names.end(),
                            {dist::kMonitorAddressEnv, dist::kMonitorTokenEnv});
  std::sort(shown.export_names.begin(), shown.export_names.end());
  shown.export_names.erase(std::unique(shown.export_names.begin(), shown.export_names.end()),
                           shown.export_names.end());
  std::cout << shell_line(plan_launch(shown).argv) << '\n';
  return 0;
}

// How one launch of the job ended.
struct Attempt {
  Outcome outcome = Outcome::kDone;
  int status = 0;                  // mpirun's or srun's
  bool stopping = false;           // a signal asked the ranks to stop
  std::string cause;               // why it failed
  std::optional<Failure> failure;  // the monitor's, when it saw the failure
};

// Watches a launch until it ends or fails: signals become "stop" (the first) or the job's end
// (the second); a failure the monitor sees ends the job.
Attempt watch(Subprocess& job, Monitor& monitor, const JobOptions& o) {
  Attempt a;
  while (true) {
    if (const auto ended = job.poll()) {
      a.status = ended->shell_status();
      return a;
    }
    if (g_signals > 0 && !a.stopping) {
      a.stopping = true;
      say(fmt::format("signal {} ({}): every rank checkpoints at its next step and stops",
                      g_signal.load(), sigabbrev_np(g_signal.load())));
      monitor.request_stop();
      kill(job.pid(), SIGUSR1);  // mpirun and srun pass SIGUSR1 on to the ranks
    } else if (g_signals > 1) {
      say("second signal: ending the job now");
      monitor.end_ranks();
      a.status = end_job(job, 0);
      a.outcome = Outcome::kFailed;
      a.cause = "interrupted twice";
      return a;
    }
    if (const auto failure = monitor.failure()) {
      say(fmt::format("{}: ending the job", failure->message));
      monitor.end_ranks();
      a.status = end_job(job, o.kill_grace_s);
      a.outcome = Outcome::kFailed;
      a.cause = failure->message;
      a.failure = failure;
      return a;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// The outcome of a launch that ended by itself, from its status and what the agents reported.
void classify(Attempt& a, Monitor& monitor, const std::string& program) {
  // A rank's end the agent reported right before mpirun returned.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto failure = monitor.failure();
  const auto exits = monitor.exits();
  const bool all_stopped =
      !exits.empty() && std::all_of(exits.begin(), exits.end(),
                                    [](const auto& e) { return e.second == kExitPreempted; });
  if (failure) {
    a.outcome = Outcome::kFailed;
    a.cause = failure->message;
    a.failure = failure;
  } else if (a.status == 0) {
    a.outcome = Outcome::kDone;
  } else if (a.status == kExitPreempted || (a.stopping && all_stopped)) {
    a.outcome = Outcome::kStopped;
  } else {
    a.outcome = Outcome::kFailed;
    a.cause = fmt::format("{} exited with status {}", program, a.status);
    // Ranks that never came point at their hosts (--exclude-failed-hosts): mpirun gives up when
    // it cannot start its daemon on a host.
    Failure f;
    f.ranks = monitor.never_arrived();
    f.rank = f.ranks.empty() ? -1 : f.ranks.front();
    f.host = "?";
    f.cause = a.cause;
    f.message = a.cause;
    if (!f.ranks.empty()) a.failure = f;
  }
}

// The entry of `hosts` that `name` stands for: the same name, or the same first label (a rank
// reports "n1" for --hosts n1.cluster); -1 when none does.
int host_index(const std::vector<HostSlots>& hosts, const std::string& name) {
  const auto label = [](const std::string& h) { return h.substr(0, h.find('.')); };
  for (size_t i = 0; i < hosts.size(); ++i) {
    if (hosts[i].host == name) return static_cast<int>(i);
  }
  for (size_t i = 0; i < hosts.size(); ++i) {
    if (label(hosts[i].host) == label(name)) return static_cast<int>(i);
  }
  return -1;
}

// The ranks mpirun puts on hosts[index]: it maps by slot, filling the hosts in order.
int ranks_on_host(const LaunchOptions& l, int index) {
  int first = 0;
  for (int i = 0; i < index; ++i) first += l.hosts[static_cast<size_t>(i)].slots;
  return std::clamp(l.ranks - first, 0, l.hosts[static_cast<size_t>(index)].slots);
}

// The entry of --hosts a failure points at: the host it names; for ranks that never said where
// they run, the host mpirun put the first on, unless none came at all: mpirun starts no rank
// until every host's daemon answers, so then the host lost the attempt before, still out of
// reach, if there was one. -1 when it cannot tell.
int failed_host(const LaunchOptions& l, const Failure& f, const std::string& lost_before) {
  if (!f.host.empty() && f.host != "?") return host_index(l.hosts, f.host);
  if (static_cast<int>(f.ranks.size()) == l.ranks) {
    return lost_before.empty() ? -1 : host_index(l.hosts, lost_before);
  }
  for (int i = 0, first = 0; f.rank >= 0 && i < static_cast<int>(l.hosts.size()); ++i) {
    first += l.hosts[static_cast<size_t>(i)].slots;
    if (f.rank < first) return i;
  }
  return -1;
}

// --exclude-failed-hosts after a failed attempt: counts the failure against its host, and takes a
// host that failed twice out of `current`. `lost_before`: the node the
// previous attempt lost, if it did; updated.
void exclude_failed_host(const Attempt& a, std::map<std::string, int>& failures,
                         std::string& lost_before, LaunchOptions& current) {
  if (!a.failure) return;
  const int index = failed_host(current, *a.failure, lost_before);
  lost_before = a.failure->node_lost ? a.failure->host : "";
  if (index < 0) return;
  const std::string host = current.hosts[static_cast<size_t>(index)].host;
  if (++failures[host] < 2) return;
  const int left = current.ranks - ranks_on_host(current, index);
  if (current.hosts.size() < 2 || left < 1) {
    say(fmt::format("{} failed twice, but no other host is left to run the job on", host));
    return;
  }
  say(
      fmt::format("leaving out {}, which failed twice: continuing on {} rank(s) of {}, with the "
                  "checkpoint's global batch (--keep_global_batch)",
                  host, left, current.ranks));
  current.hosts.erase(current.hosts.begin() + index);
  current.ranks = left;
  for (const char* flag : {"--resume", "--keep_global_batch"}) {
    if (std::find(current.command.begin(), current.command.end(), flag) == current.command.end()) {
      current.command.push_back(flag);
    }
  }
}

}  // namespace

int run_job(const JobOptions& o) {
  const LaunchOptions& launch = o.launch;
  const MonitorOptions mo = monitor_options(o, !plan_launch(launch).all_local);
  if (o.dry_run) return print_dry_run(launch);
  // Every rank and every agent holds a connection; a little more for HTTP and the launcher.
  const int64_t descriptors = 2 * static_cast<int64_t>(launch.ranks) + 256;
  const int64_t limit = raise_open_file_limit(descriptors);
  if (limit >= 0 && limit < descriptors) {
    say(fmt::format(
        "warning: {} open files allowed (ulimit -n), {} wanted for {} ranks: connections beyond "
        "it wait until others close; raise the hard limit",
        limit, descriptors, launch.ranks));
  }
  Monitor monitor(mo);
  setenv(dist::kMonitorAddressEnv, fmt::format("{}:{}", mo.advertised, monitor.beat_port()).c_str(),
         1);
  setenv(dist::kMonitorTokenEnv, mo.token.c_str(), 1);
  LaunchOptions current = launch;
  current.export_names = exported_names(environ);
  if (monitor.http_port() != 0) {
    say(fmt::format("monitor: http://{}:{}/ (/status, /metrics)",
                    o.http_public ? launch.hostname : "127.0.0.1", monitor.http_port()));
  }

  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  for (int s : {SIGINT, SIGTERM, SIGUSR1}) sigaction(s, &action, nullptr);

  if (o.exclude_failed_hosts && (launch.srun || launch.hosts.size() < 2)) {
    throw ConfigError(
        "--exclude-failed-hosts needs mpirun on two or more --hosts (a host to leave out and "
        "others to continue on)");
  }
  std::map<std::string, int> host_failures;
  std::string lost_before;
  for (int attempt = 0;; ++attempt) {
    monitor.begin_attempt(attempt, current.ranks);
    const std::vector<std::string> argv = plan_launch(current).argv;
    say(shell_line(argv));
    Subprocess job = spawn_job(argv);
    Attempt a = watch(job, monitor, o);
    if (a.outcome != Outcome::kFailed) classify(a, monitor, argv[0]);
    if (a.outcome == Outcome::kDone) {
      monitor.set_state(JobState::kFinished);
      say("done");
      return 0;
    }
    if (a.outcome == Outcome::kStopped) {
      monitor.set_state(JobState::kStopped);
      say(fmt::format("stopped with checkpoints (exit {}): continue with --resume",
                      kExitPreempted));
      return kExitPreempted;
    }
    monitor.set_state(JobState::kFailed);
    if (a.stopping || attempt >= o.max_restarts) {
      say(fmt::format("the job failed: {}", a.cause));
      return kJobFailedExitCode;
    }
    say(fmt::format("restart {} of {} from the latest checkpoint, after: {}", attempt + 1,
                    o.max_restarts, a.cause));
    if (o.exclude_failed_hosts) exclude_failed_host(a, host_failures, lost_before, current);
    if (std::find(current.command.begin(), current.command.end(), "--resume") ==
        current.command.end()) {
      current.command.push_back("--resume");
    }
  }
}

}  // namespace launcher
}  // namespace lasynth
