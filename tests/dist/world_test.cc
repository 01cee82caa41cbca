#include "dist/world.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "core/error.h"

namespace lasynth {
namespace dist {
namespace {

World from(const std::map<std::string, std::string>& vars) {
  return world_from_environment([&](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

TEST(World, NoLauncherIsOneProcess) {
  const World w = from({});
  EXPECT_EQ(w.launcher, "single");
  EXPECT_EQ(w.rank, 0);
  EXPECT_EQ(w.size, 1);
  EXPECT_FALSE(w.needs_mpi());
  EXPECT_FALSE(w.host.empty());
}

TEST(World, OpenMpi) {
  const World w = from({{"OMPI_COMM_WORLD_RANK", "3"},
                        {"OMPI_COMM_WORLD_SIZE", "4"},
                        {"OMPI_COMM_WORLD_LOCAL_RANK", "1"},
                        {"OMPI_COMM_WORLD_LOCAL_SIZE", "2"},
                        {"OMPI_COMM_WORLD_NODE_RANK", "1"}});
  EXPECT_EQ(w.launcher, "openmpi");
  EXPECT_EQ(w.rank, 3);
  EXPECT_EQ(w.size, 4);
  EXPECT_EQ(w.local_rank, 1);
  EXPECT_EQ(w.local_size, 2);
  EXPECT_EQ(w.node, 1);
  EXPECT_TRUE(w.needs_mpi());
}

TEST(World, SrunWithPmix) {
  const World w = from({{"PMIX_RANK", "2"},
                        {"SLURM_PROCID", "2"},
                        {"SLURM_STEP_NUM_TASKS", "4"},
                        {"SLURM_LOCALID", "0"},
                        {"SLURM_NODEID", "1"}});
  EXPECT_EQ(w.launcher, "pmix");
  EXPECT_EQ(w.rank, 2);
  EXPECT_EQ(w.size, 4);
  EXPECT_EQ(w.local_rank, 0);
  EXPECT_EQ(w.node, 1);
  EXPECT_TRUE(w.needs_mpi());
}

TEST(World, SrunWithoutPmixIsRefusedWithTheFix) {
  try {
    from({{"SLURM_PROCID", "1"}, {"SLURM_STEP_NUM_TASKS", "2"}, {"SLURM_LOCALID", "1"}});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--mpi=pmix"), std::string::npos) << e.what();
  }
}

TEST(World, OneTaskBatchScriptIsOneProcess) {
  const World w = from({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "4"}, {"SLURM_JOB_ID", "7"}});
  EXPECT_EQ(w.launcher, "single");
  EXPECT_EQ(w.size, 1);
}

TEST(World, TorchrunWithSeveralRanksIsRefusedWithTheFix) {
  try {
    from({{"RANK", "1"}, {"LOCAL_RANK", "1"}, {"WORLD_SIZE", "2"}});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("mpirun"), std::string::npos) << e.what();
  }
}

TEST(World, BadValuesAreRefused) {
  EXPECT_THROW(from({{"OMPI_COMM_WORLD_RANK", "x"}, {"OMPI_COMM_WORLD_SIZE", "2"}}), ConfigError);
  EXPECT_THROW(from({{"OMPI_COMM_WORLD_RANK", "2"}, {"OMPI_COMM_WORLD_SIZE", "2"}}), ConfigError);
}

}  // namespace
}  // namespace dist
}  // namespace lasynth
