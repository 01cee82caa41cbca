// Restricted C's values: arrays of L ints, each embedded as one of the 8R + 1 values [-4R, 4R]
// and encoded by a bidirectional LSTM over the positions (PAPER.md). Its latent executor is an
// LSTM over the current values, started from the decoder's state, whose outputs are scored
// against the value embeddings.
#ifndef LASYNTH_MODEL_ARRAY_NET_H_
#define LASYNTH_MODEL_ARRAY_NET_H_

#include "model/value_net.h"

namespace lasynth {
namespace model {

class ArrayNet : public ValueNet {
 public:
  explicit ArrayNet(const ModelOptions& options);
  int64_t num_classes() const override { return options_.num_values(); }
  torch::Tensor classes(const torch::Tensor& values) const override;
  ValueEncoding encode(const torch::Tensor& dist, bool output) override;
  torch::Tensor execute(const torch::Tensor& dist, const torch::Tensor& state) override;

 private:
  ModelOptions options_;
  torch::nn::Embedding values_{nullptr};
  torch::nn::LSTM input_lstm_{nullptr}, output_lstm_{nullptr}, executor_{nullptr};
  torch::nn::Linear project_{nullptr};
};

}  // namespace model
}  // namespace lasynth

#endif  // LASYNTH_MODEL_ARRAY_NET_H_
