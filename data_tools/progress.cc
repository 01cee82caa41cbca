#include "progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace lasynth {

Progress::Progress(std::string what, int64_t total, bool quiet)
    : what_(std::move(what)),
      total_(total),
      quiet_(quiet),
      tty_(isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()) {
  if (quiet_ || total_ <= 0) return;
  thread_ = std::thread([this] {
    const auto period = tty_ ? std::chrono::milliseconds(200) : std::chrono::seconds(5);
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, period, [this] { return stopping_; })) report(false);
  });
}

Progress::~Progress() { stop(); }

void Progress::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (!quiet_ && total_ > 0) report(true);
}

void Progress::report(bool final) {
  const int64_t done = done_.load();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = s > 0 ? done / s : 0;
  const double frac = total_ > 0 ? static_cast<double>(done) / total_ : 1;
  const std::string eta =
      rate > 0 && done < total_ ? fmt::format("{:.0f}s", (total_ - done) / rate) : "-";
  if (tty_) {
    constexpr int kWidth = 30;
    const int fill = static_cast<int>(frac * kWidth);
    std::fprintf(stderr, "\r%s [%s%s] %3.0f%% %lld/%lld  %.0f/s  ETA %s   %s", what_.c_str(),
                 std::string(fill, '#').c_str(), std::string(kWidth - fill, '.').c_str(),
                 100 * frac, static_cast<long long>(done), static_cast<long long>(total_), rate,
                 eta.c_str(), final ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s: %lld/%lld (%.0f%%), %.0f/s, %.1fs elapsed, ETA %s\n", what_.c_str(),
                 static_cast<long long>(done), static_cast<long long>(total_), 100 * frac, rate, s,
                 eta.c_str());
  }
  std::fflush(stderr);
}

}  // namespace lasynth
