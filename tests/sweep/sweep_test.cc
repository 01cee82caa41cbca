// Sweeps without training: expansion of a sweep file, the runner against a stand-in for lasynth
// (a script that records its commands and writes what lasynth would), and collection.
#include "sweep/sweep.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace lasynth {
namespace sweep {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class SweepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("lasynth-sweep-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "configs");
    std::ofstream(dir_ / "configs" / "base.yaml") << "embedding_size: 64\nlr: 0.01\nbeam: 8\n";
    // Stands in for lasynth: logs each command; train leaves metrics.jsonl, eval a report whose
    // generalization is the run's lr, and so is its io_consistency but at beam 1 (0.125).
    std::ofstream(dir_ / "fake-lasynth") << R"(#!/bin/sh
echo "$*" >> ")" + (dir_ / "calls").string() + R"("
case $1 in
  train) dir=$5; mkdir -p "$dir"; echo '{"step":10,"examples_per_s":42.5}' > "$dir/metrics.jsonl" ;;
  eval)
    lr=$(sed -n 's/^lr: //p' "$3")
    [ "$lr" = fail ] && exit 3
    io=$lr
    case "$*" in *" --beam=1") io=0.125 ;; esac
    echo "{\"step\":10,\"beam\":2,\"metrics\":{\"generalization\":$lr,\"io_consistency\":$io,\"exact_match\":0,\"avg_length\":7}}" > "$7" ;;
esac
)";
    fs::permissions(dir_ / "fake-lasynth", fs::perms::owner_all);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write_sweep(const std::string& text) const {
    const fs::path file = dir_ / "configs" / "s.yaml";
    std::ofstream(file) << text;
    return file.string();
  }
  std::string sweep_text() const {
    return "base: base.yaml\nout: " + (dir_ / "runs").string() +
           "\nflags: {data_folder: data/c, max_steps: 10}\neval: {split: test, beam: 2}\n"
           "grid:\n  model:\n    lasynth: {latent_execution: true}\n    robustfill: {}\n"
           "  lr: [0.25, 0.5]\n";
  }
  RunnerOptions runner() const {
    RunnerOptions o;
    o.lasynth = (dir_ / "fake-lasynth").string();
    return o;
  }

  std::string read_after_collect(const Sweep& s) const {
    collect(s);
    return read(dir_ / "runs" / "sweep.csv");
  }

  fs::path dir_;
};

TEST_F(SweepTest, ExpandsTheGridInFileOrderWithPrecedence) {
  const Sweep s = load_sweep(write_sweep(sweep_text()));
  ASSERT_EQ(s.runs.size(), 4u);
  EXPECT_EQ(s.axes, (std::vector<std::string>{"model", "lr"}));
  EXPECT_EQ(s.runs[0].name, "lasynth_lr-0.25");
  EXPECT_EQ(s.runs[1].name, "lasynth_lr-0.5");
  EXPECT_EQ(s.runs[2].name, "robustfill_lr-0.25");
  EXPECT_EQ(s.runs[3].dir, (dir_ / "runs" / "robustfill_lr-0.5").string());
  // base < flags < point
  EXPECT_EQ(s.runs[0].config.at("embedding_size"), "64");
  EXPECT_EQ(s.runs[0].config.at("max_steps"), "10");
  EXPECT_EQ(s.runs[0].config.at("lr"), "0.25");
  EXPECT_EQ(s.runs[0].config.at("latent_execution"), "true");
  EXPECT_EQ(s.runs[2].config.count("latent_execution"), 0u);
  EXPECT_EQ(s.runs[3].point, (std::vector<std::pair<std::string, std::string>>{
                                 {"model", "robustfill"}, {"lr", "0.5"}}));
}

TEST_F(SweepTest, RefusesMistakesNamingTheKey) {
  auto message = [&](const std::string& text) {
    try {
      load_sweep(write_sweep(text));
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("out: r\ngrids: {}\n").find("unknown key 'grids'"), std::string::npos);
  EXPECT_NE(message("grid: {lr: [1]}\n").find("'out'"), std::string::npos);
  EXPECT_NE(message("out: r\ngrid: {lr: 3}\n").find("grid.lr"), std::string::npos);
  EXPECT_NE(message("out: r\ngrid: {lr: []}\n").find("grid.lr: no values"), std::string::npos);
  EXPECT_NE(message("out: r\nbase: missing.yaml\n").find("missing.yaml"), std::string::npos);
  EXPECT_NE(message("out: r\nflags: {x: [1, 2]}\n").find("'x' must be a single value"),
            std::string::npos);
  EXPECT_NE(message("out: r\ngreedy: 1\n").find("'greedy' is true or false"), std::string::npos);
}

TEST_F(SweepTest, RunsEachPointOnceSkipsFinishedOnesAndCollects) {
  const Sweep s = load_sweep(write_sweep(sweep_text()));
  ASSERT_EQ(run_sweep(s, runner()), 0);
  const std::string calls = read(dir_ / "calls");
  EXPECT_EQ(std::count(calls.begin(), calls.end(), '\n'), 8);  // train + eval per run
  EXPECT_NE(calls.find("train --config " + s.runs[1].dir + "/config.yaml --model_dir " +
                       s.runs[1].dir + "/model --resume"),
            std::string::npos)
      << calls;
  EXPECT_NE(calls.find("--report " + s.runs[1].dir + "/report.json --beam=2 --split=test"),
            std::string::npos)
      << calls;
  const std::string config = read(s.runs[0].dir + "/config.yaml");
  EXPECT_NE(config.find("\nlatent_execution: true\n"), std::string::npos) << config;
  EXPECT_NE(config.find("\ndata_folder: data/c\n"), std::string::npos) << config;

  fs::remove(dir_ / "calls");
  fs::remove(s.runs[2].dir + "/report.json");  // one unfinished run
  ASSERT_EQ(run_sweep(s, runner()), 0);
  EXPECT_EQ(read(dir_ / "calls").find(s.runs[0].dir), std::string::npos);
  EXPECT_NE(read(dir_ / "calls").find(s.runs[2].dir), std::string::npos);

  const auto table = collect(s);
  ASSERT_EQ(table["runs"].size(), 4u);
  EXPECT_EQ(table["runs"][1]["model"], "lasynth");
  EXPECT_EQ(table["runs"][1]["lr"], "0.5");
  EXPECT_DOUBLE_EQ(table["runs"][1]["generalization"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(table["runs"][1]["examples_per_s"].get<double>(), 42.5);
  const std::string csv = read(dir_ / "runs" / "sweep.csv");
  EXPECT_NE(csv.find("run,model,lr,state,step,generalization"), std::string::npos) << csv;
  EXPECT_NE(csv.find("robustfill_lr-0.25,robustfill,0.25,finished,10,0.25"), std::string::npos)
      << csv;
  EXPECT_NE(read(dir_ / "runs" / "sweep.md").find("| lasynth_lr-0.5 | lasynth | 0.5 | 10 |"),
            std::string::npos);
  EXPECT_GT(fs::file_size(dir_ / "runs" / "sweep.png"), 1000u);
}

TEST_F(SweepTest, GreedyEvaluatesEveryRunAgainAtBeamOneAndTablesItBeside) {
  ASSERT_EQ(run_sweep(load_sweep(write_sweep(sweep_text())), runner()), 0);
  fs::remove(dir_ / "calls");
  fs::remove_all(dir_ / "runs" / "robustfill_lr-0.5");  // never run
  const Sweep s = load_sweep(write_sweep(sweep_text() + "greedy: true\n"));
  ASSERT_TRUE(s.greedy);
  EXPECT_FALSE(finished(s, s.runs[0]));  // evaluated, but not at beam 1

  ASSERT_EQ(run_sweep(s, runner()), 0);
  const std::string calls = read(dir_ / "calls");
  // The three evaluated runs: their greedy evaluation alone; the fourth: all three commands.
  EXPECT_EQ(std::count(calls.begin(), calls.end(), '\n'), 3 + 3) << calls;
  EXPECT_EQ(calls.find("train --config " + s.runs[0].dir), std::string::npos) << calls;
  EXPECT_NE(calls.find("train --config " + s.runs[3].dir), std::string::npos) << calls;
  for (const sweep::Run& run : s.runs) {
    EXPECT_NE(calls.find("--report " + run.dir + "/report-greedy.json --split=test --beam=1\n"),
              std::string::npos)
        << calls;
    EXPECT_TRUE(finished(s, run));
  }
  EXPECT_NE(calls.find("--report " + s.runs[3].dir + "/report.json --beam=2 --split=test\n"),
            std::string::npos)
      << calls;

  const auto table = collect(s);
  EXPECT_DOUBLE_EQ(table["runs"][1]["generalization"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(table["runs"][1]["io_consistency"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(table["runs"][1]["greedy_io_consistency"].get<double>(), 0.125);
  const std::string csv = read(dir_ / "runs" / "sweep.csv");
  EXPECT_NE(csv.find(",avg_length,greedy_io_consistency,examples_per_s\n"), std::string::npos)
      << csv;
  EXPECT_NE(csv.find("lasynth_lr-0.5,lasynth,0.5,finished,10,0.5,0.5,0,7,0.125,42.5\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(read(dir_ / "runs" / "sweep.md").find(" | 7.0000 | 0.1250 | 42.5 |"),
            std::string::npos);

  fs::remove(s.runs[2].dir + "/report-greedy.json");
  EXPECT_NE(read_after_collect(s).find("robustfill_lr-0.25,robustfill,0.25,not finished,,,,,,,\n"),
            std::string::npos);
}

TEST_F(SweepTest, AFailedRunIsCountedAndTheOthersStillRunAndCollectSaysSo) {
  const Sweep s = load_sweep(write_sweep("out: " + (dir_ / "runs").string() +
                                         "\nbase: base.yaml\ngrid: {lr: [0.5, fail, 0.25]}\n"));
  EXPECT_EQ(run_sweep(s, runner()), 1);
  EXPECT_TRUE(finished(s, s.runs[0]));
  EXPECT_FALSE(finished(s, s.runs[1]));
  EXPECT_TRUE(finished(s, s.runs[2]));
  EXPECT_NE(read(s.runs[1].dir + "/log.txt").find("$ " + runner().lasynth + " eval"),
            std::string::npos);
  const auto table = collect(s);
  EXPECT_EQ(table["runs"][1]["state"], "not finished");
  EXPECT_NE(read(dir_ / "runs" / "sweep.csv").find("lr-fail,fail,not finished"), std::string::npos);
}

TEST_F(SweepTest, OnlyRunsOneIndex) {
  const Sweep s = load_sweep(write_sweep(sweep_text()));
  RunnerOptions o = runner();
  o.only = 3;
  ASSERT_EQ(run_sweep(s, o), 0);
  EXPECT_FALSE(finished(s, s.runs[0]));
  EXPECT_TRUE(finished(s, s.runs[3]));
  o.only = 4;
  EXPECT_THROW(run_sweep(s, o), ConfigError);
}

TEST_F(SweepTest, TheSlurmCommandKeepsPathsWithSpacesWhole) {
  fs::create_directories(dir_ / "my configs");
  std::ofstream(dir_ / "my configs" / "base.yaml") << "lr: 0.01\n";
  const fs::path file = dir_ / "my configs" / "s.yaml";
  std::ofstream(file) << "base: base.yaml\nout: " << (dir_ / "my runs").string()
                      << "\ngrid:\n  lr: [0.1, 0.2]\n";
  const Sweep s = load_sweep(file.string());
  EXPECT_EQ(
      slurm_submit_argv(s, 0, "0,1"),
      (std::vector<std::string>{"sbatch", "--parsable", "--array=0,1", "--ntasks=1",
                                "--output=" + (dir_ / "my runs").string() + "/slurm-%A_%a.out",
                                "slurm/sweep.sbatch", file.string()}));
  EXPECT_EQ(slurm_submit_argv(s, 4, "1")[3], "--ntasks=4");
}

TEST_F(SweepTest, SubmittingToSlurmPassesEveryArgumentWholeAndOnlyTheUnfinishedRuns) {
  // A stand-in sbatch on PATH writes one argument per line; the checkout is a directory holding
  // slurm/sweep.sbatch.
  const fs::path bin = dir_ / "bin";
  fs::create_directories(bin);
  fs::create_directories(dir_ / "checkout" / "slurm");
  std::ofstream(dir_ / "checkout" / "slurm" / "sweep.sbatch") << "#!/bin/sh\n";
  std::ofstream(bin / "sbatch") << "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done > \""
                                << (dir_ / "args").string() << "\"\necho 42\n";
  fs::permissions(bin / "sbatch", fs::perms::owner_all);
  const std::string path = std::getenv("PATH");
  const fs::path cwd = fs::current_path();
  setenv("PATH", (bin.string() + ":" + path).c_str(), 1);
  fs::current_path(dir_ / "checkout");

  const fs::path file = dir_ / "my sweep.yaml";
  std::ofstream(file) << "out: " << (dir_ / "my runs").string() << "\ngrid:\n  lr: [0.1, 0.2]\n";
  const Sweep s = load_sweep(file.string());
  fs::create_directories(s.runs[0].dir);
  std::ofstream(fs::path(s.runs[0].dir) / "report.json") << "{}";
  EXPECT_EQ(submit_to_slurm(s, 2, /*dry_run=*/true), 0);
  EXPECT_FALSE(fs::exists(dir_ / "args"));
  EXPECT_EQ(submit_to_slurm(s, 2, /*dry_run=*/false), 0);
  EXPECT_EQ(read(dir_ / "args"),
            "--parsable\n--array=1\n--ntasks=2\n--output=" + (dir_ / "my runs").string() +
                "/slurm-%A_%a.out\nslurm/sweep.sbatch\n" + file.string() + "\n");

  fs::current_path(cwd);
  setenv("PATH", path.c_str(), 1);
}

}  // namespace
}  // namespace sweep
}  // namespace lasynth
