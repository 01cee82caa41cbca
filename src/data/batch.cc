#include "data/batch.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"
#include "lang/vocabulary.h"

namespace lasynth {
namespace data {

Batch make_batch(const std::vector<StoredExample>& examples, const std::vector<int64_t>& indices,
                 int io_pairs, int value_size, const std::vector<int32_t>& prefix) {
  Batch b;
  b.size = static_cast<int64_t>(examples.size());
  b.io_pairs = io_pairs;
  b.value_size = value_size;
  b.indices = indices;
  for (size_t i = 0; i < examples.size(); ++i) {
    const std::vector<int32_t>& tokens = examples[i].tokens;
    if (tokens.size() < prefix.size() ||
        !std::equal(prefix.begin(), prefix.end(), tokens.begin())) {
      throw ParseError(
          fmt::format("example {}: its program does not begin with the {} tokens "
                      "every program of its domain begins with",
                      indices[i], prefix.size()));
    }
    b.max_len =
        std::max<int64_t>(b.max_len, static_cast<int64_t>(tokens.size() - prefix.size()) + 2);
  }
  b.tokens.assign(static_cast<size_t>(b.size * b.max_len), Vocabulary::kPad);
  const size_t kv = static_cast<size_t>(io_pairs) * static_cast<size_t>(value_size);
  b.inputs.reserve(examples.size() * kv);
  b.outputs.reserve(examples.size() * kv);
  for (size_t i = 0; i < examples.size(); ++i) {
    const StoredExample& ex = examples[i];
    int32_t* row = b.tokens.data() + i * static_cast<size_t>(b.max_len);
    row[0] = Vocabulary::kBos;
    const size_t length = ex.tokens.size() - prefix.size();
    std::copy(ex.tokens.begin() + static_cast<std::ptrdiff_t>(prefix.size()), ex.tokens.end(),
              row + 1);
    row[length + 1] = Vocabulary::kEos;
    b.lengths.push_back(static_cast<int32_t>(length + 2));
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
