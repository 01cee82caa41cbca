// The lasynth command run as a user runs it.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "run_tool.h"
#include "test_files.h"

namespace lasynth {
namespace {

using testing::run_command;

const std::string kLasynth = LASYNTH_BIN;
const std::string kDatagen = LASYNTH_DATAGEN_BIN;
const std::string kTiny =
    " --embedding_size 16 --LSTM_hidden_size 16 --MLP_hidden_size 16 --num_LSTM_layers 1"
    " --num_attention_layers 1 --batch_size 4";

TEST(LasynthCli, TrainsAndEvaluatesWithTheOriginalFlags) {
  testing::ScratchDir dir;
  const std::string data = dir.path("data"), run = dir.path("run");
  ASSERT_EQ(run_command(kDatagen + " --train 60 --val 4 --test 5 --shards 1 --quiet --out " + data)
                .exit_code,
            0);
  // The original's spelling: flags only, no subcommand; a YAML config under the command line.
  testing::write_file(dir.path("c.yaml"), "max_steps: 99\nlog_interval: 2\nlr: 0.01\n");
  const auto trained =
      run_command(kLasynth + " --data_folder " + data + " --model_dir " + run + " --config " +
                      dir.path("c.yaml") + " --max_steps 4" +
                      " --io_size 5 --num_vars 1 --value_range 4 --train_size 60" + kTiny,
                  true);
  ASSERT_EQ(trained.exit_code, 0) << trained.out;
  // The original's data-shape flags are checked against the dataset, which decides.
  const auto shape = run_command(
      kLasynth + " --data_folder " + data + " --model_dir " + run + " --io_size 7" + kTiny, true);
  EXPECT_NE(shape.exit_code, 0);
  EXPECT_NE(shape.out.find("--io_size 7: the dataset " + data + " has array_len = 5"),
            std::string::npos)
      << shape.out;
  EXPECT_NE(trained.out.find("trained 4 steps"), std::string::npos) << trained.out;
  EXPECT_TRUE(std::filesystem::exists(run + "/ckpt-2.pt"));  // log_interval from the file
  EXPECT_TRUE(std::filesystem::exists(run + "/ckpt-4.pt"));
  const auto evaluated =
      run_command(kLasynth + " eval --data_folder " + data + " --load_model " + run +
                      "/ckpt-4.pt --report " + dir.path("r.json") + " --max_decode_len 30",
                  true);
  ASSERT_EQ(evaluated.exit_code, 0) << evaluated.out;
  EXPECT_NE(evaluated.out.find("generalization"), std::string::npos);
  const auto report = nlohmann::json::parse(testing::read_file(dir.path("r.json")));
  EXPECT_EQ(report.at("examples"), 5);
  EXPECT_EQ(report.at("step"), 4);
  const auto resumed =
      run_command(kLasynth + " train --resume --data_folder " + data + " --model_dir " + run +
                      " --max_steps 6 --log_interval 2" + kTiny,
                  true);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out;
  EXPECT_TRUE(std::filesystem::exists(run + "/ckpt-6.pt"));
  EXPECT_FALSE(std::filesystem::exists(run + "/ckpt-8.pt"));

  // synthesize: the domain comes from the checkpoint; examples from a file or stdin. A model
  // this small finds nothing consistent, and says so with exit status 2.
  testing::write_file(dir.path("io.json"),
                      R"({"io": [{"input": [1, 2, 3, 4, 0], "output": [-2, 2, 3, 4, -3]}]})");
  const auto none = run_command(kLasynth + " synthesize --load_model " + run + " --examples " +
                                    dir.path("io.json") + " --beam 4 --max_decode_len 20",
                                true);
  EXPECT_EQ(none.exit_code, 2) << none.out;
  EXPECT_NE(none.out.find("no consistent program in beam 4"), std::string::npos) << none.out;
  const auto bad = run_command(
      "echo '{\"io\": [{\"input\": [1]}]}' | " + kLasynth + " synthesize --load_model " + run,
      true);
  EXPECT_EQ(bad.exit_code, 1) << bad.out;
  EXPECT_NE(bad.out.find("io[0]"), std::string::npos) << bad.out;
  // Values the model cannot know are refused, naming the range, instead of decoded into nothing.
  for (const std::string& io : {R"([1, 2, 100, 4, 0], "output": [1, 2, 3, 4, 0])",
                                R"([1, 2, 3, 4, 0], "output": [1, 2, 3, 4, 5000])"}) {
    const auto outside = run_command("echo '{\"io\": [{\"input\": " + io + "}]}' | " + kLasynth +
                                         " synthesize --load_model " + run,
                                     true);
    EXPECT_EQ(outside.exit_code, 1) << outside.out;
    EXPECT_EQ(testing::lines_of(outside.out).size(), 1u) << outside.out;
    EXPECT_NE(outside.out.find("is outside [-"), std::string::npos) << outside.out;
  }
  // A file that is no checkpoint: one line naming it, no LibTorch stack.
  testing::write_file(dir.path("GARBAGE.pt"), "not a checkpoint");
  const auto garbage = run_command(
      kLasynth + " eval --data_folder " + data + " --load_model " + dir.path("GARBAGE.pt"), true);
  EXPECT_NE(garbage.exit_code, 0);
  EXPECT_EQ(testing::lines_of(garbage.out).size(), 1u) << garbage.out;
  EXPECT_NE(garbage.out.find(dir.path("GARBAGE.pt")), std::string::npos) << garbage.out;
}

// Every shipped config names only real flags with valid values, and its switches fit together:
// the command gets as far as looking for the dataset.
TEST(LasynthCli, EveryConfigIsAccepted) {
  int configs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(LASYNTH_CONFIGS_DIR)) {
    if (entry.path().extension() != ".yaml") continue;
    ++configs;
    const auto r = run_command(
        kLasynth + " train --data_folder /nonexistent --config " + entry.path().string(), true);
    EXPECT_NE(r.out.find("/nonexistent: no such dataset directory"), std::string::npos)
        << entry.path() << ": " << r.out;
  }
  EXPECT_GE(configs, 11);
}

TEST(LasynthCli, ClearErrors) {
  testing::ScratchDir dir;
  auto one_line_error = [](const testing::Result& r) {
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(testing::lines_of(r.out).size(), 1u) << r.out;
    return r.out;
  };
  EXPECT_NE(one_line_error(run_command(kLasynth + " train --data_folder " + dir.path("none"), true))
                .find("no such dataset directory"),
            std::string::npos);
  EXPECT_NE(one_line_error(run_command(kLasynth + " train --data_folder x --use_properties "
                                                  "--latent_execution",
                                       true))
                .find("does not combine with --latent_execution"),
            std::string::npos);
  const auto adagrad = run_command(kLasynth + " train --data_folder x --optimizer adagrad", true);
  EXPECT_NE(adagrad.exit_code, 0);
  EXPECT_NE(adagrad.out.find("--optimizer: adagrad not in {adam,sgd,rmsprop}"), std::string::npos)
      << adagrad.out;
  EXPECT_NE(run_command(kLasynth + " train --no_such_flag", true).exit_code, 0);
  // Numeric flags are checked where they are parsed, in one line naming the flag.
  for (const std::string& bad : {" train --max_steps -5", " train --lr -1", " eval --beam 0",
                                 " train --batch_size 0", " eval --eval_batch_size -2"}) {
    const std::string flag = bad.substr(bad.find("--"), bad.rfind(' ') - bad.find("--"));
    EXPECT_NE(one_line_error(run_command(kLasynth + " --data_folder x" + bad, true)).find(flag),
              std::string::npos)
        << bad;
  }
  // This machine's LibTorch has no GPU.
  EXPECT_NE(one_line_error(run_command(kLasynth + " train --data_folder x --device cuda", true))
                .find("--device cuda: LibTorch sees no GPU"),
            std::string::npos);
  testing::write_file(dir.path("bad.yaml"), "learning_rate: 3\n");
  EXPECT_NE(
      one_line_error(
          run_command(kLasynth + " train --data_folder x --config " + dir.path("bad.yaml"), true))
          .find("unknown flag 'learning_rate'"),
      std::string::npos);
  const auto help = run_command(kLasynth + " --help", true);
  EXPECT_EQ(help.exit_code, 0);
  for (const char* flag : {"--data_folder",
                           "--model_dir",
                           "--load_model",
                           "--eval",
                           "--num_epochs",
                           "--log_interval",
                           "--latent_execution",
                           "--no_partial_execution",
                           "--operation_predictor",
                           "--decoder_self_attention",
                           "--use_properties",
                           "--iterative_retraining_prog_gen",
                           "--cpu",
                           "--seed",
                           "--batch_size",
                           "--lr",
                           "--lr_decay_steps",
                           "--lr_decay_rate",
                           "--gradient_clip",
                           "--param_init",
                           "--dropout_rate",
                           "--optimizer",
                           "--embedding_size",
                           "--LSTM_hidden_size",
                           "--MLP_hidden_size",
                           "--num_LSTM_layers",
                           "--num_attention_layers",
                           "--max_decode_len",
                           "--exec_period",
                           "--io_size",
                           "--num_vars",
                           "--value_range",
                           "--train_size",
                           "--val_size",
                           "--test_size",
                           "--keep_last_n",
                           "--max_steps",
                           "--resume",
                           "--config"}) {
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag;
  }
}

}  // namespace
}  // namespace lasynth
