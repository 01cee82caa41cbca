#include "core/subprocess.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <utility>

#include "core/error.h"
#include "core/exit_status.h"

namespace lasynth {
namespace {

// An open file descriptor, closed when it goes out of scope.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Fd& operator=(Fd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

// Close-on-exec: a child started by another thread meanwhile must not inherit it.
Fd open_for_append(const std::string& path, const char* what) {
  const int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw IoError(
        fmt::format("cannot open {} for the child's {}: {}", path, what, std::strerror(errno)));
  }
  return Fd(fd);
}

void write_all(int fd, const char* text, size_t n) {
  while (n > 0) {
    const ssize_t w = write(fd, text, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    text += w;
    n -= static_cast<size_t>(w);
  }
}

ExitStatus decode(int raw) {
  ExitStatus s;
  if (WIFSIGNALED(raw)) {
    s.signal = WTERMSIG(raw);
  } else {
    s.code = WEXITSTATUS(raw);
  }
  return s;
}

}  // namespace

Subprocess Subprocess::spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
  if (argv.empty()) throw ConfigError("spawn: an empty command (no program to run)");
  Fd out, err;
  if (!options.stdout_path.empty()) out = open_for_append(options.stdout_path, "stdout");
  if (!options.stderr_path.empty() && options.stderr_path != options.stdout_path) {
    err = open_for_append(options.stderr_path, "stderr");
  }
  const int out_fd = out.get();
  const int err_fd = options.stderr_path.empty()                  ? -1
                     : options.stderr_path == options.stdout_path ? out_fd
                                                                  : err.get();
  // Everything the child needs is built here: between fork and exec only async-signal-safe calls
  // are safe, since another thread of the parent may hold the allocator's lock.
  std::vector<char*> words;
  for (const std::string& w : argv) words.push_back(const_cast<char*>(w.c_str()));
  words.push_back(nullptr);
  const std::string cannot_run = fmt::format("{}cannot run '{}': ", options.error_prefix, argv[0]);

  const pid_t pid = fork();
  if (pid < 0)
    throw IoError(fmt::format("cannot fork to run {}: {}", argv[0], std::strerror(errno)));
  if (pid == 0) {
    if (options.new_process_group) setpgid(0, 0);
    for (int s : options.default_signals) std::signal(s, SIG_DFL);
    if (out_fd >= 0) dup2(out_fd, STDOUT_FILENO);
    if (err_fd >= 0) dup2(err_fd, STDERR_FILENO);
    execvp(words[0], words.data());
    const char* reason = std::strerror(errno);
    write_all(STDERR_FILENO, cannot_run.data(), cannot_run.size());
    write_all(STDERR_FILENO, reason, std::strlen(reason));
    write_all(STDERR_FILENO, "\n", 1);
    _exit(kExitCannotRun);
  }
  // Also from this side: whoever signals the group right after spawn returns must find it.
  if (options.new_process_group) setpgid(pid, pid);
  return Subprocess(pid);
}

std::optional<ExitStatus> Subprocess::reap(bool block) {
  if (status_) return status_;
  int raw = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &raw, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r < 0) {
    throw IoError(fmt::format("waiting for child {}: {}", pid_, std::strerror(errno)));
  }
  if (r == pid_) status_ = decode(raw);
  return status_;
}

ExitStatus Subprocess::wait() { return *reap(true); }

std::optional<ExitStatus> Subprocess::poll() { return reap(false); }

ExitStatus run_subprocess(const std::vector<std::string>& argv, const SpawnOptions& options) {
  return Subprocess::spawn(argv, options).wait();
}

std::string shell_line(const std::vector<std::string>& argv) {
  std::string line;
  for (const std::string& word : argv) {
    if (!line.empty()) line += ' ';
    const bool plain = !word.empty() && word.find_first_not_of(
                                            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "0123456789-_./=:,+@%") == std::string::npos;
    if (plain) {
      line += word;
    } else {
      line += '\'';
      for (char c : word) line += c == '\'' ? std::string("'\\''") : std::string(1, c);
      line += '\'';
    }
  }
  return line;
}

}  // namespace lasynth
