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
  auto cnn = [&] {
    namespace nn = torch::nn;
    return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(channel_count, f, 3).padding(1)), nn::ReLU(),
                          nn::Conv2d(nn::Conv2dOptions(f, f, 3).padding(1)), nn::ReLU());
  };
  input_cnn_ = register_module("input_cnn", cnn());
  output_cnn_ = register_module("output_cnn", cnn());
  input_out_ = register_module("input_out", torch::nn::Linear(f, d));
  output_out_ = register_module("output_out", torch::nn::Linear(f, d));
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

torch::Tensor GridNet::features(const torch::Tensor& dist, torch::nn::Sequential& cnn) {
  const int64_t n = dist.size(0);
  const torch::Tensor grid =
      torch::matmul(dist, channels_)
          .transpose(1, 2)
          .reshape({n, options_.values.channels, options_.values.rows, options_.values.cols});
  return cnn->forward(grid);
}

ValueEncoding GridNet::encode(const torch::Tensor& dist, bool output) {
  const int64_t n = dist.size(0), layers = options_.num_layers, d = options_.decoder_size();
  const torch::Tensor f = features(dist, output ? output_cnn_ : input_cnn_);
  const torch::Tensor pooled =
      torch::adaptive_avg_pool2d(f, {kPooled, kPooled}).flatten(2).transpose(1, 2);  // [N, 16, F]
  const torch::Tensor seq = torch::tanh((output ? output_out_ : input_out_)(pooled));
  const torch::Tensor summary =
      torch::tanh((output ? output_summary_ : input_summary_)(seq.mean(1)))
          .view({n, 2, layers, d})
          .permute({1, 2, 0, 3});  // [2, layers, N, D]
  return {seq, summary[0].contiguous(), summary[1].contiguous()};
}

torch::Tensor GridNet::execute(const torch::Tensor& dist, const LstmState& state) {
  const torch::Tensor f = features(dist, input_cnn_);
  const torch::Tensor top = std::get<0>(state).select(0, -1);  // [N, D]: the decoder's output
  torch::Tensor mixed = torch::relu(f + state_(top).unsqueeze(-1).unsqueeze(-1));
  for (const auto& layer : *reach_) {
    mixed = mixed + torch::relu(layer->as<torch::nn::Conv2d>()->forward(mixed));
  }
  return cell_logits_(mixed).flatten(2).transpose(1, 2);  // [N, P, S]
}

}  // namespace model
}  // namespace lasynth
