// Iterative retraining as a user runs it: a tiny model, real decoding, a real new dataset.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

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
// RobustFill at the quickstart's sizes, at a rate that makes it solve some of these programs in
// 300 steps.
const std::string kModel = " --config " LASYNTH_CONFIGS_DIR
                           "/quickstart.yaml --latent_execution=false --operation_predictor=false"
                           " --decoder_self_attention=false --val_examples 0 --log_interval 100"
                           " --lr 0.01"
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

// The lines of `lasynth-data export DIR --split train`, parsed.
std::vector<nlohmann::json> exported_train(const std::string& dir) {
  std::istringstream lines(run_command(kData + " export " + dir + " --split train").out);
  std::vector<nlohmann::json> examples;
  for (std::string line; std::getline(lines, line);)
    examples.push_back(nlohmann::json::parse(line));
  return examples;
}

// The specification pairs of an exported example (the C domain's first 5 of 10).
nlohmann::json specification(const nlohmann::json& example) {
  return nlohmann::json(
      std::vector<nlohmann::json>(example["io"].begin(), example["io"].begin() + 5));
}

TEST_F(Retrain, TheOriginalRuleKeepsTheTrainingSetsSizeWithProvenanceAndATable) {
  ASSERT_EQ(first_.exit_code, 0) << first_.out;
  const std::string round1 = dir() + "/run/round-1/data";
  const Result verify = run_command(kData + " verify " + round1, true);
  EXPECT_EQ(verify.exit_code, 0) << verify.out;  // every example reproduces its pairs
  const auto manifest = read_json(round1 + "/manifest.json");
  const auto& source = manifest["generator"]["sources"]["train"];
  EXPECT_EQ(source["kind"], "iterative_retraining");
  EXPECT_EQ(source["rule"], "original");
  EXPECT_EQ(source["beam"], 1);  // greedy, whatever --retrain_beam says
  EXPECT_EQ(source["step"], 300);
  EXPECT_EQ(source["specifications"], 400);
  EXPECT_EQ(source["kept"], 400);
  EXPECT_EQ(manifest["splits"]["train"]["examples"], 400);
  const int64_t predictions = source["predictions_kept"], references = source["references_kept"];
  EXPECT_GT(predictions, 0);
  EXPECT_GT(references, 0);
  EXPECT_EQ(predictions + references, 400);
  int64_t because = 0;
  for (const auto& [why, count] : source["references_kept_because"].items())
    because += count.get<int64_t>();
  EXPECT_EQ(because, references);
  EXPECT_LE(source["held_out_outputs_recomputed"].get<int64_t>(), predictions);
  // Example by example: the same specification pairs; the program the reference's, or one of the
  // "replaced" predictions.
  const std::vector<nlohmann::json> original = exported_train(dir() + "/data");
  const std::vector<nlohmann::json> retrained = exported_train(round1);
  ASSERT_EQ(retrained.size(), 400u);
  ASSERT_EQ(original.size(), 400u);
  int64_t replaced = 0;
  for (size_t i = 0; i < retrained.size(); ++i) {
    EXPECT_EQ(specification(retrained[i]), specification(original[i])) << i;
    replaced += retrained[i]["tokens"] != original[i]["tokens"];
  }
  EXPECT_EQ(replaced, source["replaced"].get<int64_t>());
  EXPECT_LE(replaced, predictions);
  // val and test are the original's.
  EXPECT_EQ(run_command(kData + " export " + round1 + " --split test").out,
            run_command(kData + " export " + dir() + "/data --split test").out);

  const auto table = read_json(dir() + "/run/retrain.json");
  ASSERT_EQ(table["rounds"].size(), 2u);
  EXPECT_EQ(table["rounds"][0]["training_programs"], 400);
  EXPECT_EQ(table["rounds"][1]["training_programs"], 400);
  for (const auto& row : table["rounds"]) {
    EXPECT_GE(row["generalization"].get<double>(), 0.0);
    EXPECT_TRUE(fs::exists(dir() + "/run/round-" + std::to_string(row["round"].get<int>()) +
                           "/test-report.json"));
  }
  EXPECT_NE(first_.out.find("| round | training programs | test generalization"), std::string::npos)
      << first_.out;
  EXPECT_TRUE(fs::exists(dir() + "/run/retrain.md"));
}

TEST_F(Retrain, TheShortestRuleKeepsOnlyProgramsConsistentWithEveryPair) {
  ASSERT_EQ(first_.exit_code, 0) << first_.out;
  const std::string out = dir() + "/shortest";
  const Result gen = run_command(kLasynth + " --iterative_retraining_prog_gen --data_folder " +
                                     dir() + "/data --load_model " + dir() + "/run/round-0/model" +
                                     kModel + " --retrain_rule shortest --retrain_out " + out,
                                 true);
  ASSERT_EQ(gen.exit_code, 0) << gen.out;
  const Result verify = run_command(kData + " verify " + out, true);
  EXPECT_EQ(verify.exit_code, 0) << verify.out;  // every kept program reproduces every pair
  const auto manifest = read_json(out + "/manifest.json");
  const auto& source = manifest["generator"]["sources"]["train"];
  EXPECT_EQ(source["kind"], "iterative_retraining");
  EXPECT_EQ(source["rule"], "shortest");
  EXPECT_EQ(source["beam"], 8);
  EXPECT_EQ(source["step"], 300);
  EXPECT_EQ(source["specifications"], 400);
  EXPECT_NE(source["checkpoint"].get<std::string>().find("round-0/model/ckpt-300.pt"),
            std::string::npos);
  const int64_t kept = source["kept"];
  EXPECT_GT(kept, 0);
  EXPECT_LE(kept + source["dropped_shared_with_val_or_test"].get<int64_t>(), 400);
  EXPECT_EQ(source["predictions_kept"], kept);
  EXPECT_EQ(manifest["splits"]["train"]["examples"], kept);
  // The same specifications: each kept example's pairs are one of the original's.
  const Result original = run_command(kData + " export " + dir() + "/data --split train");
  for (const nlohmann::json& example : exported_train(out)) {
    EXPECT_NE(original.out.find(example["io"].dump()), std::string::npos) << example.dump();
  }
  EXPECT_EQ(run_command(kData + " export " + out + " --split test").out,
            run_command(kData + " export " + dir() + "/data --split test").out);
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
