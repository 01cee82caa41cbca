#include "model/operation_predictor.h"

#include <cmath>

#include "model/io_encoder.h"

namespace lasynth {
namespace model {

OperationPredictorImpl::OperationPredictorImpl(const ModelOptions& o) : options_(o) {
  for (int sign : {1, -1}) {
    for (int64_t c = -o.values.range; c <= o.values.range; ++c) deltas_.push_back(sign * c);
  }
  const int64_t ops = static_cast<int64_t>(deltas_.size()), s = o.num_values();
  torch::Tensor shift = torch::zeros({ops, s, s});
  for (int64_t j = 0; j < ops; ++j) {
    for (int64_t v = 0; v < s; ++v) {
      if (v + deltas_[j] >= 0 && v + deltas_[j] < s) shift[j][v][v + deltas_[j]] = 1;
    }
  }
  shift_ = register_buffer("shift", shift);
  values_ = register_module("values", torch::nn::Embedding(s, o.embedding_size));
  operations_ = register_module("operations", torch::nn::Embedding(ops, o.embedding_size));
  query_ = register_module("query", torch::nn::Linear(2 * o.embedding_size, o.embedding_size));
  lstm_ = register_module("lstm", embedding_encoder(o));
}

OperationEncoding OperationPredictorImpl::forward(const torch::Tensor& current,
                                                  const torch::Tensor& target) {
  const torch::Tensor& w = values_->weight;  // [S, E]
  // The embedding of each operation's result: [O, S, E] per class, then [N, L, O, E].
  const torch::Tensor results = torch::einsum("nls,ose->nloe", {current, torch::matmul(shift_, w)});
  const torch::Tensor query =
      query_(torch::cat({torch::matmul(current, w), torch::matmul(target, w)}, -1));  // [N, L, E]
  const torch::Tensor logits = torch::einsum("nloe,nle->nlo", {results, query}) /
                               std::sqrt(static_cast<double>(options_.embedding_size));
  const torch::Tensor embedded = torch::matmul(torch::softmax(logits, -1), operations_->weight);
  return {logits, std::get<0>(lstm_->forward(embedded))};
}

torch::Tensor OperationPredictorImpl::targets(const torch::Tensor& inputs,
                                              const torch::Tensor& outputs) const {
  const torch::Tensor delta = (outputs - inputs).to(torch::kLong);  // [N, L]
  // The first operation adding `delta`: +delta for |delta| <= R, else none.
  return torch::where(delta.abs() <= options_.values.range, delta + options_.values.range,
                      torch::full_like(delta, -100));
}

}  // namespace model
}  // namespace lasynth
