// Child processes: start a program (fork + exec, argv as given, no shell), optionally with its
// output sent to a file or in a process group of its own, and wait for it, blocking or not.
// One place for what the sweep runner, the launcher and its per-rank agent each need.
#ifndef LASYNTH_CORE_SUBPROCESS_H_
#define LASYNTH_CORE_SUBPROCESS_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace lasynth {

struct SpawnOptions {
  // Files the child's stdout and stderr are appended to (created 0644 if missing); empty: the
  // parent's. The same path for both shares one open file, so their lines interleave in order.
  std::string stdout_path;
  std::string stderr_path;
  // A process group of its own (setpgid), so that kill(-pid, ...) reaches the child and
  // everything it starts, and a terminal's Ctrl-C reaches only the parent.
  bool new_process_group = false;
  // Signals set back to their default action in the child before exec: an ignored signal stays
  // ignored across exec, and a handler of the parent would run in the child if the signal
  // arrived between fork and exec.
  std::vector<int> default_signals;
  // Put before "cannot run '<program>': <reason>" on the child's stderr when exec fails, e.g.
  // "lasynth-launch: rank 3 on node7: ".
  std::string error_prefix;
};

// How a child ended.
struct ExitStatus {
  int code = 0;    // its exit status, when signal is 0
  int signal = 0;  // the signal that killed it, or 0
  // The single number a shell reports: code, or 128 + signal.
  int shell_status() const { return signal != 0 ? 128 + signal : code; }
};

// A started child. Not thread-safe: one thread waits for it. Destroying a handle does not wait:
// a child never waited for stays a zombie until this process ends.
class Subprocess {
 public:
  // Starts argv[0] (looked up on PATH when it has no '/') with `argv`. When exec fails the child
  // writes options.error_prefix + "cannot run '<argv[0]>': <reason>" to its stderr and exits
  // with kExitCannotRun (127), as a shell does. Throws IoError when a redirect file cannot be
  // opened or fork fails. REQUIRES: argv is not empty.
  static Subprocess spawn(const std::vector<std::string>& argv, const SpawnOptions& options = {});

  pid_t pid() const { return pid_; }

  // Blocks until the child ends (retrying on EINTR) and returns how; once it ended, returns the
  // same status again without waiting.
  ExitStatus wait();
  // Non-blocking: how the child ended, or nothing while it runs.
  std::optional<ExitStatus> poll();

 private:
  explicit Subprocess(pid_t pid) : pid_(pid) {}
  std::optional<ExitStatus> reap(bool block);

  pid_t pid_;
  std::optional<ExitStatus> status_;  // set once the child was reaped
};

// Starts argv (see Subprocess::spawn) and waits for it.
ExitStatus run_subprocess(const std::vector<std::string>& argv, const SpawnOptions& options = {});

// argv as one line a POSIX shell reads back as the same words: plain words as they are, the
// others in single quotes ("it's" -> 'it'\''s'). For printing commands users can paste.
std::string shell_line(const std::vector<std::string>& argv);

}  // namespace lasynth

#endif  // LASYNTH_CORE_SUBPROCESS_H_
