#include "model/attention.h"

#include <cmath>
#include <limits>

namespace lasynth {
namespace model {

AttentionImpl::AttentionImpl(int64_t query_size, int64_t key_size, int64_t size, bool scaled)
    : query_(register_module("query", torch::nn::Linear(query_size, size))),
      keys_(register_module("keys", torch::nn::Linear(key_size, size))),
      scale_(scaled ? 1.0 / std::sqrt(static_cast<double>(size)) : 1.0) {}

torch::Tensor AttentionImpl::forward(const torch::Tensor& query, const torch::Tensor& keys,
                                     const torch::Tensor& masked) {
  const torch::Tensor q = query_(query), k = keys_(keys);  // [N, Q, D], [N, S, D]
  if (query.size(1) == 1 && !masked.defined()) {
    // One query per row (a decoding step): bmm would run N tiny matrix products one by one;
    // the same sums as broadcast products run vectorised over all rows.
    const torch::Tensor weights = torch::softmax((q * k).sum(-1) * scale_, -1);  // [N, S]
    return torch::tanh((weights.unsqueeze(-1) * k).sum(1, /*keepdim=*/true) + q);
  }
  torch::Tensor scores = torch::bmm(q, k.transpose(1, 2)) * scale_;  // [N, Q, S]
  if (!masked.defined()) return torch::tanh(torch::bmm(torch::softmax(scores, -1), k) + q);
  // The lowest finite score rather than -inf: a query that sees no key gets finite (unused)
  // weights instead of NaNs, which would poison the backward pass. Of the scores' own type:
  // under --precision bf16 they are bfloat16, whose range float's lowest exceeds.
  const double lowest = scores.scalar_type() == torch::kBFloat16
                            ? static_cast<double>(std::numeric_limits<c10::BFloat16>::lowest())
                            : static_cast<double>(std::numeric_limits<float>::lowest());
  scores = scores.masked_fill(masked, lowest);
  const torch::Tensor attended = torch::tanh(torch::bmm(torch::softmax(scores, -1), k) + q);
  const torch::Tensor blind = masked.all(-1).view({1, -1, 1});  // [1, Q, 1]
  return torch::where(blind, q, attended);
}

}  // namespace model
}  // namespace lasynth
