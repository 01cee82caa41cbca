#include "model/attention.h"

#include <cmath>
#include <limits>

namespace lasynth {
namespace model {

AttentionImpl::AttentionImpl(int64_t query_size, int64_t key_size, bool scaled)
    : project_(register_module("project", torch::nn::Linear(query_size, key_size))),
      scale_(scaled ? 1.0 / std::sqrt(static_cast<double>(key_size)) : 1.0) {}

torch::Tensor AttentionImpl::forward(const torch::Tensor& query, const torch::Tensor& keys,
                                     const torch::Tensor& masked) {
  const torch::Tensor q = project_(query);  // [N, Q, D]
  if (query.size(1) == 1 && !masked.defined()) {
    // One query per row (a decoding step): bmm would run N tiny matrix products one by one;
    // the same sums as broadcast products run vectorised over all rows.
    const torch::Tensor weights = torch::softmax((q * keys).sum(-1) * scale_, -1);  // [N, S]
    return (weights.unsqueeze(-1) * keys).sum(1, /*keepdim=*/true);                 // [N, 1, D]
  }
  torch::Tensor scores = torch::bmm(q, keys.transpose(1, 2)) * scale_;  // [N, Q, S]
  if (masked.defined()) {
    scores = scores.masked_fill(masked, -std::numeric_limits<float>::infinity());
  }
  return torch::bmm(torch::softmax(scores, -1), keys);  // [N, Q, D]
}

}  // namespace model
}  // namespace lasynth
