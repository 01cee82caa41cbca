#include "dist/progress.h"

#include <atomic>
#include <chrono>
#include <mutex>

#include "core/seconds.h"

namespace lasynth {
namespace dist {
namespace {

using Clock = std::chrono::steady_clock;

std::atomic<int64_t> progress_count{0};

// The collective state, read together by the heartbeat thread.
struct Collectives {
  std::mutex mu;
  const Clock::time_point process_start = Clock::now();
  int depth = 0;              // guarded by mu
  Clock::time_point entered;  // guarded by mu; valid while depth > 0
  double entered_unix = 0;    // guarded by mu; valid while depth > 0
  double finished_s = 0;      // guarded by mu: inside collectives that ended
};

Collectives& collectives() {
  static Collectives c;
  return c;
}

}  // namespace

void note_progress() { progress_count.fetch_add(1, std::memory_order_relaxed); }

CollectiveScope::CollectiveScope() {
  Collectives& c = collectives();
  std::lock_guard<std::mutex> lock(c.mu);
  if (c.depth++ > 0) return;
  c.entered = Clock::now();
  c.entered_unix =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

CollectiveScope::~CollectiveScope() {
  Collectives& c = collectives();
  std::lock_guard<std::mutex> lock(c.mu);
  if (--c.depth > 0) return;
  c.finished_s += seconds_between(c.entered, Clock::now());
}

ProgressSnapshot progress_snapshot() {
  ProgressSnapshot s;
  s.progress = progress_count.load(std::memory_order_relaxed);
  Collectives& c = collectives();
  const Clock::time_point now = Clock::now();
  std::lock_guard<std::mutex> lock(c.mu);
  double inside = c.finished_s;
  if (c.depth > 0) {
    s.in_collective_s = seconds_between(c.entered, now);
    s.in_collective_since = c.entered_unix;
    inside += s.in_collective_s;
  }
  s.work_s = seconds_between(c.process_start, now) - inside;
  return s;
}

}  // namespace dist
}  // namespace lasynth
