// Decoding a split with a model, the part evaluation and retraining share: the model checked
// against the dataset, batches of the specification pairs through greedy decoding or beam search
// (with a communicator, rank r decodes the batches b with b % world_size == r, the same batches
// one process would form, so every example is decoded once and exactly as alone), and the ranks'
// results gathered in example order.
#ifndef LASYNTH_EVAL_DECODE_H_
#define LASYNTH_EVAL_DECODE_H_

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "dist/communicator.h"
#include "eval/execution_guide.h"
#include "model/synthesizer.h"
#include "train/loaded_model.h"

namespace lasynth {
namespace eval {

// Throws ConfigError naming the dataset and the checkpoint when `model` was trained on another
// domain than `dataset` holds, or with another vocabulary.
void check_compatible(const data::Dataset& dataset, const train::LoadedModel& model);

// How many examples of `split` to decode: all, or the first `limit` when limit >= 0. Throws
// ConfigError naming the dataset when the split is empty.
int64_t examples_to_decode(const data::Dataset& dataset, const std::string& split, int64_t limit);

struct DecodeOptions {
  std::string split = "test";
  int64_t count = 0;  // the first `count` examples of the split
  int64_t batch_size = 32;
  int64_t beam = 1;  // 1: greedy
  int64_t max_decode_len = 256;
  Search search = Search::kBeam;  // execution-guided: beam search even for beam 1
  bool close_blocks = true;       // execution-guided: EvalOptions::close_blocks
  dist::Communicator* comm = nullptr;
};

// The decoding settings of an evaluation's or a retraining's options (any struct with batch_size,
// beam, max_decode_len, search, close_blocks and comm) for the first `count` examples of `split`.
template <typename Options>
DecodeOptions decode_options_for(const Options& options, const std::string& split, int64_t count) {
  DecodeOptions d;
  d.split = split;
  d.count = count;
  d.batch_size = options.batch_size;
  d.beam = options.beam;
  d.max_decode_len = options.max_decode_len;
  d.search = parse_search(options.search);
  d.close_blocks = options.close_blocks;
  d.comm = options.comm;
  return d;
}

// Calls `each` for every example this rank decodes, in order, with the example as stored (every
// pair) and its candidates in beam order (one for greedy decoding), each a whole program: the
// domain's fixed prefix (which the model does not decode) and the decoded tokens. After each batch,
// `progress` (when set) gets this rank's examples done so far and its share in all.
void decode_split(
    model::Synthesizer& net, data::Dataset& dataset, int num_spec, const DecodeOptions& options,
    const std::function<void(int64_t index, const data::StoredExample& example,
                             const std::vector<std::vector<int32_t>>& candidates)>& each,
    const std::function<void(int64_t done, int64_t mine)>& progress = nullptr);

// At rank 0, every rank's records of the first `count` examples, in example order: a record lands
// at its `index`; an example no rank sent a record for stays empty. The other ranks get an empty
// vector: a split's records fill one rank's memory, not every rank's. Records travel between ranks
// as JSON objects, by the to_json and from_json that argument-dependent lookup finds for Record
// (they name every field). With comm: all ranks, same order; blocks.
template <typename Record>
std::vector<std::optional<Record>> gather_by_index(const std::vector<Record>& mine, int64_t count,
                                                   dist::Communicator* comm) {
  const std::string text = nlohmann::json(mine).dump();
  const std::vector<std::string> parts =
      comm ? comm->gather_strings(text, 0) : std::vector<std::string>{text};
  if (parts.empty()) return {};
  std::vector<std::optional<Record>> all(static_cast<size_t>(count));
  for (const std::string& part : parts) {
    for (Record& record : nlohmann::json::parse(part).get<std::vector<Record>>()) {
      const auto index = static_cast<size_t>(record.index);
      all[index] = std::move(record);
    }
  }
  return all;
}

}  // namespace eval
}  // namespace lasynth

#endif  // LASYNTH_EVAL_DECODE_H_
