// The reducer against in-process ranks (fake_communicator.h): each rank is a thread with its own
// reducer, and a hub reduces the n-th all-reduce of every rank, so the bucket protocol (same
// order and sizes on every rank, zero-fill, sums) is checked without MPI.
#include "dist/reducer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.h"
#include "dist/bfloat16.h"
#include "fake_communicator.h"

namespace lasynth {
namespace dist {
namespace {

using fake::FakeCommunicator;
using fake::Hub;

const std::vector<size_t> kSizes = {300, 5, 1000, 20, 700, 3};

TEST(Reducer, BucketsInReverseParameterOrderFirstOneSmall) {
  Hub hub(1);
  FakeCommunicator comm(hub, 0);
  ReducerOptions o;
  o.first_bucket_bytes = 100 * sizeof(float);
  o.bucket_bytes = 1100 * sizeof(float);
  GradientReducer r(comm, kSizes, o);
  ASSERT_EQ(r.num_buckets(), 4u);
  EXPECT_EQ(r.bucket(0), (std::vector<size_t>{5}));     // 3 floats; 703 would exceed 100
  EXPECT_EQ(r.bucket(1), (std::vector<size_t>{4, 3}));  // 720; 1720 would exceed 1100
  EXPECT_EQ(r.bucket(2), (std::vector<size_t>{2, 1}));  // 1005; 1305 would exceed 1100
  EXPECT_EQ(r.bucket(3), (std::vector<size_t>{0}));
}

// Records the memory it hands out and the buffers its all-reduces get.
class RecordingCommunicator : public FakeCommunicator {
 public:
  using FakeCommunicator::FakeCommunicator;
  std::unique_ptr<Buffer> allocate(size_t bytes) override {
    std::unique_ptr<Buffer> b = FakeCommunicator::allocate(bytes);
    allocated.emplace_back(static_cast<char*>(b->data()), bytes);
    return b;
  }
  std::unique_ptr<Work> allreduce_async(float* data, size_t count, ReduceOp op) override {
    reduced.emplace_back(reinterpret_cast<char*>(data), count * sizeof(float));
    return FakeCommunicator::allreduce_async(data, count, op);
  }
  std::vector<std::pair<char*, size_t>> allocated, reduced;
};

// The buckets are the communicator's memory (where NCCL's are on the GPU), one allocation each,
// reduced in place: a slot is where the collective reads and writes, with no copy.
TEST(Reducer, BucketsAreTheCommunicatorsMemoryReducedInPlace) {
  Hub hub(1);
  RecordingCommunicator comm(hub, 0);
  ReducerOptions o;
  o.first_bucket_bytes = 100 * sizeof(float);
  o.bucket_bytes = 1100 * sizeof(float);
  GradientReducer r(comm, kSizes, o);
  ASSERT_EQ(comm.allocated.size(), r.num_buckets());
  EXPECT_EQ(r.device(), -1);
  for (size_t b = 0; b < r.num_buckets(); ++b) {
    size_t floats = 0;
    for (size_t g : r.bucket(b)) {
      const char* slot = reinterpret_cast<const char*>(r.slot(g));
      EXPECT_EQ(slot, comm.allocated[b].first + floats * sizeof(float)) << "gradient " << g;
      floats += kSizes[g];
    }
    EXPECT_EQ(comm.allocated[b].second, floats * sizeof(float)) << "bucket " << b;
  }
  for (size_t g = 0; g < kSizes.size(); ++g) {
    std::fill_n(r.slot(g), kSizes[g], 2.5f);
    r.mark_ready(g);
  }
  r.finish();
  EXPECT_EQ(comm.reduced, comm.allocated);
  EXPECT_EQ(r.slot(2)[999], 2.5f);
  r.zero();
  for (size_t g = 0; g < kSizes.size(); ++g) {
    EXPECT_EQ(*std::max_element(r.slot(g), r.slot(g) + kSizes[g]), 0.0f) << "gradient " << g;
    EXPECT_EQ(*std::min_element(r.slot(g), r.slot(g) + kSizes[g]), 0.0f) << "gradient " << g;
  }
}

// What the ranks must agree on each step (the stop flag) rides in the bucket launched last: summed
// over ranks like the gradients, with no collective of its own.
TEST(Reducer, ControlValuesRideInTheLastBucketSummedOverRanks) {
  const int ranks = 3;
  ReducerOptions o;
  o.first_bucket_bytes = 100 * sizeof(float);
  o.bucket_bytes = 1100 * sizeof(float);
  o.control_floats = 3;
  std::vector<std::vector<float>> control(ranks);
  std::vector<std::string> wrong(ranks);
  const auto errors = fake::run_ranks(ranks, [&](FakeCommunicator& comm) {
    const int rank = comm.rank();
    GradientReducer r(comm, kSizes, o);
    for (int step = 0; step < 2; ++step) {
      r.zero();
      r.set_control({rank == 1 ? 1.0f : 0.0f, static_cast<float>(step), 0.5f});
      const int64_t before = comm.collectives_started();
      for (size_t g = 0; g < kSizes.size(); ++g) {
        std::fill_n(r.slot(g), kSizes[g], 1.0f);
        r.mark_ready(g);
      }
      r.finish();
      if (comm.collectives_started() - before != static_cast<int64_t>(r.num_buckets())) {
        wrong[rank] += "a collective of its own; ";
      }
      if (r.slot(0)[299] != ranks) wrong[rank] += "the gradients' sums moved; ";
    }
    control[rank] = r.control();
    try {
      r.set_control({1.0f});
      wrong[rank] += "one control value for three was taken; ";
    } catch (const DistError& e) {
      if (std::string(e.what()).find("1 control values for a reducer made for 3") ==
          std::string::npos) {
        wrong[rank] += e.what();
      }
    }
  });
  ASSERT_EQ(errors, std::vector<std::string>(ranks));
  EXPECT_EQ(wrong, std::vector<std::string>(ranks));
  for (int r = 0; r < ranks; ++r) {
    EXPECT_EQ(control[r], (std::vector<float>{1.0f, 3.0f, 1.5f})) << "rank " << r;
  }
}

TEST(Reducer, SumsOverRanksWhateverOrderGradientsArrive) {
  const int ranks = 3;
  ReducerOptions o;
  o.first_bucket_bytes = 100 * sizeof(float);
  o.bucket_bytes = 800 * sizeof(float);
  std::vector<std::vector<std::vector<float>>> results(ranks);
  // The hub fails every rank whose all-reduces differ in order or size from rank 0's.
  const auto errors = fake::run_ranks(ranks, [&](FakeCommunicator& comm) {
    const int rank = comm.rank();
    GradientReducer r(comm, kSizes, o);
    for (int step = 0; step < 2; ++step) {
      // Rank 0 produces gradients in parameter order, rank 1 in reverse, rank 2 none (an
      // empty batch); every gradient value names rank, step, gradient and position.
      std::vector<size_t> order(kSizes.size());
      std::iota(order.begin(), order.end(), 0);
      if (rank == 1) std::reverse(order.begin(), order.end());
      if (rank == 2) order.clear();
      for (size_t g : order) {
        for (size_t i = 0; i < kSizes[g]; ++i) {
          r.slot(g)[i] = static_cast<float>((rank + 1) * 1000 + step * 100 + g * 10 + i % 7);
        }
        r.mark_ready(g);
      }
      r.finish();
      if (step == 1) {
        for (size_t g = 0; g < kSizes.size(); ++g) {
          results[rank].emplace_back(r.slot(g), r.slot(g) + kSizes[g]);
        }
      }
    }
  });
  EXPECT_EQ(errors, std::vector<std::string>(ranks));
  for (size_t g = 0; g < kSizes.size(); ++g) {
    for (size_t i = 0; i < kSizes[g]; ++i) {
      // Ranks 0 and 1 contributed; rank 2's slots were zero-filled.
      const float want = 1000 + 2000 + 2 * (100 + g * 10 + i % 7);
      ASSERT_EQ(results[0][g][i], want) << "gradient " << g << " element " << i;
      ASSERT_EQ(results[1][g][i], want);
      ASSERT_EQ(results[2][g][i], want);
    }
  }
}

TEST(Reducer, AGradientReadyTwiceInOneStepIsAnError) {
  Hub hub(1);
  FakeCommunicator comm(hub, 0);
  GradientReducer r(comm, kSizes);
  r.mark_ready(1);
  EXPECT_THROW(r.mark_ready(1), DistError);
}

// --grad_dtype bf16: the wire carries bfloat16 (half the bytes), each rank's gradient rounded to
// it, the sum rounded again; the slots keep float32 between steps.
TEST(Reducer, BfloatWireSendsHalfTheBytesAndRoundsOnlyTheSums) {
  const int ranks = 2;
  ReducerOptions o;
  o.first_bucket_bytes = 100 * sizeof(float);
  o.bucket_bytes = 800 * sizeof(float);
  o.wire = WireType::kBFloat16;
  std::vector<std::vector<std::vector<float>>> results(ranks);
  std::vector<int64_t> bytes(ranks);
  const auto value = [](int rank, size_t g, size_t i) {
    return 1.0f + 0.001f * static_cast<float>(rank + 1) + 0.37f * static_cast<float>(g * 7 + i % 11);
  };
  const auto errors = fake::run_ranks(ranks, [&](FakeCommunicator& comm) {
    GradientReducer r(comm, kSizes, o);
    for (size_t g = 0; g < kSizes.size(); ++g) {
      for (size_t i = 0; i < kSizes[g]; ++i) r.slot(g)[i] = value(comm.rank(), g, i);
      r.mark_ready(g);
    }
    r.finish();
    for (size_t g = 0; g < kSizes.size(); ++g) {
      results[comm.rank()].emplace_back(r.slot(g), r.slot(g) + kSizes[g]);
    }
    bytes[comm.rank()] = r.stats().bytes_reduced;
  });
  ASSERT_EQ(errors, std::vector<std::string>(ranks));
  size_t floats = 0;
  for (size_t g = 0; g < kSizes.size(); ++g) {
    floats += kSizes[g];
    for (size_t i = 0; i < kSizes[g]; ++i) {
      const float want = from_bfloat16(to_bfloat16(from_bfloat16(to_bfloat16(value(0, g, i))) +
                                                   from_bfloat16(to_bfloat16(value(1, g, i)))));
      ASSERT_EQ(results[0][g][i], want) << "gradient " << g << " element " << i;
      ASSERT_EQ(results[1][g][i], want);
      // Not the float sum: the rounding is real, and within bfloat16's 8 bits of precision.
      const float exact = value(0, g, i) + value(1, g, i);
      ASSERT_NEAR(results[0][g][i], exact, exact / 128);
    }
  }
  EXPECT_EQ(bytes[0], static_cast<int64_t>(floats * sizeof(uint16_t)));
}

TEST(Bfloat16, RoundsToNearestEvenAndKeepsNanAndInfinity) {
  EXPECT_EQ(to_bfloat16(1.0f), 0x3f80);
  EXPECT_EQ(from_bfloat16(to_bfloat16(-2.5f)), -2.5f);
  // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: ties go to the even one, 1.
  EXPECT_EQ(from_bfloat16(to_bfloat16(1.0f + 1.0f / 256)), 1.0f);
  // 1 + 3 * 2^-8 lies halfway between 1 + 2^-7 and 1 + 2^-6: the even one is 1 + 2^-6.
  EXPECT_EQ(from_bfloat16(to_bfloat16(1.0f + 3.0f / 256)), 1.0f + 1.0f / 64);
  EXPECT_EQ(from_bfloat16(to_bfloat16(1.0f + 1.0f / 200)), 1.0f + 1.0f / 128);
  EXPECT_TRUE(std::isnan(from_bfloat16(to_bfloat16(std::nanf("")))));
  EXPECT_TRUE(std::isinf(from_bfloat16(to_bfloat16(std::numeric_limits<float>::infinity()))));
  // The largest float rounds up to infinity, as a cast does.
  EXPECT_TRUE(std::isinf(from_bfloat16(to_bfloat16(std::numeric_limits<float>::max()))));
}

// Memory that says it is on GPU 0 (host memory underneath: nothing reads it here).
class DeviceBufferLookalike : public Buffer {
 public:
  explicit DeviceBufferLookalike(size_t bytes)
      : Buffer(nullptr, bytes, 0), floats_((bytes + 3) / 4) {}
  void zero(size_t, size_t) override {}
  void write(size_t, const void*, size_t) override {}
  void read(size_t, void*, size_t) const override {}

 private:
  std::vector<float> floats_;
};

class DeviceCommunicator : public FakeCommunicator {
 public:
  using FakeCommunicator::FakeCommunicator;
  std::unique_ptr<Buffer> allocate(size_t bytes) override {
    return std::make_unique<DeviceBufferLookalike>(bytes);
  }
};

TEST(Reducer, BfloatWireOnDeviceBucketsWithoutConvertersIsRefused) {
  Hub hub(1);
  DeviceCommunicator comm(hub, 0);
  ReducerOptions o;
  o.wire = WireType::kBFloat16;
  try {
    GradientReducer r(comm, kSizes, o);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--grad_dtype bf16"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dist
}  // namespace lasynth
