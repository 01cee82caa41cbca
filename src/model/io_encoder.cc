#include "model/io_encoder.h"

namespace lasynth {
namespace model {

torch::Tensor join_directions(const torch::Tensor& state, int64_t layers) {
  const int64_t n = state.size(1), h = state.size(2);
  return state.view({layers, 2, n, h}).permute({0, 2, 1, 3}).reshape({layers, n, 2 * h});
}

IoEncoderImpl::IoEncoderImpl(const ModelOptions& o) : options_(o) {
  values_ = register_module("values", torch::nn::Embedding(o.num_values(), o.embedding_size));
  auto lstm = [&] {
    return torch::nn::LSTM(torch::nn::LSTMOptions(o.embedding_size, o.hidden_size)
                               .num_layers(o.num_layers)
                               .bidirectional(true)
                               .batch_first(true)
                               .dropout(o.num_layers > 1 ? o.dropout : 0.0));
  };
  input_lstm_ = register_module("input_lstm", lstm());
  output_lstm_ = register_module("output_lstm", lstm());
  const int64_t d = 2 * o.hidden_size;
  for (int64_t i = 0; i < o.num_attention_layers; ++i) {
    attention_->push_back(Attention(d, d));
    mix_->push_back(torch::nn::Linear(2 * d, d));
  }
  register_module("attention", attention_);
  register_module("mix", mix_);
}

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> IoEncoderImpl::encode(
    torch::nn::LSTM& lstm, const torch::Tensor& values) {
  const torch::Tensor ids =
      (values.to(torch::kLong) + options_.value_offset()).clamp(0, options_.num_values() - 1);
  auto [encoded, state] = lstm->forward(values_(ids));  // [N, L, D]
  return {encoded, join_directions(std::get<0>(state), options_.num_layers),
          join_directions(std::get<1>(state), options_.num_layers)};
}

IoEncoding IoEncoderImpl::forward(const torch::Tensor& inputs, const torch::Tensor& outputs) {
  const int64_t b = inputs.size(0), k = inputs.size(1), l = inputs.size(2);
  auto [in_enc, in_h, in_c] = encode(input_lstm_, inputs.reshape({b * k, l}));
  auto [out_enc, out_h, out_c] = encode(output_lstm_, outputs.reshape({b * k, l}));
  for (size_t i = 0; i < attention_->size(); ++i) {
    const torch::Tensor context = attention_[i]->as<Attention>()->forward(out_enc, in_enc);
    out_enc =
        torch::tanh(mix_[i]->as<torch::nn::Linear>()->forward(torch::cat({out_enc, context}, -1)));
  }
  return {in_enc, out_enc, in_h + out_h, in_c + out_c};
}

}  // namespace model
}  // namespace lasynth
