// The in-process fake communicator that the reducer and DataParallel tests stand on: it must
// compute what MPI computes across ranks, and fail as loudly as a real backend when the ranks'
// collectives disagree.
#include "fake_communicator.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lasynth {
namespace dist {
namespace {

using fake::FakeCommunicator;

const int kRanks = 3;

TEST(FakeCommunicator, ComputesEveryCollectiveAcrossRanks) {
  std::vector<std::vector<float>> sums(kRanks), averages(kRanks), maxima(kRanks);
  std::vector<std::vector<double>> doubles(kRanks);
  std::vector<std::string> broadcasts(kRanks);
  std::vector<std::vector<int>> gathered(kRanks);
  std::vector<std::vector<std::string>> strings(kRanks), at_root(kRanks);
  std::vector<std::vector<int>> to_root(kRanks);
  const auto errors = fake::run_ranks(kRanks, [&](FakeCommunicator& comm) {
    const int r = comm.rank();
    const float x = static_cast<float>(r + 1);
    sums[r] = {x, -x, 10 * x};
    auto sum = comm.allreduce_async(sums[r].data(), 3, ReduceOp::kSum);
    averages[r] = {x, 3 * x};
    comm.allreduce(averages[r].data(), 2, ReduceOp::kAverage);
    maxima[r] = {x, -x};
    comm.allreduce(maxima[r].data(), 2, ReduceOp::kMax);
    sum->wait();
    doubles[r] = {0.1 * (r + 1), -1e300 * r};
    comm.allreduce_doubles(doubles[r].data(), 2, ReduceOp::kMax);
    broadcasts[r] = std::string(5, static_cast<char>('a' + r));
    comm.broadcast(broadcasts[r].data(), 5, 2);
    const int mine[2] = {r, 100 + r};
    gathered[r].resize(2 * kRanks);
    comm.allgather(mine, sizeof(mine), gathered[r].data());
    comm.barrier();
    strings[r] = comm.allgather_strings(std::string(static_cast<size_t>(r) * 3, 'x'));
    to_root[r].assign(kRanks, -1);
    comm.gather(&r, sizeof(r), to_root[r].data(), 1);
    at_root[r] = comm.gather_strings(std::string(static_cast<size_t>(r) + 1, 'y'), 2);
  });
  ASSERT_EQ(errors, std::vector<std::string>(kRanks));
  for (int r = 0; r < kRanks; ++r) {
    EXPECT_EQ(sums[r], (std::vector<float>{6, -6, 60})) << r;
    EXPECT_EQ(averages[r], (std::vector<float>{2, 6})) << r;
    EXPECT_EQ(maxima[r], (std::vector<float>{3, -1})) << r;
    EXPECT_EQ(doubles[r], (std::vector<double>{0.1 * 3, 0.0})) << r;
    EXPECT_EQ(broadcasts[r], "ccccc") << r;
    EXPECT_EQ(gathered[r], (std::vector<int>{0, 100, 1, 101, 2, 102})) << r;
    EXPECT_EQ(strings[r], (std::vector<std::string>{"", "xxx", "xxxxxx"})) << r;
    // A gather fills the root's buffer only.
    const std::vector<int> ranks = {0, 1, 2}, untouched(kRanks, -1);
    EXPECT_EQ(to_root[r], r == 1 ? ranks : untouched) << r;
    const std::vector<std::string> texts = {"y", "yy", "yyy"}, none;
    EXPECT_EQ(at_root[r], r == 2 ? texts : none) << r;
  }
}

// What lets the DataParallel tests catch a result read too early: until wait(), the buffer holds
// the rank's own values even when every rank has joined.
TEST(FakeCommunicator, AnAsyncResultArrivesAtWaitNotBefore) {
  std::vector<std::vector<float>> before(2), after(2);
  const auto errors = fake::run_ranks(2, [&](FakeCommunicator& comm) {
    std::vector<float> data = {static_cast<float>(comm.rank() + 1)};
    auto work = comm.allreduce_async(data.data(), 1, ReduceOp::kSum);
    comm.barrier();  // every rank has joined the all-reduce
    before[comm.rank()] = data;
    work->wait();
    after[comm.rank()] = data;
    EXPECT_TRUE(work->done());
  });
  ASSERT_EQ(errors, std::vector<std::string>(2));
  EXPECT_EQ(before, (std::vector<std::vector<float>>{{1}, {2}}));
  EXPECT_EQ(after, (std::vector<std::vector<float>>{{3}, {3}}));
}

TEST(FakeCommunicator, RanksWhoseCollectivesDifferAllFailNamingThem) {
  const auto errors = fake::run_ranks(kRanks, [&](FakeCommunicator& comm) {
    std::vector<float> data(comm.rank() == 2 ? 4 : 3);
    comm.allreduce(data.data(), data.size(), ReduceOp::kSum);
  });
  for (int r = 0; r < kRanks; ++r) {
    EXPECT_NE(errors[r].find("rank 2 all-reduce (float) of 16 bytes"), std::string::npos)
        << errors[r];
  }
}

TEST(FakeCommunicator, ARankThatLeavesFailsTheOthersWithoutWaitingForTheTimeout) {
  const auto errors = fake::run_ranks(
      kRanks,
      [&](FakeCommunicator& comm) {
        if (comm.rank() == 1) throw DistError("rank 1 gave up");
        comm.barrier();
      },
      std::chrono::hours(1));
  EXPECT_EQ(errors[1], "rank 1 gave up");
  for (int r : {0, 2}) {
    EXPECT_NE(errors[r].find("(rank 1 left: rank 1 gave up)"), std::string::npos) << errors[r];
  }
}

}  // namespace
}  // namespace dist
}  // namespace lasynth
