// Checkpoints as DESIGN.md fixes them (the layout: train/checkpoint_format.h): written to a
// temporary file and renamed, the checksum verified and the format checked on load, before
// anything in the file is parsed.
#ifndef LASYNTH_TRAIN_CHECKPOINT_H_
#define LASYNTH_TRAIN_CHECKPOINT_H_

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "train/checkpoint_format.h"

namespace lasynth {
namespace train {

struct TrainingState {
  int64_t step = 0;   // optimizer steps taken
  int64_t epoch = 0;  // the sampler's position: the next batch is (epoch, epoch_step)
  int64_t epoch_step = 0;
  uint64_t sampler_seed = 0;
  // What a run resumed with another number of ranks needs: the ranks that wrote it, the examples
  // of one sampler window (batch_size x ranks), and the examples trained on so far. 0 in
  // checkpoints that predate them.
  int64_t world_size = 0;
  int64_t window = 0;
  int64_t examples = 0;
  // Each rank's CPU generator state, by rank (dropout draws differ across ranks); empty in
  // checkpoints that predate them.
  std::vector<torch::Tensor> rank_rngs;
  // Each rank's CUDA generator state, by rank, when training ran on GPUs; else empty.
  std::vector<torch::Tensor> rank_cuda_rngs;
  std::string config;  // the run's settings as JSON text
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

// The checkpoint file `path` names: `path` itself when it is a file, the file its `latest`
// names when it is a model directory. Throws IoError naming the path when neither exists.
std::string resolve_checkpoint(const std::string& path);

// A checkpoint read once from disk.
struct Checkpoint {
  std::string path;     // the ckpt-STEP.pt file
  std::string bytes;    // its contents, checksum verified
  c10::IValue dict;     // the unpickled dict (checkpoint_format.h)
  TrainingState state;  // step, epoch, sampler position and config
};

// Reads the checkpoint `path` names (resolve_checkpoint): its bytes are checked against the
// .sha256 beside it, then its format and version, then it is parsed. Throws IoError naming the
// file and what to do when it is missing, damaged, of another format or of another version.
Checkpoint read_checkpoint(const std::string& path);

// The checkpoint whose verified contents are `bytes` (read_checkpoint on another rank), parsed as
// read_checkpoint parses it; `path` names it in messages. Throws IoError as read_checkpoint.
Checkpoint parse_checkpoint(const std::string& path, std::string bytes);

// Copies a checkpoint's weights into `model` and, when `optimizer` is not null, its optimizer
// state; restores LibTorch's CPU generator to rank 0's state. Throws IoError naming the file when
// it holds another model (names or shapes differ) or another optimizer.
void restore_checkpoint(const Checkpoint& checkpoint, torch::nn::Module& model,
                        torch::optim::Optimizer* optimizer);

// What --resume reads: the checkpoint `latest` names, or, when it is damaged (checksum, truncated,
// unreadable) or `latest` is, the newest older one that is intact; `warn` hears of each one
// refused and of the one chosen instead. Throws IoError when none is intact, never starting over
// silently.
Checkpoint read_newest_intact(const std::string& model_dir,
                              const std::function<void(const std::string&)>& warn);

// read_checkpoint + restore_checkpoint. Returns the training state.
TrainingState load_checkpoint(const std::string& path, torch::nn::Module& model,
                              torch::optim::Optimizer* optimizer);

}  // namespace train
}  // namespace lasynth

#endif  // LASYNTH_TRAIN_CHECKPOINT_H_
