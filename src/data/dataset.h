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

// Not thread-safe (HDF5 is serial): one Dataset per reading thread.
class Dataset {
 public:
  // Reads and checks the manifest. With `verify_checksums`, every shard's sha256 is checked
  // against the manifest when the shard is first opened. Throws IoError.
  explicit Dataset(const std::string& dir, bool verify_checksums = false);
  ~Dataset();

  const Manifest& manifest() const { return manifest_; }
  const std::string& dir() const { return dir_; }

  // Examples in `split` (0 when the dataset has none).
  int64_t size(const std::string& split) const;

  // Example `index` of `split`, counting across its shards in order. Opens the shard on first
  // use and checks that its attributes agree with the manifest. Throws IoError (naming the file)
  // or ConfigError for an index out of range.
  StoredExample get(const std::string& split, int64_t index);

  // The opened reader of shard `shard` of `split` (checked as in get()).
  ShardReader& shard(const std::string& split, size_t shard);

 private:
  struct OpenSplit;
  OpenSplit& open_split(const std::string& split);

  std::string dir_;
  bool verify_;
  Manifest manifest_;
  std::vector<std::unique_ptr<OpenSplit>> open_;
};

}  // namespace data
}  // namespace lasynth

#endif  // LASYNTH_DATA_DATASET_H_
