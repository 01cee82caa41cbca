// LaSynth's operation predictor (C only), as the original's: a table of the 2(2R + 1) operations
// "+c" and "-c" (c in [-R, R]; 18 for R = 4) applied to each of the 2R + 1 input values. For
// each position, a lookup recognises the current input value (its embedding against the
// embeddings of [-R, R]: a distribution over the table's columns); the target output's embedding
// is scored against every operation's result for that value, giving a distribution over
// operations; that distribution is embedded and encoded by the input encoder for the decoder to
// attend to. Trained as the original is: the lookup against the true input value.
//   N = B * K pairs, L positions, S values, C = 2R + 1 input values, O operations, E, D = 2H.
#ifndef LASYNTH_MODEL_OPERATION_PREDICTOR_H_
#define LASYNTH_MODEL_OPERATION_PREDICTOR_H_

#include <torch/torch.h>

#include <memory>

#include "model/array_net.h"
#include "model/model_options.h"

namespace lasynth {
namespace model {

struct OperationEncoding {
  torch::Tensor logits;  // [N, L, C]: the lookup of the current input value
  torch::Tensor seq;     // [N, L, D]
};

class OperationPredictorImpl : public torch::nn::Module {
 public:
  // `values`: the IO encoder's value network, whose embedding and input encoder it shares
  // (owned and registered by the encoder).
  OperationPredictorImpl(const ModelOptions& options, std::shared_ptr<ArrayNet> values);
  // current: the (latent) inputs [N, L, S]; target: the outputs [N, L, S].
  OperationEncoding forward(const torch::Tensor& current, const torch::Tensor& target);
  // The lookup's target [N, L] (int64): each true input value's column, or -100 (ignored by the
  // loss) for a value outside [-R, R].
  torch::Tensor targets(const torch::Tensor& inputs) const;

 private:
  ModelOptions options_;
  std::shared_ptr<ArrayNet> values_;
  torch::Tensor input_classes_;   // [C]: the value classes of [-R, R] (a buffer)
  torch::Tensor result_classes_;  // [O, C]: each operation's result on each value (a buffer)
  torch::nn::Linear keys_{nullptr};
  torch::nn::Embedding operations_{nullptr};
};
TORCH_MODULE(OperationPredictor);

}  // namespace model
}  // namespace lasynth

#endif  // LASYNTH_MODEL_OPERATION_PREDICTOR_H_
