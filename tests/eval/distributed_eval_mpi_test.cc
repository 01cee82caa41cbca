// `lasynth eval` under a real `mpirun -np 2`: the ranks split the test set and rank 0 writes one
// report, identical to a single process's; `--checkpoints` tables every checkpoint of a run.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "run_tool.h"
#include "test_files.h"

namespace lasynth {
namespace {

using testing::Result;
using testing::run_command;
using testing::ScratchDir;

const std::string kLasynth = LASYNTH_BIN;
const std::string kDatagen = LASYNTH_DATAGEN_BIN;
const std::string kMpirun =
    "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 2 --oversubscribe "
    "--mca pml ob1 --mca btl self,vader --mca oob_tcp_if_include lo ";

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string kTiny =
    " --embedding_size 16 --LSTM_hidden_size 16 --MLP_hidden_size 16 --num_LSTM_layers 1"
    " --num_attention_layers 1 --latent_execution --decoder_self_attention";

// A dataset and a run with checkpoints at steps 10, 20 and 30.
class DistributedEval : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(run_command(kDatagen + " --out " + data +
                          " --train 64 --val 8 --test 11 --shards 1 --eval-shards 1 --seed 5"
                          " --max-statements 1 --max-depth 0 --max-locals 0 --max-tokens 30")
                  .exit_code,
              0);
    const Result t = train(" --max_steps 30");
    ASSERT_EQ(t.exit_code, 0) << t.out;
  }
  Result train(const std::string& flags) {
    return run_command(kLasynth + " train --data_folder " + data + " --model_dir " + run + kTiny +
                           " --lr 0.01 --val_examples 0 --log_interval 10" + flags,
                       true);
  }

  ScratchDir dir;
  const std::string data = dir.path("data"), run = dir.path("run");
};

TEST_F(DistributedEval, TwoRanksWriteTheReportOfOne) {
  // 11 examples in batches of 3: rank 0 decodes batches 0 and 2, rank 1 batches 1 and 3.
  const std::string eval = kLasynth + " eval --data_folder " + data + " --load_model " + run +
                           " --beam 4 --max_decode_len 12 --eval_batch_size 3 --report ";
  const Result one = run_command(eval + dir.path("one.json"), true);
  ASSERT_EQ(one.exit_code, 0) << one.out;
  const Result two = run_command(kMpirun + eval + dir.path("two.json"), true);
  ASSERT_EQ(two.exit_code, 0) << two.out;
  const std::string a = read(dir.path("one.json")), b = read(dir.path("two.json"));
  const auto report = nlohmann::json::parse(a);
  EXPECT_EQ(report["examples"], 11);
  EXPECT_EQ(report["predictions"].size(), 11u);
  for (size_t i = 0; i < 11; ++i) EXPECT_EQ(report["predictions"][i]["index"], i);
  EXPECT_EQ(a, b);
  // One summary line, from rank 0.
  EXPECT_NE(two.out.find(" examples, step "), std::string::npos) << two.out;
  EXPECT_EQ(two.out.find(" examples, step "), two.out.rfind(" examples, step ")) << two.out;
  EXPECT_NE(two.out.find("rank 0's share of 11 on 2 ranks"), std::string::npos) << two.out;
}

// Validation during training is decoded by every rank, each its share, as `lasynth eval` does
// (issue 18: rank 0 alone kept the others waiting): its metrics line is what one process's
// evaluation of the same checkpoint on the val split reports.
TEST_F(DistributedEval, TwoRanksValidateTogetherDuringTraining) {
  const std::string run2 = dir.path("run2");
  const Result t = run_command(kMpirun + kLasynth + " train --data_folder " + data +
                                   " --model_dir " + run2 + kTiny +
                                   " --lr 0.01 --max_steps 10 --log_interval 10 --val_examples 8"
                                   " --eval_batch_size 3 --max_decode_len 12",
                               true);
  ASSERT_EQ(t.exit_code, 0) << t.out;
  EXPECT_NE(t.out.find("validation on 2 rank(s): "), std::string::npos) << t.out;
  nlohmann::json val;
  std::istringstream lines(read(run2 + "/metrics.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    const auto j = nlohmann::json::parse(line);
    if (j.value("split", "") == "val") val = j;
  }
  ASSERT_FALSE(val.is_null()) << read(run2 + "/metrics.jsonl");
  EXPECT_EQ(val["step"], 10);
  const Result one =
      run_command(kLasynth + " eval --data_folder " + data + " --load_model " + run2 +
                      "/ckpt-10.pt --split val --beam 1 --max_decode_len 12"
                      " --eval_batch_size 3"
                      " --report " +
                      dir.path("val.json"),
                  true);
  ASSERT_EQ(one.exit_code, 0) << one.out;
  const auto report = nlohmann::json::parse(read(dir.path("val.json")));
  ASSERT_EQ(report["examples"], 8);
  for (const auto& [key, value] : report["metrics"].items()) {
    EXPECT_EQ(val[key], value) << key;
  }
}

TEST_F(DistributedEval, CheckpointTableOfEveryCheckpointThenOnlyTheNewOnes) {
  const std::string eval = kMpirun + kLasynth + " eval --data_folder " + data + " --checkpoints " +
                           run + " --beam 1 --max_decode_len 12";
  const Result first = run_command(eval, true);
  ASSERT_EQ(first.exit_code, 0) << first.out;
  EXPECT_NE(first.out.find("3 checkpoint(s) evaluated, 3 in the table"), std::string::npos)
      << first.out;
  const auto rows = nlohmann::json::parse(read(run + "/eval-test-beam1.json"));
  ASSERT_EQ(rows.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(rows[i]["step"], 10 * (i + 1));
    EXPECT_EQ(rows[i]["examples"], 11);
    EXPECT_GE(rows[i]["generalization"].get<double>(), 0.0);
    EXPECT_LE(rows[i]["generalization"].get<double>(), 1.0);
  }
  // The step-30 row is what a plain evaluation of that checkpoint reports.
  const Result single =
      run_command(kLasynth + " eval --data_folder " + data + " --load_model " + run +
                      "/ckpt-30.pt --beam 1 --max_decode_len 12 --report " + dir.path("r30.json"),
                  true);
  ASSERT_EQ(single.exit_code, 0) << single.out;
  EXPECT_EQ(nlohmann::json::parse(read(dir.path("r30.json")))["metrics"]["generalization"],
            rows[2]["generalization"]);
  const std::string csv = read(run + "/eval-test-beam1.csv");
  EXPECT_EQ(csv.rfind("step,checkpoint,examples,generalization", 0), 0u) << csv;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4);
  EXPECT_EQ(read(run + "/eval-test-beam1.png").substr(1, 3), "PNG");
  // Training goes on; a second call evaluates only the new checkpoint.
  ASSERT_EQ(train(" --max_steps 40 --resume").exit_code, 0);
  const Result second = run_command(eval, true);
  ASSERT_EQ(second.exit_code, 0) << second.out;
  EXPECT_NE(second.out.find("1 checkpoint(s) evaluated, 4 in the table"), std::string::npos)
      << second.out;
}

}  // namespace
}  // namespace lasynth
