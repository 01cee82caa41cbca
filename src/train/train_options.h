// The settings of training (flags, configs, the config a checkpoint records), torch-free so that
// src/app and the configs' tests read them without LibTorch.
#ifndef LASYNTH_TRAIN_TRAIN_OPTIONS_H_
#define LASYNTH_TRAIN_TRAIN_OPTIONS_H_

#include <cstdint>
#include <string>

#include "core/fields.h"
#include "dist/reducer.h"

namespace lasynth {
namespace train {

struct TrainOptions {
  int64_t batch_size = 8;  // per process
  double lr = 1e-3;
  int64_t lr_decay_steps = 6000;  // lr *= lr_decay_rate every lr_decay_steps steps
  double lr_decay_rate = 0.9;
  double gradient_clip = 5.0;      // global gradient norm
  std::string optimizer = "adam";  // adam, sgd or rmsprop
  int64_t keep_last_n = -1;        // checkpoints kept (-1: all)
  int64_t num_epochs = 50;
  int64_t max_steps = -1;       // stop after this many optimizer steps (-1: num_epochs)
  int64_t log_interval = 5000;  // steps between metrics lines and checkpoints
  // Also a metrics line and checkpoint once this many seconds passed since the last (0: off), so
  // that a preempted long run loses at most this much work whatever its step time.
  double checkpoint_every_s = 0;
  uint64_t seed = 1;    // model initialisation and data order
  bool resume = false;  // continue from MODEL_DIR/latest
  // On a resume: the checkpoint's global batch (batch_size x its ranks), divided among the ranks
  // of this run, whatever --batch_size says.
  bool keep_global_batch = false;
  int64_t val_examples = 200;  // validation programs decoded at every log step (0: none)
  // Training batches carry the specification pairs only, as the original trains and as the model
  // is tested; with this, every stored pair (held-out ones too).
  bool train_on_all_pairs = false;
  // Micro-batches per optimizer step: gradients accumulate over grad_accum batches and ranks
  // communicate once, on the last (an optimizer step then sees grad_accum global batches).
  int64_t grad_accum = 1;
  double bucket_cap_mb = 25;   // gradient all-reduce buckets: larger ones launch fewer calls
  double first_bucket_mb = 1;  // the first bucket, small so that it starts reducing early
  // The epoch's order: "examples" (one permutation of the split) or "shards" (shards shuffled,
  // examples shuffled within windows of shard_window shards; data::Shuffle::kShards), so that
  // hundreds of ranks on a shared filesystem each keep few shards open.
  std::string shuffle = "examples";
  int64_t shard_window = 4;
  double chunk_cache_mb = 256;  // each rank's HDF5 chunk cache for the training shards together
  // "bf16": the forward pass under autocast (matrix products in bfloat16); the weights, their
  // gradients and the optimizer stay float32 (the master weights are the parameters).
  std::string precision = "fp32";
  // "bf16": the gradient all-reduce sends bfloat16 (half the bytes); gradients accumulate in
  // float32 on each rank.
  std::string grad_dtype = "fp32";
  // LibTorch's deterministic kernels (train::use_deterministic_algorithms): on a GPU, where sums
  // through atomics change order from run to run, a resumed run then ends bit-identical to an
  // uninterrupted one. CPU kernels are deterministic without it.
  bool deterministic = false;

  // Set by the caller, not settings.
  std::string data_folder;     // a lasynth dataset directory
  std::string model_dir;       // checkpoints and metrics.jsonl go here
  std::string device = "cpu";  // "cpu" or "cuda" (the GPU of this rank's local rank)
  // When not resuming: start from this checkpoint's weights (a fresh optimizer, step 0), e.g. a
  // retraining round continuing the round before.
  std::string init_from;

  dist::ReducerOptions reducer() const {
    dist::ReducerOptions r;
    r.bucket_bytes = static_cast<size_t>(bucket_cap_mb * (1 << 20));
    r.first_bucket_bytes = static_cast<size_t>(first_bucket_mb * (1 << 20));
    r.wire = grad_dtype == "bf16" ? dist::WireType::kBFloat16 : dist::WireType::kFloat32;
    return r;
  }

  template <typename Visitor>
  static void fields(Visitor& v) {
    using T = TrainOptions;
    v.group("Training");
    v("num_epochs", &T::num_epochs, "epochs over the training split", AtLeast(1));
    v("max_steps", &T::max_steps, "stop after this many optimizer steps (-1: --num_epochs)",
      AtLeast(-1));
    v("log_interval", &T::log_interval, "steps between metrics lines and checkpoints", AtLeast(1));
    v("checkpoint_every_s", &T::checkpoint_every_s,
      "also write a metrics line and a checkpoint once this many seconds passed since the last "
      "(0: only every --log_interval steps)",
      AtLeast(0));
    v("seed", &T::seed, "model initialisation and data order");
    v("batch_size", &T::batch_size, "examples per step per process", AtLeast(1));
    v("lr", &T::lr, "learning rate", AtLeast(0));
    v("lr_decay_steps", &T::lr_decay_steps,
      "multiply the lr by lr_decay_rate every this many steps", AtLeast(1));
    v("lr_decay_rate", &T::lr_decay_rate, "learning-rate decay factor", AtLeast(0));
    v("gradient_clip", &T::gradient_clip, "global gradient-norm clip", AtLeast(0));
    v("optimizer", &T::optimizer, "adam, sgd or rmsprop", OneOf({"adam", "sgd", "rmsprop"}));
    v("keep_last_n", &T::keep_last_n, "checkpoints to keep (-1: all)", AtLeast(-1));
    v("val_examples", &T::val_examples,
      "validation examples decoded (greedy) at every log step (0: none)", AtLeast(0));
    v("resume", &T::resume, "continue training from MODEL_DIR/latest");
    v("keep_global_batch", &T::keep_global_batch,
      "with --resume: keep the checkpoint's global batch (its batch_size x ranks), divided "
      "among this run's ranks (lasynth-launch --exclude-failed-hosts passes it)");
    v("precision", &T::precision,
      "fp32, or bf16: the forward pass under autocast in bfloat16 (matrix products), the "
      "weights, gradients and optimizer in fp32",
      OneOf({"fp32", "bf16"}));
    v("train_on_all_pairs", &T::train_on_all_pairs,
      "train on every stored pair, held-out ones too (default: the specification pairs, as "
      "the original and as decoding sees them)");
    v.group("Distributed (under mpirun or srun --mpi=pmix; one process per core or GPU)");
    v("grad_accum", &T::grad_accum,
      "micro-batches per optimizer step; ranks communicate on the last only", AtLeast(1));
    v("deterministic", &T::deterministic,
      "GPU: deterministic kernels only (slower), so that a run and its resume end bit-identical; "
      "on CPU they already do");
    v("grad_dtype", &T::grad_dtype,
      "what the gradient all-reduce sends: fp32, or bf16 (half the bytes, each sum rounded to "
      "bfloat16; gradients still accumulate in fp32)",
      OneOf({"fp32", "bf16"}));
    v("bucket_cap_mb", &T::bucket_cap_mb, "gradient all-reduce bucket size (MiB)", AtLeast(0.001));
    v("first_bucket_mb", &T::first_bucket_mb,
      "size of the first bucket, which starts reducing earliest (MiB)", AtLeast(0.001));
    v("shuffle", &T::shuffle,
      "examples: shuffle the whole split each epoch; shards: shuffle the shards, then the "
      "examples within each window of --shard_window shards, so that each rank keeps 2 windows "
      "of shards open (for many ranks on a shared filesystem)",
      OneOf({"examples", "shards"}));
    v("shard_window", &T::shard_window, "shards shuffled together with --shuffle shards",
      AtLeast(1));
    v("chunk_cache_mb", &T::chunk_cache_mb,
      "each rank's HDF5 chunk cache for the training shards it holds open, together (MiB)",
      AtLeast(1));
  }
};

}  // namespace train
}  // namespace lasynth

#endif  // LASYNTH_TRAIN_TRAIN_OPTIONS_H_
