// The settings of iterative retraining (flags, configs), torch-free so that src/app and the
// configs' tests read them without LibTorch.
#ifndef LASYNTH_RETRAIN_RETRAIN_OPTIONS_H_
#define LASYNTH_RETRAIN_RETRAIN_OPTIONS_H_

#include <cstdint>
#include <string>

#include "core/fields.h"
#include "dist/communicator.h"
#include "eval/eval_options.h"
#include "model/model_options.h"
#include "train/train_options.h"

namespace lasynth {
namespace retrain {

// Decoding the training specifications into a new dataset (one retraining round's data, or the
// original's --iterative_retraining_prog_gen on its own).
struct ProgramGenOptions {
  // "original": the original's rule, each specification decoded greedily and its prediction kept
  // when it matches the specification pairs, else the reference program (the training set keeps
  // its size). "shortest": beam search, the shortest candidate consistent with every pair
  // (held-out too) kept, and a specification without one dropped: fewer, shorter, stricter
  // programs, at `beam` times the decoding cost.
  std::string rule = "original";
  int64_t beam = 32;  // "shortest" only: "original" decodes greedily
  std::string out;    // the new dataset (train: kept programs; val, test: copied)

  // Set by the caller, not settings.
  std::string data_folder;  // whose train split's specifications are decoded
  std::string checkpoint;   // the model: a ckpt-STEP.pt or a model directory
  int64_t batch_size = 32;
  int64_t max_decode_len = 256;
  std::string search = "beam";  // eval::EvalOptions::search
  bool close_blocks = true;     // eval::EvalOptions::close_blocks
  int64_t limit = -1;           // decode only the first `limit` specifications (-1: all)
  int shards = 4;
  std::string device = "cpu";
  dist::Communicator* comm = nullptr;  // ranks split the specifications; rank 0 writes
  bool quiet = true;

  template <typename Visitor>
  static void fields(Visitor& v) {
    using P = ProgramGenOptions;
    v.group("Iterative retraining (lasynth retrain)");
    v("retrain_rule", &P::rule,
      "which program a training specification keeps: original (greedy prediction if it matches "
      "the specification pairs, else the reference program; the set keeps its size) or shortest "
      "(shortest beam candidate matching every pair, held-out too; unsolved specifications "
      "dropped)",
      OneOf({"original", "shortest"}));
    v("retrain_beam", &P::beam,
      "--retrain_rule shortest: beam when decoding the training specifications (every candidate "
      "executed); the original rule decodes greedily",
      AtLeast(1));
    v("retrain_out", &P::out,
      "--iterative_retraining_prog_gen: the new dataset (default MODEL_DIR/retrain-data)");
  }
};

struct RetrainOptions {
  int rounds = 1;                  // retraining rounds after round 0
  bool continue_training = false;  // round r starts from round r-1's weights, not from scratch

  // Set by the caller, not settings.
  std::string data_folder;     // the original dataset: round 0's training set, every round's test
  std::string run_dir;         // RUN/round-R/{data,model,test-report.json}, RUN/retrain.{json,md}
  std::string base_model;      // round 0's model (empty: trained here on data_folder)
  ProgramGenOptions generate;  // beam, batch, device, ... (data, checkpoint, out set per round)
  train::TrainOptions train;   // data_folder and model_dir set per round
  model::ModelOptions model;
  eval::EvalOptions evaluate;  // data_folder, checkpoint, report set per round

  template <typename Visitor>
  static void fields(Visitor& v) {
    using R = RetrainOptions;
    v.group("Iterative retraining (lasynth retrain)");
    v("rounds", &R::rounds, "retraining rounds after the first model", AtLeast(1));
    v("retrain_continue", &R::continue_training,
      "each round starts from the previous round's weights (default: from scratch)");
  }
};

}  // namespace retrain
}  // namespace lasynth

#endif  // LASYNTH_RETRAIN_RETRAIN_OPTIONS_H_
