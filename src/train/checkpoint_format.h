// The checkpoint file, as writer (save_checkpoint) and reader (read_checkpoint) both know it.
//
// MODEL_DIR/ckpt-STEP.pt is one file that `torch.load` opens in Python: torch::pickle_save of a
// dict whose keys are
//   format          "lasynth-checkpoint"
//   format_version  int, kCheckpointFormatVersion (1)
//   model           {parameter or buffer name: tensor}, CPU tensors
//   optimizer       {"type": "adam"|"rmsprop"|"sgd", "lr": float,
//                    "state": {parameter name: {"step", "exp_avg", "exp_avg_sq"} (Adam),
//                                               {"step", "square_avg"} (RMSprop),
//                                               {"momentum_buffer"} (SGD, when it has one)}}
//   step            int, optimizer steps taken
//   epoch           int
//   sampler         {"epoch": int, "epoch_step": int, "seed": int, "world_size": int,
//                    "window": int, "examples": int}: the next batch's position (epoch_step counts
//                    windows of `window` examples: batch_size x world_size), the ranks that wrote
//                    it and the examples trained on
//   rng             {"torch_cpu": uint8 tensor, "torch_cpu_ranks": [uint8 tensor, ...]}: LibTorch's
//                   CPU generator state, rank 0's and every rank's
//   config          text: a JSON object of the run's settings (the keys of ModelOptions::fields
//                   and TrainOptions::fields) plus "domain", "domain_options", "data_folder",
//                   "model" (the model's name) and "device"
// Beside it, MODEL_DIR/ckpt-STEP.pt.sha256 holds "<sha256 hex of the file>  ckpt-STEP.pt\n", and
// MODEL_DIR/latest holds "ckpt-STEP.pt\n", the newest complete checkpoint. Every file is written
// to a temporary name and renamed into place.
//
// Version history: 1 added `format` and `format_version` (files without them predate it).
#ifndef LASYNTH_TRAIN_CHECKPOINT_FORMAT_H_
#define LASYNTH_TRAIN_CHECKPOINT_FORMAT_H_

#include <cstdint>

namespace lasynth {
namespace train {

constexpr char kCheckpointFormat[] = "lasynth-checkpoint";
constexpr int64_t kCheckpointFormatVersion = 1;

// The dict's keys.
constexpr char kKeyFormat[] = "format";
constexpr char kKeyFormatVersion[] = "format_version";
constexpr char kKeyModel[] = "model";
constexpr char kKeyOptimizer[] = "optimizer";
constexpr char kKeyStep[] = "step";
constexpr char kKeyEpoch[] = "epoch";
constexpr char kKeySampler[] = "sampler";
constexpr char kKeyRng[] = "rng";
constexpr char kKeyConfig[] = "config";

// Files of a model directory.
constexpr char kLatestFile[] = "latest";
constexpr char kChecksumSuffix[] = ".sha256";

}  // namespace train
}  // namespace lasynth

#endif  // LASYNTH_TRAIN_CHECKPOINT_FORMAT_H_
