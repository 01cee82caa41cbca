// Progress of long work on standard error: a bar with rate and ETA redrawn in place on a
// terminal, a plain line every few seconds otherwise (logs of batch jobs).
#ifndef LASYNTH_DATA_TOOLS_PROGRESS_H_
#define LASYNTH_DATA_TOOLS_PROGRESS_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace lasynth {

// Reports `done` against `total` from a background thread until stop() or destruction.
// Thread-safe: workers only increase the counter.
class Progress {
 public:
  Progress(std::string what, int64_t total, bool quiet);
  ~Progress();
  std::atomic<int64_t>* counter() { return &done_; }
  // Prints the final state once and stops the thread.
  void stop();

 private:
  void report(bool final);

  const std::string what_;
  const int64_t total_;
  const bool quiet_, tty_;
  const std::chrono::steady_clock::time_point start_;
  std::atomic<int64_t> done_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace lasynth

#endif  // LASYNTH_DATA_TOOLS_PROGRESS_H_
