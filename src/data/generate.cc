#include "data/generate.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <unordered_set>

#include "core/error.h"
#include "core/hash.h"
#include "core/rng.h"
#include "core/sha256.h"
#include "data/format.h"
#include "data/shard.h"

namespace lasynth {
namespace data {
namespace {

constexpr int kClasses = 64;

// How splits are chosen, as the manifest records it (generator.split_rule).
constexpr const char* kSplitRule =
    "behaviour class = fnv1a64(outputs or failures on the domain's probe inputs, probe set 1: "
    "c 128 arrays, karel 16 worlds) % 64: test 0, val 1, train 2..63; program texts unique "
    "within a shard; val and test: each function once, in the shard (mixed signature / 64) % "
    "shards, while the class has new functions";

// Val or test shards take repeated functions once this many programs of their class in a row were
// functions they already hold: the task has too few functions of the class for the examples asked.
constexpr int64_t kMaxRepeatsInARow = 2000;

uint64_t split_id(const std::string& split) {
  for (uint64_t i = 0; i < 3; ++i) {
    if (split == kSplits[i]) return i;
  }
  return 99;
}

ShardInfo info_for(const Domain& domain, const GenerateOptions& options, const WorkUnit& unit) {
  ShardInfo info;
  info.domain = domain.name();
  info.split = unit.split;
  info.shard_index = unit.shard;
  info.num_shards = unit.num_shards;
  info.num_examples = unit.examples;
  info.io_pairs = domain.io_pairs();
  info.num_spec = domain.num_spec();
  int64_t v = 1;
  for (int64_t d : domain.value_shape()) v *= d;
  info.value_size = static_cast<int>(v);
  info.domain_options = nlohmann::json(domain.options()).dump();
  info.vocab_hash = domain.vocabulary().hash_hex();
  info.settings_hash = settings_hash(options, domain);
  return info;
}

}  // namespace

std::string WorkUnit::file() const { return shard_file_name(split, shard, num_shards); }

std::vector<WorkUnit> plan_units(const GenerateOptions& o) {
  if (o.train < 0 || o.val < 0 || o.test < 0) {
    throw ConfigError("example counts must not be negative");
  }
  if (o.shards < 1 || o.eval_shards < 0 || o.shards > 99999 || o.eval_shards > 99999) {
    throw ConfigError(
        fmt::format("--shards ({}) must be in [1, 99999] and --eval-shards ({}) in "
                    "[0, 99999]",
                    o.shards, o.eval_shards));
  }
  std::vector<WorkUnit> units;
  auto add = [&](const char* split, int64_t total, int shards) {
    if (total == 0) return;
    shards = static_cast<int>(std::min<int64_t>(shards, total));
    for (int k = 0; k < shards; ++k) {
      units.push_back({split, k, shards, total / shards + (k < total % shards ? 1 : 0)});
    }
  };
  const int eval_shards = o.eval_shards > 0 ? o.eval_shards : o.shards;
  add("test", o.test, eval_shards);
  add("val", o.val, eval_shards);
  add("train", o.train, o.shards);
  if (units.empty()) throw ConfigError("nothing to generate: every split has 0 examples");
  return units;
}

std::string settings_hash(const GenerateOptions& o, const Domain& domain) {
  const std::string text =
      fmt::format("v{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", kFormatVersion, domain.name(),
                  nlohmann::json(domain.options()).dump(), domain.vocabulary().hash_hex(), o.train,
                  o.val, o.test, o.shards, o.eval_shards, o.seed);
  return hex64(fnv1a64(text));
}

namespace {

// FNV-1a's low bits depend only on the low bits of the bytes hashed: fold the high ones in.
uint64_t mix(uint64_t signature) {
  signature ^= signature >> 33;
  signature *= 0xff51afd7ed558ccdULL;
  signature ^= signature >> 33;
  return signature;
}

}  // namespace

int behaviour_class(uint64_t signature) { return static_cast<int>(mix(signature) % kClasses); }

int program_class(const Domain& domain, const std::vector<std::string>& tokens) {
  return behaviour_class(behaviour_signature(domain, *domain.parse(tokens)));
}

bool class_fits_split(int c, const std::string& split) {
  if (split == "test") return c == 0;
  if (split == "val") return c == 1;
  return c >= 2;
}

ShardEntry generate_unit(const Domain& domain, const GenerateOptions& options, const WorkUnit& unit,
                         const std::string& dir, std::atomic<int64_t>* progress) {
  const uint64_t seed =
      Rng::derive(options.seed, {split_id(unit.split), static_cast<uint64_t>(unit.shard)})
          .next_u64();
  const auto sampler = domain.make_sampler(seed);
  const Vocabulary& vocab = domain.vocabulary();
  std::vector<StoredExample> examples;
  examples.reserve(static_cast<size_t>(unit.examples));
  // Val and test measure functions, not texts: a frequent function would otherwise fill much of
  // them (124 of 200 test programs of the small preset computed a[4] = a[2]). Each function goes
  // to one shard, so shards generated apart never share one. A task with fewer functions of the
  // class than the shard's examples fills the rest with programs of functions it holds, drawn
  // aside meanwhile, and says so.
  const bool each_function_once = unit.split != "train";
  std::unordered_set<uint64_t> functions;
  std::vector<StoredExample> repeats;
  int64_t repeats_in_a_row = 0;
  bool exhausted = false;
  while (static_cast<int64_t>(examples.size()) < unit.examples && !exhausted) {
    Example ex;
    try {
      ex = sampler->next();
    } catch (const ConfigError&) {
      if (!each_function_once ||
          static_cast<int64_t>(examples.size() + repeats.size()) < unit.examples) {
        throw;
      }
      exhausted = true;  // no new program at all: the repeats drawn so far fill the shard
      continue;
    }
    const uint64_t signature = behaviour_signature(domain, *domain.parse(ex.tokens));
    if (!class_fits_split(behaviour_class(signature), unit.split)) continue;
    if (each_function_once) {
      if ((mix(signature) / kClasses) % static_cast<uint64_t>(unit.num_shards) !=
          static_cast<uint64_t>(unit.shard)) {
        continue;
      }
      if (!functions.insert(signature).second) {
        if (static_cast<int64_t>(repeats.size()) < unit.examples) {
          repeats.push_back({vocab.encode(ex.tokens), std::move(ex.io)});
        }
        exhausted = ++repeats_in_a_row == kMaxRepeatsInARow;
        continue;
      }
      repeats_in_a_row = 0;
    }
    examples.push_back({vocab.encode(ex.tokens), std::move(ex.io)});
    if (progress) ++*progress;
  }
  if (static_cast<int64_t>(examples.size()) < unit.examples) {
    std::fprintf(stderr,
                 "lasynth-datagen: warning: %s shard %d: only %zu distinct functions of its class "
                 "for %lld examples; the rest repeat them (a larger task has more)\n",
                 unit.split.c_str(), unit.shard, examples.size(),
                 static_cast<long long>(unit.examples));
    for (size_t i = 0; static_cast<int64_t>(examples.size()) < unit.examples; ++i) {
      examples.push_back(repeats[i]);
      if (progress) ++*progress;
    }
  }
  const std::string path = dir + "/" + unit.file();
  write_shard(path, info_for(domain, options, unit), examples);
  return {unit.file(), unit.examples, sha256_file(path)};
}

bool unit_done(const Domain& domain, const GenerateOptions& options, const WorkUnit& unit,
               const std::string& dir) {
  const std::string path = dir + "/" + unit.file();
  if (!std::filesystem::exists(path)) return false;
  try {
    ShardReader reader(path);
    const ShardInfo want = info_for(domain, options, unit);
    const ShardInfo& got = reader.info();
    return got.settings_hash == want.settings_hash && got.num_examples == want.num_examples &&
           got.split == want.split && got.shard_index == want.shard_index &&
           got.num_shards == want.num_shards && got.vocab_hash == want.vocab_hash;
  } catch (const IoError&) {
    return false;  // damaged or foreign: generated again
  }
}

nlohmann::ordered_json options_to_json(const GenerateOptions& o) {
  nlohmann::ordered_json j;
  j["tool"] = "lasynth-datagen";
  if (!o.preset.empty()) j["preset"] = o.preset;
  j["seed"] = o.seed;
  j["train"] = o.train;
  j["val"] = o.val;
  j["test"] = o.test;
  j["shards"] = o.shards;
  j["eval_shards"] = o.eval_shards;
  j["split_rule"] = kSplitRule;
  return j;
}

namespace {

constexpr const char* kPlanName = "generation.json";

nlohmann::ordered_json plan_json(const GenerateOptions& o) {
  nlohmann::ordered_json j;
  j["domain"] = o.domain;
  j["domain_options"] = o.domain_options;
  j["generator"] = options_to_json(o);
  return j;
}

GenerateOptions options_from_json(const nlohmann::json& j) {
  GenerateOptions o;
  o.preset = j.value("preset", "");
  o.seed = j.at("seed").get<uint64_t>();
  o.train = j.at("train").get<int64_t>();
  o.val = j.at("val").get<int64_t>();
  o.test = j.at("test").get<int64_t>();
  o.shards = j.at("shards").get<int>();
  o.eval_shards = j.at("eval_shards").get<int>();
  return o;
}

}  // namespace

namespace {

// Array tasks of one SLURM job start at once, each calling start_generation: an entry another
// starter is writing (its partial plan) or has written (the plan, then shards) is not a stranger.
bool holds_strangers(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  if (!fs::exists(dir)) return false;
  const std::string partial = std::string(kPlanName) + ".partial-";
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name != kPlanName && name.rfind(partial, 0) != 0) return true;
  }
  return false;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

void start_generation(const std::string& dir, const GenerateOptions& options, bool force) {
  namespace fs = std::filesystem;
  const fs::path plan = fs::path(dir) / kPlanName;
  const std::string text = plan_json(options).dump(2) + "\n";
  // Listed before the plan is looked for: a starter writes its plan before any shard, so shards
  // seen here mean the plan exists below.
  const bool strangers = holds_strangers(dir);
  if (fs::exists(plan)) {
    if (read_text(plan) == text) return;
    if (!force) {
      throw ConfigError(
          fmt::format("{} was generated with other settings (see {}); pass --force "
                      "to replace it, or choose another --out",
                      dir, plan.string()));
    }
  } else if (strangers && !force) {
    throw ConfigError(
        fmt::format("{} exists and is not a lasynth dataset being generated; pass "
                    "--force to replace its contents, or choose another --out",
                    dir));
  }
  if (force && fs::exists(dir)) {
    for (const char* split : kSplits) fs::remove_all(fs::path(dir) / split);
    fs::remove(fs::path(dir) / kManifestName);
    fs::remove(plan);
  }
  fs::create_directories(dir);
  const std::string tmp = fmt::format("{}.partial-{}", plan.string(), getpid());
  std::ofstream(tmp) << text;
  if (std::rename(tmp.c_str(), plan.c_str()) != 0) {
    throw IoError(fmt::format("{}: cannot write the generation settings", plan.string()));
  }
  if (read_text(plan) != text) {
    throw ConfigError(fmt::format(
        "{}: another lasynth-datagen started generating {} with other settings at the same time; "
        "start the tasks again with the same flags",
        plan.string(), dir));
  }
}

GenerateOptions read_generation(const std::string& dir) {
  const std::string path = dir + "/" + kPlanName;
  std::ifstream in(path);
  if (!in) {
    throw IoError(
        fmt::format("{}: missing; {} was not made by lasynth-datagen (or not started)", path, dir));
  }
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    GenerateOptions o = options_from_json(j.at("generator"));
    o.domain = j.at("domain").get<std::string>();
    o.domain_options = j.at("domain_options").get<DomainOptions>();
    return o;
  } catch (const nlohmann::json::exception& e) {
    throw IoError(fmt::format("{}: malformed ({})", path, e.what()));
  }
}

Manifest finalize(const Domain& domain, const GenerateOptions& options, const std::string& dir) {
  Manifest m;
  m.domain = domain.name();
  m.domain_options = domain.options();
  m.vocab_version = domain.vocabulary().version();
  m.vocab_hash = domain.vocabulary().hash_hex();
  m.vocab_tokens = domain.vocabulary().tokens();
  m.settings_hash = settings_hash(options, domain);
  m.generator = options_to_json(options);
  std::vector<std::string> missing;
  for (const WorkUnit& unit : plan_units(options)) {
    if (!unit_done(domain, options, unit, dir)) {
      missing.push_back(unit.file());
      continue;
    }
    SplitEntry* split = nullptr;
    for (SplitEntry& s : m.splits) {
      if (s.name == unit.split) split = &s;
    }
    if (!split) {
      m.splits.push_back({unit.split, {}});
      split = &m.splits.back();
    }
    split->shards.push_back({unit.file(), unit.examples, sha256_file(dir + "/" + unit.file())});
  }
  if (!missing.empty()) {
    std::string list;
    for (size_t i = 0; i < missing.size() && i < 5; ++i) list += " " + missing[i];
    throw IoError(
        fmt::format("{}: {} shard(s) missing or unfinished:{}{}; run the generator "
                    "again with the same settings to make them",
                    dir, missing.size(), list, missing.size() > 5 ? " ..." : ""));
  }
  std::sort(m.splits.begin(), m.splits.end(), [](const SplitEntry& a, const SplitEntry& b) {
    return split_id(a.name) < split_id(b.name);
  });
  write_manifest(dir, m);
  return m;
}

}  // namespace data
}  // namespace lasynth
