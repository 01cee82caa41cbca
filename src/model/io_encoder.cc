#include "model/io_encoder.h"

#include "model/array_net.h"
#include "model/grid_net.h"

namespace lasynth {
namespace model {

torch::Tensor join_directions(const torch::Tensor& state, int64_t layers) {
  const int64_t n = state.size(1), h = state.size(2);
  return state.view({layers, 2, n, h}).permute({0, 2, 1, 3}).reshape({layers, n, 2 * h});
}

torch::Tensor split_directions(const torch::Tensor& state) {
  const int64_t layers = state.size(0), n = state.size(1), h = state.size(2) / 2;
  return state.view({layers, n, 2, h}).permute({0, 2, 1, 3}).reshape({2 * layers, n, h});
}

torch::nn::LSTM embedding_encoder(const ModelOptions& o) {
  return torch::nn::LSTM(torch::nn::LSTMOptions(o.embedding_size, o.hidden_size)
                             .num_layers(o.num_layers)
                             .bidirectional(true)
                             .batch_first(true)
                             .dropout(o.num_layers > 1 ? o.dropout : 0.0));
}

std::shared_ptr<ValueNet> make_value_net(const ModelOptions& options) {
  if (options.values.kind == ValueLayout::Kind::kGrid) return std::make_shared<GridNet>(options);
  return std::make_shared<ArrayNet>(options);
}

IoEncoderImpl::IoEncoderImpl(const ModelOptions& o, std::shared_ptr<ValueNet> values)
    : values_(register_module("values", std::move(values))) {
  const int64_t d = o.decoder_size();
  for (int64_t i = 0; i < o.num_attention_layers; ++i) {
    attention_->push_back(Attention(d, d, d, o.scaled_attention));
  }
  register_module("attention", attention_);
}

torch::Tensor IoEncoderImpl::attend(torch::Tensor outputs, const torch::Tensor& inputs) {
  for (size_t i = 0; i < attention_->size(); ++i) {
    outputs = attention_[i]->as<Attention>()->forward(outputs, inputs);
  }
  return outputs;
}

IoEncoding IoEncoderImpl::forward(const torch::Tensor& inputs, const torch::Tensor& outputs) {
  const ValueEncoding in = values_->encode_input(inputs);
  const ValueEncoding out = values_->encode_output(outputs, in);
  return {in.seq, attend(out.seq, in.seq), out.seq, out.maps, in.h + out.h, in.c + out.c};
}

void IoEncoderImpl::reencode_inputs(IoEncoding& io, const torch::Tensor& inputs) {
  const ValueEncoding in = values_->encode_input(inputs);
  io.inputs = in.seq;
  const torch::Tensor outputs =
      io.output_maps.defined() ? values_->reencode_output(io.output_maps, in) : io.raw_outputs;
  io.outputs = attend(outputs, io.inputs);
}

}  // namespace model
}  // namespace lasynth
