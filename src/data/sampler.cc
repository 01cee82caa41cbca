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
}

int64_t DistributedSampler::steps_per_epoch() const {
  const int64_t g = global_batch_size();
  return options_.drop_last ? options_.num_examples / g : (options_.num_examples + g - 1) / g;
}

const std::vector<int64_t>& DistributedSampler::order(int64_t epoch) {
  if (epoch != cached_epoch_) {
    order_.resize(static_cast<size_t>(options_.num_examples));
    std::iota(order_.begin(), order_.end(), 0);
    if (options_.shuffle) {
      Rng rng = Rng::derive(options_.seed, {0x5A3D1E, static_cast<uint64_t>(epoch)});
      for (size_t i = order_.size(); i > 1; --i) std::swap(order_[i - 1], order_[rng.below(i)]);
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
