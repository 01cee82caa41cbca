#include "data/sampler.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "core/error.h"
#include "core/rng.h"

namespace lasynth {
namespace data {

DistributedSampler::DistributedSampler(const SamplerOptions& options) : options_(options) {
  if (options.world_size < 1 || options.rank < 0 || options.rank >= options.world_size) {
    throw ConfigError(
        fmt::format("sampler: rank {} is outside a world of {}", options.rank, options.world_size));
  }
  if (options.batch_size < 1) {
    throw ConfigError(fmt::format("sampler: batch size {} must be at least 1", options.batch_size));
  }
  if (options.num_examples < 0) throw ConfigError("sampler: negative example count");
  if (options.shuffle == Shuffle::kShards) {
    int64_t total = 0;
    for (int64_t n : options.shard_sizes) total += n;
    if (total != options.num_examples) {
      throw ConfigError(
          fmt::format("sampler: {} shards of {} examples in all, but the split has {}",
                      options.shard_sizes.size(), total, options.num_examples));
    }
    if (options.shard_window < 1) {
      throw ConfigError(fmt::format("sampler: a window of {} shards; it must be at least 1",
                                    options.shard_window));
    }
  }
}

int64_t DistributedSampler::steps_per_epoch() const {
  const int64_t g = global_batch_size();
  return options_.drop_last ? options_.num_examples / g : (options_.num_examples + g - 1) / g;
}

namespace {

void shuffle_range(std::vector<int64_t>::iterator begin, std::vector<int64_t>::iterator end,
                   Rng& rng) {
  for (auto n = static_cast<uint64_t>(end - begin); n > 1; --n) {
    std::swap(begin[static_cast<int64_t>(n) - 1], begin[static_cast<int64_t>(rng.below(n))]);
  }
}

}  // namespace

void DistributedSampler::order_by_shards(Rng& rng) {
  const std::vector<int64_t>& sizes = options_.shard_sizes;
  std::vector<int64_t> starts(sizes.size() + 1, 0);
  for (size_t k = 0; k < sizes.size(); ++k) starts[k + 1] = starts[k] + sizes[k];
  std::vector<int64_t> shards(sizes.size());
  std::iota(shards.begin(), shards.end(), 0);
  shuffle_range(shards.begin(), shards.end(), rng);
  auto out = order_.begin();
  for (size_t w = 0; w < shards.size(); w += static_cast<size_t>(options_.shard_window)) {
    const auto window_begin = out;
    const size_t last = std::min(shards.size(), w + static_cast<size_t>(options_.shard_window));
    for (size_t k = w; k < last; ++k) {
      const auto shard = static_cast<size_t>(shards[k]);
      std::iota(out, out + sizes[shard], starts[shard]);
      out += sizes[shard];
    }
    shuffle_range(window_begin, out, rng);
  }
}

const std::vector<int64_t>& DistributedSampler::order(int64_t epoch) {
  if (epoch != cached_epoch_) {
    Rng rng = Rng::derive(options_.seed, {0x5A3D1E, static_cast<uint64_t>(epoch)});
    order_.resize(static_cast<size_t>(options_.num_examples));
    switch (options_.shuffle) {
      case Shuffle::kNone:
        std::iota(order_.begin(), order_.end(), 0);
        break;
      case Shuffle::kExamples:
        std::iota(order_.begin(), order_.end(), 0);
        shuffle_range(order_.begin(), order_.end(), rng);
        break;
      case Shuffle::kShards:
        order_by_shards(rng);
        break;
    }
    cached_epoch_ = epoch;
  }
  return order_;
}

std::vector<int64_t> DistributedSampler::global_batch(int64_t epoch, int64_t step) {
  if (step < 0 || step >= steps_per_epoch()) {
    throw ConfigError(
        fmt::format("sampler: step {} is outside the epoch's {} steps", step, steps_per_epoch()));
  }
  const auto& o = order(epoch);
  const int64_t begin = step * global_batch_size();
  const int64_t end = std::min<int64_t>(begin + global_batch_size(), options_.num_examples);
  return {o.begin() + begin, o.begin() + end};
}

std::vector<int64_t> DistributedSampler::batch(int64_t epoch, int64_t step) {
  const std::vector<int64_t> all = global_batch(epoch, step);
  const int64_t begin =
      std::min<int64_t>(options_.rank * options_.batch_size, static_cast<int64_t>(all.size()));
  const int64_t end =
      std::min<int64_t>(begin + options_.batch_size, static_cast<int64_t>(all.size()));
  return {all.begin() + begin, all.begin() + end};
}

}  // namespace data
}  // namespace lasynth
