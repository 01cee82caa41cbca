// The IO encoder of LaSynth and RobustFill for array-valued domains (restricted C): each input
// and output array is embedded value by value and encoded by a bidirectional LSTM over its
// positions; then the output encodings attend to the input encodings (num_attention_layers
// rounds). Every pair is encoded on its own; pairs are pooled later, in the decoder.
//   B examples, K pairs, L array positions, E embedding, H hidden per direction, D = 2H.
#ifndef LASYNTH_MODEL_IO_ENCODER_H_
#define LASYNTH_MODEL_IO_ENCODER_H_

#include <torch/torch.h>

#include "model/attention.h"
#include "model/model_options.h"

namespace lasynth {
namespace model {

struct IoEncoding {
  torch::Tensor inputs;   // [B*K, L, D]
  torch::Tensor outputs;  // [B*K, L, D]
  torch::Tensor h, c;     // [layers, B*K, D]: the sum of both encoders' final states
};

class IoEncoderImpl : public torch::nn::Module {
 public:
  explicit IoEncoderImpl(const ModelOptions& options);
  // inputs, outputs: [B, K, L] integer values in [-4R, 4R]
  IoEncoding forward(const torch::Tensor& inputs, const torch::Tensor& outputs);

  // values [N, L] integers -> [N, L, D] encodings and the final states [layers, N, D].
  std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> encode(torch::nn::LSTM& lstm,
                                                                 const torch::Tensor& values);

 private:
  ModelOptions options_;
  torch::nn::Embedding values_{nullptr};
  torch::nn::LSTM input_lstm_{nullptr}, output_lstm_{nullptr};
  torch::nn::ModuleList attention_;
  torch::nn::ModuleList mix_;
};
TORCH_MODULE(IoEncoder);

// [2 * layers, N, H] (directions interleaved per layer, as LibTorch returns them)
// -> [layers, N, 2H]: both directions of each layer side by side.
torch::Tensor join_directions(const torch::Tensor& state, int64_t layers);

}  // namespace model
}  // namespace lasynth

#endif  // LASYNTH_MODEL_IO_ENCODER_H_
