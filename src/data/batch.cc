#include "data/batch.h"

#include <algorithm>

#include "lang/vocabulary.h"

namespace lasynth {
namespace data {

Batch make_batch(const std::vector<StoredExample>& examples, const std::vector<int64_t>& indices,
                 int io_pairs, int value_size) {
  Batch b;
  b.size = static_cast<int64_t>(examples.size());
  b.io_pairs = io_pairs;
  b.value_size = value_size;
  b.indices = indices;
  for (const StoredExample& ex : examples) {
    b.max_len = std::max<int64_t>(b.max_len, static_cast<int64_t>(ex.tokens.size()) + 2);
  }
  b.tokens.assign(static_cast<size_t>(b.size * b.max_len), Vocabulary::kPad);
  const size_t kv = static_cast<size_t>(io_pairs) * static_cast<size_t>(value_size);
  b.inputs.reserve(examples.size() * kv);
  b.outputs.reserve(examples.size() * kv);
  for (size_t i = 0; i < examples.size(); ++i) {
    const StoredExample& ex = examples[i];
    int32_t* row = b.tokens.data() + i * static_cast<size_t>(b.max_len);
    row[0] = Vocabulary::kBos;
    std::copy(ex.tokens.begin(), ex.tokens.end(), row + 1);
    row[ex.tokens.size() + 1] = Vocabulary::kEos;
    b.lengths.push_back(static_cast<int32_t>(ex.tokens.size() + 2));
    for (size_t k = 0; k < static_cast<size_t>(io_pairs); ++k) {
      const IoPair& p = ex.io.at(k);
      b.inputs.insert(b.inputs.end(), p.input.begin(), p.input.end());
      b.outputs.insert(b.outputs.end(), p.output.begin(), p.output.end());
    }
  }
  return b;
}

}  // namespace data
}  // namespace lasynth
