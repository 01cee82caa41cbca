#include "data/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
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
  ordered.shuffle = Shuffle::kNone;
  EXPECT_EQ(DistributedSampler(ordered).batch(2, 1),
            (std::vector<int64_t>{10, 11, 12, 13, 14, 15, 16, 17, 18, 19}));
}

SamplerOptions by_shards(const std::vector<int64_t>& sizes, int64_t window, int64_t batch,
                         int world, int rank) {
  int64_t n = 0;
  for (int64_t size : sizes) n += size;
  SamplerOptions o = opts(n, batch, world, rank);
  o.shuffle = Shuffle::kShards;
  o.shard_sizes = sizes;
  o.shard_window = window;
  return o;
}

// Shuffling by shards: each window of shards fills one run of the epoch's order, shuffled within;
// a rank's batch touches at most two windows; the ranks still make up the one-rank global batch.
TEST(DistributedSampler, ByShardsEachWindowIsOneRunAndRanksReadFewShards) {
  const std::vector<int64_t> sizes = {7, 13, 10, 1, 9, 12, 8, 10, 11, 5};
  std::vector<int64_t> shard_of;
  for (size_t k = 0; k < sizes.size(); ++k) shard_of.insert(shard_of.end(), sizes[k], int64_t(k));
  const int64_t window = 3;
  DistributedSampler one(by_shards(sizes, window, 1, 1, 0));
  std::vector<DistributedSampler> ranks;
  for (int r = 0; r < 4; ++r) ranks.emplace_back(by_shards(sizes, window, 5, 4, r));
  std::vector<std::vector<int64_t>> orders;
  for (int64_t epoch : {0, 1}) {
    std::vector<int64_t> order;
    for (int64_t step = 0; step < one.steps_per_epoch(); ++step) {
      const auto b = one.batch(epoch, step);
      order.insert(order.end(), b.begin(), b.end());
    }
    ASSERT_EQ(std::set<int64_t>(order.begin(), order.end()).size(), shard_of.size());
    ASSERT_EQ(order.size(), shard_of.size());
    // Shards by first position, in windows of 3: each window spans exactly its examples.
    std::vector<int64_t> first(sizes.size(), -1), last(sizes.size(), -1);
    for (size_t p = 0; p < order.size(); ++p) {
      const auto k = static_cast<size_t>(shard_of[static_cast<size_t>(order[p])]);
      if (first[k] < 0) first[k] = static_cast<int64_t>(p);
      last[k] = static_cast<int64_t>(p);
    }
    std::vector<size_t> by_first(sizes.size());
    std::iota(by_first.begin(), by_first.end(), 0);
    std::sort(by_first.begin(), by_first.end(),
              [&](size_t a, size_t b) { return first[a] < first[b]; });
    for (size_t w = 0; w < by_first.size(); w += window) {
      int64_t begin = INT64_MAX, end = -1, examples = 0;
      for (size_t k = w; k < std::min(by_first.size(), w + window); ++k) {
        begin = std::min(begin, first[by_first[k]]);
        end = std::max(end, last[by_first[k]]);
        examples += sizes[by_first[k]];
      }
      EXPECT_EQ(end - begin + 1, examples) << "epoch " << epoch << ", window at " << w;
    }
    // Within a window the examples are shuffled, not shard after shard.
    EXPECT_NE(order[1], order[0] + 1);
    orders.push_back(order);
    ASSERT_EQ(ranks[0].steps_per_epoch(), (static_cast<int64_t>(order.size()) + 19) / 20);
    for (int64_t step = 0; step < ranks[0].steps_per_epoch(); ++step) {
      std::vector<int64_t> joined;
      for (auto& s : ranks) {
        const auto b = s.batch(epoch, step);
        std::set<int64_t> shards;
        for (int64_t i : b) shards.insert(shard_of[static_cast<size_t>(i)]);
        EXPECT_LE(shards.size(), static_cast<size_t>(2 * window));
        joined.insert(joined.end(), b.begin(), b.end());
      }
      EXPECT_EQ(joined, std::vector<int64_t>(
                            order.begin() + step * 20,
                            order.begin() + std::min<int64_t>((step + 1) * 20,
                                                              static_cast<int64_t>(order.size()))));
    }
  }
  EXPECT_NE(orders[0], orders[1]);
  DistributedSampler again(by_shards(sizes, window, 1, 1, 0));
  EXPECT_EQ(again.batch(1, 17), one.batch(1, 17));
  SamplerOptions wrong = by_shards(sizes, window, 1, 1, 0);
  wrong.num_examples += 1;
  EXPECT_THROW(DistributedSampler{wrong}, ConfigError);
  EXPECT_THROW(DistributedSampler(by_shards(sizes, 0, 1, 1, 0)), ConfigError);
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
