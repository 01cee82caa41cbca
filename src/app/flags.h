// Every flag of the original LaSynth run.py, spelled the same and meaning the same, plus ours
// (--max_steps, --resume, --config, --report, --split, --beam). One struct, filled in one place:
// defaults, then the --config YAML file, then the command line (which wins).
#ifndef LASYNTH_APP_FLAGS_H_
#define LASYNTH_APP_FLAGS_H_

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "eval/evaluate.h"
#include "model/model_options.h"
#include "train/trainer.h"

namespace lasynth {
namespace app {

struct Flags {
  // Data and runs.
  std::string data_folder;
  std::string model_dir = "runs/model";
  std::string load_model;
  std::string config;
  std::string report;
  std::string checkpoints;  // eval: every checkpoint of this model directory
  std::string split = "test";
  std::string log_dir;  // each rank also logs to LOG_DIR/rank-R.log
  bool eval = false;
  bool resume = false;
  bool cpu = false;
  std::string device = "cpu";
  bool iterative_retraining_prog_gen = false;
  // Iterative retraining.
  int rounds = 1;
  int64_t retrain_beam = 32;
  bool retrain_continue = false;
  std::string retrain_out;
  // Model switches (RobustFill is the model with none of them).
  bool latent_execution = false;
  bool no_partial_execution = false;
  bool operation_predictor = false;
  bool decoder_self_attention = false;
  bool use_properties = false;
  // Training.
  int64_t num_epochs = 50;
  int64_t max_steps = -1;
  int64_t log_interval = 5000;
  uint64_t seed = 1;
  int64_t batch_size = 8;
  double lr = 1e-3;
  int64_t lr_decay_steps = 6000;
  double lr_decay_rate = 0.9;
  double gradient_clip = 5.0;
  double param_init = 0.1;
  double dropout_rate = 0.0;
  std::string optimizer = "adam";
  int64_t keep_last_n = -1;
  int64_t val_examples = 200;
  // Distributed.
  std::string backend = "mpi";
  int64_t grad_accum = 1;
  double bucket_cap_mb = 25;
  double first_bucket_mb = 1;
  double exec_loss_weight = 1.0;
  double operation_loss_weight = 1.0;
  // Sizes.
  int64_t embedding_size = 1024;
  int64_t LSTM_hidden_size = 512;
  int64_t MLP_hidden_size = 512;
  int64_t num_LSTM_layers = 2;
  int64_t num_attention_layers = 2;
  int64_t max_decode_len = 256;
  int64_t exec_period = 16;
  int64_t conv_channels = 64;
  int64_t beam = 64;
  int64_t eval_batch_size = 32;
  // Data-shape flags of the original; our datasets record these, so they are checked, not set.
  int64_t io_size = 5;
  int64_t num_vars = 4;
  int64_t value_range = 4;
  int64_t train_size = 500000;
  int64_t val_size = 1000;
  int64_t test_size = 1000;

  model::ModelOptions model_options() const;
  train::TrainOptions train_options() const;
  eval::EvalOptions eval_options() const;
};

// Adds every flag to `app` (and its subcommands, when `app` is one).
void add_flags(CLI::App* app, Flags* flags);

// Reads the YAML file named by --config (keys are flag names) into the flags not given on the
// command line. Throws ConfigError naming the file and key for an unknown key or a bad value.
void apply_config(CLI::App* app, Flags* flags);

// Throws ConfigError for a flag whose feature is not built yet.
void check_supported(const Flags& flags);

}  // namespace app
}  // namespace lasynth

#endif  // LASYNTH_APP_FLAGS_H_
