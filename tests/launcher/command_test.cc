// The mpirun / srun line lasynth-launch builds.
#include "launcher/command.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.h"

namespace lasynth {
namespace launcher {
namespace {

bool has_sequence(const std::vector<std::string>& argv, const std::vector<std::string>& words) {
  return std::search(argv.begin(), argv.end(), words.begin(), words.end()) != argv.end();
}

LaunchOptions two_ranks() {
  LaunchOptions o;
  o.ranks = 2;
  o.command = {"lasynth", "train", "--data_folder", "d"};
  o.agent = "/bin/lasynth-launch";
  o.local_cores = 2;
  o.hostname = "here";
  o.export_names = {"LASYNTH_MONITOR", "NCCL_DEBUG"};
  return o;
}

TEST(Hosts, ParseSlotsAndRefuseNonsense) {
  const auto hosts = parse_hosts("a:4,b.example:2,c");
  ASSERT_EQ(hosts.size(), 3u);
  EXPECT_EQ(hosts[0].host, "a");
  EXPECT_EQ(hosts[0].slots, 4);
  EXPECT_EQ(hosts[1].host, "b.example");
  EXPECT_EQ(hosts[1].slots, 2);
  EXPECT_EQ(hosts[2].slots, 1);
  for (const char* bad : {"a:0", "a:x", ":3", "a:4,,b:2", "a:", ""}) {
    EXPECT_THROW(parse_hosts(bad), ConfigError) << bad;
  }
}

TEST(Plan, LocalRanksUseLoopbackAndRunThroughTheAgent) {
  const LaunchPlan plan = plan_launch(two_ranks());
  EXPECT_TRUE(plan.all_local);
  const auto& a = plan.argv;
  EXPECT_EQ(a[0], "mpirun");
  EXPECT_TRUE(has_sequence(a, {"-np", "2"}));
  EXPECT_TRUE(has_sequence(a, {"--mca", "btl", "self,vader"}));
  EXPECT_TRUE(has_sequence(a, {"--mca", "oob_tcp_if_include", "lo"}));
  EXPECT_TRUE(has_sequence(a, {"--bind-to", "core"}));
  EXPECT_TRUE(has_sequence(a, {"-x", "LASYNTH_MONITOR", "-x", "NCCL_DEBUG"}));
  EXPECT_TRUE(has_sequence(
      a, {"/bin/lasynth-launch", "--agent", "--", "lasynth", "train", "--data_folder", "d"}));
  EXPECT_EQ(std::count(a.begin(), a.end(), "--allow-run-as-root"), 0);
  // Never a per-rank CUDA_VISIBLE_DEVICES: ranks pick their GPU from the local rank.
  for (const auto& word : a) EXPECT_EQ(word.find("CUDA_VISIBLE_DEVICES"), std::string::npos);
}

TEST(Plan, MoreRanksThanCoresOversubscribeUnbound) {
  LaunchOptions o = two_ranks();
  o.ranks = 5;
  const auto a = plan_launch(o).argv;
  EXPECT_TRUE(has_sequence(a, {"--bind-to", "none", "--oversubscribe"}));
}

TEST(Plan, RemoteHostsUseTheNetworkAndCheckSlots) {
  LaunchOptions o = two_ranks();
  o.ranks = 4;
  o.as_root = true;
  o.hosts = parse_hosts("node-a:2,node-b:2");
  const LaunchPlan plan = plan_launch(o);
  EXPECT_FALSE(plan.all_local);
  EXPECT_TRUE(has_sequence(plan.argv, {"--host", "node-a:2,node-b:2"}));
  EXPECT_TRUE(has_sequence(plan.argv, {"-np", "4", "--allow-run-as-root"}));
  EXPECT_EQ(std::count(plan.argv.begin(), plan.argv.end(), "oob_tcp_if_include"), 0);
  o.ranks = 5;
  EXPECT_THROW(plan_launch(o), ConfigError);
  o.ranks = 2;
  o.hosts = parse_hosts("here:2");
  EXPECT_TRUE(plan_launch(o).all_local);
}

TEST(Plan, InsideSlurmItIsSrunWithPmix) {
  LaunchOptions o = two_ranks();
  o.srun = true;
  const auto a = plan_launch(o).argv;
  EXPECT_EQ(a[0], "srun");
  EXPECT_TRUE(has_sequence(a, {"--mpi=pmix", "-n", "2"}));
  EXPECT_EQ(std::count(a.begin(), a.end(), "-x"), 0);
}

TEST(Plan, ExportsOnlyTheVariablesRanksNeed) {
  const char* env[] = {"PATH=/bin",   "NCCL_IB_DISABLE=1", "OMP_NUM_THREADS=1",
                       "LASYNTH_X=y", "HOME=/root",        nullptr};
  EXPECT_EQ(exported_names(const_cast<char**>(env)),
            (std::vector<std::string>{"LASYNTH_X", "NCCL_IB_DISABLE", "OMP_NUM_THREADS"}));
}

}  // namespace
}  // namespace launcher
}  // namespace lasynth
