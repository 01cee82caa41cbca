// Grid values (Karel's worlds) of R x C cells, seen as the layout's channels (ValueLayout): 4 for
// the hero's directions, then one per content. Each cell is one of channels - 4 contents (Karel:
// 12, wall and 0..10 markers) times 5 hero states (absent, facing north/east/south/west): 60
// classes. A distribution over them maps linearly onto the channels, which a small CNN encodes;
// the feature map is pooled to a 4 x 4 grid of encodings the decoder attends to. An output is
// encoded with its input (grid_encoder "joint", Bunel et al.'s: each grid's first layer, both
// stacked, two residual blocks of three 3 x 3 layers, and a linear layer of the flattened maps
// for the summary) or alone ("separate"). The latent state is the grid: the executor predicts
// every cell's class from the current grid's features and the decoder state, through dilated
// layers that let every cell see the whole grid.
#ifndef LASYNTH_MODEL_GRID_NET_H_
#define LASYNTH_MODEL_GRID_NET_H_

#include "model/value_net.h"

namespace lasynth {
namespace model {

class GridNet : public ValueNet {
 public:
  static constexpr int64_t kHeroStates = 5;
  static constexpr int64_t kPooled = 4;  // the encodings are a kPooled x kPooled grid

  explicit GridNet(const ModelOptions& options);
  int64_t num_classes() const override { return kHeroStates * contents_; }
  torch::Tensor classes(const torch::Tensor& values) const override;
  ValueEncoding encode_input(const torch::Tensor& dist) override;
  ValueEncoding encode_output(const torch::Tensor& dist, const ValueEncoding& input) override;
  torch::Tensor reencode_output(const torch::Tensor& output_maps,
                                const ValueEncoding& input) override {
    return sequence(joint(input.maps, output_maps), output_out_);
  }
  torch::Tensor execute(const torch::Tensor& dist, const LstmState& state) override;

 private:
  bool joint_encoder() const { return options_.grid_encoder == "joint"; }
  // Feature maps [N, F, R, C] -> the encodings [N, 16, D] (pooled to 4 x 4) by `out`.
  static torch::Tensor sequence(const torch::Tensor& maps, torch::nn::Linear& out);
  // [N, D] -> the summary (h, c), by `summary`.
  ValueEncoding summarize(torch::Tensor seq, const torch::Tensor& of, torch::nn::Linear& summary);
  // An input's and an output's first maps [N, F', R, C] -> the joint maps [N, 2F', R, C].
  torch::Tensor joint(const torch::Tensor& input_maps, const torch::Tensor& output_maps);
  // dist [N, P, S] -> the grid's channels [N, channels, R, C]
  torch::Tensor grid(const torch::Tensor& dist) const;

  ModelOptions options_;
  int64_t contents_;        // a cell's: wall, then 0, 1, ... markers
  torch::Tensor channels_;  // [S, channels]: class -> the channels (a buffer)
  torch::nn::Sequential input_cnn_{nullptr}, output_cnn_{nullptr};  // output: separate only
  // joint only: each grid's first layer, the residual blocks, the flattened maps -> D
  torch::nn::Sequential input_maps_{nullptr}, output_maps_{nullptr};
  torch::nn::ModuleList blocks_;
  torch::nn::Linear flat_{nullptr};
  torch::nn::Linear input_out_{nullptr}, output_out_{nullptr};
  torch::nn::Linear input_summary_{nullptr}, output_summary_{nullptr};
  torch::nn::Linear state_{nullptr};
  torch::nn::ModuleList reach_;  // the executor's dilated layers
  torch::nn::Conv2d cell_logits_{nullptr};
};

}  // namespace model
}  // namespace lasynth

#endif  // LASYNTH_MODEL_GRID_NET_H_
