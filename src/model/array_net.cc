#include "model/array_net.h"

#include "model/io_encoder.h"
#include "model/lstm.h"

namespace lasynth {
namespace model {

ArrayNet::ArrayNet(const ModelOptions& o) : options_(o) {
  values_ = register_module("values", torch::nn::Embedding(o.num_values(), o.embedding_size));
  auto lstm = [&](int64_t hidden, bool bidirectional) {
    return torch::nn::LSTM(torch::nn::LSTMOptions(o.embedding_size, hidden)
                               .num_layers(o.num_layers)
                               .bidirectional(bidirectional)
                               .batch_first(true)
                               .dropout(o.num_layers > 1 ? o.dropout : 0.0));
  };
  input_lstm_ = register_module("input_lstm", lstm(o.hidden_size, true));
  output_lstm_ = register_module("output_lstm", lstm(o.hidden_size, true));
  if (o.latent_execution) {
    executor_ = register_module("executor", lstm(o.hidden_size, true));
    project_ = register_module("project", torch::nn::Linear(o.decoder_size(), o.embedding_size));
  }
}

torch::Tensor ArrayNet::classes(const torch::Tensor& values) const {
  return (values.to(torch::kLong) + options_.value_offset()).clamp(0, options_.num_values() - 1);
}

ValueEncoding ArrayNet::encode_input(const torch::Tensor& dist) {
  const LstmRun run = run_lstm(input_lstm_, torch::matmul(dist, values_->weight));
  return {run.output,
          join_directions(std::get<0>(run.state), options_.num_layers),
          join_directions(std::get<1>(run.state), options_.num_layers),
          {}};
}

ValueEncoding ArrayNet::encode_output(const torch::Tensor& dist, const ValueEncoding& input) {
  const LstmRun run = run_lstm(output_lstm_, torch::matmul(dist, values_->weight),
                               {split_directions(input.h), split_directions(input.c)});
  return {run.output,
          join_directions(std::get<0>(run.state), options_.num_layers),
          join_directions(std::get<1>(run.state), options_.num_layers),
          {}};
}

torch::Tensor ArrayNet::encode_embedded(const torch::Tensor& embedded) {
  return run_lstm(input_lstm_, embedded).output;
}

torch::Tensor ArrayNet::execute(const torch::Tensor& dist, const LstmState& state) {
  const torch::Tensor embedded = torch::matmul(dist, values_->weight);  // [N, L, E]
  const torch::Tensor out =
      run_lstm(executor_, embedded,
               {split_directions(std::get<0>(state)), split_directions(std::get<1>(state))})
          .output;  // [N, L, 2H]
  const int64_t r = result_range();
  const torch::Tensor results = values_->weight.narrow(0, options_.value_offset() - r, 2 * r + 1);
  return torch::matmul(project_(out), results.t());  // [N, L, 2r + 1]
}

int64_t ArrayNet::result_range() const {
  const int64_t reach = options_.value_offset();
  const int64_t r = options_.values.output_range;
  return r > 0 && r < reach ? r : reach;
}

torch::Tensor ArrayNet::result_classes(const torch::Tensor& values) const {
  const int64_t r = result_range();
  return (values.to(torch::kLong) + r).clamp(0, 2 * r);
}

torch::Tensor ArrayNet::widen(const torch::Tensor& result_dist) const {
  const int64_t side = options_.value_offset() - result_range();
  return torch::constant_pad_nd(result_dist, {side, side});
}

}  // namespace model
}  // namespace lasynth
