#include "data/loader.h"

#include <fmt/format.h>

#include "core/error.h"
#include "data/dataset.h"

namespace lasynth {
namespace data {

BatchLoader::BatchLoader(const LoaderOptions& options, int64_t epoch, int64_t step)
    : options_(options) {
  {
    const Dataset probe(options.dir);
    options_.sampler.num_examples = probe.size(options.split);
    if (options.sampler.shuffle == Shuffle::kShards) {
      options_.sampler.shard_sizes.clear();
      if (const SplitEntry* split = probe.manifest().split(options.split)) {
        for (const ShardEntry& shard : split->shards) {
          options_.sampler.shard_sizes.push_back(shard.examples);
        }
      }
      if (options_.read.max_open_shards == 0) {
        options_.read.max_open_shards = 2 * options.sampler.shard_window;
      }
    }
  }
  steps_per_epoch_ = DistributedSampler(options_.sampler).steps_per_epoch();
  if (steps_per_epoch_ == 0) {
    throw ConfigError(options.dir + ": split '" + options.split +
                      "' has fewer examples than one global batch");
  }
  thread_ = std::thread([this, epoch, step] { run(epoch, step); });
}

BatchLoader::~BatchLoader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void BatchLoader::run(int64_t epoch, int64_t step) {
  try {
    Dataset dataset(options_.dir, options_.read);
    DistributedSampler sampler(options_.sampler);
    // A copy: with a bound on open shards, shard 0 may be closed while the epoch reads others.
    const ShardInfo info = dataset.shard(options_.split, 0).info();
    if (options_.pairs > info.io_pairs) {
      throw ConfigError(fmt::format("{}: batches of {} pairs asked, but its examples have {}",
                                    options_.dir, options_.pairs, info.io_pairs));
    }
    const int pairs = options_.pairs > 0 ? options_.pairs : info.io_pairs;
    while (true) {
      std::vector<int64_t> indices = sampler.batch(epoch, step);
      std::vector<StoredExample> examples;
      examples.reserve(indices.size());
      for (int64_t i : indices) examples.push_back(dataset.get(options_.split, i));
      Item item{epoch, step,
                make_batch(examples, indices, pairs, info.value_size, options_.prefix)};
      item.batch.global_size = static_cast<int64_t>(sampler.global_batch(epoch, step).size());
      {
        std::unique_lock<std::mutex> lock(mu_);
        changed_.wait(lock, [this] {
          return stopping_ || static_cast<int>(queue_.size()) < options_.prefetch;
        });
        if (stopping_) return;
        queue_.push_back(std::move(item));
      }
      changed_.notify_all();
      if (++step == steps_per_epoch_) {
        step = 0;
        ++epoch;
      }
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(mu_);
    error_ = std::current_exception();
    changed_.notify_all();
  }
}

Batch BatchLoader::next(int64_t* epoch, int64_t* step) {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [this] { return !queue_.empty() || error_; });
  if (queue_.empty()) std::rethrow_exception(error_);
  Item item = std::move(queue_.front());
  queue_.pop_front();
  lock.unlock();
  changed_.notify_all();
  if (epoch) *epoch = item.epoch;
  if (step) *step = item.step;
  return std::move(item.batch);
}

}  // namespace data
}  // namespace lasynth
