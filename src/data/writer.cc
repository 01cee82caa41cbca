#include "data/writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "core/hash.h"
#include "core/sha256.h"
#include "data/format.h"

namespace lasynth {
namespace data {

Manifest write_split(const std::string& dir, const Domain& domain, const std::string& split,
                     const std::vector<StoredExample>& examples, int shards,
                     const nlohmann::ordered_json& provenance, bool force) {
  namespace fs = std::filesystem;
  if (std::find_if(std::begin(kSplits), std::end(kSplits),
                   [&](const char* s) { return split == s; }) == std::end(kSplits)) {
    throw ConfigError(fmt::format("split '{}' is not one of train, val, test", split));
  }
  if (examples.empty()) throw ConfigError(fmt::format("no examples to write as '{}'", split));
  shards = std::max(1, std::min<int>(shards, static_cast<int>(examples.size())));

  Manifest m;
  const bool exists = fs::exists(fs::path(dir) / kManifestName);
  if (exists) {
    m = read_manifest(dir);
    if (m.domain != domain.name() || m.vocab_hash != domain.vocabulary().hash_hex() ||
        m.domain_options != domain.options()) {
      throw ConfigError(
          fmt::format("{} holds a {} dataset with other settings; write to "
                      "another directory",
                      dir, m.domain));
    }
    if (m.split(split) && !force) {
      throw ConfigError(
          fmt::format("{} already has a '{}' split; pass --force to replace it", dir, split));
    }
    m.splits.erase(std::remove_if(m.splits.begin(), m.splits.end(),
                                  [&](const SplitEntry& s) { return s.name == split; }),
                   m.splits.end());
  } else {
    if (fs::exists(dir) && !fs::is_empty(dir) && !force) {
      throw ConfigError(
          fmt::format("{} exists and is not a lasynth dataset; pass --force or "
                      "choose another directory",
                      dir));
    }
    m.domain = domain.name();
    m.domain_options = domain.options();
    m.vocab_version = domain.vocabulary().version();
    m.vocab_hash = domain.vocabulary().hash_hex();
    m.vocab_tokens = domain.vocabulary().tokens();
    m.settings_hash =
        hex64(fnv1a64(fmt::format("imported|{}|{}|{}", domain.name(),
                                  nlohmann::json(domain.options()).dump(), m.vocab_hash)));
    m.generator["tool"] = "lasynth-data";
  }
  fs::remove_all(fs::path(dir) / split);

  ShardInfo info;
  info.domain = domain.name();
  info.split = split;
  info.num_shards = shards;
  info.io_pairs = domain.io_pairs();
  info.num_spec = domain.num_spec();
  int64_t v = 1;
  for (int64_t d : domain.value_shape()) v *= d;
  info.value_size = static_cast<int>(v);
  info.domain_options = nlohmann::json(domain.options()).dump();
  info.vocab_hash = m.vocab_hash;
  info.settings_hash = m.settings_hash;
  SplitEntry entry{split, {}};
  const size_t n = examples.size();
  for (int k = 0; k < shards; ++k) {
    const size_t begin = n * static_cast<size_t>(k) / static_cast<size_t>(shards);
    const size_t end = n * static_cast<size_t>(k + 1) / static_cast<size_t>(shards);
    info.shard_index = k;
    const std::string file = shard_file_name(split, k, shards);
    write_shard(dir + "/" + file, info,
                std::vector<StoredExample>(examples.begin() + static_cast<long>(begin),
                                           examples.begin() + static_cast<long>(end)));
    entry.shards.push_back(
        {file, static_cast<int64_t>(end - begin), sha256_file(dir + "/" + file)});
  }
  m.splits.push_back(std::move(entry));
  std::sort(m.splits.begin(), m.splits.end(), [](const SplitEntry& a, const SplitEntry& b) {
    auto rank = [](const std::string& s) {
      for (int i = 0; i < 3; ++i) {
        if (s == kSplits[i]) return i;
      }
      return 3;
    };
    return rank(a.name) < rank(b.name);
  });
  m.generator["sources"][split] = provenance;
  write_manifest(dir, m);
  return m;
}

}  // namespace data
}  // namespace lasynth
