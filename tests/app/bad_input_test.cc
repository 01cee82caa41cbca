// Bad input to each of the four commands, as a user would give it: every case must exit non-zero
// with one line on standard error that names the culprit (the flag, value or file), print
// nothing else, and leave every file as it was (no file written, none overwritten).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "run_tool.h"
#include "test_files.h"

namespace lasynth {
namespace {

namespace fs = std::filesystem;

const std::string kLasynth = LASYNTH_BIN;
const std::string kDatagen = LASYNTH_DATAGEN_BIN;
const std::string kData = LASYNTH_DATA_BIN;
const std::string kLaunch = LASYNTH_LAUNCH_BIN;

struct Case {
  const char* name;
  std::string command;  // {S}: the scratch directory, {D}: a dataset, {M}: a trained model
  std::string culprit;  // must appear in the one line of standard error
};

// Every file under `dir` with its size and modification time.
std::map<std::string, std::pair<uintmax_t, fs::file_time_type>> snapshot(const fs::path& dir) {
  std::map<std::string, std::pair<uintmax_t, fs::file_time_type>> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    out[e.path().string()] = {e.is_regular_file() ? e.file_size() : 0, e.last_write_time()};
  }
  return out;
}

std::string expand(std::string text, const std::map<std::string, std::string>& vars) {
  for (const auto& [key, value] : vars) {
    for (size_t at = text.find(key); at != std::string::npos; at = text.find(key, at)) {
      text.replace(at, key.size(), value);
      at += value.size();
    }
  }
  return text;
}

class BadInput : public ::testing::Test {
 protected:
  // One dataset and one trained model, shared by every case (each case changes nothing).
  static void SetUpTestSuite() {
    scratch_ =
        new fs::path(fs::temp_directory_path() / ("lasynth-BadInput-" + std::to_string(getpid())));
    fs::remove_all(*scratch_);
    fs::create_directories(*scratch_ / "empty");
    const std::string s = scratch_->string();
    ASSERT_EQ(
        testing::run_command(kDatagen + " --train 48 --val 16 --test 16 --shards 1 " +
                             "--max-statements 2 --max-tokens 40 --quiet --out " + s + "/data")
            .exit_code,
        0);
    const auto trained = testing::run_command(
        kLasynth + " train --data_folder " + s + "/data --model_dir " + s +
            "/model --max_steps 2 --log_interval 2 --val_examples 0 --batch_size 4 "
            "--embedding_size 8 --LSTM_hidden_size 8 --MLP_hidden_size 8 --num_LSTM_layers 1 "
            "--num_attention_layers 1 --latent_execution --operation_predictor",
        true);
    ASSERT_EQ(trained.exit_code, 0) << trained.out;
    testing::write_file(s + "/garbage.pt", "GARBAGE, not a checkpoint");
    testing::write_file(s + "/garbage.pt.sha256", "0000  garbage.pt\n");
    testing::write_file(s + "/unknown_key.yaml", "learning_rate: 3\n");
    testing::write_file(s + "/bad_value.yaml", "lr: -2\n");
    testing::write_file(s + "/not_yaml.yaml", "lr: [1, 2\n");
    testing::write_file(s + "/big_value.json",
                        R"({"io": [{"input": [100, 0, 0, 0, 0], "output": [0, 0, 0, 0, 0]}]})");
    testing::write_file(s + "/big_output.json",
                        R"({"io": [{"input": [1, 0, 0, 0, 0], "output": [5000, 0, 0, 0, 0]}]})");
    testing::write_file(s + "/short.json",
                        R"({"io": [{"input": [1, 2, 3], "output": [1, 2, 3]}]})");
    testing::write_file(s + "/no_pairs.json", R"({"io": []})");
    testing::write_file(s + "/not_json.json", "this is not JSON");
  }
  static void TearDownTestSuite() {
    fs::remove_all(*scratch_);
    delete scratch_;
  }
  static fs::path* scratch_;
};

fs::path* BadInput::scratch_ = nullptr;

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      // lasynth: flags
      {"train_negative_steps", "{L} train --data_folder {D} --model_dir {S}/out --max_steps -5",
       "--max_steps"},
      {"train_negative_lr", "{L} train --data_folder {D} --model_dir {S}/out --lr -1", "--lr"},
      {"train_zero_batch", "{L} train --data_folder {D} --model_dir {S}/out --batch_size 0",
       "--batch_size"},
      {"train_unknown_optimizer",
       "{L} train --data_folder {D} --model_dir {S}/out --optimizer adamw", "--optimizer"},
      {"train_dropout_above_one",
       "{L} train --data_folder {D} --model_dir {S}/out --dropout_rate 2", "--dropout_rate"},
      {"train_zero_exec_period", "{L} train --data_folder {D} --model_dir {S}/out --exec_period 0",
       "--exec_period"},
      {"train_zero_log_interval",
       "{L} train --data_folder {D} --model_dir {S}/out --log_interval 0", "--log_interval"},
      {"train_negative_seed", "{L} train --data_folder {D} --model_dir {S}/out --seed -3",
       "--seed"},
      {"train_unknown_flag", "{L} train --data_folder {D} --model_dir {S}/out --learning_rate 3",
       "--learning_rate"},
      {"train_switches_that_do_not_combine",
       "{L} train --data_folder {D} --model_dir {S}/out --no_partial_execution",
       "--no_partial_execution"},
      {"train_properties_with_executor",
       "{L} train --data_folder {D} --model_dir {S}/out --use_properties --latent_execution",
       "--use_properties"},
      {"train_shape_flag_against_the_dataset",
       "{L} train --data_folder {D} --model_dir {S}/out --io_size 7", "--io_size"},
      {"train_num_vars_is_the_input_arrays",
       "{L} train --data_folder {D} --model_dir {S}/out --num_vars 4", "--num_vars 4"},
      {"train_unknown_loss_reduction",
       "{L} train --data_folder {D} --model_dir {S}/out --loss_reduction max", "--loss_reduction"},
      // lasynth: files
      {"train_missing_dataset", "{L} train --data_folder {S}/nowhere --model_dir {S}/out",
       "nowhere"},
      {"train_directory_not_a_dataset", "{L} train --data_folder {S}/empty --model_dir {S}/out",
       "empty"},
      {"train_config_unknown_key",
       "{L} train --data_folder {D} --model_dir {S}/out --config {S}/unknown_key.yaml",
       "learning_rate"},
      {"train_config_bad_value",
       "{L} train --data_folder {D} --model_dir {S}/out --config {S}/bad_value.yaml", "lr"},
      {"train_config_not_yaml",
       "{L} train --data_folder {D} --model_dir {S}/out --config {S}/not_yaml.yaml",
       "not_yaml.yaml"},
      {"train_config_missing",
       "{L} train --data_folder {D} --model_dir {S}/out --config {S}/missing.yaml", "missing.yaml"},
      {"eval_zero_beam", "{L} eval --data_folder {D} --load_model {M} --beam 0 --report {S}/r.json",
       "--beam"},
      {"eval_zero_decode_len",
       "{L} eval --data_folder {D} --load_model {M} --max_decode_len 0 --report {S}/r.json",
       "--max_decode_len"},
      {"eval_unknown_split",
       "{L} eval --data_folder {D} --load_model {M} --split dev --report {S}/r.json", "dev"},
      {"eval_garbage_checkpoint",
       "{L} eval --data_folder {D} --load_model {S}/garbage.pt --report {S}/r.json", "garbage.pt"},
      {"eval_missing_checkpoint",
       "{L} eval --data_folder {D} --load_model {S}/nothing --report {S}/r.json", "nothing"},
      {"eval_directory_without_checkpoints",
       "{L} eval --data_folder {D} --load_model {S}/empty --report {S}/r.json", "empty"},
      {"synthesize_input_beyond_the_range",
       "{L} synthesize --load_model {M} --examples {S}/big_value.json", "100"},
      {"synthesize_output_beyond_the_range",
       "{L} synthesize --load_model {M} --examples {S}/big_output.json", "5000"},
      {"synthesize_wrong_length", "{L} synthesize --load_model {M} --examples {S}/short.json", "3"},
      {"synthesize_no_pairs", "{L} synthesize --load_model {M} --examples {S}/no_pairs.json",
       "no_pairs.json"},
      {"synthesize_not_json", "{L} synthesize --load_model {M} --examples {S}/not_json.json",
       "not_json.json"},
      {"synthesize_missing_file", "{L} synthesize --load_model {M} --examples {S}/none.json",
       "none.json"},
      {"no_subcommand_nor_flags", "{L} --model_dir {S}/out", "--data_folder"},
      // lasynth-datagen
      {"datagen_negative_train", "{G} --out {S}/gen --train -1", "--train"},
      {"datagen_zero_shards", "{G} --out {S}/gen --shards 0", "--shards"},
      {"datagen_zero_threads", "{G} --out {S}/gen --threads 0", "--threads"},
      {"datagen_negative_seed", "{G} --out {S}/gen --seed -3", "--seed"},
      {"datagen_unknown_preset", "{G} --out {S}/gen --preset huge", "--preset"},
      {"datagen_preset_of_another_domain", "{G} --out {S}/gen --preset small --domain karel",
       "--preset small"},
      {"datagen_limit_out_of_range", "{G} --out {S}/gen --max-tokens 5", "max_tokens"},
      {"datagen_limit_of_another_domain", "{G} --out {S}/gen --domain karel --array-len 3",
       "array_len"},
      {"datagen_output_range_beyond_reach", "{G} --out {S}/gen --output-range 17", "output_range"},
      {"datagen_bad_shard_range", "{G} --out {S}/gen --shard-range 5:2", "--shard-range"},
      {"datagen_missing_out", "{G} --train 10", "--out"},
      {"datagen_other_settings_over_a_dataset", "{G} --out {D} --train 10 --seed 99",
       "other settings"},
      {"datagen_over_a_foreign_directory", "{G} --out {S}/model --train 10", "--force"},
      // lasynth-data
      {"data_no_subcommand", "{T}", "subcommand"},
      {"data_index_past_the_end", "{T} show {D} --split test --index 100000", "100000"},
      {"data_negative_index", "{T} show {D} --index -1", "--index"},
      {"data_unknown_split", "{T} show {D} --split dev", "dev"},
      {"data_unknown_format", "{T} export {D} --format csv", "--format"},
      {"data_stats_missing_dataset", "{T} stats {S}/nowhere", "nowhere"},
      {"data_verify_not_a_dataset", "{T} verify {S}/empty", "manifest.json"},
      {"data_negative_count", "{T} sample --count -1", "--count"},
      {"data_limit_out_of_range", "{T} sample --array-len 0", "array_len"},
      {"data_import_missing_directory", "{T} import-lasynth {S}/nowhere {S}/imported", "nowhere"},
      {"data_import_missing_benchmark", "{T} import-karel {S}/nowhere.json {S}/imported",
       "nowhere.json"},
      {"data_finalize_not_a_generation", "{T} finalize {S}/empty", "generation.json"},
      // lasynth-launch
      {"launch_zero_ranks", "{LL} -n 0 -- true", "--ranks"},
      {"launch_zero_heartbeat_timeout", "{LL} -n 2 --heartbeat-timeout 0 -- true",
       "--heartbeat-timeout"},
      {"launch_negative_start_timeout", "{LL} -n 2 --start-timeout -1 -- true", "--start-timeout"},
      {"launch_negative_progress_timeout", "{LL} -n 2 --progress-timeout -5 -- true",
       "--progress-timeout"},
      {"train_malformed_fault",
       "LASYNTH_FAULT=hang:rank=x:step=1 {L} train --data_folder {D} --model_dir {S}/out",
       "LASYNTH_FAULT='hang:rank=x:step=1'"},
      {"eval_unknown_fault",
       "LASYNTH_FAULT=freeze:rank=0:step=1 {L} eval --data_folder {D} "
       "--load_model {M}",
       "LASYNTH_FAULT='freeze:rank=0:step=1'"},
      {"launch_negative_restarts", "{LL} -n 2 --max-restarts -1 -- true", "--max-restarts"},
      {"launch_port_out_of_range", "{LL} -n 2 --monitor-port 70000 -- true", "--monitor-port"},
      {"launch_unknown_launcher", "{LL} -n 2 --launcher pbs -- true", "--launcher"},
      {"launch_no_command", "{LL} -n 2", "command"},
      {"launch_bad_hosts", "{LL} -n 2 --hosts a:x -- true", "a:x"},
  };
  return all;
}

TEST_F(BadInput, EachCaseIsOneLineNamingTheCulpritAndChangesNoFile) {
  const std::string s = scratch_->string();
  const std::map<std::string, std::string> vars = {
      {"{LL}", kLaunch},    {"{L}", kLasynth},     {"{G}", kDatagen}, {"{T}", kData},
      {"{D}", s + "/data"}, {"{M}", s + "/model"}, {"{S}", s}};
  const std::string err =
      (scratch_->parent_path() / ("lasynth-BadInput-err-" + std::to_string(getpid()))).string();
  int checked = 0;
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    const auto before = snapshot(*scratch_);
    const std::string command = expand(c.command, vars);
    // Braces: the command's own redirection of standard error wins over run_command's.
    const testing::Result r = testing::run_command("{ " + command + " 2> " + err + "; }");
    const std::string stderr_text = testing::read_file(err);
    const auto lines = testing::lines_of(stderr_text);
    EXPECT_NE(r.exit_code, 0) << command;
    EXPECT_EQ(r.out, "") << command << "\nprinted on standard output";
    EXPECT_EQ(lines.size(), 1u) << command << "\n" << stderr_text;
    if (!lines.empty()) {
      EXPECT_NE(lines[0].find(expand(c.culprit, vars)), std::string::npos) << command << "\n"
                                                                           << lines[0];
      EXPECT_EQ(lines[0].find(" at /"), std::string::npos) << "a stack frame: " << lines[0];
    }
    EXPECT_EQ(snapshot(*scratch_), before) << command << " wrote or changed a file";
    ++checked;
  }
  fs::remove(err);
  EXPECT_GE(checked, 40);
}

}  // namespace
}  // namespace lasynth
