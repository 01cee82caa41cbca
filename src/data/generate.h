// Dataset generation, cut into independent units (one shard each) so that threads, MPI ranks and
// SLURM array tasks can share the work and still produce byte-identical shards: a unit's examples
// depend only on (seed, split, shard index), never on who generates it.
//
// Splits never share a function: a program's behaviour (its outputs, or failures, on the
// domain's fixed probe inputs: behaviour_signature) hashes into one of 64 classes; test takes
// class 0, val class 1, train the rest, so a test program occurs in training under no other text
// either. Within a shard program texts are unique; across shards of one split a repeat is
// possible (counted by `lasynth-data stats`). Val and test hold each function once (a function's
// signature picks its shard), so that they measure functions, not the generator's favourites,
// as long as the task has new functions of their class; then repeats fill the shard, with a
// warning on standard error.
#ifndef LASYNTH_DATA_GENERATE_H_
#define LASYNTH_DATA_GENERATE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/manifest.h"
#include "lang/domain.h"

namespace lasynth {
namespace data {

struct GenerateOptions {
  std::string domain = "c";
  DomainOptions domain_options;  // only the limits given; defaults fill the rest
  // The named task (lang/presets.h) the limits came from, "" for none. Recorded for people and
  // for stats; the limits themselves decide the shards.
  std::string preset;
  int64_t train = 1000;
  int64_t val = 100;
  int64_t test = 100;
  int shards = 4;       // shards per split (a split never gets more shards than examples)
  int eval_shards = 0;  // shards of val and of test each; 0: the same as `shards`
  uint64_t seed = 1;
};

// One shard to generate.
struct WorkUnit {
  std::string split;
  int shard = 0;
  int num_shards = 1;
  int64_t examples = 0;
  std::string file() const;  // relative path in the dataset
};

// Every unit of a dataset, in a fixed order: test, val, then train shards. Splits with 0 examples
// have none; a split with fewer examples than shards gets one shard per example. Throws
// ConfigError for counts or shard numbers that make no sense.
std::vector<WorkUnit> plan_units(const GenerateOptions& options);

// Identifies everything that decides the shards' contents (domain and all its limits, counts,
// shards, seed, formats); written into every shard and the manifest.
std::string settings_hash(const GenerateOptions& options, const Domain& domain);

// The class (0..63) of a program of behaviour `signature` (behaviour_signature): 0 test, 1 val,
// 2..63 train.
int behaviour_class(uint64_t signature);
// The class of a program given by its tokens. Throws ParseError when they are not a program.
int program_class(const Domain& domain, const std::vector<std::string>& tokens);
bool class_fits_split(int program_class, const std::string& split);

// Generates `unit` and writes DIR/unit.file() atomically. `progress` (may be null) is increased
// by one per example. Returns the manifest entry (sha256 included).
ShardEntry generate_unit(const Domain& domain, const GenerateOptions& options, const WorkUnit& unit,
                         const std::string& dir, std::atomic<int64_t>* progress);

// True when DIR/unit.file() exists and is a finished shard of these settings (its attributes
// match); such a shard is skipped when a run resumes.
bool unit_done(const Domain& domain, const GenerateOptions& options, const WorkUnit& unit,
               const std::string& dir);

// Builds the manifest from the shard files in DIR (checking each is present and finished with
// these settings, and hashing it) and writes it. Throws IoError naming every missing shard.
Manifest finalize(const Domain& domain, const GenerateOptions& options, const std::string& dir);

// The generator's settings as stored in the manifest.
nlohmann::ordered_json options_to_json(const GenerateOptions& options);

// DIR/generation.json records the settings of a run before any shard is written, so that every
// worker (thread, rank, array task) and `lasynth-data finalize` agree on them. Writing it when it
// exists with other settings throws ConfigError (say --force, or use another directory);
// with `force` the directory's old shards and manifest are removed first.
void start_generation(const std::string& dir, const GenerateOptions& options, bool force);
// Throws IoError when DIR has no generation.json.
GenerateOptions read_generation(const std::string& dir);

}  // namespace data
}  // namespace lasynth

#endif  // LASYNTH_DATA_GENERATE_H_
