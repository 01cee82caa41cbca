// Restricted C's values: arrays of L ints, each embedded as one of the 8R + 1 values [-4R, 4R]
// and encoded by a bidirectional LSTM over the positions (PAPER.md); an output's LSTM starts
// from its input's final state. Its latent executor is, as
// the original's, a bidirectional LSTM of num_LSTM_layers layers over the current values (so a
// cell's new value may depend on later cells: `a[0] = a[4];`), started from the decoder's whole
// (h, c) state, whose outputs are scored against the embeddings of the 2 output_range + 1 values
// an output may take (the softmax over them is the new latent input).
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
  ValueEncoding encode_input(const torch::Tensor& dist) override;
  // The output encoder starts from the input encoder's final state, as the original's.
  ValueEncoding encode_output(const torch::Tensor& dist, const ValueEncoding& input) override;
  torch::Tensor execute(const torch::Tensor& dist, const LstmState& state) override;
  int64_t num_result_classes() const override { return 2 * result_range() + 1; }
  torch::Tensor result_classes(const torch::Tensor& values) const override;
  torch::Tensor widen(const torch::Tensor& result_dist) const override;

  // What the operation predictor shares, as the original's does: the value embedding [S, E] and
  // the input encoder, run over any embedded sequence [N, L, E] -> [N, L, D].
  const torch::Tensor& embedding() const { return values_->weight; }
  torch::Tensor encode_embedded(const torch::Tensor& embedded);

 private:
  // Outputs lie in [-result_range(), result_range()]: the domain's output_range, within the
  // embedding's reach.
  int64_t result_range() const;

  ModelOptions options_;
  torch::nn::Embedding values_{nullptr};
  torch::nn::LSTM input_lstm_{nullptr}, output_lstm_{nullptr}, executor_{nullptr};
  torch::nn::Linear project_{nullptr};
};

}  // namespace model
}  // namespace lasynth

#endif  // LASYNTH_MODEL_ARRAY_NET_H_
