// The flags of `lasynth`: every flag of the original LaSynth run.py, spelled the same and meaning
// the same, plus ours. Each component's settings are declared once, in its options struct
// (core/fields.h); this file binds them to the command line and reads config files into them:
// defaults, then the --config YAML file, then the command line (which wins). Torch-free.
#ifndef LASYNTH_APP_FLAGS_H_
#define LASYNTH_APP_FLAGS_H_

#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "app/flag_binding.h"
#include "core/fields.h"
#include "data/manifest.h"
#include "eval/eval_options.h"
#include "model/model_options.h"
#include "retrain/retrain_options.h"
#include "train/train_options.h"

namespace lasynth {
namespace app {

// What the command runs on and where its results go.
struct RunOptions {
  std::string data_folder;
  std::string model_dir = "runs/model";
  std::string load_model;
  std::string config;
  std::string log_dir;  // each rank also logs to LOG_DIR/rank-R.log
  bool eval = false;
  bool cpu = false;
  std::string device = "cpu";
  std::string backend = "auto";
  bool iterative_retraining_prog_gen = false;

  // --cpu is the original's spelling of --device cpu.
  std::string effective_device() const { return cpu ? "cpu" : device; }
  // --backend auto: NCCL where several ranks run on GPUs (MPI cannot reduce their gradients, see
  // check_backend), else MPI (one process then needs no launcher, and CPU ranks use MPI).
  std::string backend_for(int ranks) const {
    if (backend != "auto") return backend;
    return effective_device() == "cuda" && ranks > 1 ? "nccl" : "mpi";
  }
  // The checkpoint to evaluate or decode with: --load_model, else --model_dir.
  std::string checkpoint() const { return load_model.empty() ? model_dir : load_model; }

  template <typename Visitor>
  static void fields(Visitor& v) {
    using R = RunOptions;
    v.group("Data and runs");
    v("data_folder", &R::data_folder, "dataset directory (lasynth-datagen's --out)");
    v("model_dir", &R::model_dir, "where checkpoints and metrics.jsonl go");
    v("load_model", &R::load_model, "checkpoint file (or model directory) to evaluate");
    v("config", &R::config, "YAML file of flags; the command line overrides it");
    v("eval", &R::eval, "evaluate instead of training (the original's spelling)");
    v("cpu", &R::cpu, "run on the CPU (the original's flag; overrides --device)");
    v("device", &R::device, "cpu, or cuda: each process on the GPU of its local rank",
      OneOf({"cpu", "cuda"}));
    v("iterative_retraining_prog_gen", &R::iterative_retraining_prog_gen,
      "decode programs for the training split's specifications with --load_model and write "
      "them as a new dataset (--retrain_out); the original's flag");
    v.group("Distributed (under mpirun or srun --mpi=pmix; one process per core or GPU)");
    v("backend", &R::backend,
      "collectives: mpi (CPU) or nccl (CUDA); auto: nccl when --device cuda runs several ranks, "
      "else mpi",
      OneOf({"auto", "mpi", "nccl"}));
    v("log_dir", &R::log_dir,
      "each rank also writes its own log to LOG_DIR/rank-R.log: where it runs, its loss and "
      "examples/s every --log_interval steps, its error if it fails");
  }
};

// The data-shape flags of the original run.py. Our datasets record their shape, so these set
// nothing: when given (not -1), they are checked against the dataset (check_data_shape).
struct DataShape {
  int64_t io_size = -1;
  int64_t num_vars = -1;
  int64_t value_range = -1;
  int64_t train_size = -1;
  int64_t val_size = -1;
  int64_t test_size = -1;

  template <typename Visitor>
  static void fields(Visitor& v) {
    using D = DataShape;
    v.group("Data shape (recorded in the dataset; when given, checked against it)");
    v("io_size", &D::io_size, "array length (the dataset's array_len)", AtLeast(-1));
    v("num_vars", &D::num_vars,
      "input arrays of a program, as the original means it (restricted C: 1)", AtLeast(-1));
    v("value_range", &D::value_range, "inputs in [-R, R] (the dataset's value_range)", AtLeast(-1));
    v("train_size", &D::train_size, "training examples in the dataset", AtLeast(-1));
    v("val_size", &D::val_size, "validation examples in the dataset", AtLeast(-1));
    v("test_size", &D::test_size, "test examples in the dataset", AtLeast(-1));
  }
};

// Every setting of the command, by component.
struct Flags {
  RunOptions run;
  model::ModelOptions model;
  train::TrainOptions train;
  eval::EvalOptions eval;
  retrain::ProgramGenOptions generate;
  retrain::RetrainOptions retrain;
  DataShape shape;

  // The settings as one JSON object {flag: value}: the layout of a --config file.
  nlohmann::ordered_json to_json() const;
  // Training options with the run's paths and device filled in.
  train::TrainOptions train_options() const;
  // Evaluation options with the run's data, checkpoint and device filled in.
  eval::EvalOptions eval_options() const;
};

// Adds every flag to `app` (and its subcommands, when `app` is one), bound to `flags`.
void add_flags(CLI::App* app, Flags* flags);

// Reads the YAML file named by --config (keys are flag names) into the flags not given on the
// command line, with the command line's checks. Throws ConfigError naming the file and key for an
// unknown key or a bad value.
void apply_config(CLI::App* app, Flags* flags);

// Throws ConfigError naming the flag when the model switches do not make sense together.
void check_supported(const Flags& flags);

// Throws ConfigError naming the flag, the dataset and both values when a data-shape flag that was
// given disagrees with the dataset.
void check_data_shape(const DataShape& shape, const data::Manifest& manifest,
                      const std::string& dataset);

}  // namespace app
}  // namespace lasynth

#endif  // LASYNTH_APP_FLAGS_H_
