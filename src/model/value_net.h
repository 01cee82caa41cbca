// How a domain's values look to the networks. A value is P positions, each holding one of S
// classes (C: the 5 array cells, each one of the 33 values; Karel: every grid cell, each one of
// 12 contents x 5 hero states). The encoders read *distributions* over those classes,
// [N, P, S], so that the latent executor's soft predictions re-embed exactly like real values.
//   N values, P positions, S classes, D = 2H encoding size, L' encoded length.
#ifndef LASYNTH_MODEL_VALUE_NET_H_
#define LASYNTH_MODEL_VALUE_NET_H_

#include <torch/torch.h>

#include <memory>
#include <tuple>

#include "model/model_options.h"

namespace lasynth {
namespace model {

// An LSTM's (h, c), each [layers, N, D].
using LstmState = std::tuple<torch::Tensor, torch::Tensor>;

struct ValueEncoding {
  torch::Tensor seq;   // [N, L', D]
  torch::Tensor h, c;  // [layers, N, D]: a summary that starts the decoder
  // What the output's encoding reads of each value, kept for reencode_output: the joint grid
  // encoder's first feature maps [N, F', R, C]; undefined where the output is encoded once.
  torch::Tensor maps;
};

class ValueNet : public torch::nn::Module {
 public:
  virtual int64_t num_classes() const = 0;
  // values [N, V] (the domain's int32 layout) -> classes [N, P] (int64).
  virtual torch::Tensor classes(const torch::Tensor& values) const = 0;
  torch::Tensor one_hot(const torch::Tensor& values) const {
    return torch::one_hot(classes(values), num_classes()).to(torch::kFloat);
  }
  // dist [N, P, S] -> encoding, by the input encoder.
  virtual ValueEncoding encode_input(const torch::Tensor& dist) = 0;
  // dist [N, P, S] -> encoding, by the output encoder, knowing the pair's input's encoding.
  virtual ValueEncoding encode_output(const torch::Tensor& dist, const ValueEncoding& input) = 0;
  // The output's encoding [N, L', D] again, for a new (latent) input, from the output's
  // encoding's `maps`: only for encoders that set them (the joint grid encoder reads input and
  // output together, so every latent execution changes the output's encoding too).
  virtual torch::Tensor reencode_output(const torch::Tensor& output_maps,
                                        const ValueEncoding& input) {
    TORCH_CHECK(false, "this value network encodes an output once; it has no maps to re-read ",
                output_maps.sizes(), input.seq.sizes());
  }
  // The latent executor: from the current (latent) inputs `dist` and the decoder's state (h, c)
  // [layers, N, D], the logits [N, P, R] of the values after the decoded program prefix, over
  // the R result classes: the values an output may take (C: the 2 output_range + 1 values of
  // [-output_range, output_range], as the original's executor predicts), which may be fewer
  // than the S classes an input may take.
  virtual torch::Tensor execute(const torch::Tensor& dist, const LstmState& state) = 0;
  virtual int64_t num_result_classes() const { return num_classes(); }
  // values [N, V] -> result classes [N, P]: the executor's targets.
  virtual torch::Tensor result_classes(const torch::Tensor& values) const {
    return classes(values);
  }
  // A distribution over result classes [N, P, R] as one over classes [N, P, S], for the
  // encoders to read.
  virtual torch::Tensor widen(const torch::Tensor& result_dist) const { return result_dist; }
};

// The value network of options.values.kind.
std::shared_ptr<ValueNet> make_value_net(const ModelOptions& options);

}  // namespace model
}  // namespace lasynth

#endif  // LASYNTH_MODEL_VALUE_NET_H_
