// A batch of a domain's generated examples for the model tests: each example's specification
// pairs, padded as training pads them.
#ifndef LASYNTH_TESTS_MODEL_SAMPLED_BATCH_H_
#define LASYNTH_TESTS_MODEL_SAMPLED_BATCH_H_

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "data/batch.h"
#include "lang/domain.h"

namespace lasynth {
namespace testing {

struct SampledBatch {
  torch::Tensor tokens, inputs, outputs;  // [B, T], [B, K, V], [B, K, V]
  int64_t size = 0;                       // B
};

// `n` examples from `domain`'s generator seeded with `seed`.
inline SampledBatch sampled_batch(const Domain& domain, int n, uint64_t seed) {
  const auto sampler = domain.make_sampler(seed);
  std::vector<data::StoredExample> examples;
  std::vector<int64_t> indices;
  for (int i = 0; i < n; ++i) {
    const Example ex = sampler->next();
    std::vector<IoPair> spec(ex.io.begin(), ex.io.begin() + domain.num_spec());
    examples.push_back({domain.vocabulary().encode(ex.tokens), spec});
    indices.push_back(i);
  }
  int64_t v = 1;
  for (int64_t d : domain.value_shape()) v *= d;
  data::Batch b = data::make_batch(examples, indices, domain.num_spec(), static_cast<int>(v),
                                   domain.fixed_prefix_ids());
  const int64_t k = b.io_pairs;
  return {torch::from_blob(b.tokens.data(), {b.size, b.max_len}, torch::kInt32).clone(),
          torch::from_blob(b.inputs.data(), {b.size, k, v}, torch::kInt32).clone(),
          torch::from_blob(b.outputs.data(), {b.size, k, v}, torch::kInt32).clone(), b.size};
}

}  // namespace testing
}  // namespace lasynth

#endif  // LASYNTH_TESTS_MODEL_SAMPLED_BATCH_H_
