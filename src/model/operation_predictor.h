// LaSynth's operation predictor (C only): a table of the 2(2R + 1) operations "+c" and "-c"
// (c in [-R, R]; 18 for R = 4) applied to every current input value. For each position, the
// (current value, target output) pair attends over the table's results, giving a distribution
// over operations; that distribution is embedded and encoded by a BiLSTM over the positions for
// the decoder to attend to. Trained against the operation that maps the true input to the output.
//   N = B * K pairs, L positions, S values, O operations, D = 2H.
#ifndef LASYNTH_MODEL_OPERATION_PREDICTOR_H_
#define LASYNTH_MODEL_OPERATION_PREDICTOR_H_

#include <torch/torch.h>

#include "model/model_options.h"

namespace lasynth {
namespace model {

struct OperationEncoding {
  torch::Tensor logits;  // [N, L, O]
  torch::Tensor seq;     // [N, L, D]
};

class OperationPredictorImpl : public torch::nn::Module {
 public:
  explicit OperationPredictorImpl(const ModelOptions& options);
  // current: the (latent) inputs [N, L, S]; target: the outputs [N, L, S].
  OperationEncoding forward(const torch::Tensor& current, const torch::Tensor& target);
  // The operation mapping each true input value to its output [N, L] (int64), or -100 (ignored
  // by the loss) where none does.
  torch::Tensor targets(const torch::Tensor& inputs, const torch::Tensor& outputs) const;

 private:
  ModelOptions options_;
  std::vector<int64_t> deltas_;  // the value each operation adds
  torch::Tensor shift_;          // [O, S, S]: class s -> class s + delta (a buffer)
  torch::nn::Embedding values_{nullptr}, operations_{nullptr};
  torch::nn::Linear query_{nullptr};
  torch::nn::LSTM lstm_{nullptr};
};
TORCH_MODULE(OperationPredictor);

}  // namespace model
}  // namespace lasynth

#endif  // LASYNTH_MODEL_OPERATION_PREDICTOR_H_
