// Grid values (Karel's worlds) of R x C cells, seen as the layout's channels (ValueLayout): 4 for
// the hero's directions, then one per content. Each cell is one of channels - 4 contents (Karel:
// 12, wall and 0..10 markers) times 5 hero states (absent, facing north/east/south/west): 60
// classes. A distribution over them maps linearly onto the channels, which a small CNN encodes;
// the feature map is pooled to a 4 x 4 grid of encodings the decoder attends to. The latent state
// is the grid: the executor predicts every cell's class from the current grid's features and the
// decoder state, through dilated layers that let every cell see the whole grid.
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
  ValueEncoding encode_input(const torch::Tensor& dist) override { return encode(dist, false); }
  // The grid encoders are CNNs: an output is encoded on its own, without the input's summary.
  ValueEncoding encode_output(const torch::Tensor& dist, const ValueEncoding&) override {
    return encode(dist, true);
  }
  torch::Tensor execute(const torch::Tensor& dist, const LstmState& state) override;

 private:
  ValueEncoding encode(const torch::Tensor& dist, bool output);
  // dist [N, P, S] -> features [N, F, R, C]
  torch::Tensor features(const torch::Tensor& dist, torch::nn::Sequential& cnn);

  ModelOptions options_;
  int64_t contents_;        // a cell's: wall, then 0, 1, ... markers
  torch::Tensor channels_;  // [S, channels]: class -> the channels (a buffer)
  torch::nn::Sequential input_cnn_{nullptr}, output_cnn_{nullptr};
  torch::nn::Linear input_out_{nullptr}, output_out_{nullptr};
  torch::nn::Linear input_summary_{nullptr}, output_summary_{nullptr};
  torch::nn::Linear state_{nullptr};
  torch::nn::ModuleList reach_;  // the executor's dilated layers
  torch::nn::Conv2d cell_logits_{nullptr};
};

}  // namespace model
}  // namespace lasynth

#endif  // LASYNTH_MODEL_GRID_NET_H_
