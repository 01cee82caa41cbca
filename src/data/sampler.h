// The distributed sampler of DESIGN.md. Each epoch shuffles the split with (seed, epoch); step s
// takes the window [s*G, (s+1)*G) of that order as the global batch, G = world_size * batch_size,
// and rank r takes positions [r*B, (r+1)*B) of the window. So the union of the ranks' batches is
// the same global batch whatever the world size, and N ranks x batch B train exactly like 1 rank
// x batch N*B. The last window of an epoch may be short: some ranks then get fewer examples, or
// none, but every rank takes every step (steps_per_epoch() is the same on all), so collectives
// never hang on an uneven end.
#ifndef LASYNTH_DATA_SAMPLER_H_
#define LASYNTH_DATA_SAMPLER_H_

#include <cstdint>
#include <vector>

#include "core/rng.h"

namespace lasynth {
namespace data {

enum class Shuffle { kNone, kExamples, kShards };

struct SamplerOptions {
  int64_t num_examples = 0;  // examples in the split
  int64_t batch_size = 8;    // per rank, as in DDP
  int world_size = 1;
  int rank = 0;
  uint64_t seed = 1;
  Shuffle shuffle = Shuffle::kExamples;  // kNone: the split's order (evaluation)
  bool drop_last = false;                // true: skip the short last window
  // Shuffle::kShards: the examples of each shard, in the split's order (their sum is
  // num_examples), and how many shards a window holds.
  std::vector<int64_t> shard_sizes;
  int64_t shard_window = 4;
};

// Deterministic: the same options, epoch and step give the same indices on every machine.
// Not thread-safe (caches the current epoch's order).
class DistributedSampler {
 public:
  // Throws ConfigError for a rank outside [0, world_size), a batch size below 1, or, shuffling
  // by shards, shard sizes that do not add up to num_examples or a window below 1.
  explicit DistributedSampler(const SamplerOptions& options);

  int64_t steps_per_epoch() const;
  int64_t global_batch_size() const { return options_.batch_size * options_.world_size; }

  // This rank's indices (into the split) for `step` of `epoch`; possibly fewer than batch_size,
  // or none, on the last step. REQUIRES: 0 <= step < steps_per_epoch().
  std::vector<int64_t> batch(int64_t epoch, int64_t step);

  // All ranks' indices for that step, in rank order (what 1 rank with batch G would get).
  std::vector<int64_t> global_batch(int64_t epoch, int64_t step);

 private:
  const std::vector<int64_t>& order(int64_t epoch);
  void order_by_shards(Rng& rng);  // fills order_

  SamplerOptions options_;
  int64_t cached_epoch_ = -1;
  std::vector<int64_t> order_;
};

}  // namespace data
}  // namespace lasynth

#endif  // LASYNTH_DATA_SAMPLER_H_
