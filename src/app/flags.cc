#include "app/flags.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "core/error.h"

namespace lasynth {
namespace app {

model::ModelOptions Flags::model_options() const {
  model::ModelOptions m;
  m.embedding_size = embedding_size;
  m.hidden_size = LSTM_hidden_size;
  m.mlp_hidden_size = MLP_hidden_size;
  m.num_layers = num_LSTM_layers;
  m.num_attention_layers = num_attention_layers;
  m.dropout = dropout_rate;
  m.param_init = param_init;
  m.latent_execution = latent_execution;
  m.no_partial_execution = no_partial_execution;
  m.operation_predictor = operation_predictor;
  m.decoder_self_attention = decoder_self_attention;
  m.use_properties = use_properties;
  m.exec_period = exec_period;
  m.conv_channels = conv_channels;
  m.exec_loss_weight = exec_loss_weight;
  m.operation_loss_weight = operation_loss_weight;
  return m;
}

train::TrainOptions Flags::train_options() const {
  train::TrainOptions t;
  t.data_folder = data_folder;
  t.model_dir = model_dir;
  t.batch_size = batch_size;
  t.lr = lr;
  t.lr_decay_steps = lr_decay_steps;
  t.lr_decay_rate = lr_decay_rate;
  t.gradient_clip = gradient_clip;
  t.num_epochs = num_epochs;
  t.max_steps = max_steps;
  t.log_interval = log_interval;
  t.seed = seed;
  t.resume = resume;
  t.optimizer = optimizer;
  t.keep_last_n = keep_last_n;
  t.device = cpu ? "cpu" : device;
  t.grad_accum = grad_accum;
  t.reducer.bucket_bytes = static_cast<size_t>(bucket_cap_mb * (1 << 20));
  t.reducer.first_bucket_bytes = static_cast<size_t>(first_bucket_mb * (1 << 20));
  return t;
}

eval::EvalOptions Flags::eval_options() const {
  eval::EvalOptions e;
  e.data_folder = data_folder;
  e.split = split;
  e.checkpoint = load_model.empty() ? model_dir : load_model;
  e.report = report;
  e.max_decode_len = max_decode_len;
  e.beam = beam;
  e.batch_size = eval_batch_size;
  e.device = cpu ? "cpu" : device;
  e.quiet = false;
  return e;
}

void add_flags(CLI::App* app, Flags* f) {
  app->option_defaults()->always_capture_default();
  auto* g = "Data and runs";
  app->add_option("--data_folder", f->data_folder, "dataset directory (lasynth-datagen's --out)")
      ->group(g);
  app->add_option("--model_dir", f->model_dir, "where checkpoints and metrics.jsonl go")->group(g);
  app->add_option("--load_model", f->load_model, "checkpoint file (or model directory) to evaluate")
      ->group(g);
  app->add_option("--config", f->config, "YAML file of flags; the command line overrides it")
      ->group(g);
  app->add_option("--report", f->report, "evaluation: write the JSON report here")->group(g);
  app->add_option("--split", f->split, "evaluation: train, val or test")->group(g);
  app->add_option("--checkpoints", f->checkpoints,
                  "evaluation: every checkpoint of this model directory not yet in its table "
                  "(writes DIR/eval-SPLIT-beamN.{json,csv,png})")
      ->group(g);
  app->add_flag("--eval", f->eval, "evaluate instead of training (the original's spelling)")
      ->group(g);
  app->add_flag("--resume", f->resume, "continue training from MODEL_DIR/latest")->group(g);
  app->add_flag("--cpu", f->cpu, "run on the CPU (the original's flag; overrides --device)")
      ->group(g);
  app->add_option("--device", f->device,
                  "cpu, or cuda: each process on the GPU of its local rank (train, eval)")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->group(g);
  app->add_flag("--iterative_retraining_prog_gen", f->iterative_retraining_prog_gen,
                "decode programs for the training split's specifications with --load_model and "
                "write them as a new dataset (--retrain_out); the original's flag")
      ->group(g);
  g = "Iterative retraining (lasynth retrain)";
  app->add_option("--rounds", f->rounds, "retraining rounds after the first model")
      ->check(CLI::PositiveNumber)
      ->group(g);
  app->add_option("--retrain_beam", f->retrain_beam,
                  "beam when decoding the training specifications (every candidate executed)")
      ->check(CLI::PositiveNumber)
      ->group(g);
  app->add_flag("--retrain_continue", f->retrain_continue,
                "each round starts from the previous round's weights (default: from scratch)")
      ->group(g);
  app->add_option(
         "--retrain_out", f->retrain_out,
         "--iterative_retraining_prog_gen: the new dataset (default MODEL_DIR/retrain-data)")
      ->group(g);
  g = "Model (RobustFill is the model with none of these)";
  app->add_flag("--latent_execution", f->latent_execution, "LaSynth's latent executor")->group(g);
  app->add_flag("--no_partial_execution", f->no_partial_execution, "executor at the end only")
      ->group(g);
  app->add_flag("--operation_predictor", f->operation_predictor, "operation predictor")->group(g);
  app->add_flag("--decoder_self_attention", f->decoder_self_attention, "decoder self-attention")
      ->group(g);
  app->add_flag("--use_properties", f->use_properties, "Property Signatures baseline")->group(g);
  g = "Training";
  app->add_option("--num_epochs", f->num_epochs, "epochs over the training split")->group(g);
  app->add_option("--max_steps", f->max_steps, "stop after this many optimizer steps (-1: epochs)")
      ->group(g);
  app->add_option("--log_interval", f->log_interval, "steps between metrics lines and checkpoints")
      ->group(g);
  app->add_option("--seed", f->seed, "model initialisation and data order")->group(g);
  app->add_option("--batch_size", f->batch_size, "examples per step per process")->group(g);
  app->add_option("--lr", f->lr, "learning rate")->group(g);
  app->add_option("--lr_decay_steps", f->lr_decay_steps,
                  "multiply the lr by lr_decay_rate every this many steps")
      ->group(g);
  app->add_option("--lr_decay_rate", f->lr_decay_rate, "learning-rate decay factor")->group(g);
  app->add_option("--gradient_clip", f->gradient_clip, "global gradient-norm clip")->group(g);
  app->add_option("--param_init", f->param_init, "parameters start uniform in [-x, x]")->group(g);
  app->add_option("--dropout_rate", f->dropout_rate, "dropout between LSTM layers")->group(g);
  app->add_option("--optimizer", f->optimizer, "adam, sgd or rmsprop")
      ->check(CLI::IsMember({"adam", "sgd", "rmsprop"}))
      ->group(g);
  app->add_option("--keep_last_n", f->keep_last_n, "checkpoints to keep (-1: all)")->group(g);
  app->add_option("--val_examples", f->val_examples,
                  "validation examples decoded (greedy) at every log step (0: none)")
      ->group(g);
  app->add_option("--exec_loss_weight", f->exec_loss_weight, "weight of the executor's loss")
      ->group(g);
  app->add_option("--operation_loss_weight", f->operation_loss_weight,
                  "weight of the operation predictor's loss")
      ->group(g);
  g = "Distributed (under mpirun or srun --mpi=pmix; one process per core or GPU)";
  app->add_option("--backend", f->backend, "collectives: mpi (CPU) or nccl (CUDA)")
      ->check(CLI::IsMember({"mpi", "nccl"}))
      ->group(g);
  app->add_option("--log_dir", f->log_dir,
                  "each rank also writes its own log to LOG_DIR/rank-R.log: where it runs, its "
                  "loss and examples/s every --log_interval steps, its error if it fails")
      ->group(g);
  app->add_option("--grad_accum", f->grad_accum,
                  "micro-batches per optimizer step; ranks communicate on the last only")
      ->check(CLI::PositiveNumber)
      ->group(g);
  app->add_option("--bucket_cap_mb", f->bucket_cap_mb, "gradient all-reduce bucket size (MiB)")
      ->check(CLI::PositiveNumber)
      ->group(g);
  app->add_option("--first_bucket_mb", f->first_bucket_mb,
                  "size of the first bucket, which starts reducing earliest (MiB)")
      ->check(CLI::PositiveNumber)
      ->group(g);
  g = "Sizes";
  app->add_option("--embedding_size", f->embedding_size, "token and value embeddings")->group(g);
  app->add_option("--LSTM_hidden_size", f->LSTM_hidden_size, "LSTM hidden size per direction")
      ->group(g);
  app->add_option("--MLP_hidden_size", f->MLP_hidden_size, "output MLP hidden size")->group(g);
  app->add_option("--num_LSTM_layers", f->num_LSTM_layers, "layers of every LSTM")->group(g);
  app->add_option("--num_attention_layers", f->num_attention_layers,
                  "input<->output attention layers")
      ->group(g);
  app->add_option("--max_decode_len", f->max_decode_len, "longest program decoded")->group(g);
  app->add_option("--exec_period", f->exec_period, "decoding steps between latent executions")
      ->group(g);
  app->add_option("--conv_channels", f->conv_channels, "Karel: feature maps of the grid encoder")
      ->group(g);
  app->add_option("--beam", f->beam, "beam size at evaluation (1: greedy)")->group(g);
  app->add_option("--eval_batch_size", f->eval_batch_size, "examples decoded at once")->group(g);
  g = "Data shape (recorded in the dataset; kept for the original's command lines)";
  app->add_option("--io_size", f->io_size, "array length")->group(g);
  app->add_option("--num_vars", f->num_vars, "locals per program")->group(g);
  app->add_option("--value_range", f->value_range, "inputs in [-R, R]")->group(g);
  app->add_option("--train_size", f->train_size, "training examples")->group(g);
  app->add_option("--val_size", f->val_size, "validation examples")->group(g);
  app->add_option("--test_size", f->test_size, "test examples")->group(g);
}

void apply_config(CLI::App* app, Flags* f) {
  if (f->config.empty()) return;
  YAML::Node root;
  try {
    root = YAML::LoadFile(f->config);
  } catch (const YAML::Exception& e) {
    throw ConfigError(fmt::format("{}: not readable YAML ({})", f->config, e.what()));
  }
  if (!root.IsMap()) throw ConfigError(fmt::format("{}: expected a map of flag: value", f->config));
  for (const auto& entry : root) {
    const std::string key = entry.first.as<std::string>();
    CLI::Option* opt = nullptr;
    try {
      opt = app->get_option("--" + key);
    } catch (const CLI::OptionNotFound&) {
      throw ConfigError(fmt::format("{}: unknown flag '{}'", f->config, key));
    }
    if (opt->count() > 0) continue;  // the command line wins
    const std::string value = entry.second.as<std::string>();
    try {
      if (opt->get_type_size() == 0) {
        if (value == "true" || value == "1") opt->add_result("true");
      } else {
        opt->add_result(value);
      }
      opt->run_callback();
    } catch (const CLI::Error& e) {
      throw ConfigError(fmt::format("{}: {} = '{}': {}", f->config, key, value, e.what()));
    }
  }
}

void check_supported(const Flags& f) { model::check_switches(f.model_options()); }

}  // namespace app
}  // namespace lasynth
