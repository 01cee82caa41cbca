// Data-parallel training across two real "nodes" (network namespaces with their own address,
// hostname and /tmp: scripts/local-nodes.sh), 2 ranks on each over TCP through `mpirun
// --hostfile`, as on a cluster: the local ranks per node, and the same parameters as 1 process
// on the global batch.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "run_tool.h"
#include "train/loaded_model.h"

namespace lasynth {
namespace {

using testing::Result;
using testing::run_command;

const std::string kLasynth = LASYNTH_BIN;
const std::string kDatagen = LASYNTH_DATAGEN_BIN;
const std::string kNodes = LASYNTH_SOURCE_DIR "/scripts/local-nodes.sh";

class TwoNodes : public ::testing::Test {
 protected:
  void SetUp() override {
    const Result up = run_command(kNodes + " up", true);
    ASSERT_EQ(up.exit_code, 0) << "scripts/local-nodes.sh up (needs root): " << up.out;
    // Not /tmp: each node has its own.
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    run_command(kNodes + " down");
    std::filesystem::remove_all(dir_);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  const std::filesystem::path dir_ =
      std::filesystem::path("/var/tmp") / ("lasynth-TwoNodes-" + std::to_string(getpid()));
};

TEST_F(TwoNodes, FourRanksOnTwoNodesTrainLikeOneProcessOnTheGlobalBatch) {
  ASSERT_EQ(run_command(kDatagen + " --out " + path("data") +
                        " --train 96 --val 8 --test 8 --shards 2 --eval-shards 1 --seed 3"
                        " --max-statements 2 --max-depth 0 --max-locals 0 --max-tokens 30")
                .exit_code,
            0);
  run_command(kNodes + " hostfile 2 > " + path("hosts"));
  const std::string flags =
      " --embedding_size 16 --LSTM_hidden_size 16 --MLP_hidden_size 16 --num_LSTM_layers 1"
      " --num_attention_layers 1 --exec_period 4 --latent_execution --operation_predictor"
      " --decoder_self_attention --optimizer sgd --lr 0.2 --max_steps 10 --log_interval 5"
      " --val_examples 0 --seed 4 --data_folder " +
      path("data");
  const Result one =
      run_command(kLasynth + " train --model_dir " + path("one") + flags + " --batch_size 8", true);
  ASSERT_EQ(one.exit_code, 0) << one.out;
  const Result four = run_command(
      kNodes +
          " run lsA env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"
          " OMPI_MCA_btl=self,tcp OMPI_MCA_btl_tcp_if_include=10.254.0.0/24"
          " OMPI_MCA_oob_tcp_if_include=10.254.0.0/24 mpirun --hostfile " +
          path("hosts") + " -np 4 --mca pml ob1 --mca plm_rsh_agent '" + kNodes + " agent' " +
          kLasynth + " train --model_dir " + path("four") + flags + " --batch_size 2",
      true);
  ASSERT_EQ(four.exit_code, 0) << four.out;
  EXPECT_NE(four.out.find("4 ranks (mpi) on 2 nodes: node-lsA ranks 0,1 local 0,1; node-lsB "
                          "ranks 2,3 local 0,1"),
            std::string::npos)
      << four.out;
  const train::LoadedModel a = train::load_model(path("one")), b = train::load_model(path("four"));
  ASSERT_EQ(a.step, 10);
  ASSERT_EQ(b.step, 10);
  float worst = 0;
  const auto pb = b.net->named_parameters();
  for (const auto& p : a.net->named_parameters()) {
    worst = std::max(worst, (p.value() - pb[p.key()]).abs().max().item<float>());
  }
  EXPECT_LT(worst, 1e-4f) << "1 process x 8 and 2 nodes x 2 ranks x 2 differ by " << worst;
}

}  // namespace
}  // namespace lasynth
