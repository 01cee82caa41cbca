// The program synthesizer: LaSynth (Chen, Song, Tian 2021) and its baselines in one decoder,
// chosen by ModelOptions' switches. The decoder is an LSTM over the program tokens whose head is
// the original's: for each IO pair separately it attends to the pair's input encodings, then to
// its output encodings (query: the decoder state and the input attention), then, with the
// operation predictor, to the operation encodings (query: both attention results); the pairs'
// attention results are max-pooled, so one vector per example goes on; with decoder
// self-attention, that vector attends to the embeddings of the tokens consumed so far; an MLP of
// 1 + num_MLP_layers ReLU layers predicts the token.
//   RobustFill          no switches
//   LaSynth             latent_execution (+ operation_predictor, decoder_self_attention)
//   NoPartialExecutor   latent_execution + no_partial_execution
//   PropertySignatures  use_properties: one property-signature encoding replaces the K pairs
// Teacher-forced training runs the decoder LSTM and the head over chunks of exec_period positions
// (the whole program without latent execution); between chunks the executor, started from the
// decoder's state, rewrites the latent inputs (the executor never changes the decoder's own
// state), so training and step-by-step decoding condition on the same states.
//   B examples, K pairs, V values' ints, T tokens (with <s>), E embedding, D = 2H, M MLP hidden.
#ifndef LASYNTH_MODEL_SYNTHESIZER_H_
#define LASYNTH_MODEL_SYNTHESIZER_H_

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <vector>

#include "model/array_net.h"
#include "model/attention.h"
#include "model/io_encoder.h"
#include "model/model_options.h"
#include "model/operation_predictor.h"
#include "model/property_encoder.h"
#include "model/value_net.h"

namespace lasynth {
namespace model {

// What a batch's loss is divided by: counts over the whole global batch (every rank, every
// micro-batch of an optimizer step), so that the ranks' losses add up to the global batch's loss
// however it is split, and data-parallel training is training on the global batch.
struct LossScale {
  double examples = 0;
  double target_tokens = 0;  // the program tokens and </s>; not <s>, not padding
  // The counts of one batch of tokens [B, T] trained alone.
  static LossScale of(const torch::Tensor& tokens);
};

// What teacher forcing predicts: the tokens, and the auxiliary predictions LaSynth trains.
struct Prediction {
  torch::Tensor logits;        // [B, T - 1, vocab]: predicts tokens[:, 1:]
  torch::Tensor exec_logits;   // [R, P, C]: the executor at each program's end over its result
                               // classes (latent only)
  torch::Tensor exec_targets;  // [R, P]: the true outputs' result classes
  torch::Tensor op_logits;     // [B*K, L, C]: the operation predictor's lookup of the input
                               // values (operation predictor only)
  torch::Tensor op_targets;    // [B*K, L]
};

class SynthesizerImpl : public torch::nn::Module {
 public:
  // Parameters start uniform in [-param_init, param_init], drawn from torch's generator (seed it
  // with torch::manual_seed for reproducible models).
  explicit SynthesizerImpl(const ModelOptions& options);

  // Teacher forcing: tokens [B, T] (<s> program </s> <pad>...), inputs and outputs [B, K, V].
  Prediction forward(const torch::Tensor& tokens, const torch::Tensor& inputs,
                     const torch::Tensor& outputs);

  // The cross-entropies of the target tokens (padding excluded), the executor and the operations,
  // weighted and added. loss_reduction "mean": each term divided by its positions in the global
  // batch (target tokens; executor cells; operation rows), as the original's means; "sum": the
  // executor's per pair over its cells, all divided by the global batch's examples.
  torch::Tensor loss(const Prediction& prediction, const torch::Tensor& tokens,
                     const LossScale& scale) const;

  // Greedy decoding: for each of the B examples, the token ids after <s> up to (not including)
  // </s>, at most max_len of them. inputs and outputs [B, K, V] (the specification pairs).
  std::vector<std::vector<int32_t>> greedy(const torch::Tensor& inputs,
                                           const torch::Tensor& outputs, int64_t max_len);

  // Whether a candidate of example `example` (decoded ids after <s>, without </s>; `finished`:
  // it has just chosen </s>) may stay in the beam. Called once for each candidate each step it
  // grows; must not throw.
  using CandidateFilter =
      std::function<bool(int64_t example, const std::vector<int32_t>& ids, bool finished)>;
  // A finished program (ids without <s> and </s>) that a live candidate the filter kept already
  // determines and that is an answer, or empty. Called once for each such candidate each step it
  // grows; must not throw.
  using Completer =
      std::function<std::vector<int32_t>(int64_t example, const std::vector<int32_t>& ids)>;

  // Beam search of width `beam`: for each example, up to `beam` programs (token ids without <s>
  // and </s>), finished ones first, each group best first by total log-probability. With `keep`,
  // a candidate it refuses leaves the beam and the next best take its place, and a finished
  // program it accepts is set aside as an answer (never pushed out by later candidates) while the
  // beam searches on, until no live candidate can beat the best answer or max_len: then every
  // answer comes first, best first, and more than `beam` programs may come back. With `keep` and
  // `complete`, a live candidate that `complete` turns into a program is an answer too, scored by
  // what the candidate decoded so far, and likewise leaves the beam.
  std::vector<std::vector<std::vector<int32_t>>> beam_search(
      const torch::Tensor& inputs, const torch::Tensor& outputs, int64_t beam, int64_t max_len,
      const CandidateFilter& keep = nullptr, const Completer& complete = nullptr);

  const ModelOptions& options() const { return options_; }

 private:
  // Everything the decoder reads, one row per (example, pair) -- or per example with
  // properties: `rows` rows per example.
  struct Context {
    int64_t rows = 0;
    IoEncoding io;
    torch::Tensor dist;    // [N, P, S]: the (latent) inputs
    torch::Tensor target;  // [N, P, S]: the outputs
    torch::Tensor ops;     // [N, L, D]
    torch::Tensor props;   // [N, Q, D]
    // [N / rows, t, E]: the tokens consumed after <s> (self-attention), once per example: every
    // pair of an example has decoded the same tokens.
    torch::Tensor history;
    LstmState lstm;
    // Whether the executor has run since start(): until then the latent inputs and their
    // encodings are the example's, the same in every beam of it.
    bool executed = false;
  };

  Context start(const torch::Tensor& inputs, const torch::Tensor& outputs, Prediction* prediction);
  // decoded [N, T, D] -> logits [N / rows, T, vocab]; `masked` [T, t] hides history from
  // positions (teacher forcing).
  torch::Tensor head(const Context& context, const torch::Tensor& decoded,
                     const torch::Tensor& masked);
  // The executor runs from the decoder's (h, c) `state`: new latent inputs, re-encoded.
  void execute(Context& context, const LstmState& state);
  // One decoding step from `token` [N / rows] after `consumed` tokens: logits [N / rows, vocab].
  torch::Tensor step(Context& context, const torch::Tensor& token, int64_t consumed);
  // The context of the rows `index` (a beam's reordering or expansion), `index` naming examples.
  // `within_examples`: every index names a row of the same example (a beam reordering), so what
  // depends only on the example is already in place and is not copied.
  Context select(const Context& context, const torch::Tensor& index, bool within_examples) const;

  ModelOptions options_;
  std::shared_ptr<ValueNet> values_;
  IoEncoder encoder_{nullptr};
  OperationPredictor operations_{nullptr};
  PropertyEncoder properties_{nullptr};
  torch::nn::Embedding tokens_{nullptr};
  torch::nn::LSTM decoder_{nullptr};
  Attention attend_inputs_{nullptr}, attend_outputs_{nullptr}, attend_operations_{nullptr},
      attend_properties_{nullptr}, attend_self_{nullptr};
  torch::nn::ModuleList mlp_;
  torch::nn::Linear out_{nullptr};
};
TORCH_MODULE(Synthesizer);

}  // namespace model
}  // namespace lasynth

#endif  // LASYNTH_MODEL_SYNTHESIZER_H_
