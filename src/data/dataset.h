// A dataset directory opened for reading: the manifest, and random access by global index to the
// examples of a split across its shards.
#ifndef LASYNTH_DATA_DATASET_H_
#define LASYNTH_DATA_DATASET_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/manifest.h"
#include "data/shard.h"

namespace lasynth {
namespace data {

// A stored example as the domain shows it (token strings, source text), and back.
Example to_example(const Domain& domain, const StoredExample& stored);
StoredExample to_stored(const Domain& domain, const Example& example);

// What a reader holds, bounded: with hundreds of ranks on a node, each with its own reader, an
// unbounded chunk cache per shard opened would add up to gigabytes per rank.
struct ReadOptions {
  // Every shard's sha256 checked against the manifest when the shard is first opened.
  bool verify_checksums = false;
  // HDF5's chunk cache for the open shards of a split together, shared equally among them.
  int64_t cache_bytes = int64_t{256} << 20;
  // Shards of a split kept open at once (0: all); past that the least recently used is closed.
  int64_t max_open_shards = 0;
};

// Not thread-safe (HDF5 is serial): one Dataset per reading thread.
class Dataset {
 public:
  // Reads and checks the manifest. Throws IoError.
  explicit Dataset(const std::string& dir, bool verify_checksums = false);
  Dataset(const std::string& dir, const ReadOptions& options);
  ~Dataset();

  const Manifest& manifest() const { return manifest_; }
  const std::string& dir() const { return dir_; }

  // Examples in `split` (0 when the dataset has none).
  int64_t size(const std::string& split) const;

  // Example `index` of `split`, counting across its shards in order. Opens the shard on first
  // use and checks that its attributes agree with the manifest. Throws IoError (naming the file)
  // or ConfigError for an index out of range.
  StoredExample get(const std::string& split, int64_t index);

  // The opened reader of shard `shard` of `split` (checked as in get()). It stays valid until
  // another shard of the split is opened past max_open_shards.
  ShardReader& shard(const std::string& split, size_t shard);

  // Shards opened so far, counting a shard opened again after it was closed.
  int64_t shards_opened() const { return shards_opened_; }

 private:
  struct OpenSplit;
  OpenSplit& open_split(const std::string& split);

  std::string dir_;
  ReadOptions options_;
  Manifest manifest_;
  int64_t shards_opened_ = 0;
  int64_t uses_ = 0;  // the clock of least-recently-used
  std::vector<std::unique_ptr<OpenSplit>> open_;
};

}  // namespace data
}  // namespace lasynth

#endif  // LASYNTH_DATA_DATASET_H_
