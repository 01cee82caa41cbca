#include "model/synthesizer.h"

#include <algorithm>
#include <limits>

#include "lang/vocabulary.h"
#include "model/lstm.h"

namespace lasynth {
namespace model {
namespace {

torch::Tensor pick(const torch::Tensor& t, const torch::Tensor& rows, int64_t dim = 0) {
  return t.defined() ? t.index_select(dim, rows) : t;
}

}  // namespace

SynthesizerImpl::SynthesizerImpl(const ModelOptions& o) : options_(o) {
  const int64_t d = o.decoder_size(), e = o.embedding_size;
  const bool scaled = o.scaled_attention;
  int64_t features = d;  // what the pairs' max-pool hands on
  if (o.use_properties) {
    properties_ = register_module("properties", PropertyEncoder(o));
    attend_properties_ = register_module("attend_properties", Attention(d, d, d, scaled));
  } else {
    values_ = make_value_net(o);
    encoder_ = register_module("encoder", IoEncoder(o, values_));
    attend_inputs_ = register_module("attend_inputs", Attention(d, d, d, scaled));
    attend_outputs_ = register_module("attend_outputs", Attention(2 * d, d, d, scaled));
    features = 2 * d;
    if (o.operation_predictor) {
      operations_ = register_module(
          "operations", OperationPredictor(o, std::dynamic_pointer_cast<ArrayNet>(values_)));
      attend_operations_ = register_module("attend_operations", Attention(2 * d, d, d, scaled));
      features = 3 * d;
    }
  }
  if (o.decoder_self_attention) {
    attend_self_ = register_module("attend_self", Attention(features, e, d, scaled));
    features = d;
  }
  tokens_ = register_module("tokens", torch::nn::Embedding(o.vocab_size, e));
  decoder_ =
      register_module("decoder", torch::nn::LSTM(torch::nn::LSTMOptions(e, d)
                                                     .num_layers(o.num_layers)
                                                     .batch_first(true)
                                                     .dropout(o.num_layers > 1 ? o.dropout : 0.0)));
  for (int64_t i = 0; i <= o.num_mlp_layers; ++i) {
    mlp_->push_back(torch::nn::Linear(i == 0 ? features : o.mlp_hidden_size, o.mlp_hidden_size));
  }
  register_module("mlp", mlp_);
  out_ = register_module("out", torch::nn::Linear(o.mlp_hidden_size, o.vocab_size));
  torch::NoGradGuard no_grad;
  for (auto& p : parameters()) p.uniform_(-o.param_init, o.param_init);
}

SynthesizerImpl::Context SynthesizerImpl::start(const torch::Tensor& inputs,
                                                const torch::Tensor& outputs,
                                                Prediction* prediction) {
  Context c;
  const int64_t b = inputs.size(0), k = inputs.size(1), v = inputs.size(2);
  if (options_.use_properties) {
    c.rows = 1;
    const PropertyEncoding p = properties_(inputs, outputs);
    c.props = p.seq;
    c.lstm = {p.h, p.c};
    return c;
  }
  c.rows = k;
  const torch::Tensor flat_in = inputs.reshape({b * k, v}), flat_out = outputs.reshape({b * k, v});
  c.dist = values_->one_hot(flat_in);
  c.target = values_->one_hot(flat_out);
  c.io = encoder_(c.dist, c.target);
  c.lstm = {c.io.h, c.io.c};
  c.io.h = c.io.c = torch::Tensor();
  if (options_.operation_predictor) {
    const OperationEncoding ops = operations_(c.dist, c.target);
    c.ops = ops.seq;
    if (prediction) {
      prediction->op_logits = ops.logits;
      prediction->op_targets = operations_->targets(flat_in);
    }
  }
  return c;
}

torch::Tensor SynthesizerImpl::head(const Context& c, const torch::Tensor& decoded,
                                    const torch::Tensor& masked) {
  torch::Tensor h;
  if (options_.use_properties) {
    h = attend_properties_(decoded, c.props);
  } else {
    const torch::Tensor from_inputs = attend_inputs_(decoded, c.io.inputs);
    const torch::Tensor from_outputs =
        attend_outputs_(torch::cat({decoded, from_inputs}, -1), c.io.outputs);
    std::vector<torch::Tensor> features{from_inputs, from_outputs};
    if (options_.operation_predictor) {
      features.push_back(attend_operations_(torch::cat({from_inputs, from_outputs}, -1), c.ops));
    }
    const int64_t n = decoded.size(0), t = decoded.size(1);
    h = std::get<0>(torch::cat(features, -1).view({n / c.rows, c.rows, t, -1}).max(1));
  }
  if (options_.decoder_self_attention) {
    h = c.history.defined() && c.history.size(1) > 0 ? attend_self_(h, c.history, masked)
                                                     : attend_self_->project(h);
  }
  for (const auto& layer : *mlp_) {
    h = torch::relu(torch::dropout(layer->as<torch::nn::Linear>()->forward(h), options_.dropout,
                                   is_training()));
  }
  return out_(h);
}

void SynthesizerImpl::execute(Context& c, const LstmState& state) {
  c.executed = true;
  c.dist = values_->widen(torch::softmax(values_->execute(c.dist, state), -1));
  encoder_->reencode_inputs(c.io, c.dist);
  if (options_.operation_predictor) c.ops = operations_(c.dist, c.target).seq;
}

Prediction SynthesizerImpl::forward(const torch::Tensor& tokens, const torch::Tensor& inputs,
                                    const torch::Tensor& outputs) {
  Prediction p;
  Context c = start(inputs, outputs, &p);
  const int64_t t = tokens.size(1) - 1, k = c.rows;
  const torch::Tensor program = tokens_(tokens.slice(1, 0, t).to(torch::kLong));  // [B, T-1, E]
  const bool latent = options_.latent_execution;
  const bool partial = latent && !options_.no_partial_execution;
  const int64_t period = partial ? options_.exec_period : t;
  // The position whose state predicts </s>: the program's last token (<s> for an empty one).
  const torch::Tensor ends =
      ((tokens != Vocabulary::kPad).sum(1) - 2).to(torch::kLong).repeat_interleave(k, 0);  // [N]
  // Where run_lstm cannot keep every step's state (CUDA, autocast), a packed run stops each row
  // at its end instead.
  const bool packed = latent && !runs_fused(decoder_, program);
  const torch::Tensor ends_host = packed ? ends.cpu() : ends;  // packing wants host lengths
  std::vector<torch::Tensor> logits, exec_logits, exec_rows;
  LstmState state = c.lstm;
  for (int64_t begin = 0; begin < t; begin += period) {
    const int64_t end = std::min(t, begin + period);
    const torch::Tensor chunk = program.slice(1, begin, end);  // each example's pairs read it
    // The rows whose program ends in this chunk, and the decoder's (h, c) there: the executor's
    // start. A row's outputs past its end are read only by targets the loss ignores.
    const torch::Tensor rows =
        latent ? ((ends >= begin) & (ends < end)).nonzero().view({-1}) : torch::Tensor();
    torch::Tensor decoded;
    LstmState at;
    if (packed) {
      const torch::Tensor lengths =
          torch::where((ends_host >= begin) & (ends_host < end), ends_host - begin + 1,
                       torch::full_like(ends_host, end - begin));
      namespace rnn = torch::nn::utils::rnn;
      auto [sequence, next] = decoder_->forward_with_packed_input(
          rnn::pack_padded_sequence(chunk.repeat_interleave(k, 0), lengths, true, false), state);
      decoded = std::get<0>(rnn::pad_packed_sequence(sequence, true, 0.0, end - begin));
      state = next;
      at = {std::get<0>(state).index_select(1, rows), std::get<1>(state).index_select(1, rows)};
    } else {
      LstmRun run = run_lstm(decoder_, chunk, state, latent, k);
      decoded = run.output;
      state = run.state;
      if (latent) {
        const torch::Tensor steps = ends.index_select(0, rows) - begin;
        at = {std::get<0>(run.steps).index({torch::indexing::Slice(), rows, steps}),
              std::get<1>(run.steps).index({torch::indexing::Slice(), rows, steps})};
      }
    }
    torch::Tensor masked;
    if (options_.decoder_self_attention) {
      // Position p sees the tokens consumed after <s> up to p, as the original's history holds.
      c.history = program.slice(1, 1, end);
      masked =
          torch::ones({end - begin, end - 1}, decoded.options().dtype(torch::kBool)).triu(begin);
    }
    logits.push_back(head(c, decoded, masked));
    if (!latent) continue;
    if (rows.numel() > 0) {
      exec_logits.push_back(values_->execute(c.dist.index_select(0, rows), at));
      exec_rows.push_back(rows);
    }
    if (partial && end < t) execute(c, state);
  }
  p.logits = torch::cat(logits, 1);
  if (latent) {
    const int64_t b = inputs.size(0), v = inputs.size(2);
    p.exec_logits = torch::cat(exec_logits, 0);
    p.exec_targets = values_->result_classes(outputs.reshape({b * k, v}))
                         .index_select(0, torch::cat(exec_rows, 0));
  }
  return p;
}

LossScale LossScale::of(const torch::Tensor& tokens) {
  return {static_cast<double>(tokens.size(0)),
          static_cast<double>((tokens.slice(1, 1) != Vocabulary::kPad).sum().item<int64_t>())};
}

torch::Tensor SynthesizerImpl::loss(const Prediction& p, const torch::Tensor& tokens,
                                    const LossScale& scale) const {
  namespace F = torch::nn::functional;
  const bool mean = options_.loss_reduction == "mean";
  const double batch = static_cast<double>(tokens.size(0));
  auto summed = [](const torch::Tensor& logits, const torch::Tensor& targets, int64_t ignore) {
    return F::cross_entropy(
        logits.reshape({-1, logits.size(-1)}), targets.reshape({-1}),
        F::CrossEntropyFuncOptions().ignore_index(ignore).reduction(torch::kSum));
  };
  // Positions of a term per example, for its mean over the global batch: a shape, never a sync.
  auto per_example = [&](const torch::Tensor& targets) {
    return static_cast<double>(targets.numel()) / batch;
  };
  const torch::Tensor targets = tokens.slice(1, 1).to(torch::kLong);  // [B, T-1]
  torch::Tensor total =
      summed(p.logits, targets, Vocabulary::kPad) / (mean ? scale.target_tokens : scale.examples);
  if (p.exec_logits.defined()) {
    // Summed, each pair counts as the mean over its cells: a Karel grid's hundreds of cells weigh
    // like C's five.
    const double cells = static_cast<double>(p.exec_logits.size(1));
    const double divisor =
        mean ? scale.examples * per_example(p.exec_targets) : scale.examples * cells;
    total =
        total + options_.exec_loss_weight * summed(p.exec_logits, p.exec_targets, -100) / divisor;
  }
  if (p.op_logits.defined()) {
    // Rows without a target (a change the operation table cannot express) count as positions.
    const double divisor = mean ? scale.examples * per_example(p.op_targets) : scale.examples;
    total = total + options_.op_loss_weight * summed(p.op_logits, p.op_targets, -100) / divisor;
  }
  return total;
}

torch::Tensor SynthesizerImpl::step(Context& c, const torch::Tensor& token, int64_t consumed) {
  const torch::Tensor embedded = tokens_(token).unsqueeze(1);  // [N / rows, 1, E]
  if (options_.decoder_self_attention && consumed > 0) {
    c.history = c.history.defined() ? torch::cat({c.history, embedded}, 1) : embedded;
  }
  const LstmRun run = run_lstm(decoder_, embedded, c.lstm, false, c.rows);
  c.lstm = run.state;
  const torch::Tensor logits = head(c, run.output, {}).squeeze(1);
  if (options_.latent_execution && !options_.no_partial_execution &&
      (consumed + 1) % options_.exec_period == 0) {
    execute(c, c.lstm);
  }
  return logits;
}

SynthesizerImpl::Context SynthesizerImpl::select(const Context& c, const torch::Tensor& index,
                                                 bool within_examples) const {
  const torch::Tensor rows =
      (index.unsqueeze(1) * c.rows + torch::arange(c.rows, index.options()).unsqueeze(0))
          .reshape({-1});
  Context s = c;
  if (!within_examples) {
    s.io.raw_outputs = pick(c.io.raw_outputs, rows);
    s.io.output_maps = pick(c.io.output_maps, rows);
    s.target = pick(c.target, rows);
    s.props = pick(c.props, rows);
  }
  if (!within_examples || c.executed) {
    s.io.inputs = pick(c.io.inputs, rows);
    s.io.outputs = pick(c.io.outputs, rows);
    s.dist = pick(c.dist, rows);
    s.ops = pick(c.ops, rows);
  }
  s.history = pick(c.history, index);
  s.lstm = {pick(std::get<0>(c.lstm), rows, 1), pick(std::get<1>(c.lstm), rows, 1)};
  return s;
}

std::vector<std::vector<int32_t>> SynthesizerImpl::greedy(const torch::Tensor& inputs,
                                                          const torch::Tensor& outputs,
                                                          int64_t max_len) {
  torch::NoGradGuard no_grad;
  const int64_t b = inputs.size(0);
  Context c = start(inputs, outputs, nullptr);
  torch::Tensor token = torch::full({b}, Vocabulary::kBos, inputs.options().dtype(torch::kLong));
  std::vector<std::vector<int32_t>> programs(static_cast<size_t>(b));
  std::vector<bool> done(static_cast<size_t>(b), false);
  int64_t open = b;
  for (int64_t consumed = 0; consumed < max_len && open > 0; ++consumed) {
    token = step(c, token, consumed).argmax(-1);
    const torch::Tensor on_host = token.cpu();
    const auto ids = on_host.accessor<int64_t, 1>();
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

std::vector<std::vector<std::vector<int32_t>>> SynthesizerImpl::beam_search(
    const torch::Tensor& inputs, const torch::Tensor& outputs, int64_t beam, int64_t max_len,
    const CandidateFilter& keep, const Completer& complete) {
  torch::NoGradGuard no_grad;
  const int64_t b = inputs.size(0), w = beam, v = options_.vocab_size;
  // Every beam of an example starts from the example's context: beam row i reads example i / W.
  const auto as_long = inputs.options().dtype(torch::kLong);
  const auto as_float = inputs.options().dtype(torch::kFloat);
  Context c =
      select(start(inputs, outputs, nullptr), torch::arange(b * w, as_long).div(w, "floor"), false);
  const float kNegInf = -std::numeric_limits<float>::infinity();
  torch::Tensor scores = torch::full({b, w}, kNegInf, as_float);  // [B, W]
  scores.select(1, 0).fill_(0);                                   // one live beam to start
  torch::Tensor token = torch::full({b * w}, Vocabulary::kBos, as_long);
  torch::Tensor finished = torch::zeros({b, w}, inputs.options().dtype(torch::kBool));
  std::vector<std::vector<int32_t>> seqs(static_cast<size_t>(b * w));
  // A finished beam only continues with </s>, at no cost.
  torch::Tensor eos_only = torch::full({v}, kNegInf, as_float);
  eos_only[Vocabulary::kEos] = 0;
  // With a filter, every expansion is offered, best first, until W are kept, so that refused
  // candidates leave room for the next best instead of emptying the beam (an untrained model's
  // best hundred may all be refused).
  const int64_t offered = keep ? w * v : w;
  // With a filter, a program it accepts as finished is an answer: it leaves the beam for `found`,
  // where later candidates cannot push it out, and its slot goes on searching.
  std::vector<std::vector<std::pair<float, std::vector<int32_t>>>> found(static_cast<size_t>(b));
  std::vector<float> best_answer(static_cast<size_t>(b), kNegInf);
  // Whether no live candidate of an example can still beat its best answer (scores only fall):
  // then searching on finds none better. An example without an answer is never settled.
  const auto settled = [&](const std::vector<float>& best) {
    for (int64_t i = 0; i < b; ++i) {
      if (found[i].empty() || best[i * w] > best_answer[i]) return false;  // slots best first
    }
    return true;
  };
  const auto on_device = [&](auto values, auto dtype) {
    return torch::tensor(values, torch::TensorOptions().dtype(dtype)).to(inputs.device());
  };
  for (int64_t consumed = 0; consumed < max_len && !finished.all().item<bool>(); ++consumed) {
    torch::Tensor logp = torch::log_softmax(step(c, token, consumed), -1).view({b, w, v});
    logp = torch::where(finished.unsqueeze(-1), eos_only.view({1, 1, v}), logp);
    const torch::Tensor total = (scores.unsqueeze(-1) + logp).view({b, w * v});
    auto [top, index] = total.topk(offered, 1);  // [B, offered]
    // The token sequences live on the host: the step's candidates come back in two copies.
    const int64_t n = b * w;
    const torch::Tensor top_host = top.cpu();
    const torch::Tensor ids_host =
        torch::cat({index.reshape({-1}), finished.reshape({-1}).to(torch::kLong)}).cpu();
    const auto top_at = top_host.accessor<float, 2>();
    const int64_t* index_at = ids_host.data_ptr<int64_t>();  // [B, offered], then [N] finished
    const int64_t* was_finished = index_at + b * offered;
    // Slot s of the next beam: picks[s], the row it extends, and picks[n + s], the token added.
    std::vector<int64_t> picks(2 * n);
    std::vector<float> best(n);
    std::vector<std::vector<int32_t>> kept(n);
    for (int64_t i = 0; i < b; ++i) {
      int64_t filled = 0;
      for (int64_t j = 0; j < offered && filled < w; ++j) {
        const float score = top_at[i][j];
        const int64_t flat = index_at[i * offered + j];
        const int64_t from = i * w + flat / v, next = flat % v;
        std::vector<int32_t> seq = seqs[from];
        const bool eos = next == Vocabulary::kEos;
        if (!was_finished[from] && !eos) seq.push_back(static_cast<int32_t>(next));
        if (keep) {
          if (score == kNegInf) break;
          if (!was_finished[from] && !keep(i, seq, eos)) continue;
          std::vector<int32_t> answer;
          if (eos) {
            answer = std::move(seq);
          } else if (complete) {  // a finished row continues with </s> alone
            answer = complete(i, seq);
          }
          if (eos || !answer.empty()) {
            best_answer[i] = std::max(best_answer[i], score);
            found[i].emplace_back(score, std::move(answer));
            continue;
          }
        }
        const int64_t slot = i * w + filled++;
        picks[slot] = from;
        picks[n + slot] = next;
        best[slot] = score;
        kept[slot] = std::move(seq);
      }
      for (; filled < w; ++filled) {  // every candidate refused: dead slots, finished at once
        const int64_t slot = i * w + filled;
        picks[slot] = i * w;
        picks[n + slot] = Vocabulary::kEos;
        best[slot] = kNegInf;
      }
    }
    const torch::Tensor chosen = on_device(picks, torch::kLong);
    const torch::Tensor from = chosen.slice(0, 0, n);
    c = select(c, from, true);
    token = chosen.slice(0, n);
    scores = on_device(best, torch::kFloat).view({b, w});
    finished =
        (finished.reshape({-1}).index_select(0, from) | (token == Vocabulary::kEos)).view({b, w});
    seqs = std::move(kept);
    if (keep && settled(best)) break;
  }
  std::vector<std::vector<std::vector<int32_t>>> out(static_cast<size_t>(b));
  for (int64_t i = 0; i < b; ++i) {
    std::stable_sort(found[i].begin(), found[i].end(),
                     [](const auto& x, const auto& y) { return x.first > y.first; });
    for (auto& f : found[i]) out[i].push_back(std::move(f.second));
  }
  const torch::Tensor finished_host = finished.cpu(), scores_host = scores.cpu();
  const auto fin = finished_host.accessor<bool, 2>();
  const auto sc = scores_host.accessor<float, 2>();
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
