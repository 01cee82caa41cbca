// Iterative retraining (the paper's section 4.3; the original's --iterative_retraining_prog_gen):
// a trained model decodes programs for the training split's specifications, every prediction is
// executed, and a rule (ProgramGenOptions::rule) picks each specification's program: by default the
// original's (the greedy prediction when it matches the specification pairs, else the reference
// program), or the shortest beam candidate consistent with every pair. Those programs, with the
// original specification pairs, are the next model's training set. Rounds repeat it, each
// evaluated on the same test split.
#ifndef LASYNTH_RETRAIN_RETRAIN_H_
#define LASYNTH_RETRAIN_RETRAIN_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "dist/communicator.h"
#include "eval/evaluate.h"
#include "model/model_options.h"
#include "retrain/retrain_options.h"
#include "train/trainer.h"

namespace lasynth {
namespace retrain {

struct ProgramGenResult {
  int64_t specifications = 0;    // decoded
  int64_t kept = 0;              // examples written to the new train split
  int64_t predictions_kept = 0;  // of them, with the model's program
  int64_t replaced = 0;          // of those, with a program other than the reference
  int64_t references_kept = 0;   // "original": of them, with their reference program
  // Predictions the rule would take that are also a val or test program (splits never share
  // one): dropped ("shortest") or the reference kept in their place ("original").
  int64_t shared = 0;
  // "original": predictions matching the specification pairs that fail (an error, the step
  // limit) on a held-out input; their reference is kept, as the example must reproduce its pairs.
  int64_t held_out_fails = 0;
  // "original": kept predictions whose held-out outputs differ from the reference's; the example
  // stores the prediction's, so that it stays a program with its own outputs.
  int64_t held_out_recomputed = 0;
  double avg_length = 0;  // of the new train split's programs, in tokens
};

// Writes OUT (every rank returns once it is on disk). Its manifest records, under
// generator.sources.train, the checkpoint, its step, the rule, the beam and the counts; rank 0
// returns the counts, the other ranks only `specifications`. Throws ConfigError or IoError naming
// the file at fault.
ProgramGenResult generate_programs(const ProgramGenOptions& options);

// One line on `result` of `rule` for the user.
std::string summary(const std::string& rule, const ProgramGenResult& result);

// Runs (or resumes: finished steps are not redone) every round and returns the table: one row per
// round with its training programs, test generalization and average program length. Rank 0 writes
// RUN/retrain.json and RUN/retrain.md. When a signal stopped training (train/preemption.h), the
// table so far comes back with "stopped_in_round".
// `hooks` reach every round's training (its comm is the job's).
nlohmann::ordered_json run_retraining(const RetrainOptions& options,
                                      const train::TrainHooks& hooks);

// The table as Markdown.
std::string retrain_markdown(const nlohmann::ordered_json& table);

}  // namespace retrain
}  // namespace lasynth

#endif  // LASYNTH_RETRAIN_RETRAIN_H_
