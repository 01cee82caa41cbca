// The Property Signatures baseline (Odena & Sutton 2020): the IO pairs are summarised by
// ternary properties -- does the property hold on all specification pairs (1), on none (0), or
// on some (2) -- which are embedded, encoded by a BiLSTM over the properties and attended by the
// decoder instead of the pairs.
//   Arrays (C: 45 properties): per position i and delta d in [-R, R], output[i] == input[i] + d.
//   Grids (Karel: 20 properties, our design, see karel_properties below).
#ifndef LASYNTH_MODEL_PROPERTY_ENCODER_H_
#define LASYNTH_MODEL_PROPERTY_ENCODER_H_

#include <torch/torch.h>

#include "model/model_options.h"

namespace lasynth {
namespace model {

// inputs, outputs [B, K, V] -> [B, Q] (int64): 0 none, 1 all, 2 some.
torch::Tensor c_properties(const torch::Tensor& inputs, const torch::Tensor& outputs,
                           int64_t value_range);
// Karel, per pair: the hero moved; turned; turned left; turned right; turned around; moved north,
// south, east, west; total markers grew, shrank, stayed; markers under the input hero grew,
// shrank; a marker under the output hero; a marker under the input hero; the input hero faces a
// wall or the edge; the output hero does; a cell changed other than the two hero cells; the world
// did not change at all.
torch::Tensor karel_properties(const torch::Tensor& inputs, const torch::Tensor& outputs,
                               int64_t rows, int64_t cols);
int64_t num_properties(const ModelOptions& options);

struct PropertyEncoding {
  torch::Tensor seq;   // [B, Q, D]
  torch::Tensor h, c;  // [layers, B, D]
};

class PropertyEncoderImpl : public torch::nn::Module {
 public:
  explicit PropertyEncoderImpl(const ModelOptions& options);
  // inputs, outputs [B, K, V]: the specification pairs.
  PropertyEncoding forward(const torch::Tensor& inputs, const torch::Tensor& outputs);

 private:
  ModelOptions options_;
  torch::nn::Embedding embedding_{nullptr};  // (property, value) -> E
  torch::nn::LSTM lstm_{nullptr};
};
TORCH_MODULE(PropertyEncoder);

}  // namespace model
}  // namespace lasynth

#endif  // LASYNTH_MODEL_PROPERTY_ENCODER_H_
