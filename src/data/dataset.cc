#include "data/dataset.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"
#include "core/sha256.h"

namespace lasynth {
namespace data {

Example to_example(const Domain& domain, const StoredExample& stored) {
  Example ex;
  ex.tokens = domain.vocabulary().decode(stored.tokens);
  ex.source = domain.parse(ex.tokens)->source();
  ex.io = stored.io;
  return ex;
}

StoredExample to_stored(const Domain& domain, const Example& example) {
  return {domain.vocabulary().encode(example.tokens), example.io};
}

struct Dataset::OpenSplit {
  const SplitEntry* entry = nullptr;
  std::vector<int64_t> starts;  // first global index of each shard, then the total
  std::vector<std::unique_ptr<ShardReader>> readers;
  std::vector<int64_t> last_use;  // uses_ at the shard's last use
  std::vector<bool> verified;
  int64_t open = 0;
  size_t cache_bytes = 0;  // each reader's
};

Dataset::Dataset(const std::string& dir, bool verify_checksums)
    : Dataset(dir, ReadOptions{verify_checksums}) {}

Dataset::Dataset(const std::string& dir, const ReadOptions& options)
    : dir_(dir), options_(options), manifest_(read_manifest(dir)) {
  if (options.cache_bytes < 0 || options.max_open_shards < 0) {
    throw ConfigError(
        fmt::format("{}: a chunk cache of {} bytes and {} open shards; neither may "
                    "be negative",
                    dir, options.cache_bytes, options.max_open_shards));
  }
}

Dataset::~Dataset() = default;

int64_t Dataset::size(const std::string& split) const {
  const SplitEntry* s = manifest_.split(split);
  return s ? s->examples() : 0;
}

Dataset::OpenSplit& Dataset::open_split(const std::string& split) {
  for (auto& o : open_) {
    if (o->entry->name == split) return *o;
  }
  const SplitEntry* entry = manifest_.split(split);
  if (!entry) {
    throw ConfigError(fmt::format("{}: the dataset has no '{}' split", dir_, split));
  }
  auto o = std::make_unique<OpenSplit>();
  o->entry = entry;
  int64_t total = 0;
  for (const ShardEntry& s : entry->shards) {
    o->starts.push_back(total);
    total += s.examples;
  }
  o->starts.push_back(total);
  const size_t n = entry->shards.size();
  o->readers.resize(n);
  o->last_use.assign(n, 0);
  o->verified.assign(n, false);
  const auto held = options_.max_open_shards > 0
                        ? std::min<int64_t>(options_.max_open_shards, static_cast<int64_t>(n))
                        : static_cast<int64_t>(n);
  o->cache_bytes = static_cast<size_t>(options_.cache_bytes / std::max<int64_t>(held, 1));
  open_.push_back(std::move(o));
  return *open_.back();
}

ShardReader& Dataset::shard(const std::string& split, size_t index) {
  OpenSplit& o = open_split(split);
  if (index >= o.readers.size()) {
    throw ConfigError(fmt::format("{}: split '{}' has {} shards, not {}", dir_, split,
                                  o.readers.size(), index + 1));
  }
  o.last_use[index] = ++uses_;
  if (!o.readers[index]) {
    const ShardEntry& e = o.entry->shards[index];
    const std::string path = dir_ + "/" + e.file;
    if (options_.verify_checksums && !o.verified[index]) {
      const std::string sum = sha256_file(path);
      if (sum != e.sha256) {
        throw IoError(
            fmt::format("{}: checksum {} does not match the manifest's {}; the file "
                        "is corrupted or was replaced",
                        path, sum.substr(0, 12), e.sha256.substr(0, 12)));
      }
      o.verified[index] = true;
    }
    if (options_.max_open_shards > 0 && o.open >= options_.max_open_shards) {
      size_t oldest = index;
      for (size_t k = 0; k < o.readers.size(); ++k) {
        if (o.readers[k] && (oldest == index || o.last_use[k] < o.last_use[oldest])) oldest = k;
      }
      o.readers[oldest].reset();
      --o.open;
    }
    auto reader = std::make_unique<ShardReader>(path, o.cache_bytes);
    const ShardInfo& info = reader->info();
    if (info.domain != manifest_.domain || info.split != split || info.num_examples != e.examples ||
        info.vocab_hash != manifest_.vocab_hash || info.settings_hash != manifest_.settings_hash) {
      throw IoError(
          fmt::format("{}: a shard of another dataset (domain {}, split {}, {} "
                      "examples, settings {}) where the manifest expects domain {}, "
                      "split {}, {} examples, settings {}",
                      path, info.domain, info.split, info.num_examples, info.settings_hash,
                      manifest_.domain, split, e.examples, manifest_.settings_hash));
    }
    o.readers[index] = std::move(reader);
    ++o.open;
    ++shards_opened_;
  }
  return *o.readers[index];
}

StoredExample Dataset::get(const std::string& split, int64_t index) {
  OpenSplit& o = open_split(split);
  if (index < 0 || index >= o.starts.back()) {
    throw ConfigError(fmt::format("{}: split '{}' has {} examples; index {} is outside", dir_,
                                  split, o.starts.back(), index));
  }
  const auto it = std::upper_bound(o.starts.begin(), o.starts.end(), index);
  const size_t k = static_cast<size_t>(it - o.starts.begin()) - 1;
  return shard(split, k).read(index - o.starts[k]);
}

}  // namespace data
}  // namespace lasynth
