// A lasynth-launch job run from a test as a user runs it: its own process (so the test can signal
// it), output in a file, and the monitor's /status read over HTTP while it runs.
#ifndef LASYNTH_TESTS_LAUNCHER_JOB_PROCESS_H_
#define LASYNTH_TESTS_LAUNCHER_JOB_PROCESS_H_

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace lasynth {
namespace testing {

// Polls a condition that another process makes true; false after `seconds`.
inline bool eventually(const std::function<bool()>& condition, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

// GET http://127.0.0.1:port/path; the body, or "" when nothing answers.
inline std::string http_get(uint16_t port, const std::string& path) {
  namespace asio = boost::asio;
  asio::io_context context;
  asio::ip::tcp::socket socket(context);
  boost::system::error_code error;
  socket.connect({asio::ip::make_address("127.0.0.1"), port}, error);
  if (error) return "";
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
  asio::write(socket, asio::buffer(request), error);
  std::string reply;
  asio::read(socket, asio::dynamic_buffer(reply), error);
  const size_t body = reply.find("\r\n\r\n");
  return body == std::string::npos ? "" : reply.substr(body + 4);
}

// `lasynth train` flags of a model small enough for the launcher's tests (any --batch_size after
// them sets the per-rank batch).
inline std::vector<std::string> tiny_model_flags() {
  return {"--embedding_size",  "16", "--LSTM_hidden_size",     "16", "--MLP_hidden_size", "16",
          "--num_LSTM_layers", "1",  "--num_attention_layers", "1",  "--val_examples",    "0",
          "--log_interval",    "20"};
}

class JobProcess {
 public:
  // Runs `argv` with stdout and stderr into `log`.
  JobProcess(const std::vector<std::string>& argv, const std::string& log) : log_(log) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<char*> words;
    for (const std::string& w : argv) words.push_back(const_cast<char*>(w.c_str()));
    words.push_back(nullptr);
    started_ = std::chrono::steady_clock::now();
    if (posix_spawnp(&pid_, words[0], &actions, nullptr, words.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~JobProcess() {
    if (pid_ > 0 && !ended_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }

  std::string output() const {
    std::ifstream in(log_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  // The monitor's page port, once lasynth-launch printed it.
  uint16_t monitor_port(double seconds = 30) const {
    std::smatch m;
    static const std::regex url("monitor: http://[^:]+:([0-9]+)/");
    eventually(
        [&] {
          const std::string out = output();
          return std::regex_search(out, m, url);
        },
        seconds);
    const std::string out = output();
    return std::regex_search(out, m, url) ? static_cast<uint16_t>(std::stoi(m[1])) : 0;
  }

  // Waits for every rank to have reported a step >= min_step; the /status JSON then.
  nlohmann::json status_when_training(int64_t min_step, double seconds = 120) const {
    const uint16_t port = monitor_port();
    nlohmann::json status;
    eventually(
        [&] {
          const std::string body = http_get(port, "/status");
          if (body.empty()) return false;
          status = nlohmann::json::parse(body, nullptr, false);
          if (status.is_discarded()) return false;
          for (const auto& r : status["ranks"]) {
            if (r["state"] != "running" || r["step"].get<int64_t>() < min_step) return false;
          }
          return true;
        },
        seconds);
    return status;
  }

  // The exit status once it ended (-1 after `seconds`); the seconds it took are in elapsed().
  int wait(double seconds) {
    int status = 0;
    const bool done = eventually([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, seconds);
    if (!done) return -1;
    ended_ = true;
    ended_at_ = std::chrono::steady_clock::now();
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  double seconds_since_start() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  }

 private:
  std::string log_;
  pid_t pid_ = -1;
  bool ended_ = false;
  std::chrono::steady_clock::time_point started_, ended_at_;
};

}  // namespace testing
}  // namespace lasynth

#endif  // LASYNTH_TESTS_LAUNCHER_JOB_PROCESS_H_
