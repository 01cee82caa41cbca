#include "model/grid_net.h"

#include <algorithm>

namespace lasynth {
namespace model {

GridNet::GridNet(const ModelOptions& o) : options_(o), contents_(o.values.channels - 4) {
  const int64_t channel_count = o.values.channels;
  torch::Tensor channels = torch::zeros({num_classes(), channel_count});
  for (int64_t s = 0; s < num_classes(); ++s) {
    const int64_t hero = s / contents_, content = s % contents_;
    if (hero > 0) channels[s][hero - 1] = 1;          // channels 0..3: the hero's direction
    channels[s][content == 0 ? 4 : 4 + content] = 1;  // 4: wall; 5 + m: m markers
  }
  channels_ = register_buffer("channels", channels);
  const int64_t f = o.conv_channels, d = o.decoder_size();
  namespace nn = torch::nn;
  auto conv = [](int64_t in, int64_t out) {
    return nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1));
  };
  auto cnn = [&] {
    return nn::Sequential(conv(channel_count, f), nn::ReLU(), conv(f, f), nn::ReLU());
  };
  input_cnn_ = register_module("input_cnn", cnn());
  if (!joint_encoder()) output_cnn_ = register_module("output_cnn", cnn());
  input_out_ = register_module("input_out", nn::Linear(f, d));
  if (joint_encoder()) {
    // Bunel et al.'s sizes at f = 64: 32 maps of each grid, 64 stacked.
    const int64_t half = std::max<int64_t>(f / 2, 1), stacked = 2 * half;
    input_maps_ =
        register_module("input_maps", nn::Sequential(conv(channel_count, half), nn::ReLU()));
    output_maps_ =
        register_module("output_maps", nn::Sequential(conv(channel_count, half), nn::ReLU()));
    for (int block = 0; block < 2; ++block) {
      blocks_->push_back(nn::Sequential(conv(stacked, stacked), nn::ReLU(), conv(stacked, stacked),
                                        nn::ReLU(), conv(stacked, stacked), nn::ReLU()));
    }
    register_module("blocks", blocks_);
    output_out_ = register_module("output_out", nn::Linear(stacked, d));
    flat_ = register_module("flat", nn::Linear(stacked * o.values.rows * o.values.cols, d));
  } else {
    output_out_ = register_module("output_out", nn::Linear(f, d));
  }
  input_summary_ = register_module("input_summary", torch::nn::Linear(d, 2 * o.num_layers * d));
  output_summary_ = register_module("output_summary", torch::nn::Linear(d, 2 * o.num_layers * d));
  if (o.latent_execution) {
    state_ = register_module("state", torch::nn::Linear(d, f));
    // The grid features see 5 x 5 cells; dilated 3 x 3 layers (dilation 1, 2, 4, ...) widen
    // that until every cell sees every other, so that `exec_period` tokens may move the hero or
    // a marker anywhere: 18 x 18 grids take 4 layers, 8 x 8 ones 3.
    const int64_t needed = std::max(o.values.rows, o.values.cols) - 1;
    for (int64_t radius = 2, dilation = 1; radius < needed; radius += dilation, dilation *= 2) {
      reach_->push_back(torch::nn::Conv2d(
          torch::nn::Conv2dOptions(f, f, 3).padding(dilation).dilation(dilation)));
    }
    register_module("reach", reach_);
    cell_logits_ = register_module(
        "cell_logits", torch::nn::Conv2d(torch::nn::Conv2dOptions(f, num_classes(), 1)));
  }
}

torch::Tensor GridNet::classes(const torch::Tensor& values) const {
  const torch::Tensor v = values.to(torch::kLong);
  const int64_t cols = options_.values.cols;
  torch::Tensor content = v.slice(1, 3) + 1;  // [N, P]: wall -1 -> 0, m markers -> m + 1
  content = content.clamp(0, contents_ - 1);
  const torch::Tensor hero = (v.select(1, 0) * cols + v.select(1, 1)).unsqueeze(1);  // [N, 1]
  const torch::Tensor dir = v.select(1, 2).unsqueeze(1) + 1;
  return content.scatter_add(1, hero, dir * contents_);
}

torch::Tensor GridNet::grid(const torch::Tensor& dist) const {
  return torch::matmul(dist, channels_)
      .transpose(1, 2)
      .reshape(
          {dist.size(0), options_.values.channels, options_.values.rows, options_.values.cols});
}

torch::Tensor GridNet::sequence(const torch::Tensor& maps, torch::nn::Linear& out) {
  const torch::Tensor pooled = torch::adaptive_avg_pool2d(maps, {kPooled, kPooled})
                                   .flatten(2)
                                   .transpose(1, 2);  // [N, 16, F]
  return torch::tanh(out(pooled));
}

ValueEncoding GridNet::summarize(torch::Tensor seq, const torch::Tensor& of,
                                 torch::nn::Linear& summary) {
  const int64_t n = seq.size(0), layers = options_.num_layers, d = options_.decoder_size();
  const torch::Tensor s =
      torch::tanh(summary(of)).view({n, 2, layers, d}).permute({1, 2, 0, 3});  // [2, layers, N, D]
  return {std::move(seq), s[0].contiguous(), s[1].contiguous(), torch::Tensor()};
}

torch::Tensor GridNet::joint(const torch::Tensor& input_maps, const torch::Tensor& output_maps) {
  torch::Tensor x = torch::cat({input_maps, output_maps}, 1);
  for (const auto& block : *blocks_) x = x + block->as<torch::nn::Sequential>()->forward(x);
  return x;
}

ValueEncoding GridNet::encode_input(const torch::Tensor& dist) {
  const torch::Tensor g = grid(dist);
  torch::Tensor seq = sequence(input_cnn_->forward(g), input_out_);
  const torch::Tensor mean = seq.mean(1);
  ValueEncoding e = summarize(std::move(seq), mean, input_summary_);
  if (joint_encoder()) e.maps = input_maps_->forward(g);
  return e;
}

ValueEncoding GridNet::encode_output(const torch::Tensor& dist, const ValueEncoding& input) {
  const torch::Tensor g = grid(dist);
  if (!joint_encoder()) {
    torch::Tensor seq = sequence(output_cnn_->forward(g), output_out_);
    const torch::Tensor mean = seq.mean(1);
    return summarize(std::move(seq), mean, output_summary_);
  }
  torch::Tensor maps = output_maps_->forward(g);
  const torch::Tensor x = joint(input.maps, maps);
  ValueEncoding e = summarize(sequence(x, output_out_), flat_(x.flatten(1)), output_summary_);
  e.maps = std::move(maps);
  return e;
}

torch::Tensor GridNet::execute(const torch::Tensor& dist, const LstmState& state) {
  const torch::Tensor f = input_cnn_->forward(grid(dist));
  const torch::Tensor top = std::get<0>(state).select(0, -1);  // [N, D]: the decoder's output
  torch::Tensor mixed = torch::relu(f + state_(top).unsqueeze(-1).unsqueeze(-1));
  for (const auto& layer : *reach_) {
    mixed = mixed + torch::relu(layer->as<torch::nn::Conv2d>()->forward(mixed));
  }
  return cell_logits_(mixed).flatten(2).transpose(1, 2);  // [N, P, S]
}

}  // namespace model
}  // namespace lasynth
