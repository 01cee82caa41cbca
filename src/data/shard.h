// Writing and reading one HDF5 shard (layout in format.h).
//
// The serial HDF5 library is not thread-safe: every call into it, from any thread, holds
// hdf5_mutex(). The writer and the reader take it themselves.
#ifndef LASYNTH_DATA_SHARD_H_
#define LASYNTH_DATA_SHARD_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "lang/domain.h"

namespace lasynth {
namespace data {

std::mutex& hdf5_mutex();

// What a shard says about itself (its attributes).
struct ShardInfo {
  std::string domain;
  std::string split;
  int shard_index = 0;
  int num_shards = 1;
  int64_t num_examples = 0;
  int io_pairs = 0;
  int num_spec = 0;
  int value_size = 0;
  std::string domain_options;  // JSON text, e.g. {"array_len":"5",...}
  std::string vocab_hash;
  std::string settings_hash;
};

// One example as stored: token ids and K pairs of V values.
struct StoredExample {
  std::vector<int32_t> tokens;
  std::vector<IoPair> io;
};

// Writes `examples` to `path` atomically: a temporary file beside it, then a rename, so an
// interrupted write never leaves a file at `path`. info.num_examples is set from examples.
// REQUIRES: every example has info.io_pairs pairs of info.value_size values. Throws IoError.
void write_shard(const std::string& path, ShardInfo info,
                 const std::vector<StoredExample>& examples);

// A shard opened for reading. Construction checks the magic, version, attributes and array
// shapes, and throws IoError naming the file for anything missing, truncated or foreign. Not
// thread-safe; every method takes hdf5_mutex().
class ShardReader {
 public:
  // `cache_bytes`: HDF5's chunk cache for the shard's three arrays together (at least 1 MiB
  // each), which serves reads of examples stored close together.
  explicit ShardReader(const std::string& path, size_t cache_bytes = kDefaultShardCacheBytes);
  static constexpr size_t kDefaultShardCacheBytes = size_t{96} << 20;
  ~ShardReader();
  ShardReader(const ShardReader&) = delete;
  ShardReader& operator=(const ShardReader&) = delete;

  const ShardInfo& info() const { return info_; }
  const std::string& path() const { return path_; }

  // REQUIRES: 0 <= i < info().num_examples.
  StoredExample read(int64_t i);
  // Every example, in order (one read per array: the fast way through a whole shard).
  std::vector<StoredExample> read_all();

 private:
  std::string path_;
  ShardInfo info_;
  int64_t file_ = -1;
  // Kept open so that their chunk caches serve neighbouring reads: tokens, inputs, outputs.
  int64_t datasets_[3] = {-1, -1, -1};
  std::vector<int64_t> offsets_;  // read once: N + 1 values
};

}  // namespace data
}  // namespace lasynth

#endif  // LASYNTH_DATA_SHARD_H_
