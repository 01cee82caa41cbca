#include "model/synthesizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "core/error.h"
#include "data/batch.h"
#include "lang/domains.h"
#include "lang/vocabulary.h"
#include "sampled_batch.h"

namespace lasynth {
namespace model {
namespace {

using Tensors = lasynth::testing::SampledBatch;

DomainOptions small_options(const std::string& domain) {
  // Short programs keep these tests fast; the models do not depend on the length. C outputs span
  // the value embedding's whole reach [-4R, 4R], not only the generator's default [-R, R].
  if (domain == "karel") return {{"rows", "5"}, {"cols", "6"}, {"max_statements", "4"}};
  return {{"max_statements", "3"}, {"output_range", "16"}};
}

// `n` examples of `domain` from its generator, batched and padded.
Tensors batch(const std::string& name, int n, uint64_t seed) {
  return lasynth::testing::sampled_batch(*make_domain(name, small_options(name)), n, seed);
}

struct Variant {
  const char* domain;
  const char* name;
  bool latent, no_partial, operations, self_attention, properties;
};

void PrintTo(const Variant& v, std::ostream* os) { *os << v.domain << " " << v.name; }

ModelOptions tiny(const Variant& v) {
  ModelOptions o;
  o.latent_execution = v.latent;
  o.no_partial_execution = v.no_partial;
  o.operation_predictor = v.operations;
  o.decoder_self_attention = v.self_attention;
  o.use_properties = v.properties;
  o.exec_period = 4;  // several executions even in short programs
  o.embedding_size = 24;
  o.hidden_size = 16;
  o.mlp_hidden_size = 32;
  o.num_layers = 1;
  o.num_attention_layers = 1;
  o.conv_channels = 8;
  const auto domain = make_domain(v.domain, small_options(v.domain));
  set_domain(o, *domain, domain->vocabulary().size());
  return o;
}

class SynthesizerTest : public ::testing::TestWithParam<Variant> {
 protected:
  void SetUp() override { torch::set_num_threads(1); }
  Variant v() const { return GetParam(); }
};

TEST_P(SynthesizerTest, PredictsOneDistributionPerExampleAndStep) {
  torch::manual_seed(1);
  Synthesizer model(tiny(v()));
  const Tensors b = batch(v().domain, 3, 1);
  const Prediction p = model(b.tokens, b.inputs, b.outputs);
  EXPECT_EQ(p.logits.sizes(),
            (std::vector<int64_t>{3, b.tokens.size(1) - 1, model->options().vocab_size}));
  // The executor predicts every pair's output once, at its program's end.
  EXPECT_EQ(p.exec_logits.defined(), v().latent);
  if (v().latent) {
    EXPECT_EQ(p.exec_logits.size(0), 3 * b.inputs.size(1));
  }
  EXPECT_EQ(p.op_logits.defined(), v().operations);
  for (const auto& param : model->parameters()) {
    EXPECT_LE(param.abs().max().item<float>(), 0.1f + 1e-6f);
  }
}

// The programs' cross-entropy alone (what decoding reads), summed over a batch.
float token_loss(const Prediction& p, const torch::Tensor& tokens) {
  return torch::nn::functional::cross_entropy(
             p.logits.reshape({-1, p.logits.size(-1)}),
             tokens.slice(1, 1).to(torch::kLong).reshape({-1}),
             torch::nn::functional::CrossEntropyFuncOptions().ignore_index(0).reduction(
                 torch::kSum))
      .item<float>();
}

TEST_P(SynthesizerTest, LearnsAFixedBatch) {
  torch::manual_seed(2);
  Synthesizer model(tiny(v()));
  const Tensors b = batch(v().domain, 3, 2);
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-2));
  float first = 0, last = 0, first_tokens = 0, last_tokens = 0;
  for (int step = 0; step < 200; ++step) {
    adam.zero_grad();
    const Prediction p = model(b.tokens, b.inputs, b.outputs);
    const torch::Tensor loss = model->loss(p, b.tokens, LossScale::of(b.tokens));
    loss.backward();
    // As training clips (the configs' gradient_clip): unclipped, Karel RobustFill diverges on
    // some CPUs (loss 1.9 -> 3.2 in 200 steps), their rounding being another's.
    torch::nn::utils::clip_grad_norm_(model->parameters(), 5.0);
    adam.step();
    (step == 0 ? first : last) = loss.item<float>();
    (step == 0 ? first_tokens : last_tokens) = token_loss(p, b.tokens);
  }
  // Measured: every variant without decoder self-attention reaches 0.3 of its first loss in 200
  // steps. With self-attention, the original's head (the pooled pairs attend to the history,
  // and tanh(context + query) alone goes on to the MLP) leaves the plateau of the programs'
  // shared prefix far later: 0.50 (C, no operations), 0.52 (NoPartialExecutor), 0.63 (C
  // LaSynth), 0.77 (Karel), no better at 400 steps or at learning rates 3e-2 and 3e-3; the
  // PyTorch reference does the same (issue 16's note). Those variants are held to learning at
  // all, the others to more. At 3e-2 the executor's loss of C LaSynth without operations grows.
  const float ratio = v().self_attention ? 0.85f : 0.3f;
  EXPECT_LT(last_tokens, ratio * first_tokens) << "loss " << first_tokens << " -> " << last_tokens;
  EXPECT_LT(last, 0.5f * first) << "loss with the auxiliary losses " << first << " -> " << last;
}

TEST_P(SynthesizerTest, SameSeedSameModelBitForBit) {
  const Tensors b = batch(v().domain, 4, 3);
  auto loss_with_seed = [&](uint64_t seed) {
    torch::manual_seed(seed);
    Synthesizer model(tiny(v()));
    return model->loss(model(b.tokens, b.inputs, b.outputs), b.tokens, LossScale::of(b.tokens))
        .item<float>();
  };
  EXPECT_EQ(loss_with_seed(5), loss_with_seed(5));
  EXPECT_NE(loss_with_seed(5), loss_with_seed(6));
}

// What data parallelism relies on: the loss of a batch is the sum of its parts' losses when
// each part is scaled by the whole batch's counts, padding included differently in each part.
TEST_P(SynthesizerTest, LossSplitsOverPartsOfTheBatch) {
  torch::manual_seed(4);
  Synthesizer model(tiny(v()));
  const Tensors whole = batch(v().domain, 6, 4);
  const LossScale scale = LossScale::of(whole.tokens);
  const float total =
      model->loss(model(whole.tokens, whole.inputs, whole.outputs), whole.tokens, scale)
          .item<float>();
  float parts = 0;
  for (int64_t begin : {0, 2}) {
    const int64_t len = begin == 0 ? 2 : 4;
    // Trim each part's padding to its own longest program, as its own batch would be.
    const torch::Tensor tokens = whole.tokens.slice(0, begin, begin + len);
    const int64_t t = (tokens != 0).sum(1).max().item<int64_t>();
    parts += model
                 ->loss(model(tokens.slice(1, 0, t), whole.inputs.slice(0, begin, begin + len),
                              whole.outputs.slice(0, begin, begin + len)),
                        tokens.slice(1, 0, t), scale)
                 .item<float>();
  }
  EXPECT_NEAR(parts, total, 1e-4 * total);
}

// Training (chunks of exec_period tokens at once) and decoding (token by token) condition on
// the same states: teacher forcing on greedy decoding's own program predicts that program.
TEST_P(SynthesizerTest, TeacherForcingReproducesGreedyDecoding) {
  torch::manual_seed(7);
  Synthesizer model(tiny(v()));
  const Tensors b = batch(v().domain, 3, 7);
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-2));
  for (int step = 0; step < 15; ++step) {  // a model with some structure, not a uniform one
    adam.zero_grad();
    model->loss(model(b.tokens, b.inputs, b.outputs), b.tokens, LossScale::of(b.tokens)).backward();
    adam.step();
  }
  const auto greedy = model->greedy(b.inputs, b.outputs, 20);
  torch::NoGradGuard no_grad;
  for (int64_t i = 0; i < 3; ++i) {
    std::vector<int32_t> ids = {Vocabulary::kBos};
    ids.insert(ids.end(), greedy[i].begin(), greedy[i].end());
    ids.push_back(Vocabulary::kEos);
    const auto tokens = torch::tensor(ids, torch::kInt32).unsqueeze(0);
    const auto argmax = model(tokens, b.inputs.slice(0, i, i + 1), b.outputs.slice(0, i, i + 1))
                            .logits.argmax(-1)
                            .squeeze(0);
    const int64_t predicted = std::min<int64_t>(argmax.size(0), 20);
    for (int64_t j = 0; j < predicted; ++j) {
      EXPECT_EQ(argmax[j].item<int64_t>(), ids[j + 1]) << "example " << i << " token " << j;
    }
  }
}

TEST_P(SynthesizerTest, BeamOfOneIsGreedyAndBeamsAreDistinct) {
  torch::manual_seed(8);
  Synthesizer model(tiny(v()));
  const Tensors b = batch(v().domain, 3, 8);
  const auto greedy = model->greedy(b.inputs, b.outputs, 12);
  const auto one = model->beam_search(b.inputs, b.outputs, 1, 12);
  ASSERT_EQ(one.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    ASSERT_EQ(one[i].size(), 1u);
    EXPECT_EQ(one[i][0], greedy[i]);
  }
  const auto five = model->beam_search(b.inputs, b.outputs, 5, 12);
  for (const auto& candidates : five) {
    EXPECT_LE(candidates.size(), 5u);
    EXPECT_GE(candidates.size(), 1u);
    std::set<std::vector<int32_t>> distinct(candidates.begin(), candidates.end());
    EXPECT_EQ(distinct.size(), candidates.size());
    for (const auto& c : candidates) EXPECT_LE(c.size(), 12u);
  }
}

// A candidate the filter refuses leaves the beam for good and the next best take its place: no
// program returned holds a refused prefix, and the beam stays full.
TEST_P(SynthesizerTest, BeamSearchDropsWhatTheFilterRefuses) {
  torch::manual_seed(8);
  Synthesizer model(tiny(v()));
  const Tensors b = batch(v().domain, 3, 8);
  const auto plain = model->beam_search(b.inputs, b.outputs, 4, 12);
  ASSERT_FALSE(plain[0].empty());
  ASSERT_FALSE(plain[0][0].empty());
  const int32_t banned = plain[0][0][0];  // the best candidate's first token
  int64_t calls = 0;
  const auto filtered = model->beam_search(
      b.inputs, b.outputs, 4, 12, [&](int64_t, const std::vector<int32_t>& ids, bool) {
        ++calls;
        return std::find(ids.begin(), ids.end(), banned) == ids.end();
      });
  EXPECT_GT(calls, 0);
  ASSERT_EQ(filtered.size(), 3u);
  for (const auto& candidates : filtered) {
    EXPECT_GE(candidates.size(), 4u);
    for (const auto& c : candidates) {
      EXPECT_EQ(std::find(c.begin(), c.end(), banned), c.end());
    }
  }
  // A filter that keeps everything sets each finished program aside and searches on, but no
  // later candidate beats the greedy program: at beam 1 it still comes first.
  const auto keep_all = [](int64_t, const std::vector<int32_t>&, bool) { return true; };
  const auto greedy = model->beam_search(b.inputs, b.outputs, 1, 12);
  const auto greedy_kept = model->beam_search(b.inputs, b.outputs, 1, 12, keep_all);
  for (size_t i = 0; i < 3; ++i) {
    ASSERT_FALSE(greedy_kept[i].empty());
    EXPECT_EQ(greedy_kept[i][0], greedy[i][0]) << i;
  }
}

// A program the filter accepts as finished is an answer: set aside, later candidates never push
// it out of the beam, and every one comes back, once.
TEST_P(SynthesizerTest, BeamSearchKeepsEveryAnswerTheFilterAccepts) {
  torch::manual_seed(8);
  Synthesizer model(tiny(v()));
  const Tensors b = batch(v().domain, 3, 8);
  const int64_t width = 3;
  // Prefixes of up to 5 tokens and every finished program: each step's </s> candidates are
  // answers, and the search ends when the prefixes reach 6 tokens.
  std::vector<std::set<std::vector<int32_t>>> accepted(3);
  const auto answers =
      model->beam_search(b.inputs, b.outputs, width, 50,
                         [&](int64_t i, const std::vector<int32_t>& ids, bool finished) {
                           if (finished) accepted[static_cast<size_t>(i)].insert(ids);
                           return finished || ids.size() <= 5;
                         });
  for (size_t i = 0; i < 3; ++i) {
    const std::set<std::vector<int32_t>> returned(answers[i].begin(), answers[i].end());
    EXPECT_EQ(returned.size(), answers[i].size()) << i;
    EXPECT_EQ(returned, accepted[i]) << i;
    EXPECT_GE(static_cast<int64_t>(answers[i].size()), width) << i;
  }
}

// A live candidate the completer turns into a program is an answer and leaves the beam: the
// program comes back, nothing that extends the candidate does, and the other examples' search
// is the one without a completer.
TEST_P(SynthesizerTest, BeamSearchSetsAsideWhatTheCompleterMakesAnAnswer) {
  torch::manual_seed(8);
  Synthesizer model(tiny(v()));
  const Tensors b = batch(v().domain, 3, 8);
  const auto keep_all = [](int64_t, const std::vector<int32_t>&, bool) { return true; };
  const auto plain = model->beam_search(b.inputs, b.outputs, 3, 12, keep_all);
  // Example 1's two-token candidates become answers: themselves with their first token again.
  std::set<std::vector<int32_t>> completed, made;
  const auto completions = model->beam_search(
      b.inputs, b.outputs, 3, 12, keep_all,
      [&](int64_t i, const std::vector<int32_t>& ids) -> std::vector<int32_t> {
        if (i != 1 || ids.size() != 2) return {};
        completed.insert(ids);
        std::vector<int32_t> program = ids;
        program.push_back(ids[0]);
        made.insert(program);
        return program;
      });
  ASSERT_FALSE(made.empty());
  EXPECT_EQ(completions[0], plain[0]);
  EXPECT_EQ(completions[2], plain[2]);
  const std::set<std::vector<int32_t>> returned(completions[1].begin(), completions[1].end());
  for (const auto& program : made) EXPECT_EQ(returned.count(program), 1u);
  for (const auto& program : completions[1]) {
    if (made.count(program) || program.size() < 2) continue;
    EXPECT_EQ(completed.count({program[0], program[1]}), 0u);
  }
}

// Beam search ranks its finished programs by their log-probability, the one teacher forcing
// gives them: the scores it accumulates (through every state it reorders) are the model's.
TEST_P(SynthesizerTest, BeamsAreRankedByTheirProbability) {
  torch::manual_seed(9);
  Synthesizer model(tiny(v()));
  const Tensors b = batch(v().domain, 3, 9);
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-2));
  for (int step = 0; step < 30; ++step) {
    adam.zero_grad();
    model->loss(model(b.tokens, b.inputs, b.outputs), b.tokens, LossScale::of(b.tokens)).backward();
    adam.step();
  }
  torch::NoGradGuard no_grad;
  const int64_t max_len = 30;
  // An unfinished program (max_len tokens, no </s>) is scored without </s>.
  auto log_prob = [&](int64_t i, const std::vector<int32_t>& program) {
    std::vector<int32_t> ids = {Vocabulary::kBos};
    ids.insert(ids.end(), program.begin(), program.end());
    if (static_cast<int64_t>(program.size()) < max_len) ids.push_back(Vocabulary::kEos);
    const auto tokens = torch::tensor(ids, torch::kInt32).unsqueeze(0);
    return -token_loss(model(tokens, b.inputs.slice(0, i, i + 1), b.outputs.slice(0, i, i + 1)),
                       tokens);
  };
  const auto beams = model->beam_search(b.inputs, b.outputs, 6, max_len);
  int compared = 0;
  const auto check_order = [&](int64_t i, const std::vector<int32_t>& x,
                               const std::vector<int32_t>& y) {
    EXPECT_GE(log_prob(i, x), log_prob(i, y) - 1e-3) << i;
    ++compared;
  };
  for (int64_t i = 0; i < 3; ++i) {
    for (size_t j = 0; j + 1 < beams[i].size(); ++j) {
      const bool finished = static_cast<int64_t>(beams[i][j].size()) < max_len;
      const bool next_finished = static_cast<int64_t>(beams[i][j + 1].size()) < max_len;
      if (finished != next_finished) continue;  // finished ones come first, whatever their score
      check_order(i, beams[i][j], beams[i][j + 1]);
    }
  }
  // The answers a filter sets aside come first, best first too.
  std::vector<std::set<std::vector<int32_t>>> answers(3);
  const auto kept = model->beam_search(b.inputs, b.outputs, 6, max_len,
                                       [&](int64_t i, const std::vector<int32_t>& ids, bool done) {
                                         if (done) answers[static_cast<size_t>(i)].insert(ids);
                                         return true;
                                       });
  for (int64_t i = 0; i < 3; ++i) {
    const size_t n = answers[static_cast<size_t>(i)].size();
    for (size_t j = 0; j + 1 < n; ++j) check_order(i, kept[i][j], kept[i][j + 1]);
  }
  EXPECT_GT(compared, 0);
}

INSTANTIATE_TEST_SUITE_P(
    Variants, SynthesizerTest,
    ::testing::Values(Variant{"c", "RobustFill", false, false, false, false, false},
                      Variant{"c", "LaSynth", true, false, true, true, false},
                      Variant{"c", "NoPartialExecutor", true, true, true, true, false},
                      Variant{"c", "LaSynthNoOperations", true, false, false, true, false},
                      Variant{"c", "PropertySignatures", false, false, false, false, true},
                      Variant{"karel", "RobustFill", false, false, false, false, false},
                      Variant{"karel", "LaSynth", true, false, false, true, false},
                      Variant{"karel", "NoPartialExecutor", true, true, false, true, false},
                      Variant{"karel", "PropertySignatures", false, false, false, false, true}),
    [](const ::testing::TestParamInfo<Variant>& info) {
      return std::string(info.param.domain == std::string("c") ? "C" : "Karel") + info.param.name;
    });

TEST(ModelOptions, TakesTheValueLayoutFromTheDomain) {
  ModelOptions o;
  set_domain(o, *make_domain("karel", {{"rows", "5"}, {"cols", "7"}}), 10);
  EXPECT_EQ(o.values.kind, ValueLayout::Kind::kGrid);
  EXPECT_EQ(o.values.rows, 5);
  EXPECT_EQ(o.values.cols, 7);
  EXPECT_EQ(o.vocab_size, 10);
  set_domain(o, *make_domain("c", {{"value_range", "3"}}), 12);
  EXPECT_EQ(o.values.kind, ValueLayout::Kind::kArray);
  EXPECT_EQ(o.num_values(), 25);
  EXPECT_EQ(o.value_offset(), 12);
}

TEST(ModelOptions, RefusesSwitchesThatDoNotFit) {
  const auto karel = make_domain("karel", {{"rows", "5"}, {"cols", "5"}});
  const auto c = make_domain("c");
  ModelOptions o;
  o.operation_predictor = true;
  try {
    set_domain(o, *karel, 10);
    ADD_FAILURE() << "an operation table on Karel's grids";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--operation_predictor"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("leave it off for karel"), std::string::npos);
  }
  EXPECT_NO_THROW(set_domain(o, *c, 10));
  ModelOptions p;
  p.no_partial_execution = true;
  EXPECT_THROW(set_domain(p, *c, 10), ConfigError);
  ModelOptions q;
  q.use_properties = true;
  q.latent_execution = true;
  EXPECT_THROW(set_domain(q, *c, 10), ConfigError);
}

}  // namespace
}  // namespace model
}  // namespace lasynth
