#include "train/trainer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/fields.h"
#include "data/generate.h"
#include "dist/progress.h"
#include "lang/domains.h"
#include "model/synthesizer.h"
#include "run_tool.h"
#include "test_files.h"
#include "train/checkpoint.h"
#include "train/loaded_model.h"

namespace lasynth {
namespace train {
namespace {

using lasynth::testing::ScratchDir;

std::string make_dataset(const ScratchDir& dir, const std::string& domain_name = "c") {
  data::GenerateOptions o;
  o.domain = domain_name;
  o.train = 40;
  o.val = 4;
  o.test = 4;
  o.shards = 2;
  const auto domain = make_domain(domain_name);
  const std::string d = dir.path("data-" + domain_name);
  data::start_generation(d, o, false);
  for (const auto& u : data::plan_units(o)) data::generate_unit(*domain, o, u, d, nullptr);
  data::finalize(*domain, o, d);
  return d;
}

model::ModelOptions tiny() {
  model::ModelOptions m;
  m.embedding_size = 16;
  m.hidden_size = 16;
  m.mlp_hidden_size = 16;
  m.num_layers = 1;
  m.num_attention_layers = 1;
  return m;
}

TrainOptions options(const std::string& data, const std::string& model_dir, int64_t steps) {
  TrainOptions o;
  o.data_folder = data;
  o.model_dir = model_dir;
  o.batch_size = 4;
  o.max_steps = steps;
  o.log_interval = 3;
  o.lr = 1e-2;
  return o;
}

model::Synthesizer load(const std::string& path) { return load_model(path).net; }

void expect_same_parameters(const std::string& a_dir, const std::string& b_dir) {
  auto a = load(a_dir), b = load(b_dir);
  const auto pa = a->named_parameters(), pb = b->named_parameters();
  for (const auto& p : pa) {
    EXPECT_TRUE(torch::equal(p.value(), pb[p.key()])) << p.key();
  }
}

class TrainerTest : public ::testing::Test {
 protected:
  void SetUp() override { torch::set_num_threads(1); }
};

TEST_F(TrainerTest, LeavesMetricsAndCheckpointsAsDesigned) {
  ScratchDir dir;
  const std::string data = make_dataset(dir), run = dir.path("run");
  std::filesystem::create_directories(run);
  const TrainResult r = train(options(data, run, 6), tiny());
  EXPECT_EQ(r.steps, 6);
  std::ifstream metrics(run + "/metrics.jsonl");
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(metrics, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 2u);
  for (const char* key : {"step", "epoch", "loss", "lr", "examples_per_s", "wall_s"}) {
    EXPECT_TRUE(lines[1].contains(key)) << key;
  }
  EXPECT_EQ(lines[1].at("step"), 6);
  for (const char* f : {"ckpt-3.pt", "ckpt-3.pt.sha256", "ckpt-6.pt", "ckpt-6.pt.sha256"}) {
    EXPECT_TRUE(std::filesystem::exists(run + "/" + f)) << f;
  }
  EXPECT_EQ(lasynth::testing::read_file(run + "/latest"), "ckpt-6.pt\n");
  // Python's torch.load opens it.
  const auto py = lasynth::testing::run_command(
      "/usr/bin/python3 -c \"import torch; d = torch.load('" + run +
          "/ckpt-6.pt'); print(sorted(d.keys()), d['step'], len(d['model']), d['format'], "
          "d['format_version'])\"",
      true);
  ASSERT_EQ(py.exit_code, 0) << py.out;
  EXPECT_NE(py.out.find("['config', 'epoch', 'format', 'format_version', 'model', 'optimizer', "
                        "'rng', 'sampler', 'step'] 6"),
            std::string::npos)
      << py.out;
  EXPECT_NE(py.out.find(" lasynth-checkpoint 1"), std::string::npos) << py.out;
}

// The config a checkpoint records is the model's and training's settings (core/fields.h) plus
// what the dataset and run say; every key reads back into its setting and writes out the same.
TEST_F(TrainerTest, TheCheckpointsConfigRoundTripsEveryKey) {
  ScratchDir dir;
  const std::string data = make_dataset(dir), run = dir.path("run");
  model::ModelOptions m = tiny();
  m.latent_execution = m.decoder_self_attention = true;
  m.exec_loss_weight = 0.5;
  TrainOptions o = options(data, run, 3);
  o.optimizer = "rmsprop";
  train(o, m);
  const nlohmann::ordered_json config =
      nlohmann::ordered_json::parse(read_checkpoint(run).state.config);
  const std::vector<std::string> model_keys = field_keys<model::ModelOptions>();
  const std::vector<std::string> train_keys = field_keys<TrainOptions>();
  for (const auto& [key, value] : config.items()) {
    const bool known = std::count(model_keys.begin(), model_keys.end(), key) +
                           std::count(train_keys.begin(), train_keys.end(), key) ==
                       1;
    const bool run_key = key == "data_folder" || key == "domain" || key == "domain_options" ||
                         key == "model" || key == "device";
    EXPECT_TRUE(known != run_key) << key << " is neither a setting nor a key of the run";
  }
  model::ModelOptions m2;
  fields_from_json(config, &m2);
  TrainOptions o2;
  fields_from_json(config, &o2);
  EXPECT_EQ(fields_to_json(m2), fields_to_json(m));
  EXPECT_EQ(fields_to_json(o2), fields_to_json(o));
  EXPECT_EQ(config.at("model"), "LaSynth");
  EXPECT_EQ(load_model(run).net->options().exec_loss_weight, 0.5);
}

TEST_F(TrainerTest, ResumeContinuesExactlyWithEveryOptimizer) {
  ScratchDir dir;
  const std::string data = make_dataset(dir);
  model::ModelOptions lasynth = tiny();
  lasynth.latent_execution = lasynth.operation_predictor = lasynth.decoder_self_attention = true;
  lasynth.exec_period = 4;
  for (const char* optimizer : {"adam", "sgd", "rmsprop"}) {
    const std::string straight = dir.path(std::string("straight-") + optimizer);
    const std::string resumed = dir.path(std::string("resumed-") + optimizer);
    TrainOptions o = options(data, straight, 24);  // 10 steps per epoch: crosses two
    o.optimizer = optimizer;
    train(o, lasynth);
    o.model_dir = resumed;
    o.max_steps = 12;
    train(o, lasynth);
    o.max_steps = 24;
    o.resume = true;
    EXPECT_EQ(train(o, lasynth).steps, 24);
    expect_same_parameters(straight, resumed);
  }
  // Resuming with another optimizer would silently drop its state: refused.
  TrainOptions other = options(data, dir.path("resumed-adam"), 30);
  other.resume = true;
  other.optimizer = "sgd";
  EXPECT_THROW(train(other, lasynth), IoError);
}

// A damaged newest checkpoint (or `latest`) is not a reason to start over, nor to stop: --resume
// takes the newest intact one, saying which it refused, and continues exactly from it.
TEST_F(TrainerTest, ResumeFallsBackToTheNewestIntactCheckpoint) {
  ScratchDir dir;
  const std::string data = make_dataset(dir), run = dir.path("run");
  train(options(data, dir.path("straight"), 9), tiny());
  train(options(data, run, 6), tiny());  // ckpt-3, ckpt-6
  const std::string newest = run + "/ckpt-6.pt";
  std::string bytes = lasynth::testing::read_file(newest);
  lasynth::testing::write_file(newest, bytes.substr(0, bytes.size() / 2));  // truncated
  std::vector<std::string> said;
  TrainHooks hooks;
  hooks.print = [&](const std::string& line) { said.push_back(line); };
  TrainOptions o = options(data, run, 9);
  o.resume = true;
  EXPECT_EQ(train(o, tiny(), hooks).steps, 9);
  std::string warnings;
  for (const std::string& line : said) {
    if (line.rfind("warning: ", 0) == 0) warnings += line + "\n";
  }
  EXPECT_NE(warnings.find("ckpt-6.pt: checksum"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("resuming from " + run + "/ckpt-3.pt"), std::string::npos) << warnings;
  expect_same_parameters(dir.path("straight"), run);

  // `latest` unreadable: the newest listed checkpoint is intact and taken.
  std::filesystem::remove(run + "/" + kLatestFile);
  o.max_steps = 12;
  EXPECT_EQ(train(o, tiny(), hooks).steps, 12);

  // Nothing intact: an error naming the directory, never a silent start from scratch.
  for (const auto& [step, path] : list_checkpoints(run)) {
    lasynth::testing::write_file(path, "damaged");
  }
  o.max_steps = 15;
  try {
    train(o, tiny(), hooks);
    FAIL() << "resumed from a damaged checkpoint or started over";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(run + ": no intact checkpoint"), std::string::npos)
        << e.what();
  }
}

// --checkpoint_every_s: a checkpoint (and metrics line) also when the clock says so, here after
// every step; without it, only every --log_interval steps.
TEST_F(TrainerTest, CheckpointsByTimeToo) {
  ScratchDir dir;
  const std::string data = make_dataset(dir);
  TrainOptions o = options(data, dir.path("timed"), 4);
  o.log_interval = 100;
  o.checkpoint_every_s = 1e-9;
  train(o, tiny());
  for (int step = 1; step <= 4; ++step) {
    EXPECT_TRUE(
        std::filesystem::exists(dir.path("timed") + "/ckpt-" + std::to_string(step) + ".pt"))
        << step;
  }
  o.model_dir = dir.path("by-steps");
  o.checkpoint_every_s = 0;
  train(o, tiny());
  EXPECT_EQ(list_checkpoints(o.model_dir).size(), 1u);
}

TEST_F(TrainerTest, KeepsTheLastNCheckpoints) {
  ScratchDir dir;
  const std::string data = make_dataset(dir), run = dir.path("run");
  TrainOptions o = options(data, run, 12);
  o.keep_last_n = 2;
  train(o, tiny());
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(run)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"ckpt-12.pt", "ckpt-12.pt.sha256", "ckpt-9.pt",
                                             "ckpt-9.pt.sha256", "latest", "metrics.jsonl"}));
}

TEST_F(TrainerTest, WritesValidationLines) {
  ScratchDir dir;
  const std::string data = make_dataset(dir), run = dir.path("run");
  TrainOptions o = options(data, run, 6);
  int calls = 0;
  TrainHooks hooks;
  hooks.validate = [&](model::Synthesizer& net) {
    EXPECT_FALSE(net->is_training());
    ++calls;
    return nlohmann::ordered_json{{"generalization", 0.25 * calls}};
  };
  train(o, tiny(), hooks);
  EXPECT_EQ(calls, 2);
  std::ifstream metrics(run + "/metrics.jsonl");
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(metrics, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[1].at("split"), "val");
  EXPECT_EQ(lines[1].at("step"), 3);
  EXPECT_EQ(lines[3].at("generalization"), 0.5);
  EXPECT_FALSE(lines[2].contains("split"));
}

TEST_F(TrainerTest, EveryStepAdvancesTheProgressCounter) {
  ScratchDir dir;
  const std::string data = make_dataset(dir);
  const int64_t before = dist::progress_snapshot().progress;
  train(options(data, dir.path("run"), 5), tiny());
  EXPECT_EQ(dist::progress_snapshot().progress - before, 5);
}

TEST_F(TrainerTest, RefusesDamagedCheckpointsAndOtherModels) {
  ScratchDir dir;
  const std::string data = make_dataset(dir), run = dir.path("run");
  std::filesystem::create_directories(run);
  train(options(data, run, 3), tiny());
  std::string bytes = lasynth::testing::read_file(run + "/ckpt-3.pt");
  bytes[bytes.size() / 2] ^= 1;
  lasynth::testing::write_file(run + "/ckpt-3.pt", bytes);
  try {
    load(run);
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("ckpt-3.pt: checksum"), std::string::npos) << e.what();
  }
  train(options(data, dir.path("other"), 3), tiny());
  model::ModelOptions bigger = tiny();
  bigger.hidden_size = 24;
  const auto c = make_domain("c");
  model::set_domain(bigger, *c, c->vocabulary().size());
  model::Synthesizer net(bigger);
  EXPECT_THROW(load_checkpoint(dir.path("other"), *net, nullptr), IoError);
  model::ModelOptions operations = tiny();
  operations.operation_predictor = true;
  EXPECT_THROW(train(options(make_dataset(dir, "karel"), dir.path("k"), 3), operations),
               ConfigError);
}

std::vector<double> losses(const std::string& run) {
  std::ifstream metrics(run + "/metrics.jsonl");
  std::vector<double> out;
  for (std::string line; std::getline(metrics, line);) {
    out.push_back(nlohmann::json::parse(line).at("loss").get<double>());
  }
  return out;
}

// --precision bf16: the forward pass in bfloat16 trains as float32 does, within a stated distance
// (every window's mean loss within 2% of float32's), its loss falls, and the weights it keeps are
// float32.
TEST_F(TrainerTest, BfloatForwardPassTrainsCloseToFloat32) {
  ScratchDir dir;
  const std::string data = make_dataset(dir);
  std::vector<std::vector<double>> curves;
  for (const char* precision : {"fp32", "bf16"}) {
    TrainOptions o = options(data, dir.path(precision), 60);
    o.log_interval = 10;
    o.precision = precision;
    train(o, tiny());
    curves.push_back(losses(o.model_dir));
  }
  ASSERT_EQ(curves[0].size(), 6u);
  ASSERT_EQ(curves[1].size(), 6u);
  EXPECT_LT(curves[1].back(), 0.85 * curves[1].front()) << ::testing::PrintToString(curves);
  bool differs = false;
  for (size_t i = 0; i < curves[0].size(); ++i) {
    EXPECT_NEAR(curves[1][i], curves[0][i], 0.02 * curves[0][i]) << "window " << i;
    differs = differs || curves[1][i] != curves[0][i];
  }
  EXPECT_TRUE(differs) << "bf16 computed exactly what fp32 did: autocast was not on";
  for (const auto& p : load(dir.path("bf16"))->parameters()) {
    EXPECT_EQ(p.scalar_type(), torch::kFloat);
  }
}

}  // namespace
}  // namespace train
}  // namespace lasynth
