// Checkpoint evaluation: every checkpoint of a model directory evaluated on one split, as a
// table of metric vs step (DESIGN.md's metrics), kept beside the checkpoints as
//   MODEL_DIR/eval-SPLIT-beamN.json  [{"step", "checkpoint", "examples", <metrics>}, ...]
//   MODEL_DIR/eval-SPLIT-beamN.csv   step,checkpoint,examples,<metrics>
//   MODEL_DIR/eval-SPLIT-beamN.png   the metrics against the step
// A run reads the table it finds and evaluates only the checkpoints newer than its last row, so it
// can follow a training run (or be re-run after one) without redoing work.
#ifndef LASYNTH_EVAL_CHECKPOINT_EVAL_H_
#define LASYNTH_EVAL_CHECKPOINT_EVAL_H_

#include <nlohmann/json.hpp>
#include <string>

#include "eval/evaluate.h"

namespace lasynth {
namespace eval {

struct CheckpointTable {
  std::string json, csv, png;   // the files written
  int64_t evaluated = 0;        // checkpoints evaluated by this call
  nlohmann::ordered_json rows;  // the whole table, oldest step first
};

// `options` as for evaluate(), its `checkpoint` naming the model directory (`report` and
// `predictions` are ignored). With options.comm: all ranks, same order; rank 0 writes the files.
// Throws ConfigError (no checkpoints) or IoError naming the file.
CheckpointTable evaluate_checkpoints(const EvalOptions& options, bool plot = true);

}  // namespace eval
}  // namespace lasynth

#endif  // LASYNTH_EVAL_CHECKPOINT_EVAL_H_
