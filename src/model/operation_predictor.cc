#include "model/operation_predictor.h"

#include <vector>

namespace lasynth {
namespace model {

OperationPredictorImpl::OperationPredictorImpl(const ModelOptions& o,
                                               std::shared_ptr<ArrayNet> values)
    : options_(o), values_(std::move(values)) {
  const int64_t r = o.values.range, offset = o.value_offset();
  std::vector<int64_t> inputs, results;
  for (int64_t v = -r; v <= r; ++v) inputs.push_back(v + offset);
  for (int sign : {1, -1}) {
    for (int64_t c = -r; c <= r; ++c) {
      for (int64_t v = -r; v <= r; ++v) results.push_back(v + sign * c + offset);
    }
  }
  const int64_t columns = static_cast<int64_t>(inputs.size());
  input_classes_ = register_buffer("input_classes", torch::tensor(inputs));
  result_classes_ = register_buffer("result_classes", torch::tensor(results).view({-1, columns}));
  keys_ = register_module("keys", torch::nn::Linear(o.embedding_size, o.embedding_size));
  operations_ = register_module("operations",
                                torch::nn::Embedding(result_classes_.size(0), o.embedding_size));
}

OperationEncoding OperationPredictorImpl::forward(const torch::Tensor& current,
                                                  const torch::Tensor& target) {
  const torch::Tensor& w = values_->embedding();  // [S, E]
  const int64_t n = current.size(0), l = current.size(1);
  const int64_t ops = result_classes_.size(0), columns = result_classes_.size(1);
  const torch::Tensor keys = keys_(w.index_select(0, input_classes_));                 // [C, E]
  const torch::Tensor results = keys_(w.index_select(0, result_classes_.view({-1})));  // [O*C, E]
  const torch::Tensor lookup = torch::matmul(torch::matmul(current, w), keys.t());     // [N, L, C]
  const torch::Tensor scores =
      torch::matmul(torch::matmul(target, w), results.t()).view({n, l, ops, columns});
  const torch::Tensor per_operation =
      torch::matmul(scores, torch::softmax(lookup, -1).unsqueeze(-1)).squeeze(-1);  // [N, L, O]
  const torch::Tensor embedded =
      torch::matmul(torch::softmax(per_operation, -1), operations_->weight);  // [N, L, E]
  return {lookup, values_->encode_embedded(embedded)};
}

torch::Tensor OperationPredictorImpl::targets(const torch::Tensor& inputs) const {
  const int64_t r = options_.values.range;
  const torch::Tensor v = inputs.to(torch::kLong);
  return torch::where(v.abs() <= r, v + r, torch::full_like(v, -100));
}

}  // namespace model
}  // namespace lasynth
