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
#include "train/trainer.h"

namespace lasynth {
namespace retrain {

struct ProgramGenOptions {
  std::string data_folder;  // whose train split's specifications are decoded
  std::string checkpoint;   // the model: a ckpt-STEP.pt or a model directory
  std::string out;          // the new dataset (train: kept programs; val, test: copied)
  int64_t beam = 32;
  int64_t batch_size = 32;
  int64_t max_decode_len = 256;
  int64_t limit = -1;  // decode only the first `limit` specifications (-1: all)
  int shards = 4;
  std::string device = "cpu";
  dist::Communicator* comm = nullptr;  // ranks split the specifications; rank 0 writes
  bool quiet = true;
};

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

struct RetrainOptions {
  std::string data_folder;  // the original dataset: round 0's training set, every round's test
  std::string run_dir;      // RUN/round-R/{data,model,test-report.json}, RUN/retrain.{json,md}
  std::string base_model;   // round 0's model (empty: trained here on data_folder)
  int rounds = 1;           // retraining rounds after round 0
  bool continue_training = false;  // round r starts from round r-1's weights, not from scratch
  ProgramGenOptions generate;      // beam, batch, device, ... (data, checkpoint, out set per round)
  train::TrainOptions train;       // data_folder and model_dir set per round
  model::ModelOptions model;
  eval::EvalOptions evaluate;  // data_folder, checkpoint, report set per round
};

// Runs (or resumes: finished steps are not redone) every round and returns the table: one row per
// round with its training programs, test generalization and average program length. Rank 0 writes
// RUN/retrain.json and RUN/retrain.md. When a signal stopped training (train/preemption.h), the
// table so far comes back with "stopped_in_round".
nlohmann::ordered_json run_retraining(const RetrainOptions& options);

// The table as Markdown.
std::string retrain_markdown(const nlohmann::ordered_json& table);

}  // namespace retrain
}  // namespace lasynth

#endif  // LASYNTH_RETRAIN_RETRAIN_H_
