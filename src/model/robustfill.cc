#include "model/robustfill.h"

#include <limits>

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

std::vector<std::vector<std::vector<int32_t>>> RobustFillImpl::beam_search(
    const torch::Tensor& inputs, const torch::Tensor& outputs, int64_t beam, int64_t max_len) {
  torch::NoGradGuard no_grad;
  const int64_t b = inputs.size(0), k = inputs.size(1), w = beam;
  const IoEncoding one = encoder_(inputs, outputs);
  // Every beam of an example sees the example's encodings: [B*W*K, ...].
  auto per_beam = [&](const torch::Tensor& x, int64_t batch_dim) {
    auto sizes = x.sizes().vec();
    std::vector<int64_t> split = sizes;
    split[batch_dim] = k;
    split.insert(split.begin() + batch_dim, b);
    torch::Tensor y = x.reshape(split).unsqueeze(batch_dim + 1);
    std::vector<int64_t> expanded = y.sizes().vec();
    expanded[batch_dim + 1] = w;
    sizes[batch_dim] = b * w * k;
    return y.expand(expanded).reshape(sizes);
  };
  IoEncoding io{per_beam(one.inputs, 0), per_beam(one.outputs, 0), per_beam(one.h, 1),
                per_beam(one.c, 1)};
  std::tuple<torch::Tensor, torch::Tensor> state{io.h, io.c};
  const float kNegInf = -std::numeric_limits<float>::infinity();
  torch::Tensor scores = torch::full({b, w}, kNegInf);  // [B, W]
  scores.select(1, 0).fill_(0);                         // one live beam to start
  torch::Tensor token = torch::full({b * w}, Vocabulary::kBos, torch::kLong);
  torch::Tensor finished = torch::zeros({b, w}, torch::kBool);
  std::vector<std::vector<int32_t>> seqs(static_cast<size_t>(b * w));
  const int64_t v = options_.vocab_size;
  for (int64_t step = 0; step < max_len && !finished.all().item<bool>(); ++step) {
    const torch::Tensor embedded = tokens_(token).repeat_interleave(k, 0).unsqueeze(1);
    auto [decoded, next_state] = decoder_->forward(embedded, state);
    torch::Tensor logp =
        torch::log_softmax(head(decoded, io, b * w, k).squeeze(1), -1).view({b, w, v});
    // A finished beam only continues with </s>, at no cost.
    torch::Tensor eos_only = torch::full({v}, kNegInf);
    eos_only[Vocabulary::kEos] = 0;
    logp = torch::where(finished.unsqueeze(-1), eos_only.view({1, 1, v}), logp);
    const torch::Tensor total = (scores.unsqueeze(-1) + logp).view({b, w * v});
    auto [best, index] = total.topk(w, 1);  // [B, W]
    const torch::Tensor from = index.div(v, "floor");
    const torch::Tensor next = index.remainder(v);
    // Reorder the beams' states and sequences.
    const torch::Tensor rows =
        (from + torch::arange(b).unsqueeze(1) * w).reshape({-1});  // [B*W] source beam
    const torch::Tensor pair_rows =
        (rows.unsqueeze(1) * k + torch::arange(k).unsqueeze(0)).reshape({-1});  // [B*W*K]
    state = {std::get<0>(next_state).index_select(1, pair_rows),
             std::get<1>(next_state).index_select(1, pair_rows)};
    const torch::Tensor was_finished = finished.view({-1}).index_select(0, rows).view({b, w});
    std::vector<std::vector<int32_t>> reordered(seqs.size());
    const auto src = rows.accessor<int64_t, 1>();
    const auto tok = next.reshape({-1});
    const auto tokens = tok.accessor<int64_t, 1>();
    const auto done = was_finished.reshape({-1});
    const auto done_a = done.accessor<bool, 1>();
    for (int64_t i = 0; i < b * w; ++i) {
      reordered[i] = seqs[src[i]];
      if (!done_a[i] && tokens[i] != Vocabulary::kEos) {
        reordered[i].push_back(static_cast<int32_t>(tokens[i]));
      }
    }
    seqs = std::move(reordered);
    scores = best;
    finished = was_finished | (next == Vocabulary::kEos);
    token = tok;
  }
  std::vector<std::vector<std::vector<int32_t>>> out(static_cast<size_t>(b));
  const auto fin = finished.accessor<bool, 2>();
  const auto sc = scores.accessor<float, 2>();
  for (int64_t i = 0; i < b; ++i) {
    for (bool want_finished : {true, false}) {
      for (int64_t j = 0; j < w; ++j) {
        if (fin[i][j] == want_finished && sc[i][j] > kNegInf) out[i].push_back(seqs[i * w + j]);
      }
    }
  }
  return out;
}

}  // namespace model
}  // namespace lasynth
