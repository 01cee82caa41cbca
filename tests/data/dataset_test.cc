#include "data/dataset.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "data/generate.h"
#include "data/loader.h"
#include "lang/domains.h"
#include "test_files.h"

namespace lasynth {
namespace data {
namespace {

using testing::ScratchDir;

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

TEST(Dataset, SplitsShareNoProgramAndFollowTheClassRule) {
  ScratchDir dir;
  Dataset ds(make_dataset(dir));
  const auto domain = make_domain("c");
  std::set<std::vector<int32_t>> train;
  for (int64_t i = 0; i < ds.size("train"); ++i) {
    const auto ex = ds.get("train", i);
    train.insert(ex.tokens);
    ASSERT_TRUE(class_fits_split(program_class(domain->vocabulary().decode(ex.tokens)), "train"));
  }
  for (const char* split : {"val", "test"}) {
    for (int64_t i = 0; i < ds.size(split); ++i) {
      const auto ex = ds.get(split, i);
      EXPECT_EQ(train.count(ex.tokens), 0u);
      EXPECT_TRUE(class_fits_split(program_class(domain->vocabulary().decode(ex.tokens)), split));
    }
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

TEST(BatchLoader, ReportsAMissingDataset) {
  LoaderOptions o;
  o.dir = "/nonexistent/lasynth";
  EXPECT_THROW(BatchLoader loader(o), IoError);
}

}  // namespace
}  // namespace data
}  // namespace lasynth
