// Sizes and switches of the models. Every field is a config value (`--config`, flags); the
// defaults are the paper's (PAPER.md), the quickstart config shrinks them.
#ifndef LASYNTH_MODEL_MODEL_OPTIONS_H_
#define LASYNTH_MODEL_MODEL_OPTIONS_H_

#include <cstdint>

namespace lasynth {
namespace model {

struct ModelOptions {
  int64_t vocab_size = 0;   // program tokens; from the domain's vocabulary
  int64_t value_range = 4;  // inputs in [-R, R]; values embedded in [-4R, 4R] (33 for R = 4)
  int64_t embedding_size = 1024;
  int64_t hidden_size = 512;  // per direction of the bidirectional encoders
  int64_t mlp_hidden_size = 512;
  int64_t num_layers = 2;            // of every LSTM
  int64_t num_attention_layers = 2;  // input <-> output attention in the IO encoder
  double dropout = 0.0;
  double param_init = 0.1;  // parameters start uniform in [-param_init, param_init]

  int64_t num_values() const { return 8 * value_range + 1; }
  int64_t value_offset() const { return 4 * value_range; }
};

}  // namespace model
}  // namespace lasynth

#endif  // LASYNTH_MODEL_MODEL_OPTIONS_H_
