// Iterative retraining (the paper's section 4.3; the original's --iterative_retraining_prog_gen):
// a trained model decodes programs for the training split's specifications, every candidate is
// executed, and for each specification the shortest program consistent with all its pairs
// (specification and held-out) is kept; those programs, with the original pairs, are the next
// model's training set. Rounds repeat it, each evaluated on the same test split.
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
  int64_t specifications = 0;  // decoded
  int64_t kept = 0;            // written to the new train split
  int64_t dropped_shared = 0;  // consistent, but the same program as one of val or test
  double avg_length = 0;       // of the kept programs, in tokens
};

// Writes OUT (every rank returns once it is on disk). Its manifest records, under
// generator.sources.train, the checkpoint, its step, the beam and the counts. Throws ConfigError or
// IoError naming the file at fault.
ProgramGenResult generate_programs(const ProgramGenOptions& options);

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
