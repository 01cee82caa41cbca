// This process's progress as lasynth-launch's monitor judges it: a counter that every long phase
// advances (a training step, a batch decoded by eval, validation, retraining or checkpoint
// evaluation) and whether the process is blocked inside a collective, and since when. The
// heartbeat thread reads them at each beat, so a rank whose main thread hangs (a blocking copy, a
// collective that never completes) keeps beating but stops progressing, which is what
// `lasynth-launch --progress-timeout` detects. Process-wide rather than passed around: the
// phases that advance it and the communicators that mark collectives know nothing of the
// heartbeat.
//
// Thread-safe: any thread may advance, mark or read.
#ifndef LASYNTH_DIST_PROGRESS_H_
#define LASYNTH_DIST_PROGRESS_H_

#include <cstdint>

namespace lasynth {
namespace dist {

// One more unit of work done: a training step or a batch decoded.
void note_progress();

// Marks this process as blocked inside a collective for the scope's lifetime. Nested scopes
// (a blocking collective built on another) count once, from the outermost.
class CollectiveScope {
 public:
  CollectiveScope();
  ~CollectiveScope();
  CollectiveScope(const CollectiveScope&) = delete;
  CollectiveScope& operator=(const CollectiveScope&) = delete;
};

struct ProgressSnapshot {
  int64_t progress = 0;            // note_progress() calls so far
  double in_collective_s = 0;      // seconds inside the current collective; 0 outside one
  double in_collective_since = 0;  // when it was entered, Unix seconds; 0 outside one
  // Seconds spent outside blocking collectives, from an origin of the process's own (only
  // differences mean something): progress per second of work tells a slow rank from the ranks
  // it keeps waiting, which progress at the same pace but spend the difference in collectives.
  double work_s = 0;
};

ProgressSnapshot progress_snapshot();

}  // namespace dist
}  // namespace lasynth

#endif  // LASYNTH_DIST_PROGRESS_H_
