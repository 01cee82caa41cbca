// The IO encoder of LaSynth and RobustFill: the domain's value network encodes every input and
// output (as class distributions, so latent inputs encode like real ones; C's output encoder
// starts from the input encoder's final state, as the original's); then the output encodings
// attend to the input encodings (num_attention_layers rounds: the "double attention"). Every
// pair is encoded on its own; pairs are pooled later, in the decoder.
//   N = B * K pairs, P positions, S classes, L' encoded length, D = 2H.
#ifndef LASYNTH_MODEL_IO_ENCODER_H_
#define LASYNTH_MODEL_IO_ENCODER_H_

#include <torch/torch.h>

#include <memory>

#include "model/attention.h"
#include "model/model_options.h"
#include "model/value_net.h"

namespace lasynth {
namespace model {

struct IoEncoding {
  torch::Tensor inputs;       // [N, L', D]
  torch::Tensor outputs;      // [N, L', D], after attending to the inputs
  torch::Tensor raw_outputs;  // [N, L', D], before
  torch::Tensor output_maps;  // the outputs' ValueEncoding::maps (joint grid encoder), or undefined
  torch::Tensor h, c;         // [layers, N, D]: the sum of both encoders' summaries
};

class IoEncoderImpl : public torch::nn::Module {
 public:
  IoEncoderImpl(const ModelOptions& options, std::shared_ptr<ValueNet> values);
  // input and output distributions [N, P, S]
  IoEncoding forward(const torch::Tensor& inputs, const torch::Tensor& outputs);
  // The latent executor changed the inputs: re-encode them (and the outputs, where their
  // encoding reads the inputs) and redo the attention.
  void reencode_inputs(IoEncoding& io, const torch::Tensor& inputs);

 private:
  torch::Tensor attend(torch::Tensor outputs, const torch::Tensor& inputs);

  std::shared_ptr<ValueNet> values_;
  torch::nn::ModuleList attention_;
};
TORCH_MODULE(IoEncoder);

// The bidirectional LSTM the property encoder and the operation predictor run over their
// embeddings: [N, L, E] -> [N, L, D].
torch::nn::LSTM embedding_encoder(const ModelOptions& options);

// [2 * layers, N, H] (directions interleaved per layer, as LibTorch returns them)
// -> [layers, N, 2H]: both directions of each layer side by side.
torch::Tensor join_directions(const torch::Tensor& state, int64_t layers);
// The inverse: [layers, N, 2H] -> [2 * layers, N, H], a state for a bidirectional LSTM of H.
torch::Tensor split_directions(const torch::Tensor& state);

}  // namespace model
}  // namespace lasynth

#endif  // LASYNTH_MODEL_IO_ENCODER_H_
