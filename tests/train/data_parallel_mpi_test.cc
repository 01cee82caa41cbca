// Data-parallel training under a real `mpirun -np 2`, as a user runs it: 2 ranks x batch B end
// with the parameters of 1 rank x batch 2B for every model, resume on 2 ranks is bit-identical,
// a signal on one rank stops every rank with a checkpoint, and ranks that disagree end the job.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "run_tool.h"
#include "test_files.h"
#include "train/checkpoint.h"
#include "train/loaded_model.h"
#include "train/preemption.h"

namespace lasynth {
namespace {

using testing::Result;
using testing::run_command;

// The suite's scratch directory (ScratchDir names itself after the running test; the datasets
// here are shared by every test of the suite).
class SuiteDir {
 public:
  SuiteDir()
      : path_(std::filesystem::temp_directory_path() /
              ("lasynth-DataParallel-" + std::to_string(getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~SuiteDir() { std::filesystem::remove_all(path_); }
  std::string path(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

const std::string kLasynth = LASYNTH_BIN;
const std::string kDatagen = LASYNTH_DATAGEN_BIN;
const std::string kMpirun =
    "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 2 --oversubscribe "
    "--mca pml ob1 --mca btl self,vader --mca oob_tcp_if_include lo ";
const std::string kTiny =
    " --embedding_size 16 --LSTM_hidden_size 16 --MLP_hidden_size 16 --num_LSTM_layers 1"
    " --num_attention_layers 1 --conv_channels 4 --exec_period 4 --val_examples 0"
    " --log_interval 4 --seed 4";

// One small dataset per domain for the whole suite. 60 training programs in global batches of
// 8: the epoch's last window has 4, so rank 1 has none on that step.
class DataParallelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new SuiteDir();
    const std::string common = " --train 60 --val 8 --test 8 --shards 2 --eval-shards 1 --seed 3";
    ASSERT_EQ(run_command(kDatagen + " --out " + data("c") + common +
                          " --max-statements 2 --max-depth 0 --max-locals 0 --max-tokens 30")
                  .exit_code,
              0);
    ASSERT_EQ(run_command(kDatagen + " --out " + data("karel") + common +
                          " --domain karel --rows 6 --cols 6 --max-statements 3 --max-depth 1")
                  .exit_code,
              0);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string data(const std::string& domain) { return dir_->path("data-" + domain); }
  static std::string run_dir(const std::string& name) { return dir_->path(name); }

  static Result train(const std::string& launcher, const std::string& domain,
                      const std::string& model_dir, const std::string& flags) {
    return run_command(launcher + kLasynth + " train --data_folder " + data(domain) +
                           " --model_dir " + model_dir + kTiny + " " + flags,
                       true);
  }

  // The largest difference between the two runs' final parameters (every tensor, by name).
  static float max_difference(const std::string& a, const std::string& b) {
    const train::LoadedModel x = train::load_model(a), y = train::load_model(b);
    const auto px = x.net->named_parameters(), py = y.net->named_parameters();
    EXPECT_EQ(px.size(), py.size());
    float worst = 0;
    for (const auto& p : px) {
      worst = std::max(worst, (p.value() - py[p.key()]).abs().max().item<float>());
    }
    return worst;
  }

  static SuiteDir* dir_;
};
SuiteDir* DataParallelTest::dir_ = nullptr;

struct Variant {
  const char* name;
  const char* domain;
  const char* flags;
};

class EveryModel : public DataParallelTest, public ::testing::WithParamInterface<Variant> {};

// SGD: Adam divides by the root of tiny second moments and so magnifies the rounding
// differences of a sum taken in another order (DESIGN.md).
TEST_P(EveryModel, TwoRanksTrainLikeOneRankOnTheGlobalBatch) {
  const Variant& v = GetParam();
  const std::string one = run_dir(std::string("one-") + v.name);
  const std::string two = run_dir(std::string("two-") + v.name);
  const std::string flags = std::string(v.flags) + " --optimizer sgd --lr 0.2 --num_epochs 2";
  const Result a = train("", v.domain, one, flags + " --batch_size 8");
  ASSERT_EQ(a.exit_code, 0) << a.out;
  const Result b = train(kMpirun, v.domain, two, flags + " --batch_size 4");
  ASSERT_EQ(b.exit_code, 0) << b.out;
  EXPECT_NE(b.out.find("2 ranks x 4"), std::string::npos) << b.out;
  // Rank 0 alone reports: one "trained" line, not two.
  EXPECT_EQ(b.out.find("trained"), b.out.rfind("trained")) << b.out;
  // 2 epochs of 8 steps, each crossing a window where rank 1 has no examples.
  EXPECT_TRUE(std::filesystem::exists(two + "/ckpt-16.pt")) << b.out;
  const float diff = max_difference(one + "/ckpt-16.pt", two + "/ckpt-16.pt");
  EXPECT_LT(diff, 1e-4f) << "parameters of 1 rank x 8 and 2 ranks x 4 differ by " << diff;
  std::cout << v.name << ": largest parameter difference " << diff << "\n";
  // And training moved them: the comparison is not between two initialisations.
  EXPECT_GT(max_difference(one + "/ckpt-4.pt", one + "/ckpt-16.pt"), 1e-3f);
}

INSTANTIATE_TEST_SUITE_P(
    Variants, EveryModel,
    ::testing::Values(
        Variant{"CRobustFill", "c", ""},
        Variant{"CLaSynth", "c",
                "--latent_execution --operation_predictor --decoder_self_attention"},
        Variant{"CNoPartialExecutor", "c", "--latent_execution --no_partial_execution"},
        Variant{"CPropertySignatures", "c", "--use_properties"},
        Variant{"KarelRobustFill", "karel", ""},
        Variant{"KarelLaSynth", "karel", "--latent_execution --decoder_self_attention"},
        Variant{"KarelPropertySignatures", "karel", "--use_properties"}),
    [](const ::testing::TestParamInfo<Variant>& info) { return std::string(info.param.name); });

TEST_F(DataParallelTest, GradientAccumulationTrainsLikeTheLargerBatch) {
  // 7 steps of 8 stay inside the first epoch of 60 examples: an optimizer step whose micro-batches
  // straddle an epoch's end (15 windows of 4) takes other examples than a batch of 8 would.
  const std::string flags = " --optimizer sgd --lr 0.2 --max_steps 7 --latent_execution";
  ASSERT_EQ(train("", "c", run_dir("accum-one"), flags + " --batch_size 8").exit_code, 0);
  const Result r =
      train(kMpirun, "c", run_dir("accum-two"), flags + " --batch_size 2 --grad_accum 2");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_LT(
      max_difference(run_dir("accum-one") + "/ckpt-7.pt", run_dir("accum-two") + "/ckpt-7.pt"),
      1e-4f);
}

// --grad_dtype bf16 under a real MPI: the all-reduce sums bfloat16 (MPI's operation of our own),
// so 2 ranks x 4 train close to 1 rank x 8, though not within float32's rounding.
TEST_F(DataParallelTest, BfloatGradientsOverMpiTrainCloseToOneRank) {
  const std::string flags = " --optimizer sgd --lr 0.2 --max_steps 7 --latent_execution";
  ASSERT_EQ(train("", "c", run_dir("bf16-one"), flags + " --batch_size 8").exit_code, 0);
  const Result r = train(kMpirun, "c", run_dir("bf16-two"),
                         flags + " --batch_size 4 --grad_dtype bf16 --precision bf16");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const float diff =
      max_difference(run_dir("bf16-one") + "/ckpt-7.pt", run_dir("bf16-two") + "/ckpt-7.pt");
  EXPECT_GT(diff, 1e-6f) << "bfloat16 gradients gave float32's parameters exactly";
  EXPECT_LT(diff, 2e-2f);
  std::cout << "bf16 gradients and forward pass: largest parameter difference " << diff << "\n";
  EXPECT_GT(max_difference(run_dir("bf16-one") + "/ckpt-4.pt", run_dir("bf16-one") + "/ckpt-7.pt"),
            1e-3f);
}

TEST_F(DataParallelTest, ResumeOnTwoRanksIsBitIdentical) {
  const std::string flags = " --batch_size 4 --latent_execution --operation_predictor";
  ASSERT_EQ(train(kMpirun, "c", run_dir("straight"), flags + " --max_steps 12").exit_code, 0);
  ASSERT_EQ(train(kMpirun, "c", run_dir("resumed"), flags + " --max_steps 5").exit_code, 0);
  const Result r = train(kMpirun, "c", run_dir("resumed"), flags + " --max_steps 12 --resume");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(max_difference(run_dir("straight") + "/ckpt-12.pt", run_dir("resumed") + "/ckpt-12.pt"),
            0.0f);
}

// A job resumed with another number of ranks and the same global batch continues at the example
// where the other stopped: 2 ranks x 4 to step 10 (inside the second epoch), then 1 rank x 8 to
// step 20, ends where 2 ranks x 4 to step 20 does.
TEST_F(DataParallelTest, ResumedOnOneRankContinuesWhereTwoRanksStopped) {
  const std::string flags = " --optimizer sgd --lr 0.2 --latent_execution --operation_predictor";
  const std::string straight = run_dir("two-to-20"), resumed = run_dir("two-then-one");
  ASSERT_EQ(train(kMpirun, "c", straight, flags + " --batch_size 4 --max_steps 20").exit_code, 0);
  ASSERT_EQ(train(kMpirun, "c", resumed, flags + " --batch_size 4 --max_steps 10").exit_code, 0);
  const Result r = train("", "c", resumed, flags + " --batch_size 8 --max_steps 20 --resume");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("resuming on 1 rank(s) from a checkpoint of 2"), std::string::npos) << r.out;
  const float diff = max_difference(straight + "/ckpt-20.pt", resumed + "/ckpt-20.pt");
  EXPECT_LT(diff, 1e-4f) << "2 x 4 to step 20 and 2 x 4 then 1 x 8 differ by " << diff;
  EXPECT_GT(max_difference(resumed + "/ckpt-10.pt", resumed + "/ckpt-20.pt"), 1e-3f);
  // The launcher's way, leaving out a failed host: the command still says --batch_size 4, and
  // --keep_global_batch makes the one rank take the checkpoint's global 8.
  const std::string kept = run_dir("two-then-one-kept");
  ASSERT_EQ(train(kMpirun, "c", kept, flags + " --batch_size 4 --max_steps 10").exit_code, 0);
  const Result k =
      train("", "c", kept, flags + " --batch_size 4 --max_steps 20 --resume --keep_global_batch");
  ASSERT_EQ(k.exit_code, 0) << k.out;
  EXPECT_NE(
      k.out.find("keeping the checkpoint's global batch of 8 on 1 rank(s): batch_size 4 -> 8"),
      std::string::npos)
      << k.out;
  EXPECT_LT(max_difference(straight + "/ckpt-20.pt", kept + "/ckpt-20.pt"), 1e-4f);
}

// Each rank draws from its own random stream (its dropout differs), and the checkpoint keeps every
// rank's, with what a resume on another number of ranks needs.
TEST_F(DataParallelTest, CheckpointsKeepEveryRanksStreamAndTheJobsShape) {
  const std::string dir = run_dir("streams");
  ASSERT_EQ(train(kMpirun, "c", dir, " --batch_size 4 --max_steps 6 --dropout_rate 0.2").exit_code,
            0);
  const train::Checkpoint c = train::read_checkpoint(dir + "/ckpt-6.pt");
  EXPECT_EQ(c.state.world_size, 2);
  EXPECT_EQ(c.state.window, 8);
  EXPECT_EQ(c.state.examples, 6 * 8);
  ASSERT_EQ(c.state.rank_rngs.size(), 2u);
  EXPECT_FALSE(torch::equal(c.state.rank_rngs[0], c.state.rank_rngs[1]));
  // A resume on the same ranks continues each rank's stream: bit-identical to not stopping.
  const std::string straight = run_dir("streams-straight");
  ASSERT_EQ(
      train(kMpirun, "c", straight, " --batch_size 4 --max_steps 10 --dropout_rate 0.2").exit_code,
      0);
  const Result r =
      train(kMpirun, "c", dir, " --batch_size 4 --max_steps 10 --dropout_rate 0.2 --resume");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(max_difference(straight + "/ckpt-10.pt", dir + "/ckpt-10.pt"), 0.0f);
}

TEST_F(DataParallelTest, ASignalOnOneRankStopsEveryRankWithACheckpoint) {
  const std::string dir = run_dir("preempted");
  // Rank 1 signals itself once training is under way, as SLURM's --signal=USR1 would.
  const std::string script = dir_->path("signal-self.sh");
  {
    std::ofstream s(script);
    s << "#!/bin/sh\n"
         "if [ \"$OMPI_COMM_WORLD_RANK\" = 1 ]; then\n"
         "  (while [ ! -s "
      << dir
      << "/metrics.jsonl ]; do sleep 0.05; done; kill -USR1 $$) &\n"
         "fi\n"
         "exec \"$@\"\n";
  }
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  const Result r = train(kMpirun + script + " ", "c", dir, " --batch_size 4 --max_steps 100000");
  EXPECT_EQ(r.exit_code, train::kPreemptedExitCode) << r.out;
  EXPECT_NE(r.out.find("stopping on signal"), std::string::npos) << r.out;
  std::ifstream latest(dir + "/latest");
  std::string name;
  ASSERT_TRUE(latest >> name) << r.out;
  const int64_t stopped_at = train::load_model(dir + "/" + name).step;
  EXPECT_LT(stopped_at, 100000);
  const Result resumed = train(
      kMpirun, "c", dir, " --batch_size 4 --resume --max_steps " + std::to_string(stopped_at + 4));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out;
  EXPECT_EQ(train::load_model(dir).step, stopped_at + 4);
}

// Gradients of GPU ranks are reduced from LibTorch's CUDA thread, which MPI_THREAD_FUNNELED
// forbids: refused before any GPU is looked for.
TEST_F(DataParallelTest, CudaRanksOverMpiAreRefusedNamingTheBackend) {
  const Result r =
      train(kMpirun, "c", run_dir("cuda-mpi"), "--max_steps 2 --device cuda --backend mpi");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("--device cuda with --backend mpi on several ranks"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("use --backend nccl"), std::string::npos) << r.out;
}

// Without --backend, GPU ranks take NCCL: here, with no GPU, NCCL's own refusal says so.
TEST_F(DataParallelTest, CudaRanksTakeNcclByDefault) {
  const Result r = train(kMpirun, "c", run_dir("cuda-auto"), "--max_steps 2 --device cuda");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out.find("--device cuda with --backend mpi"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NCCL"), std::string::npos) << r.out;
}

TEST_F(DataParallelTest, RanksWithDifferentConfigsEndTheJobNamingTheRank) {
  const std::string cmd =
      "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe --mca pml "
      "ob1 --mca btl self,vader --mca oob_tcp_if_include lo -np 1 " +
      kLasynth + " train --data_folder " + data("c") + " --model_dir " + run_dir("mixed") + kTiny +
      " --max_steps 2 --lr 0.1 : -np 1 " + kLasynth + " train --data_folder " + data("c") +
      " --model_dir " + run_dir("mixed") + kTiny + " --max_steps 2 --lr 0.2";
  const Result r = run_command(cmd, true);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("rank 1 runs another model or config than rank 0"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"lr\""), std::string::npos) << r.out;
}

}  // namespace
}  // namespace lasynth
