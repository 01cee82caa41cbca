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
#include <optional>
#include <string>

#include "dist/communicator.h"
#include "dist/fault.h"
#include "dist/monitor_protocol.h"
#include "lang/domain.h"
#include "model/model_options.h"
#include "train/train_options.h"

// Only a reference to the model crosses this interface, so `lasynth` and the other callers of
// train() compile without LibTorch's headers.
namespace lasynth {
namespace model {
class Synthesizer;
}  // namespace model
namespace train {

// What the caller hooks into training; src/app supplies them.
struct TrainHooks {
  // The job's ranks (null: this process alone). Each rank trains on its share of every global
  // batch (world size x batch_size examples); gradients are summed over ranks, and only rank 0
  // writes checkpoints, metrics and progress.
  dist::Communicator* comm = nullptr;
  // Called at every log step on every rank, with the model in eval mode: the ranks decode their
  // shares of the validation examples together, as `lasynth eval` does, rather than all waiting
  // for rank 0; rank 0 writes its metrics (when not empty) as a validation line of
  // metrics.jsonl: {"step", "epoch", "split", ...}.
  std::function<nlohmann::ordered_json(model::Synthesizer&)> validate;
  // Called on every rank after every optimizer step with this rank's view: the step, the mean
  // loss over its own examples and its examples/s (smoothed over recent steps). Heartbeats to
  // lasynth-launch's monitor and per-rank log files hang here.
  std::function<void(const dist::Heartbeat&)> on_step;
  // Progress for the user, a line at a time (what trains on what, every log step, validation,
  // the reducer's figures, a stop); rank 0 only. Null: silent.
  std::function<void(const std::string& line)> print;
  // LASYNTH_FAULT's fault (dist/fault.h), injected once each step is done; none: a normal run.
  std::optional<dist::Fault> fault;
};

struct TrainResult {
  int64_t steps = 0;
  // Stopped early on SIGTERM/SIGUSR1 (any rank) after writing a checkpoint (preemption.h).
  bool preempted = false;
  double last_loss = 0;
  std::string checkpoint;
};

// Trains the model `model_options` describes (its domain fields come from the dataset) on the
// dataset's train split. With hooks.comm, all ranks, same order; blocks. Throws ConfigError or
// IoError with a message naming the file or value at fault.
TrainResult train(const TrainOptions& options, model::ModelOptions model_options,
                  const TrainHooks& hooks = {});

}  // namespace train
}  // namespace lasynth

#endif  // LASYNTH_TRAIN_TRAINER_H_
