// lasynth-datagen under a real `mpirun -np 2`: each rank writes its shards, rank 0 the manifest.
#include <gtest/gtest.h>

#include "run_tool.h"
#include "tree_files.h"

namespace lasynth {
namespace {

using testing::files;
using testing::Result;
using testing::run_command;
using testing::ScratchDir;

const std::string kGen = LASYNTH_DATAGEN_BIN;
const std::string kSmall = " --train 3000 --val 120 --test 120 --shards 3 --eval-shards 2 --seed 5";

TEST(Datagen, SameBytesUnderMpirun) {
  ScratchDir dir;
  ASSERT_EQ(run_command(kGen + " --out " + dir.path("one") + kSmall).exit_code, 0);
  const Result r = run_command(
      "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 2 --oversubscribe "
      "--mca pml ob1 --mca btl self,vader --mca oob_tcp_if_include lo " +
          kGen + " --out " + dir.path("mpi") + kSmall,
      true);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(files(dir.path("mpi")) == files(dir.path("one")));
}

}  // namespace
}  // namespace lasynth
