#include "model/robustfill.h"

#include <gtest/gtest.h>

#include <set>

#include "data/batch.h"
#include "lang/domains.h"
#include "lang/vocabulary.h"

namespace lasynth {
namespace model {
namespace {

struct Tensors {
  torch::Tensor tokens, inputs, outputs;
  int64_t size;
};

// `n` restricted-C examples from the generator, batched and padded.
Tensors c_batch(int n, uint64_t seed) {
  const auto domain = make_domain("c");
  const auto sampler = domain->make_sampler(seed);
  std::vector<data::StoredExample> examples;
  std::vector<int64_t> indices;
  for (int i = 0; i < n; ++i) {
    const Example ex = sampler->next();
    examples.push_back({domain->vocabulary().encode(ex.tokens), ex.io});
    indices.push_back(i);
  }
  data::Batch b = data::make_batch(examples, indices, domain->io_pairs(), 5);
  const int64_t k = b.io_pairs, v = b.value_size;
  return {torch::from_blob(b.tokens.data(), {b.size, b.max_len}, torch::kInt32).clone(),
          torch::from_blob(b.inputs.data(), {b.size, k, v}, torch::kInt32).clone(),
          torch::from_blob(b.outputs.data(), {b.size, k, v}, torch::kInt32).clone(), b.size};
}

ModelOptions tiny() {
  ModelOptions o;
  o.vocab_size = make_domain("c")->vocabulary().size();
  o.embedding_size = 32;
  o.hidden_size = 32;
  o.mlp_hidden_size = 48;
  o.num_layers = 1;
  o.num_attention_layers = 1;
  return o;
}

class RobustFillTest : public ::testing::Test {
 protected:
  void SetUp() override { torch::set_num_threads(1); }
};

TEST_F(RobustFillTest, PredictsOneDistributionPerExampleAndStep) {
  torch::manual_seed(1);
  RobustFill model(tiny());
  const Tensors b = c_batch(3, 1);
  const torch::Tensor logits = model(b.tokens, b.inputs, b.outputs);
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{3, b.tokens.size(1) - 1, tiny().vocab_size}));
  for (const auto& p : model->parameters()) {
    EXPECT_LE(p.abs().max().item<float>(), 0.1f + 1e-6f);
  }
}

TEST_F(RobustFillTest, LearnsAFixedBatch) {
  torch::manual_seed(2);
  RobustFill model(tiny());
  const Tensors b = c_batch(4, 2);
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(3e-2));
  float first = 0, last = 0;
  for (int step = 0; step < 100; ++step) {
    adam.zero_grad();
    const torch::Tensor loss = RobustFillImpl::loss(model(b.tokens, b.inputs, b.outputs), b.tokens,
                                                    static_cast<double>(b.size));
    loss.backward();
    adam.step();
    (step == 0 ? first : last) = loss.item<float>();
  }
  EXPECT_LT(last, 0.25f * first) << "loss " << first << " -> " << last;
}

TEST_F(RobustFillTest, SameSeedSameModelBitForBit) {
  const Tensors b = c_batch(4, 3);
  auto loss_with_seed = [&](uint64_t seed) {
    torch::manual_seed(seed);
    RobustFill model(tiny());
    return RobustFillImpl::loss(model(b.tokens, b.inputs, b.outputs), b.tokens, 4).item<float>();
  };
  EXPECT_EQ(loss_with_seed(5), loss_with_seed(5));
  EXPECT_NE(loss_with_seed(5), loss_with_seed(6));
}

// What data parallelism relies on: the loss of a batch is the sum of its parts' losses when
// each part is normalised by the whole batch, padding included differently in each part.
TEST_F(RobustFillTest, LossSplitsOverPartsOfTheBatch) {
  torch::manual_seed(4);
  RobustFill model(tiny());
  const Tensors whole = c_batch(6, 4);
  const double n = 6;
  const float total =
      RobustFillImpl::loss(model(whole.tokens, whole.inputs, whole.outputs), whole.tokens, n)
          .item<float>();
  float parts = 0;
  for (int64_t begin : {0, 2}) {
    const int64_t len = begin == 0 ? 2 : 4;
    // Trim each part's padding to its own longest program, as its own batch would be.
    const torch::Tensor tokens = whole.tokens.slice(0, begin, begin + len);
    const int64_t t = (tokens != 0).sum(1).max().item<int64_t>();
    parts +=
        RobustFillImpl::loss(model(tokens.slice(1, 0, t), whole.inputs.slice(0, begin, begin + len),
                                   whole.outputs.slice(0, begin, begin + len)),
                             tokens.slice(1, 0, t), n)
            .item<float>();
  }
  EXPECT_NEAR(parts, total, 1e-4 * total);
}

TEST_F(RobustFillTest, BeamOfOneIsGreedyAndBeamsAreDistinct) {
  torch::manual_seed(8);
  RobustFill model(tiny());
  const Tensors b = c_batch(3, 8);
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

// Beam search finds a program at least as likely as greedy decoding's.
TEST_F(RobustFillTest, BeamBeatsOrMatchesGreedy) {
  torch::manual_seed(9);
  RobustFill model(tiny());
  const Tensors b = c_batch(4, 9);
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(3e-2));
  for (int step = 0; step < 40; ++step) {
    adam.zero_grad();
    RobustFillImpl::loss(model(b.tokens, b.inputs, b.outputs), b.tokens, 4).backward();
    adam.step();
  }
  auto log_prob = [&](int64_t i, const std::vector<int32_t>& program) {
    std::vector<int32_t> ids = {Vocabulary::kBos};
    ids.insert(ids.end(), program.begin(), program.end());
    ids.push_back(Vocabulary::kEos);
    const auto tokens = torch::tensor(ids, torch::kInt32).unsqueeze(0);
    const auto logits = model(tokens, b.inputs.slice(0, i, i + 1), b.outputs.slice(0, i, i + 1));
    return -RobustFillImpl::loss(logits, tokens, 1).item<float>();
  };
  const auto greedy = model->greedy(b.inputs, b.outputs, 200);
  const auto beams = model->beam_search(b.inputs, b.outputs, 4, 200);
  for (int64_t i = 0; i < 4; ++i) {
    EXPECT_GE(log_prob(i, beams[i][0]), log_prob(i, greedy[i]) - 1e-3) << i;
  }
}

}  // namespace
}  // namespace model
}  // namespace lasynth
