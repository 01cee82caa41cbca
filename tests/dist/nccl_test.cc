// The NCCL backend: on a machine without a GPU, asking for it fails with a clear message; with a
// GPU (one rank), its collectives give the right values.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "dist/communicator.h"
#include "dist/world.h"

namespace lasynth {
namespace dist {
namespace {

// Returns null (and records why) where NCCL cannot run here.
std::unique_ptr<Communicator> nccl_or_reason(std::string* reason) {
  try {
    return make_communicator("nccl", world_from_environment());
  } catch (const ConfigError& e) {
    *reason = e.what();
    return nullptr;
  }
}

TEST(Nccl, WithoutAGpuTheErrorSaysSoAndNamesTheFix) {
  std::string reason;
  auto comm = nccl_or_reason(&reason);
  if (comm) GTEST_SKIP() << "a GPU is here: see Nccl.OneRankCollectives";
  EXPECT_NE(reason.find("--backend mpi"), std::string::npos) << reason;
}

TEST(Nccl, OneRankCollectives) {
  std::string reason;
  auto comm = nccl_or_reason(&reason);
  if (!comm) GTEST_SKIP() << reason;
  ASSERT_EQ(comm->backend(), "nccl");
  std::vector<float> values = {1.5f, -2.0f, 3.25f};
  comm->allreduce_async(values.data(), values.size(), ReduceOp::kSum)->wait();
  EXPECT_EQ(values, (std::vector<float>{1.5f, -2.0f, 3.25f}));
  double d = 4.5;
  comm->allreduce_doubles(&d, 1, ReduceOp::kMax);
  EXPECT_EQ(d, 4.5);
  char text[4] = {'a', 'b', 'c', 'd'};
  comm->broadcast(text, sizeof(text), 0);
  EXPECT_EQ(std::string(text, 4), "abcd");
  EXPECT_EQ(comm->allgather_strings("rank zero"), (std::vector<std::string>{"rank zero"}));
  comm->barrier();
}

}  // namespace
}  // namespace dist
}  // namespace lasynth
