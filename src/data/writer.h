// Writing a split of examples that come from elsewhere (an importer, the retraining phase) into a
// dataset directory: shards plus an updated manifest.
#ifndef LASYNTH_DATA_WRITER_H_
#define LASYNTH_DATA_WRITER_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/manifest.h"
#include "data/shard.h"
#include "lang/domain.h"

namespace lasynth {
namespace data {

// Writes `examples` as split `split` of DIR in `shards` shards and records it in the manifest
// with `provenance` (under generator.sources.<split>). DIR may be new, or a dataset of the same
// domain, options and vocabulary (other splits are kept). Replacing a split that exists needs
// `force`. Throws ConfigError or IoError. Returns the manifest written.
Manifest write_split(const std::string& dir, const Domain& domain, const std::string& split,
                     const std::vector<StoredExample>& examples, int shards,
                     const nlohmann::ordered_json& provenance, bool force);

}  // namespace data
}  // namespace lasynth

#endif  // LASYNTH_DATA_WRITER_H_
