// Decoding a split with a model, the part evaluation and retraining share: batches of the
// specification pairs go through greedy decoding or beam search; with a communicator, rank r
// decodes the batches b with b % world_size == r, the same batches one process would form, so
// every example is decoded once and exactly as alone.
#ifndef LASYNTH_EVAL_DECODE_H_
#define LASYNTH_EVAL_DECODE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "dist/communicator.h"
#include "model/synthesizer.h"

namespace lasynth {
namespace eval {

struct DecodeOptions {
  std::string split = "test";
  int64_t count = 0;  // the first `count` examples of the split
  int64_t batch_size = 32;
  int64_t beam = 1;  // 1: greedy
  int64_t max_decode_len = 256;
  dist::Communicator* comm = nullptr;
};

// Calls `each` for every example this rank decodes, in order, with the example as stored (every
// pair) and its candidates in beam order (one for greedy decoding). After each batch, `progress`
// (when set) gets this rank's examples done so far and its share in all.
void decode_split(
    model::Synthesizer& net, data::Dataset& dataset, int num_spec, const DecodeOptions& options,
    const std::function<void(int64_t index, const data::StoredExample& example,
                             const std::vector<std::vector<int32_t>>& candidates)>& each,
    const std::function<void(int64_t done, int64_t mine)>& progress = nullptr);

}  // namespace eval
}  // namespace lasynth

#endif  // LASYNTH_EVAL_DECODE_H_
