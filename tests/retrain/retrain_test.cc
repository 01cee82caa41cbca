// Iterative retraining as a user runs it: a tiny model, real decoding, a real new dataset.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "run_tool.h"

namespace lasynth {
namespace {

namespace fs = std::filesystem;
using testing::Result;
using testing::run_command;

const std::string kLasynth = LASYNTH_BIN;
const std::string kDatagen = LASYNTH_DATAGEN_BIN;
const std::string kData = LASYNTH_DATA_BIN;
const std::string kMpirun =
    "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 2 --oversubscribe "
    "--mca pml ob1 --mca btl self,vader --mca oob_tcp_if_include lo ";
// RobustFill at the quickstart's sizes: in 300 steps it solves some of these programs.
const std::string kModel = " --config " LASYNTH_CONFIGS_DIR
                           "/quickstart.yaml --latent_execution=false --operation_predictor=false"
                           " --decoder_self_attention=false --val_examples 0 --log_interval 100"
                           " --max_decode_len 24 --eval_batch_size 16 --retrain_beam 8 --beam 2";

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

class Retrain : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fs::remove_all(dir());
    fs::create_directories(dir());
    // One-statement programs with small constants: a small model learns enough of them in a
    // few hundred steps. Up to 30 tokens: shorter ones compute too few functions to fill val and
    // test splits disjoint from train by behaviour.
    const Result gen = run_command(kDatagen + " --out " + dir() +
                                       "/data --train 400 --val 16 "
                                       "--test 16 --shards 2 --eval-shards 1 --seed 2 "
                                       "--max-statements 1 --max-depth 0 --max-locals 0 "
                                       "--max-tokens 30 --const-min 0 --const-max 3 --quiet",
                                   true);
    ASSERT_EQ(gen.exit_code, 0) << gen.out;
    first_ = run_command(kLasynth + " retrain --data_folder " + dir() + "/data --model_dir " +
                             dir() + "/run --rounds 1 --max_steps 300" + kModel,
                         true);
  }
  static void TearDownTestSuite() { fs::remove_all(dir()); }
  static std::string dir() {
    return (fs::temp_directory_path() / ("lasynth-retrain-" + std::to_string(getpid()))).string();
  }
  static Result first_;
};
Result Retrain::first_;

TEST_F(Retrain, WritesAVerifiedDatasetWithProvenanceAndATable) {
  ASSERT_EQ(first_.exit_code, 0) << first_.out;
  const std::string round1 = dir() + "/run/round-1/data";
  const Result verify = run_command(kData + " verify " + round1, true);
  EXPECT_EQ(verify.exit_code, 0) << verify.out;  // every kept program reproduces every pair
  const auto manifest = read_json(round1 + "/manifest.json");
  const auto& source = manifest["generator"]["sources"]["train"];
  EXPECT_EQ(source["kind"], "iterative_retraining");
  EXPECT_EQ(source["beam"], 8);
  EXPECT_EQ(source["step"], 300);
  EXPECT_EQ(source["specifications"], 400);
  EXPECT_NE(source["checkpoint"].get<std::string>().find("round-0/model/ckpt-300.pt"),
            std::string::npos);
  const int64_t kept = source["kept"];
  EXPECT_GT(kept, 0);
  EXPECT_LE(kept + source["dropped_shared_with_val_or_test"].get<int64_t>(), 400);
  EXPECT_EQ(manifest["splits"]["train"]["examples"], kept);
  // The same specifications: each kept example's pairs are one of the original's.
  const Result original = run_command(kData + " export " + dir() + "/data --split train");
  const Result retrained = run_command(kData + " export " + round1 + " --split train");
  std::istringstream lines(retrained.out);
  for (std::string line; std::getline(lines, line);) {
    const auto io = nlohmann::json::parse(line)["io"].dump();
    EXPECT_NE(original.out.find(io), std::string::npos) << line;
  }
  // val and test are the original's.
  EXPECT_EQ(run_command(kData + " export " + round1 + " --split test").out,
            run_command(kData + " export " + dir() + "/data --split test").out);

  const auto table = read_json(dir() + "/run/retrain.json");
  ASSERT_EQ(table["rounds"].size(), 2u);
  EXPECT_EQ(table["rounds"][0]["training_programs"], 400);
  EXPECT_EQ(table["rounds"][1]["training_programs"], kept);
  for (const auto& row : table["rounds"]) {
    EXPECT_GE(row["generalization"].get<double>(), 0.0);
    EXPECT_TRUE(fs::exists(dir() + "/run/round-" + std::to_string(row["round"].get<int>()) +
                           "/test-report.json"));
  }
  EXPECT_NE(first_.out.find("| round | training programs | test generalization"), std::string::npos)
      << first_.out;
  EXPECT_TRUE(fs::exists(dir() + "/run/retrain.md"));
}

TEST_F(Retrain, ARerunRedoesNothingFinished) {
  ASSERT_EQ(first_.exit_code, 0) << first_.out;
  const auto before = fs::last_write_time(dir() + "/run/round-1/data/manifest.json");
  const auto table = read_json(dir() + "/run/retrain.json");
  const Result again =
      run_command(kLasynth + " retrain --data_folder " + dir() + "/data --model_dir " + dir() +
                      "/run --rounds 1 --max_steps 300" + kModel,
                  true);
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_NE(again.out.find("round 1: " + dir() + "/run/round-1/data exists, not decoded again"),
            std::string::npos)
      << again.out;
  EXPECT_EQ(again.out.find("evaluating"), std::string::npos) << again.out;
  EXPECT_EQ(fs::last_write_time(dir() + "/run/round-1/data/manifest.json"), before);
  EXPECT_EQ(read_json(dir() + "/run/retrain.json"), table);
}

TEST_F(Retrain, TheOriginalsFlagOnTwoRanksWritesWhatOneRankWrites) {
  ASSERT_EQ(first_.exit_code, 0) << first_.out;
  const std::string model = dir() + "/run/round-0/model";
  const std::string flags = " --iterative_retraining_prog_gen --data_folder " + dir() +
                            "/data --load_model " + model + kModel;
  const Result one = run_command(kLasynth + flags + " --retrain_out " + dir() + "/one", true);
  ASSERT_EQ(one.exit_code, 0) << one.out;
  const Result two =
      run_command(kMpirun + kLasynth + flags + " --retrain_out " + dir() + "/two", true);
  ASSERT_EQ(two.exit_code, 0) << two.out;
  EXPECT_EQ(run_command(kData + " verify " + dir() + "/two").exit_code, 0);
  EXPECT_EQ(run_command(kData + " export " + dir() + "/one --split train").out,
            run_command(kData + " export " + dir() + "/two --split train").out);
  EXPECT_EQ(run_command(kData + " export " + dir() + "/one --split train").out,
            run_command(kData + " export " + dir() + "/run/round-1/data --split train").out);
}

}  // namespace
}  // namespace lasynth
