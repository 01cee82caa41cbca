#include "model/robustfill.h"

#include "lang/vocabulary.h"

namespace lasynth {
namespace model {

RobustFillImpl::RobustFillImpl(const ModelOptions& o) : options_(o) {
  const int64_t d = 2 * o.hidden_size;
  encoder_ = register_module("encoder", IoEncoder(o));
  tokens_ = register_module("tokens", torch::nn::Embedding(o.vocab_size, o.embedding_size));
  decoder_ =
      register_module("decoder", torch::nn::LSTM(torch::nn::LSTMOptions(o.embedding_size, d)
                                                     .num_layers(o.num_layers)
                                                     .batch_first(true)
                                                     .dropout(o.num_layers > 1 ? o.dropout : 0.0)));
  attend_inputs_ = register_module("attend_inputs", Attention(d, d));
  attend_outputs_ = register_module("attend_outputs", Attention(2 * d, d));
  hidden_ = register_module("hidden", torch::nn::Linear(3 * d, o.mlp_hidden_size));
  out_ = register_module("out", torch::nn::Linear(o.mlp_hidden_size, o.vocab_size));
  torch::NoGradGuard no_grad;
  for (auto& p : parameters()) p.uniform_(-o.param_init, o.param_init);
}

torch::Tensor RobustFillImpl::forward(const torch::Tensor& tokens, const torch::Tensor& inputs,
                                      const torch::Tensor& outputs) {
  const int64_t b = inputs.size(0), k = inputs.size(1), t = tokens.size(1) - 1;
  const IoEncoding io = encoder_(inputs, outputs);
  // Every pair decodes the same program prefix: [B*K, T-1, E].
  const torch::Tensor prefix =
      tokens_(tokens.slice(1, 0, t).to(torch::kLong)).repeat_interleave(k, 0);
  auto [decoded, state] = decoder_->forward(prefix, std::make_tuple(io.h, io.c));  // [B*K, T-1, D]
  return head(decoded, io, b, k);
}

torch::Tensor RobustFillImpl::head(const torch::Tensor& decoded, const IoEncoding& io, int64_t b,
                                   int64_t k) {
  const int64_t t = decoded.size(1);
  const torch::Tensor from_inputs = attend_inputs_(decoded, io.inputs);  // [B*K, T, D]
  const torch::Tensor from_outputs =
      attend_outputs_(torch::cat({decoded, from_inputs}, -1), io.outputs);  // [B*K, T, D]
  torch::Tensor h = torch::tanh(hidden_(torch::cat({decoded, from_inputs, from_outputs}, -1)));
  h = std::get<0>(h.view({b, k, t, -1}).max(1));  // [B, T, M]
  return out_(h);                                 // [B, T, V]
}

std::vector<std::vector<int32_t>> RobustFillImpl::greedy(const torch::Tensor& inputs,
                                                         const torch::Tensor& outputs,
                                                         int64_t max_len) {
  torch::NoGradGuard no_grad;
  const int64_t b = inputs.size(0), k = inputs.size(1);
  const IoEncoding io = encoder_(inputs, outputs);
  std::tuple<torch::Tensor, torch::Tensor> state{io.h, io.c};
  torch::Tensor token = torch::full({b}, Vocabulary::kBos, torch::kLong);  // [B]
  std::vector<std::vector<int32_t>> programs(static_cast<size_t>(b));
  std::vector<bool> done(static_cast<size_t>(b), false);
  int64_t open = b;
  for (int64_t step = 0; step < max_len && open > 0; ++step) {
    const torch::Tensor embedded =
        tokens_(token).repeat_interleave(k, 0).unsqueeze(1);  // [B*K, 1, E]
    auto [decoded, next_state] = decoder_->forward(embedded, state);
    state = next_state;
    token = head(decoded, io, b, k).squeeze(1).argmax(-1);  // [B]
    const auto ids = token.accessor<int64_t, 1>();
    for (int64_t i = 0; i < b; ++i) {
      if (done[i]) continue;
      if (ids[i] == Vocabulary::kEos) {
        done[i] = true;
        --open;
      } else {
        programs[i].push_back(static_cast<int32_t>(ids[i]));
      }
    }
  }
  return programs;
}

torch::Tensor RobustFillImpl::loss(const torch::Tensor& logits, const torch::Tensor& tokens,
                                   double normalizer) {
  const torch::Tensor targets = tokens.slice(1, 1).to(torch::kLong);  // [B, T-1]
  const torch::Tensor summed = torch::nn::functional::cross_entropy(
      logits.reshape({-1, logits.size(-1)}), targets.reshape({-1}),
      torch::nn::functional::CrossEntropyFuncOptions()
          .ignore_index(Vocabulary::kPad)
          .reduction(torch::kSum));
  return summed / normalizer;
}

}  // namespace model
}  // namespace lasynth
