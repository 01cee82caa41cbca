// RobustFill (Devlin et al. 2017), the baseline every LaSynth variant extends: an LSTM decoder
// that, for each IO pair separately, attends to the pair's input encodings and then to its output
// encodings; the pairs' hidden vectors are max-pooled before the output layer, so one token
// distribution is predicted per example. It is the model with none of the LaSynth flags.
//   B examples, K pairs, L positions, T tokens (with <s>), E embedding, D = 2H, M MLP hidden,
//   V vocabulary.
#ifndef LASYNTH_MODEL_ROBUSTFILL_H_
#define LASYNTH_MODEL_ROBUSTFILL_H_

#include <torch/torch.h>

#include "model/attention.h"
#include "model/io_encoder.h"
#include "model/model_options.h"

namespace lasynth {
namespace model {

class RobustFillImpl : public torch::nn::Module {
 public:
  // Parameters start uniform in [-param_init, param_init], drawn from torch's generator (seed it
  // with torch::manual_seed for reproducible models).
  explicit RobustFillImpl(const ModelOptions& options);

  // Teacher forcing: tokens [B, T] (<s> program </s> <pad>...), inputs and outputs [B, K, L].
  // Returns the logits [B, T - 1, V] that predict tokens[:, 1:].
  torch::Tensor forward(const torch::Tensor& tokens, const torch::Tensor& inputs,
                        const torch::Tensor& outputs);

  // The summed cross-entropy of every non-padding target token, divided by `normalizer`: pass
  // the number of examples in the global batch, so that the loss and its gradient do not depend
  // on how the batch is split across ranks.
  static torch::Tensor loss(const torch::Tensor& logits, const torch::Tensor& tokens,
                            double normalizer);

  // Greedy decoding: for each of the B examples, the token ids after <s> up to (not including)
  // </s>, at most max_len of them. inputs and outputs [B, K, L] (the specification pairs).
  std::vector<std::vector<int32_t>> greedy(const torch::Tensor& inputs,
                                           const torch::Tensor& outputs, int64_t max_len);

  // Beam search of width `beam`: for each example, up to `beam` finished programs (token ids
  // without <s> and </s>), best first by total log-probability. Beams that have not finished
  // after max_len tokens are returned after the finished ones.
  std::vector<std::vector<std::vector<int32_t>>> beam_search(const torch::Tensor& inputs,
                                                             const torch::Tensor& outputs,
                                                             int64_t beam, int64_t max_len);

  const ModelOptions& options() const { return options_; }

 private:
  // decoded [B*K, T, D] -> logits [B, T, V]: attention to the pair's encodings, MLP, max-pool
  // over the K pairs, output layer.
  torch::Tensor head(const torch::Tensor& decoded, const IoEncoding& io, int64_t b, int64_t k);

  ModelOptions options_;
  IoEncoder encoder_{nullptr};
  torch::nn::Embedding tokens_{nullptr};
  torch::nn::LSTM decoder_{nullptr};
  Attention attend_inputs_{nullptr}, attend_outputs_{nullptr};
  torch::nn::Linear hidden_{nullptr}, out_{nullptr};
};
TORCH_MODULE(RobustFill);

}  // namespace model
}  // namespace lasynth

#endif  // LASYNTH_MODEL_ROBUSTFILL_H_
