// LibTorch's LSTM on the CPU runs every time step as a dozen small operations, each recorded for
// autograd and each undone by a dozen more in backward: at our sizes (tens of rows, hidden 128)
// those operations' overhead, not the arithmetic, is most of a training step. run_lstm computes
// the same LSTM (the module's own parameters, so checkpoints are unchanged) as one autograd node
// per layer and direction: a time step costs one matrix product and a few unrecorded element-wise
// operations forward and backward, and the weights' gradients are one product over all steps.
// On CUDA, under autocast or for other dtypes it calls the module, whose kernels are fused there.
#ifndef LASYNTH_MODEL_LSTM_H_
#define LASYNTH_MODEL_LSTM_H_

#include <torch/torch.h>

#include "model/value_net.h"

namespace lasynth {
namespace model {

struct LstmRun {
  torch::Tensor output;  // [N, T, directions * H]: the last layer's h at every step
  LstmState state;       // (h, c) after the last step, each [layers * directions, N, H]
  // (h, c) after every step, each [layers, N, T, H]: the state a run that stopped there would
  // end in (unidirectional LSTMs only, and only with want_steps).
  LstmState steps;
};

// `lstm` must be batch_first. input [N / repeats, T, E]: each row the input of `repeats`
// consecutive rows (the decoder's pairs of one example read the same tokens, so their input's
// share of the gates is computed once); `state` (h0, c0) as the module takes it, or undefined
// tensors for zeros. `want_steps`: fill LstmRun::steps; the module cannot, so this throws where
// runs_fused is false.
LstmRun run_lstm(torch::nn::LSTM& lstm, const torch::Tensor& input, const LstmState& state = {},
                 bool want_steps = false, int64_t repeats = 1);

// Whether run_lstm computes this input itself rather than calling the module.
bool runs_fused(const torch::nn::LSTM& lstm, const torch::Tensor& input);

}  // namespace model
}  // namespace lasynth

#endif  // LASYNTH_MODEL_LSTM_H_
