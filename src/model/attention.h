// Dot-product attention with a learned query projection, the building block every LaSynth
// module uses to look at encodings. Unscaled as the original's; `scaled` divides the scores by
// sqrt(key_size) (Transformer-style, lasynth's former default).
//   N sequences, Q queries, S keys, D features.
#ifndef LASYNTH_MODEL_ATTENTION_H_
#define LASYNTH_MODEL_ATTENTION_H_

#include <torch/torch.h>

namespace lasynth {
namespace model {

class AttentionImpl : public torch::nn::Module {
 public:
  AttentionImpl(int64_t query_size, int64_t key_size, bool scaled);
  // query [N, Q, query_size], keys [N, S, key_size] -> context [N, Q, key_size]. `masked`
  // [Q, S] (bool, true = hidden), when defined, hides keys from queries (causal attention).
  torch::Tensor forward(const torch::Tensor& query, const torch::Tensor& keys,
                        const torch::Tensor& masked = {});

 private:
  torch::nn::Linear project_{nullptr};
  double scale_;
};
TORCH_MODULE(Attention);

}  // namespace model
}  // namespace lasynth

#endif  // LASYNTH_MODEL_ATTENTION_H_
