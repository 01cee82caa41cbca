// Every script of slurm/ submitted for real to a local two-node SLURM cluster
// (scripts/local-slurm.sh start --nodes 2, on the namespace nodes of scripts/local-nodes.sh),
// with tiny settings, checking what each leaves behind.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "run_tool.h"

namespace lasynth {
namespace {

namespace fs = std::filesystem;
using testing::Result;
using testing::run_command;

const std::string kSource = LASYNTH_SOURCE_DIR;
const std::string kBuild = LASYNTH_BUILD_DIR;
const std::string kSlurm = kSource + "/scripts/local-slurm.sh";
const std::string kTinyModel =
    "--embedding_size 16 --LSTM_hidden_size 16 --MLP_hidden_size 16 --num_LSTM_layers 1 "
    "--num_attention_layers 1 --batch_size 2 --val_examples 0 --log_interval 20";
const std::string kTinyData =
    "--train 300 --val 8 --test 8 --shards 3 --eval-shards 1 --seed 5 --max-statements 2 "
    "--max-depth 0 --max-locals 0 --max-tokens 30 --quiet";

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class SlurmScripts : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::remove_all(dir_);  // not /tmp: each node has its own
    fs::create_directories(dir_);
    // Jobs are submitted from a directory holding slurm/ (as from the checkout) and write there.
    fs::create_directory_symlink(kSource + "/slurm", dir_ / "slurm");
    fs::create_directory_symlink(kSource + "/configs", dir_ / "configs");
    const Result up = run_command(kSlurm + " start --nodes 2", true);
    ASSERT_EQ(up.exit_code, 0) << "scripts/local-slurm.sh start --nodes 2 (needs root): " << up.out;
  }
  void TearDown() override {
    if (HasFailure()) {
      std::cerr << run_command(kSlurm + " run squeue", true).out;
      for (const auto& f : fs::directory_iterator(dir_)) {
        if (f.path().extension() == ".out")
          std::cerr << "== " << f.path() << "\n" << read(f.path());
      }
    }
    run_command(kSlurm + " stop");
    run_command(kSource + "/scripts/local-nodes.sh down");
    fs::remove_all(dir_);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // A client command on the cluster, from the job directory.
  Result slurm(const std::string& command) const {
    return run_command(
        "cd " + dir_.string() + " && LASYNTH_BUILD=" + kBuild + " " + kSlurm + " run " + command,
        true);
  }
  // Waits until the queue is empty; false after `seconds`.
  bool all_jobs_end(double seconds) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      const Result q = slurm("squeue -h");
      if (q.exit_code == 0 && q.out.empty()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return false;
  }
  // COMPLETED, FAILED, ... of a finished job (MinJobAge keeps it visible to scontrol).
  std::string state_of(const std::string& job) const {
    const Result r = slurm("scontrol show job " + job);
    const size_t at = r.out.find("JobState=");
    return at == std::string::npos ? "?" : r.out.substr(at + 9, r.out.find(' ', at) - at - 9);
  }
  std::string submit(const std::string& args) const {
    Result r = slurm("sbatch --parsable " + args);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    while (!r.out.empty() && (r.out.back() == '\n' || r.out.back() == ' ')) r.out.pop_back();
    return r.out.substr(r.out.rfind('\n') + 1);
  }
  void make_data() const {
    const Result r = run_command(
        kBuild + "/data_tools/lasynth-datagen --out " + path("data") + " " + kTinyData, true);
    ASSERT_EQ(r.exit_code, 0) << r.out;
  }

  const fs::path dir_ = fs::path("/var/tmp") / ("lasynth-SlurmScripts-" + std::to_string(getpid()));
};

TEST_F(SlurmScripts, DatagenRunsAnArrayThenFinalizesTheManifest) {
  const Result r =
      slurm("env LASYNTH_DATAGEN_TASKS=3 slurm/datagen.sbatch " + path("data") + " " + kTinyData);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("(3 tasks), finalize job"), std::string::npos) << r.out;
  ASSERT_TRUE(all_jobs_end(180));
  int task_logs = 0;
  for (const auto& f : fs::directory_iterator(dir_)) {
    task_logs += f.path().filename().string().rfind("lasynth-datagen-", 0) == 0 &&
                 f.path().string().find("finalize") == std::string::npos;
  }
  EXPECT_EQ(task_logs, 3);
  ASSERT_TRUE(fs::exists(path("data/manifest.json")));
  const Result verify =
      run_command(kBuild + "/data_tools/lasynth-data verify " + path("data"), true);
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  // The same seed made in one process: the same examples.
  const Result alone = run_command(
      kBuild + "/data_tools/lasynth-datagen --out " + path("alone") + " " + kTinyData, true);
  ASSERT_EQ(alone.exit_code, 0);
  EXPECT_EQ(
      run_command(kBuild + "/data_tools/lasynth-data export " + path("data") + " --split train")
          .out,
      run_command(kBuild + "/data_tools/lasynth-data export " + path("alone") + " --split train")
          .out);
}

TEST_F(SlurmScripts, TrainsOnTwoNodesThenEvaluatesEveryCheckpoint) {
  make_data();
  const std::string train =
      submit("-N 2 --ntasks-per-node=2 --output=" + path("train-%j.out") + " slurm/train.sbatch " +
             path("data") + " " + path("model") + " " + kTinyModel + " --max_steps 40");
  const std::string eval =
      submit("--dependency=afterok:" + train + " --output=" + path("eval-%j.out") +
             " slurm/eval.sbatch " + path("data") + " " + path("model") + " --split val --beam 1");
  ASSERT_TRUE(all_jobs_end(300));
  EXPECT_EQ(state_of(train), "COMPLETED");
  EXPECT_EQ(state_of(eval), "COMPLETED");
  const std::string out = read(path("train-" + train + ".out"));
  EXPECT_NE(out.find("lasynth-launch: srun --mpi=pmix -n 4"), std::string::npos) << out;
  EXPECT_NE(out.find("4 ranks (mpi) on 2 nodes: node-lsA ranks 0,1 local 0,1; node-lsB ranks 2,3 "
                     "local 0,1"),
            std::string::npos)
      << out;
  EXPECT_TRUE(fs::exists(path("model/ckpt-40.pt")));
  const auto table = nlohmann::json::parse(read(path("model/eval-val-beam1.json")));
  EXPECT_EQ(table.dump().find("\"step\":40") != std::string::npos, true) << table.dump();
  EXPECT_TRUE(fs::exists(path("model/eval-val-beam1.csv")));
}

TEST_F(SlurmScripts, ARequeuedTrainingJobResumesFromItsCheckpoint) {
  make_data();
  const std::string train =
      submit("-N 2 --ntasks-per-node=2 --output=" + path("train-%j.out") + " slurm/train.sbatch " +
             path("data") + " " + path("model") + " " + kTinyModel + " --max_steps 300");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!fs::exists(path("model/latest")) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(fs::exists(path("model/latest")));
  // What preemption does: SLURM ends the running job (SIGTERM to every process) and queues it
  // again.
  ASSERT_EQ(slurm("scontrol requeue " + train).exit_code, 0);
  ASSERT_TRUE(all_jobs_end(300));
  EXPECT_EQ(state_of(train), "COMPLETED");
  const std::string out = read(path("train-" + train + ".out"));
  EXPECT_NE(out.find("stopped with checkpoints (exit 75)"), std::string::npos) << out;
  EXPECT_NE(out.find("train.sbatch: job " + train + " (restart 1) resumes from " + path("model") +
                     "/ckpt-"),
            std::string::npos)
      << out;
  EXPECT_TRUE(fs::exists(path("model/ckpt-300.pt"))) << out;
  // One metrics line per log step: the second run continued the first, it did not start over.
  std::ifstream metrics(path("model/metrics.jsonl"));
  int64_t last = 0;
  for (std::string line; std::getline(metrics, line);) {
    const int64_t step = nlohmann::json::parse(line)["step"];
    EXPECT_GT(step, last) << line;
    last = step;
  }
  EXPECT_EQ(last, 300);
}

TEST_F(SlurmScripts, PipelineChainsGenerationTrainingEvaluationAndRetraining) {
  // Data and a model that learn enough in 300 steps for retraining to keep programs (up to 30
  // tokens: shorter programs compute too few functions for behaviour-disjoint splits).
  const std::string data =
      "--train 400 --val 16 --test 16 --shards 2 --eval-shards 1 --seed 2 --max-statements 1 "
      "--max-depth 0 --max-locals 0 --max-tokens 30 --const-min 0 --const-max 3 --quiet";
  const std::string model =
      "--config configs/quickstart.yaml --latent_execution=false --operation_predictor=false "
      "--decoder_self_attention=false --val_examples 0 --log_interval 100 --max_steps 300 "
      "--max_decode_len 24 --eval_batch_size 16 --retrain_beam 8";
  const Result r = slurm(
      "env LASYNTH_DATAGEN_TASKS=2 LASYNTH_NODES=2 LASYNTH_TASKS_PER_NODE=1 "
      "LASYNTH_DATAGEN_FLAGS='" +
      data + "' LASYNTH_TRAIN_FLAGS='" + model +
      "' LASYNTH_EVAL_FLAGS='--beam 2' slurm/pipeline.sh " + path("run"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  ASSERT_TRUE(all_jobs_end(900));
  const std::string jobs = read(path("run/pipeline.jobs"));
  for (const char* stage :
       {"finalize ", "train ", "eval-test ", "eval-val ", "retrain ", "eval-retrain "}) {
    const size_t at = jobs.find(std::string("\n") + stage);
    ASSERT_NE(at, std::string::npos) << stage << " in " << jobs;
    const size_t from = at + 1 + strlen(stage);
    const std::string id = jobs.substr(from, jobs.find('\n', from) - from);
    EXPECT_EQ(state_of(id), "COMPLETED") << stage << id;
  }
  const auto report = nlohmann::json::parse(read(path("run/test-report.json")));
  EXPECT_EQ(report["split"], "test");
  EXPECT_EQ(report["step"], 300);
  EXPECT_EQ(report["beam"], 2);
  EXPECT_TRUE(fs::exists(path("run/model/eval-val-beam2.json")));
  const auto table = nlohmann::json::parse(read(path("run/retrain/retrain.json")));
  ASSERT_EQ(table["rounds"].size(), 2u);
  EXPECT_GT(table["rounds"][1]["training_programs"].get<int64_t>(), 0);
  const auto retrained = nlohmann::json::parse(read(path("run/retrain-test-report.json")));
  EXPECT_NE(retrained["checkpoint"].get<std::string>().find("retrain/round-1/model/ckpt-300.pt"),
            std::string::npos);
}

TEST_F(SlurmScripts, ASweepRunsAsAnArrayAndIsCollected) {
  make_data();
  std::ofstream(path("sweep.yaml"))
      << "out: " << path("sweep") << "\nflags: {data_folder: " << path("data")
      << ", embedding_size: 16, LSTM_hidden_size: 16, MLP_hidden_size: 16, num_LSTM_layers: 1, "
         "num_attention_layers: 1, batch_size: 2, val_examples: 0, log_interval: 10, "
         "max_steps: 10}\neval: {split: test, beam: 1}\ngrid: {seed: [1, 2]}\n";
  const std::string lasynth = kBuild + "/src/app/lasynth";
  const Result submitted = slurm(lasynth + " sweep " + path("sweep.yaml") + " --slurm");
  ASSERT_EQ(submitted.exit_code, 0) << submitted.out;
  EXPECT_NE(submitted.out.find("--array=0,1 --ntasks=1"), std::string::npos) << submitted.out;
  ASSERT_TRUE(all_jobs_end(300));
  EXPECT_TRUE(fs::exists(path("sweep/seed-1/report.json")));
  EXPECT_TRUE(fs::exists(path("sweep/seed-2/report.json")));
  const Result collected = slurm(lasynth + " sweep " + path("sweep.yaml") + " --collect");
  ASSERT_EQ(collected.exit_code, 0) << collected.out;
  EXPECT_NE(collected.out.find("| seed-2 | 2 | 10 |"), std::string::npos) << collected.out;
  EXPECT_TRUE(fs::exists(path("sweep/sweep.png")));
  const Result again = slurm(lasynth + " sweep " + path("sweep.yaml") + " --slurm");
  EXPECT_NE(again.out.find("is finished"), std::string::npos) << again.out;
}

}  // namespace
}  // namespace lasynth
