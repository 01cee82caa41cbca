#include "data/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "core/error.h"

namespace lasynth {
namespace data {
namespace {

SamplerOptions opts(int64_t n, int64_t batch, int world, int rank) {
  SamplerOptions o;
  o.num_examples = n;
  o.batch_size = batch;
  o.world_size = world;
  o.rank = rank;
  o.seed = 42;
  return o;
}

TEST(DistributedSampler, UnionOfRanksIsTheOneRankGlobalBatch) {
  for (int world : {2, 3, 4}) {
    DistributedSampler one(opts(103, 4 * world, 1, 0));
    std::vector<DistributedSampler> ranks;
    for (int r = 0; r < world; ++r) ranks.emplace_back(opts(103, 4, world, r));
    ASSERT_EQ(one.steps_per_epoch(), ranks[0].steps_per_epoch());
    for (int64_t epoch : {0, 1, 5}) {
      for (int64_t step = 0; step < one.steps_per_epoch(); ++step) {
        std::vector<int64_t> joined;
        for (auto& s : ranks) {
          ASSERT_EQ(s.steps_per_epoch(), one.steps_per_epoch());
          const auto b = s.batch(epoch, step);
          joined.insert(joined.end(), b.begin(), b.end());
        }
        ASSERT_EQ(joined, one.batch(epoch, step)) << world << " " << epoch << " " << step;
      }
    }
  }
}

TEST(DistributedSampler, EveryExampleOnceAnEpochAndTheLastWindowIsShort) {
  DistributedSampler r0(opts(10, 3, 2, 0)), r1(opts(10, 3, 2, 1));
  EXPECT_EQ(r0.steps_per_epoch(), 2);  // windows of 6: 6 + 4
  std::multiset<int64_t> seen;
  for (int64_t step = 0; step < 2; ++step) {
    for (auto* s : {&r0, &r1}) {
      for (int64_t i : s->batch(0, step)) seen.insert(i);
    }
  }
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_EQ(std::set<int64_t>(seen.begin(), seen.end()).size(), 10u);
  EXPECT_EQ(r0.batch(0, 1).size(), 3u);
  EXPECT_EQ(r1.batch(0, 1).size(), 1u);
  // A rank entirely past the end gets an empty batch but still has the step.
  DistributedSampler r3(opts(10, 3, 4, 3));
  EXPECT_EQ(r3.steps_per_epoch(), 1);
  EXPECT_EQ(r3.batch(0, 0).size(), 1u);
  DistributedSampler far(opts(7, 3, 4, 3));
  EXPECT_TRUE(far.batch(0, 0).empty());
  SamplerOptions drop = opts(10, 3, 2, 0);
  drop.drop_last = true;
  EXPECT_EQ(DistributedSampler(drop).steps_per_epoch(), 1);
}

TEST(DistributedSampler, DeterministicPerSeedAndEpoch) {
  DistributedSampler a(opts(1000, 10, 1, 0)), b(opts(1000, 10, 1, 0));
  EXPECT_EQ(a.batch(3, 7), b.batch(3, 7));
  EXPECT_NE(a.batch(3, 7), a.batch(4, 7));
  SamplerOptions other = opts(1000, 10, 1, 0);
  other.seed = 43;
  EXPECT_NE(DistributedSampler(other).batch(3, 7), a.batch(3, 7));
  SamplerOptions ordered = opts(1000, 10, 1, 0);
  ordered.shuffle = false;
  EXPECT_EQ(DistributedSampler(ordered).batch(2, 1),
            (std::vector<int64_t>{10, 11, 12, 13, 14, 15, 16, 17, 18, 19}));
}

TEST(DistributedSampler, RejectsBadOptions) {
  EXPECT_THROW(DistributedSampler(opts(10, 2, 2, 2)), ConfigError);
  EXPECT_THROW(DistributedSampler(opts(10, 0, 1, 0)), ConfigError);
  DistributedSampler s(opts(10, 2, 1, 0));
  EXPECT_THROW(s.batch(0, 5), ConfigError);
}

}  // namespace
}  // namespace data
}  // namespace lasynth
