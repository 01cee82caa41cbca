// The original LaSynth's attention, the building block every module uses to look at encodings:
// the query and the keys are projected to one size, the query's softmax over the projected keys
// (dot products, unscaled as the original's unless `scaled` divides them by sqrt(size)) weighs
// them, and the result is tanh(weighted keys + projected query): the query's own projection
// passes through, so an attention layer is also a residual one.
//   N sequences, Q queries, S keys.
#ifndef LASYNTH_MODEL_ATTENTION_H_
#define LASYNTH_MODEL_ATTENTION_H_

#include <torch/torch.h>

namespace lasynth {
namespace model {

class AttentionImpl : public torch::nn::Module {
 public:
  AttentionImpl(int64_t query_size, int64_t key_size, int64_t size, bool scaled);
  // query [N, Q, query_size], keys [N, S, key_size] -> [N, Q, size]. `masked` [Q, S] (bool, true
  // = hidden), when defined, hides keys from queries (causal attention); a query that sees no
  // key at all returns its projection alone, as the original's first decoding step does before
  // any token is in its history.
  torch::Tensor forward(const torch::Tensor& query, const torch::Tensor& keys,
                        const torch::Tensor& masked = {});
  // The projected query: what a query returns when there are no keys.
  torch::Tensor project(const torch::Tensor& query) { return query_(query); }

 private:
  torch::nn::Linear query_{nullptr}, keys_{nullptr};
  double scale_;
};
TORCH_MODULE(Attention);

}  // namespace model
}  // namespace lasynth

#endif  // LASYNTH_MODEL_ATTENTION_H_
