// A prefetching batch reader: one background thread (the only one touching HDF5 for this
// loader) reads the batches the sampler names, in step order, into a bounded queue, so the trainer
// never waits on the disk while the queue is full.
#ifndef LASYNTH_DATA_LOADER_H_
#define LASYNTH_DATA_LOADER_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>

#include "data/batch.h"
#include "data/dataset.h"
#include "data/sampler.h"

namespace lasynth {
namespace data {

struct LoaderOptions {
  std::string dir;
  std::string split = "train";
  // num_examples, and shard_sizes when shuffling by shards, are filled from the dataset.
  SamplerOptions sampler;
  // Shuffling by shards, max_open_shards 0 means two windows: all a rank's batches need at once.
  ReadOptions read;
  int pairs = 0;                // the first `pairs` pairs of each example go in a batch; 0: all
  std::vector<int32_t> prefix;  // the ids every program begins with, left out of batches
  int prefetch = 4;             // batches read ahead
};

// next() is for one consumer thread.
class BatchLoader {
 public:
  // Opens the dataset (throws IoError) and starts reading at (epoch, step).
  BatchLoader(const LoaderOptions& options, int64_t epoch = 0, int64_t step = 0);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  int64_t steps_per_epoch() const { return steps_per_epoch_; }

  // The next batch in (epoch, step) order, with its position. Blocks until it is read; rethrows
  // the reader's error.
  Batch next(int64_t* epoch = nullptr, int64_t* step = nullptr);

 private:
  struct Item {
    int64_t epoch, step;
    Batch batch;
  };
  void run(int64_t epoch, int64_t step);

  LoaderOptions options_;
  int64_t steps_per_epoch_ = 0;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<Item> queue_;    // guarded by mu_
  std::exception_ptr error_;  // guarded by mu_
  bool stopping_ = false;     // guarded by mu_
  std::thread thread_;
};

}  // namespace data
}  // namespace lasynth

#endif  // LASYNTH_DATA_LOADER_H_
