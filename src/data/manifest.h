// manifest.json: what a dataset directory holds. Written last (atomically), so a directory with a
// manifest is a complete dataset:
//
//   {"lasynth_format": "lasynth-dataset", "format_version": 2,
//    "domain": "c", "domain_options": {"array_len": "5", ...},
//    "vocabulary": {"version": 1, "hash": "…", "tokens": [...]},
//    "settings_hash": "…",          the shards' settings_hash attribute
//    "generator": {...},            how it was made: tool, seed, counts, shards (free-form)
//    "splits": {"train": {"examples": N, "shards": [{"file": "train/shard-…h5",
//                                                    "examples": n, "sha256": "…"}, ...]},
//               "val": {...}, "test": {...}}}
#ifndef LASYNTH_DATA_MANIFEST_H_
#define LASYNTH_DATA_MANIFEST_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lang/domain.h"

namespace lasynth {
namespace data {

struct ShardEntry {
  std::string file;  // relative to the dataset directory
  int64_t examples = 0;
  std::string sha256;
};

struct SplitEntry {
  std::string name;
  std::vector<ShardEntry> shards;
  int64_t examples() const;
};

struct Manifest {
  std::string domain;
  DomainOptions domain_options;
  int vocab_version = 0;
  std::string vocab_hash;
  std::vector<std::string> vocab_tokens;
  std::string settings_hash;
  nlohmann::ordered_json generator = nlohmann::ordered_json::object();
  std::vector<SplitEntry> splits;  // in kSplits order, only those present

  // nullptr when the dataset has no such split.
  const SplitEntry* split(const std::string& name) const;

  nlohmann::ordered_json to_json() const;
  // Throws IoError naming `where` for anything missing, malformed or of another format.
  static Manifest from_json(const nlohmann::json& json, const std::string& where);
};

// Writes DIR/manifest.json atomically (temporary file, then rename).
void write_manifest(const std::string& dir, const Manifest& manifest);

// Reads DIR/manifest.json; throws IoError naming the file and the problem (and, when it is
// missing, what to run).
Manifest read_manifest(const std::string& dir);

}  // namespace data
}  // namespace lasynth

#endif  // LASYNTH_DATA_MANIFEST_H_
