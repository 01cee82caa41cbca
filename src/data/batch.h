// Examples batched into padded, fixed-shape arrays, ready to become tensors (the adapter in
// src/train/ wraps this memory without copying). Shapes, named once:
//   B examples in the batch, T tokens per padded program, K pairs, V values per side.
#ifndef LASYNTH_DATA_BATCH_H_
#define LASYNTH_DATA_BATCH_H_

#include <cstdint>
#include <vector>

#include "data/shard.h"

namespace lasynth {
namespace data {

struct Batch {
  int64_t size = 0;              // B (0 on a rank past the end of the last window)
  int64_t global_size = 0;       // examples in this step's batch over all ranks (the loader's)
  int64_t max_len = 0;           // T: the longest program plus <s> and </s>
  int io_pairs = 0;              // K
  int value_size = 0;            // V
  std::vector<int64_t> indices;  // [B] each example's index in the split
  std::vector<int32_t> tokens;   // [B, T] <s> program </s> then <pad>
  std::vector<int32_t> lengths;  // [B] tokens before the padding (with <s> and </s>)
  std::vector<int32_t> inputs;   // [B, K, V]
  std::vector<int32_t> outputs;  // [B, K, V]
};

// Takes the first io_pairs pairs of each example, and each program without `prefix`, the ids
// every program of its domain begins with (Domain::fixed_prefix); throws ParseError naming the
// example when one does not begin with them.
// REQUIRES: examples[i] has at least io_pairs pairs of value_size values; indices.size() ==
// examples.size().
Batch make_batch(const std::vector<StoredExample>& examples, const std::vector<int64_t>& indices,
                 int io_pairs, int value_size, const std::vector<int32_t>& prefix);

}  // namespace data
}  // namespace lasynth

#endif  // LASYNTH_DATA_BATCH_H_
