// Training of a model on a dataset's train split, alone or as one rank of a data-parallel job:
// the step reads like the algorithm (forward -> loss -> backward, buckets reducing as they fill
// -> wait -> clip -> update), with metrics.jsonl lines and checkpoints every log_interval steps
// and at the end (DESIGN.md, "What runs leave behind"). N ranks x batch B end with the
// parameters of 1 rank x batch N*B: the loss is normalised by the global batch's example count.
#ifndef LASYNTH_TRAIN_TRAINER_H_
#define LASYNTH_TRAIN_TRAINER_H_

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "dist/communicator.h"
#include "dist/monitor_protocol.h"
#include "dist/reducer.h"
#include "lang/domain.h"
#include "model/model_options.h"
#include "model/synthesizer.h"

namespace lasynth {
namespace train {

struct TrainOptions {
  std::string data_folder;  // a lasynth dataset directory
  std::string model_dir;    // checkpoints and metrics.jsonl go here
  int64_t batch_size = 8;   // per process
  double lr = 1e-3;
  std::string device = "cpu";     // "cpu" or "cuda" (the GPU of this rank's local rank)
  int64_t lr_decay_steps = 6000;  // lr *= lr_decay_rate every lr_decay_steps steps
  double lr_decay_rate = 0.9;
  double gradient_clip = 5.0;      // global gradient norm
  std::string optimizer = "adam";  // adam, sgd or rmsprop
  int64_t keep_last_n = -1;        // checkpoints kept (-1: all)
  int64_t num_epochs = 50;
  int64_t max_steps = -1;       // stop after this many optimizer steps (-1: num_epochs)
  int64_t log_interval = 5000;  // steps between metrics lines and checkpoints
  uint64_t seed = 1;            // model initialisation and data order
  bool resume = false;          // continue from MODEL_DIR/latest
  // When not resuming: start from this checkpoint's weights (a fresh optimizer, step 0), e.g. a
  // retraining round continuing the round before.
  std::string init_from;
  bool quiet = false;
  // The job's ranks (null: this process alone). Each rank trains on its share of every global
  // batch (world size x batch_size examples); gradients are summed over ranks, and only rank 0
  // writes checkpoints, metrics and progress.
  dist::Communicator* comm = nullptr;
  dist::ReducerOptions reducer;
  // Micro-batches per optimizer step: gradients accumulate over grad_accum batches and ranks
  // communicate once, on the last (an optimizer step then sees grad_accum global batches).
  int64_t grad_accum = 1;
  // Called at every log step with the model in eval mode; its metrics (when not empty) are
  // written as a validation line of metrics.jsonl: {"step", "epoch", "split", ...}.
  std::function<nlohmann::ordered_json(model::Synthesizer&)> validate;
  // Called on every rank after every optimizer step with this rank's view: the step, the mean
  // loss over its own examples and its examples/s (smoothed over recent steps). Heartbeats to
  // lasynth-launch's monitor and per-rank log files hang here.
  std::function<void(const dist::Heartbeat&)> on_step;
};

struct TrainResult {
  int64_t steps = 0;
  // Stopped early on SIGTERM/SIGUSR1 (any rank) after writing a checkpoint (preemption.h).
  bool preempted = false;
  double last_loss = 0;
  std::string checkpoint;
};

// The torch device of `name` ("cpu", or "cuda": the GPU of this process's local rank among
// the visible ones). Throws ConfigError for another name, or for cuda where LibTorch sees no GPU.
torch::Device resolve_device(const std::string& name, int local_rank = 0);

// The model sizes recorded in a checkpoint's config. `path` is a ckpt-STEP.pt file or a model
// directory; on return it names the checkpoint file. When `domain` and `domain_options` are not
// null they receive the domain the model was trained on. Throws IoError.
model::ModelOptions model_options_from_checkpoint(std::string& path, std::string* domain = nullptr,
                                                  DomainOptions* domain_options = nullptr);

// A model with the sizes and switches of a checkpoint (a ckpt-STEP.pt file or a model directory),
// its weights loaded. Throws IoError naming the file.
struct LoadedModel {
  model::Synthesizer net{nullptr};
  std::string path;  // the checkpoint file
  std::string domain;
  DomainOptions domain_options;
  int64_t step = 0;
};
LoadedModel load_model(const std::string& checkpoint);

// Trains the model `model_options` describes (its domain fields come from the dataset) on the
// dataset's train split. Throws ConfigError or IoError with a message naming the file or value
// at fault.
TrainResult train(const TrainOptions& options, model::ModelOptions model_options);

}  // namespace train
}  // namespace lasynth

#endif  // LASYNTH_TRAIN_TRAINER_H_
