#include "data/dataset.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "core/error.h"
#include "data/generate.h"
#include "data/loader.h"
#include "lang/domains.h"
#include "test_files.h"

namespace lasynth {
namespace data {
namespace {

using testing::read_file;
using testing::ScratchDir;
using testing::write_file;

// A small generated dataset: 3 train shards of 1000 + 1000 + 999, val 100, test 100.
std::string make_dataset(const ScratchDir& dir) {
  GenerateOptions o;
  o.train = 2999;
  o.val = 100;
  o.test = 100;
  o.shards = 3;
  o.eval_shards = 1;
  o.seed = 3;
  const auto domain = make_domain("c");
  start_generation(dir.path("d"), o, false);
  for (const WorkUnit& u : plan_units(o)) generate_unit(*domain, o, u, dir.path("d"), nullptr);
  finalize(*domain, o, dir.path("d"));
  return dir.path("d");
}

TEST(Dataset, RandomAccessAcrossShards) {
  ScratchDir dir;
  Dataset ds(make_dataset(dir), /*verify_checksums=*/true);
  EXPECT_EQ(ds.size("train"), 2999);
  EXPECT_EQ(ds.size("val"), 100);
  EXPECT_EQ(ds.size("nope"), 0);
  std::vector<StoredExample> all;
  for (size_t k = 0; k < 3; ++k) {
    for (auto& ex : ds.shard("train", k).read_all()) all.push_back(std::move(ex));
  }
  ASSERT_EQ(all.size(), 2999u);
  for (int64_t i : {0, 999, 1000, 1999, 2000, 2998}) {
    const StoredExample ex = ds.get("train", i);
    EXPECT_EQ(ex.tokens, all[i].tokens) << i;
    EXPECT_EQ(ex.io[7].output, all[i].io[7].output) << i;
  }
  EXPECT_THROW(ds.get("train", 2999), ConfigError);
  EXPECT_THROW(ds.get("unknown", 0), ConfigError);
}

// A bounded reader: past max_open_shards the least recently used shard is closed, and opened
// again (checked again) when it is next read; what it reads does not change.
TEST(Dataset, KeepsAtMostMaxOpenShardsClosingTheLeastRecentlyUsed) {
  ScratchDir dir;
  const std::string d = make_dataset(dir);
  Dataset all(d);
  ReadOptions bounded;
  bounded.max_open_shards = 2;
  bounded.cache_bytes = 1 << 20;
  bounded.verify_checksums = true;
  Dataset few(d, bounded);
  for (int64_t i : {0, 1000, 1, 1001})
    EXPECT_EQ(few.get("train", i).tokens, all.get("train", i).tokens);
  EXPECT_EQ(few.shards_opened(), 2);
  EXPECT_EQ(few.get("train", 2000).tokens, all.get("train", 2000).tokens);  // closes shard 0
  EXPECT_EQ(few.shards_opened(), 3);
  EXPECT_EQ(few.get("train", 1002).tokens, all.get("train", 1002).tokens);  // still open
  EXPECT_EQ(few.shards_opened(), 3);
  EXPECT_EQ(few.get("train", 2).tokens, all.get("train", 2).tokens);  // opened again
  EXPECT_EQ(few.shards_opened(), 4);
  ReadOptions negative;
  negative.cache_bytes = -1;
  EXPECT_THROW(Dataset(d, negative), ConfigError);
}

TEST(Dataset, SplitsShareNoFunctionAndFollowTheClassRule) {
  ScratchDir dir;
  Dataset ds(make_dataset(dir));
  const auto domain = make_domain("c");
  std::map<std::string, std::set<uint64_t>> functions;
  std::set<std::vector<int32_t>> train;
  for (const char* split : {"train", "val", "test"}) {
    for (int64_t i = 0; i < ds.size(split); ++i) {
      const auto ex = ds.get(split, i);
      const auto tokens = domain->vocabulary().decode(ex.tokens);
      if (std::string(split) == "train") {
        train.insert(ex.tokens);
      } else {
        EXPECT_EQ(train.count(ex.tokens), 0u);
      }
      functions[split].insert(behaviour_signature(*domain, *domain->parse(tokens)));
      ASSERT_TRUE(class_fits_split(program_class(*domain, tokens), split)) << split << " " << i;
    }
  }
  for (uint64_t f : functions["train"]) {
    EXPECT_EQ(functions["val"].count(f) + functions["test"].count(f), 0u);
  }
  for (uint64_t f : functions["val"]) EXPECT_EQ(functions["test"].count(f), 0u);
  // Test programs compute many functions, not a few under many texts (41 in 100 here: a common
  // function has many texts, and they all fall in its class).
  EXPECT_GT(functions["test"].size(), 30u);
}

TEST(BehaviourClass, TextsComputingTheSameFunctionShareAClass) {
  const auto c = make_domain("c");
  auto signature = [&](const std::string& body) {
    return behaviour_signature(
        *c, *c->parse_source("int * func_1(int a[]) { " + body + " return a; }"));
  };
  const uint64_t plus_one = signature("a[0] = a[0] + 1;");
  EXPECT_EQ(signature("a[0] += 1;"), plus_one);
  EXPECT_EQ(signature("a[0]++;"), plus_one);
  EXPECT_EQ(signature("int l_0 = 1; a[0] = l_0 + a[0];"), plus_one);
  EXPECT_NE(signature("a[0] += 2;"), plus_one);
  EXPECT_NE(signature("a[1] += 1;"), plus_one);
  // A branch only one cell's value takes is seen by the probes.
  EXPECT_NE(signature("if (a[2] == 3) { a[2] = 0; } a[0] += 1;"), plus_one);
  // So is a failure on some inputs: division by a cell that is sometimes 0.
  EXPECT_NE(signature("a[0] = a[0] + 1 + 0 / a[3];"), plus_one);
  const auto tokens = [&](const std::string& body) {
    return c->parse_source("int * func_1(int a[]) { " + body + " return a; }")->tokens();
  };
  EXPECT_EQ(program_class(*c, tokens("a[0] = a[0] + 1;")), program_class(*c, tokens("a[0] += 1;")));

  const auto karel = make_domain("karel");
  auto karel_signature = [&](const std::string& text) {
    return behaviour_signature(*karel, *karel->parse_source(text));
  };
  EXPECT_EQ(karel_signature("DEF run m( move move m)"),
            karel_signature("DEF run m( REPEAT R=2 r( move r) m)"));
  EXPECT_NE(karel_signature("DEF run m( move m)"), karel_signature("DEF run m( turnLeft m)"));
}

TEST(BehaviourClass, ProbesAreFixedAndCoverTheInputRange) {
  const auto c = make_domain("c");
  const std::vector<Value>& probes = c->probe_inputs();
  ASSERT_EQ(probes.size(), 128u);
  EXPECT_EQ(probes, make_domain("c")->probe_inputs());
  EXPECT_EQ(probes[0], (Value{0, 0, 0, 0, 0}));
  EXPECT_EQ(probes[1], (Value{4, 4, 4, 4, 4}));
  EXPECT_EQ(probes[2], (Value{-4, -4, -4, -4, -4}));
  std::set<int32_t> seen;
  for (const Value& v : probes) {
    ASSERT_EQ(v.size(), 5u);
    for (int32_t x : v) {
      ASSERT_LE(std::abs(x), 4);
      seen.insert(x);
    }
  }
  EXPECT_EQ(seen.size(), 9u);
  EXPECT_EQ(make_domain("karel")->probe_inputs().size(), 16u);
}

TEST(Dataset, AnOlderFormatIsRefusedWithTheCommandThatRemakesIt) {
  ScratchDir dir;
  const std::string d = make_dataset(dir);
  nlohmann::json manifest = nlohmann::json::parse(testing::read_file(d + "/manifest.json"));
  manifest["format_version"] = 1;
  testing::write_file(d + "/manifest.json", manifest.dump());
  try {
    Dataset ds(d);
    FAIL() << "no error";
  } catch (const IoError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("manifest.json: dataset format version 1; this lasynth reads version 2"),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("regenerate it with `lasynth-datagen --domain c --array-len 5"),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("--output-range 4"), std::string::npos) << what;
    EXPECT_NE(what.find("--train 2999 --val 100 --test 100 --shards 3 --eval-shards 1 --seed 3 "
                        "--out " +
                        d + " --force`"),
              std::string::npos)
        << what;
  }
}

TEST(Dataset, ChecksumsCatchAChangedShard) {
  ScratchDir dir;
  const std::string d = make_dataset(dir);
  const std::string shard = d + "/val/shard-00000-of-00001.h5";
  std::string bytes = testing::read_file(shard);
  bytes[bytes.size() - 10] ^= 1;
  testing::write_file(shard, bytes);
  Dataset checked(d, true);
  try {
    checked.get("val", 0);
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("shard-00000-of-00001.h5: checksum"), std::string::npos)
        << e.what();
  }
}

GenerateOptions small_generation() {
  GenerateOptions o;
  o.train = 40;
  o.val = 10;
  o.test = 10;
  o.shards = 2;
  o.eval_shards = 1;
  return o;
}

TEST(StartGeneration, AnotherStartersPlanAndShardsAreNotStrangersButOtherFilesAre) {
  ScratchDir dir;
  const GenerateOptions o = small_generation();
  const std::string d = dir.path("d");
  std::filesystem::create_directories(d);
  // A task of the same array that has begun writing its plan but not yet renamed it.
  write_file(d + "/generation.json.partial-999999", "{");
  EXPECT_NO_THROW(start_generation(d, o, false));
  std::filesystem::create_directories(d + "/train");
  EXPECT_NO_THROW(start_generation(d, o, false));

  GenerateOptions other = o;
  other.seed = o.seed + 1;
  EXPECT_THROW(start_generation(d, other, false), ConfigError);

  const std::string e = dir.path("e");
  std::filesystem::create_directories(e);
  write_file(e + "/notes.txt", "mine");
  EXPECT_THROW(start_generation(e, o, false), ConfigError);
  EXPECT_EQ(read_file(e + "/notes.txt"), "mine");
}

TEST(StartGeneration, TasksStartingTogetherAllAgree) {
  ScratchDir dir;
  const GenerateOptions o = small_generation();
  const std::string d = dir.path("d");
  std::vector<pid_t> children;
  for (int k = 0; k < 8; ++k) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      try {
        start_generation(d, o, false);
        _exit(0);
      } catch (...) {
        _exit(1);
      }
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a starter failed";
  }
  EXPECT_EQ(read_generation(d).seed, o.seed);
}

TEST(BatchLoader, YieldsTheSamplersBatchesPadded) {
  ScratchDir dir;
  const std::string d = make_dataset(dir);
  LoaderOptions o;
  o.dir = d;
  o.split = "val";
  o.sampler.batch_size = 16;
  o.sampler.world_size = 2;
  o.sampler.rank = 1;
  o.sampler.seed = 9;
  BatchLoader loader(o, /*epoch=*/1, /*step=*/2);
  EXPECT_EQ(loader.steps_per_epoch(), 4);  // windows of 32 over 100 examples
  Dataset ds(d);
  SamplerOptions so = o.sampler;
  so.num_examples = 100;
  DistributedSampler sampler(so);
  int64_t epoch = 0, step = 0;
  for (int n = 0; n < 6; ++n) {
    const Batch b = loader.next(&epoch, &step);
    const int64_t want_epoch = 1 + (2 + n) / 4, want_step = (2 + n) % 4;
    ASSERT_EQ(epoch, want_epoch);
    ASSERT_EQ(step, want_step);
    ASSERT_EQ(b.indices, sampler.batch(epoch, step));
    ASSERT_EQ(b.size, static_cast<int64_t>(b.indices.size()));
    for (int64_t i = 0; i < b.size; ++i) {
      const StoredExample ex = ds.get("val", b.indices[i]);
      const int32_t* row = b.tokens.data() + i * b.max_len;
      EXPECT_EQ(row[0], Vocabulary::kBos);
      EXPECT_TRUE(std::equal(ex.tokens.begin(), ex.tokens.end(), row + 1));
      EXPECT_EQ(row[ex.tokens.size() + 1], Vocabulary::kEos);
      EXPECT_EQ(b.lengths[i], static_cast<int32_t>(ex.tokens.size() + 2));
      for (int64_t t = b.lengths[i]; t < b.max_len; ++t) EXPECT_EQ(row[t], Vocabulary::kPad);
      EXPECT_EQ(b.inputs[(i * 10 + 9) * 5 + 4], ex.io[9].input[4]);
      EXPECT_EQ(b.outputs[(i * 10 + 3) * 5 + 0], ex.io[3].output[0]);
    }
  }
  // The last window of an epoch (100 = 3 * 32 + 4) leaves rank 1 nothing: an empty batch.
  o.sampler.rank = 1;
  BatchLoader tail(o, 0, 3);
  EXPECT_EQ(tail.next().size, 0);
}

// Shuffled by shards, the loader yields the sampler's batches (shard sizes from the manifest)
// while keeping two windows of shards open: each shard is opened once an epoch.
TEST(BatchLoader, ShuffledByShardsOpensEachShardOnceAnEpoch) {
  ScratchDir dir;
  const std::string d = make_dataset(dir);
  LoaderOptions o;
  o.dir = d;
  o.sampler.batch_size = 50;
  o.sampler.seed = 4;
  o.sampler.shuffle = Shuffle::kShards;
  o.sampler.shard_window = 1;
  o.read.max_open_shards = 1;
  BatchLoader loader(o);
  ASSERT_EQ(loader.steps_per_epoch(), 60);
  SamplerOptions so = o.sampler;
  so.num_examples = 2999;
  so.shard_sizes = {1000, 1000, 999};
  DistributedSampler sampler(so);
  // The loader keeps one shard open of three, so shard 0 closes during the epoch: its batches
  // must still be the examples, as an unbounded reader reads them.
  Dataset all(d);
  const ShardInfo& info = all.shard("train", 0).info();
  std::set<int64_t> seen;
  for (int64_t s = 0; s < loader.steps_per_epoch(); ++s) {
    const Batch b = loader.next();
    ASSERT_EQ(b.indices, sampler.batch(0, s));
    std::vector<StoredExample> examples;
    for (int64_t i : b.indices) examples.push_back(all.get("train", i));
    const Batch want = make_batch(examples, b.indices, info.io_pairs, info.value_size, {});
    ASSERT_EQ(b.value_size, want.value_size) << s;
    ASSERT_EQ(b.tokens, want.tokens) << s;
    ASSERT_EQ(b.inputs, want.inputs) << s;
    ASSERT_EQ(b.outputs, want.outputs) << s;
    seen.insert(b.indices.begin(), b.indices.end());
  }
  EXPECT_EQ(seen.size(), 2999u);
  // The same reads through a reader of two open shards: three opens, one per shard.
  ReadOptions two;
  two.max_open_shards = 2;
  Dataset ds(d, two);
  for (int64_t s = 0; s < loader.steps_per_epoch(); ++s) {
    for (int64_t i : sampler.batch(0, s)) ds.get("train", i);
  }
  EXPECT_EQ(ds.shards_opened(), 3);
  // Shuffled by examples, the same reader reopens shards over and over.
  SamplerOptions by_examples = so;
  by_examples.shuffle = Shuffle::kExamples;
  DistributedSampler everywhere(by_examples);
  Dataset thrash(d, two);
  for (int64_t s = 0; s < 10; ++s) {
    for (int64_t i : everywhere.batch(0, s)) thrash.get("train", i);
  }
  EXPECT_GT(thrash.shards_opened(), 50);
}

// Training batches carry the specification pairs only: the first `pairs` of each example.
TEST(BatchLoader, CarriesTheFirstPairsWhenAsked) {
  ScratchDir dir;
  const std::string d = make_dataset(dir);
  LoaderOptions o;
  o.dir = d;
  o.split = "val";
  o.sampler.batch_size = 8;
  o.pairs = 5;
  BatchLoader loader(o);
  const Batch b = loader.next();
  ASSERT_EQ(b.io_pairs, 5);
  ASSERT_EQ(b.inputs.size(), static_cast<size_t>(b.size * 5 * 5));
  Dataset ds(d);
  for (int64_t i = 0; i < b.size; ++i) {
    const StoredExample ex = ds.get("val", b.indices[i]);
    for (int k = 0; k < 5; ++k) {
      EXPECT_TRUE(std::equal(ex.io[k].input.begin(), ex.io[k].input.end(),
                             b.inputs.begin() + (i * 5 + k) * 5));
      EXPECT_TRUE(std::equal(ex.io[k].output.begin(), ex.io[k].output.end(),
                             b.outputs.begin() + (i * 5 + k) * 5));
    }
  }
  o.pairs = 11;
  BatchLoader too_many(o);
  try {
    too_many.next();
    FAIL() << "11 pairs of examples that have 10";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("batches of 11 pairs asked, but its examples have 10"),
              std::string::npos)
        << e.what();
  }
}

// The models neither read nor decode the domain's fixed prefix (C's header): batches leave it
// out, and a program without it is refused, naming the example.
TEST(BatchLoader, LeavesOutTheDomainsFixedPrefix) {
  ScratchDir dir;
  const std::string d = make_dataset(dir);
  Dataset ds(d);
  const auto domain = make_domain(ds.manifest().domain, ds.manifest().domain_options);
  LoaderOptions o;
  o.dir = d;
  o.split = "val";
  o.sampler.batch_size = 8;
  o.prefix = domain->fixed_prefix_ids();
  ASSERT_EQ(o.prefix.size(), 9u);  // int * func_1 ( int a [ ] )
  BatchLoader loader(o);
  const Batch b = loader.next();
  for (int64_t i = 0; i < b.size; ++i) {
    const StoredExample ex = ds.get("val", b.indices[i]);
    const int32_t* row = b.tokens.data() + i * b.max_len;
    EXPECT_EQ(row[0], Vocabulary::kBos);
    EXPECT_EQ(row[1], domain->vocabulary().find("{"));
    EXPECT_TRUE(std::equal(ex.tokens.begin() + 9, ex.tokens.end(), row + 1));
    EXPECT_EQ(b.lengths[i], static_cast<int32_t>(ex.tokens.size() - 9 + 2));
  }
  std::vector<StoredExample> examples{ds.get("val", 0)};
  examples[0].tokens.erase(examples[0].tokens.begin());
  try {
    make_batch(examples, {42}, 5, 5, o.prefix);
    FAIL() << "a program without the header";
  } catch (const ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("example 42"), std::string::npos) << e.what();
  }
}

TEST(BatchLoader, ReportsAMissingDataset) {
  LoaderOptions o;
  o.dir = "/nonexistent/lasynth";
  EXPECT_THROW(BatchLoader loader(o), IoError);
}

}  // namespace
}  // namespace data
}  // namespace lasynth
