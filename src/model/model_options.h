// Sizes and switches of the models: the settings fields() lists (flags, configs, the config a
// checkpoint records); the defaults are the paper's (PAPER.md), the quickstart config shrinks
// them. The domain fields come from the dataset or checkpoint (set_domain), not from users.
#ifndef LASYNTH_MODEL_MODEL_OPTIONS_H_
#define LASYNTH_MODEL_MODEL_OPTIONS_H_

#include <cstdint>
#include <string>

#include "core/fields.h"
#include "lang/domain.h"

namespace lasynth {
namespace model {

struct ModelOptions {
  // The values of the dataset's or checkpoint's domain (set_domain).
  ValueLayout values;
  int64_t vocab_size = 0;  // program tokens; from the domain's vocabulary

  // Switches: RobustFill is the model with none of them.
  bool latent_execution = false;
  bool no_partial_execution = false;  // the executor runs only at the program's end
  bool operation_predictor = false;   // values.operation_table only: the +c/-c operations
  bool decoder_self_attention = false;
  bool use_properties = false;  // Property Signatures instead of the IO pairs
  int64_t exec_period = 16;     // decoding steps between latent executions
  // Attention scores divided by sqrt(key size); the original's are not.
  bool scaled_attention = false;

  int64_t embedding_size = 1024;
  int64_t hidden_size = 512;  // per direction of the bidirectional encoders
  int64_t mlp_hidden_size = 512;
  int64_t num_mlp_layers = 1;        // hidden layers of the output MLP after its first
  int64_t num_layers = 2;            // of every LSTM
  int64_t num_attention_layers = 2;  // input <-> output attention in the IO encoder
  int64_t conv_channels = 64;        // Karel: feature maps of the grid encoder
  // Karel: "joint", Bunel et al.'s IO encoder (each grid's first layer, then residual blocks over
  // both stacked); "separate", each grid by a CNN of its own.
  std::string grid_encoder = "joint";
  double dropout = 0.0;
  double param_init = 0.1;  // parameters start uniform in [-param_init, param_init]
  double exec_loss_weight = 1.0;
  double op_loss_weight = 1.0;
  // "mean": each term (tokens, executor cells, operation rows) is the mean over its positions, and
  // the terms are added with their weights, as the original; "sum": each term summed over its
  // positions (the executor's per pair over its cells) and divided by the batch size.
  std::string loss_reduction = "mean";

  // Arrays: the values [-4R, 4R] an array's cells are embedded as (33 for R = 4).
  int64_t num_values() const { return 8 * values.range + 1; }
  int64_t value_offset() const { return 4 * values.range; }
  int64_t decoder_size() const { return 2 * hidden_size; }
  // The model's name in the paper's tables, from the switches.
  std::string name() const;

  template <typename Visitor>
  static void fields(Visitor& v) {
    using M = ModelOptions;
    v.group("Model (RobustFill is the model with none of these switches)");
    v("latent_execution", &M::latent_execution, "LaSynth's latent executor");
    v("no_partial_execution", &M::no_partial_execution,
      "the executor runs at the program's end only (NoPartialExecutor)");
    v("operation_predictor", &M::operation_predictor, "operation predictor (C only)");
    v("decoder_self_attention", &M::decoder_self_attention, "decoder self-attention");
    v("use_properties", &M::use_properties, "Property Signatures baseline");
    v("exec_period", &M::exec_period, "decoding steps between latent executions", AtLeast(1));
    v("scaled_attention", &M::scaled_attention,
      "divide attention scores by sqrt(key size) (the original does not)");
    v.group("Sizes");
    v("embedding_size", &M::embedding_size, "token and value embeddings", AtLeast(1));
    v("LSTM_hidden_size", &M::hidden_size, "LSTM hidden size per direction", AtLeast(1));
    v("MLP_hidden_size", &M::mlp_hidden_size, "output MLP hidden size", AtLeast(1));
    v("num_MLP_layers", &M::num_mlp_layers,
      "ReLU layers of the output MLP after its first, as the original counts them", AtLeast(0));
    v("num_LSTM_layers", &M::num_layers, "layers of every LSTM", AtLeast(1));
    v("num_attention_layers", &M::num_attention_layers, "input<->output attention layers",
      AtLeast(0));
    v("conv_channels", &M::conv_channels, "Karel: feature maps of the grid encoder", AtLeast(1));
    v("grid_encoder", &M::grid_encoder,
      "Karel: joint (Bunel et al.'s: each grid's first layer, then two residual blocks over "
      "input and output stacked) or separate (a CNN for each grid)",
      OneOf({"joint", "separate"}));
    v("dropout_rate", &M::dropout, "dropout between LSTM layers and in the output MLP",
      Between(0, 1));
    v("param_init", &M::param_init, "parameters start uniform in [-x, x]", AtLeast(0));
    v.group("Training");
    v("exec_loss_weight", &M::exec_loss_weight, "weight of the executor's loss", AtLeast(0));
    v("op_loss_weight", &M::op_loss_weight, "weight of the operation predictor's loss", AtLeast(0));
    v("loss_reduction", &M::loss_reduction,
      "mean: the mean of each term (tokens, executor cells, operation rows), weighted and added, "
      "as the original; sum: each term summed, divided by the batch size",
      OneOf({"mean", "sum"}));
  }
};

// Throws ConfigError naming the flags when the switches do not make sense together.
void check_switches(const ModelOptions& options);

// Fills the domain fields from a dataset's or checkpoint's domain and its vocabulary's size, and
// checks that the switches make sense together and for the domain. Throws ConfigError naming the
// flag.
void set_domain(ModelOptions& options, const Domain& domain, int64_t vocab_size);

}  // namespace model
}  // namespace lasynth

#endif  // LASYNTH_MODEL_MODEL_OPTIONS_H_
