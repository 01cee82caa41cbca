#include "core/rng.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace lasynth {
namespace {

TEST(Rng, SameSeedSameStream) {
  Rng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.next_u64();
    EXPECT_EQ(x, b.next_u64());
    differs = differs || x != c.next_u64();
  }
  EXPECT_TRUE(differs);
}

// The stream is part of the dataset contract: the same seed must give the same data on every
// machine and in every later version, so these values are pinned. Changing them is a format change.
TEST(Rng, StreamIsPinned) {
  Rng rng(12345);
  EXPECT_EQ(rng.next_u64(), 13720838825685603483ULL);
  EXPECT_EQ(rng.next_u64(), 2398916695208396998ULL);
  EXPECT_EQ(rng.next_u64(), 17770384849984869256ULL);
  Rng small(1);
  std::vector<int64_t> draws;
  for (int i = 0; i < 6; ++i) draws.push_back(small.uniform_int(-4, 4));
  EXPECT_EQ(draws, (std::vector<int64_t>{2, 0, 1, -1, 2, -3}));
  EXPECT_EQ(Rng::derive(5, {1, 2}).next_u64(), 1753916822594017786ULL);
}

TEST(Rng, UniformIntStaysInRangeAndCoversIt) {
  Rng rng(7);
  std::map<int64_t, int> seen;
  for (int i = 0; i < 9000; ++i) {
    const int64_t x = rng.uniform_int(-4, 4);
    ASSERT_GE(x, -4);
    ASSERT_LE(x, 4);
    ++seen[x];
  }
  EXPECT_EQ(seen.size(), 9u);
  for (const auto& [value, n] : seen) {
    EXPECT_GT(n, 800) << value;
    EXPECT_LT(n, 1200) << value;
  }
}

TEST(Rng, DeriveDependsOnEveryKey) {
  const uint64_t base = Rng::derive(5, {1, 2}).next_u64();
  EXPECT_EQ(base, Rng::derive(5, {1, 2}).next_u64());
  EXPECT_NE(base, Rng::derive(5, {2, 1}).next_u64());
  EXPECT_NE(base, Rng::derive(6, {1, 2}).next_u64());
  EXPECT_NE(base, Rng::derive(5, {1, 3}).next_u64());
  EXPECT_NE(base, Rng::derive(5, {1}).next_u64());
}

TEST(Rng, Uniform01InUnitInterval) {
  Rng rng(3);
  double sum = 0;
  for (int i = 0; i < 10000; ++i) {
    const double u = rng.uniform01();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / 10000, 0.5, 0.02);
}

}  // namespace
}  // namespace lasynth
