// Checkpoints as DESIGN.md fixes them: MODEL_DIR/ckpt-STEP.pt, one file that torch.load opens in
// Python (torch::pickle_save of a dict), with `model` (parameter and buffer name -> tensor),
// `optimizer`, `step`, `epoch`, `sampler`, `rng` and `config` (text); beside it
// ckpt-STEP.pt.sha256, and MODEL_DIR/latest naming the newest complete checkpoint. Written to a
// temporary file and renamed, checksum verified on load.
#ifndef LASYNTH_TRAIN_CHECKPOINT_H_
#define LASYNTH_TRAIN_CHECKPOINT_H_

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lasynth {
namespace train {

struct TrainingState {
  int64_t step = 0;   // optimizer steps taken
  int64_t epoch = 0;  // the sampler's position: the next batch is (epoch, epoch_step)
  int64_t epoch_step = 0;
  uint64_t sampler_seed = 0;
  std::string config;  // the run's settings as text
};

// Writes the checkpoint of `state.step`, updates `latest`, and when keep_last_n > 0 deletes all
// but the newest keep_last_n checkpoints. Returns its path. Throws IoError. The optimizer is
// Adam, RMSprop or SGD; its per-parameter state is stored by parameter name.
std::string save_checkpoint(const std::string& model_dir, torch::nn::Module& model,
                            torch::optim::Optimizer& optimizer, const TrainingState& state,
                            int64_t keep_last_n = -1);

// The checkpoints of model_dir as (step, path), oldest first. Throws IoError when the directory
// cannot be read.
std::vector<std::pair<int64_t, std::string>> list_checkpoints(const std::string& model_dir);

// "adam", "rmsprop" or "sgd".
std::string optimizer_name(const torch::optim::Optimizer& optimizer);

// Loads `path` (or MODEL_DIR/latest when `path` is a directory) into `model` and `optimizer`
// (may be null), after checking its sha256. Returns the training state. Throws IoError naming
// the file when it is missing, damaged, or holds another model (names or shapes differ).
TrainingState load_checkpoint(const std::string& path, torch::nn::Module& model,
                              torch::optim::Optimizer* optimizer);

}  // namespace train
}  // namespace lasynth

#endif  // LASYNTH_TRAIN_CHECKPOINT_H_
