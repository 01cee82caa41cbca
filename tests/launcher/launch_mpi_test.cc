// lasynth-launch as a user runs it: real mpirun, real ranks training, real signals.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "job_process.h"
#include "run_tool.h"

namespace lasynth {
namespace {

using testing::JobProcess;

const std::string kLaunch = LASYNTH_LAUNCH_BIN;
const std::string kLasynth = LASYNTH_BIN;
const std::string kDatagen = LASYNTH_DATAGEN_BIN;
// Enough steps of the tiny model, 3x slower on one rank, for the monitor to measure it (a few
// seconds of training).
constexpr int64_t kSlowJobSteps = 150;

class Launch : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::filesystem::remove_all(data_dir());
    const auto r =
        testing::run_command(kDatagen + " --out " + data_dir() +
                                 " --train 400 --val 8 --test 8 --shards 2 --eval-shards 1 --seed 3"
                                 " --max-statements 2 --max-depth 0 --max-locals 0 --max-tokens 30",
                             true);
    ASSERT_EQ(r.exit_code, 0) << r.out;
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(data_dir()); }
  static std::string data_dir() {
    return (std::filesystem::temp_directory_path() /
            ("lasynth-launch-data-" + std::to_string(getpid())))
        .string();
  }
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lasynth-launch-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // lasynth-launch -n 2 [launch flags] -- lasynth train (a tiny model) [train flags].
  std::vector<std::string> job(const std::vector<std::string>& launch_flags, int64_t max_steps,
                               const std::vector<std::string>& train_flags = {}) const {
    std::vector<std::string> argv = {kLaunch, "-n", "2", "--monitor-port", "0"};
    argv.insert(argv.end(), launch_flags.begin(), launch_flags.end());
    argv.insert(argv.end(), {"--", kLasynth, "train", "--data_folder", data_dir(), "--model_dir",
                             path("model")});
    const std::vector<std::string> tiny = testing::tiny_model_flags();
    argv.insert(argv.end(), tiny.begin(), tiny.end());
    argv.insert(argv.end(), {"--batch_size", "4", "--max_steps", std::to_string(max_steps)});
    argv.insert(argv.end(), train_flags.begin(), train_flags.end());
    return argv;
  }

  // Pids of the processes still running with this test's directory in their command line.
  std::string processes_of_this_test() const {
    const std::string p = dir_.string();  // "[/]tmp/...": pgrep's shell does not match itself
    return testing::run_command("pgrep -f '[" + p.substr(0, 1) + "]" + p.substr(1) + "'").out;
  }

  std::filesystem::path dir_;
};

TEST_F(Launch, TrainsOnTwoRanksPrintingItsCommandAndPage) {
  JobProcess p(job({}, 40, {"--log_dir", path("logs")}), path("out"));
  ASSERT_EQ(p.wait(300), 0) << p.output();
  const std::string out = p.output();
  EXPECT_NE(out.find("lasynth-launch: mpirun -np 2"), std::string::npos) << out;
  EXPECT_NE(out.find("--agent -- " + kLasynth + " train"), std::string::npos) << out;
  EXPECT_NE(out.find("lasynth-launch: monitor: http://127.0.0.1:"), std::string::npos);
  EXPECT_NE(out.find("lasynth-launch: done"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(path("model/ckpt-40.pt")));
  for (int rank = 0; rank < 2; ++rank) {
    std::ifstream log(path("logs/rank-" + std::to_string(rank) + ".log"));
    std::string all((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    EXPECT_NE(all.find("rank " + std::to_string(rank) + " of 2"), std::string::npos) << all;
    EXPECT_NE(all.find("step 40"), std::string::npos) << all;
    EXPECT_NE(all.find("finished at step 40"), std::string::npos) << all;
  }
}

TEST_F(Launch, AKilledRankEndsTheJobWithinTenSecondsNamingRankHostAndSignal) {
  JobProcess p(job({}, 1000000), path("out"));
  const nlohmann::json status = p.status_when_training(5);
  ASSERT_EQ(status["ranks"].size(), 2u) << p.output();
  const int64_t pid = status["ranks"][1]["pid"];
  const std::string host = status["ranks"][1]["host"];
  const auto killed = std::chrono::steady_clock::now();
  kill(static_cast<pid_t>(pid), SIGKILL);
  EXPECT_EQ(p.wait(60), 1) << p.output();
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
  EXPECT_LT(took, 10) << p.output();
  const std::string want =
      "rank 1 on " + host + " (pid " + std::to_string(pid) + ") killed by signal 9 (SIGKILL)";
  EXPECT_NE(p.output().find("lasynth-launch: the job failed: " + want), std::string::npos)
      << p.output();
  EXPECT_EQ(processes_of_this_test(), "");
}

TEST_F(Launch, AStoppedRankIsFoundByTheHeartbeatTimeout) {
  JobProcess p(job({"--heartbeat-timeout", "3"}, 1000000), path("out"));
  const nlohmann::json status = p.status_when_training(5);
  ASSERT_EQ(status["ranks"].size(), 2u) << p.output();
  const int64_t pid = status["ranks"][0]["pid"];
  const auto stopped = std::chrono::steady_clock::now();
  kill(static_cast<pid_t>(pid), SIGSTOP);
  EXPECT_EQ(p.wait(60), 1) << p.output();
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - stopped).count();
  EXPECT_LT(took, 3 + 10) << p.output();
  EXPECT_NE(p.output().find("rank 0 on " + status["ranks"][0]["host"].get<std::string>() +
                            " (pid " + std::to_string(pid) + ") sent no heartbeat for"),
            std::string::npos)
      << p.output();
  EXPECT_EQ(processes_of_this_test(), "");
}

// LASYNTH_FAULT for the ranks of the jobs started while it lives (lasynth-launch exports every
// LASYNTH_ variable to them).
class FaultForRanks {
 public:
  explicit FaultForRanks(const std::string& value) { setenv("LASYNTH_FAULT", value.c_str(), 1); }
  ~FaultForRanks() { unsetenv("LASYNTH_FAULT"); }
};

TEST_F(Launch, AHungRankEndsTheJobWithinTheProgressTimeoutNamingItsStep) {
  const FaultForRanks fault("hang:rank=1:step=5");
  JobProcess p(job({"--progress-timeout", "10"}, 1000000), path("out"));
  // Every rank reaches step 5; rank 1 then hangs while its heartbeat goes on.
  const nlohmann::json status = p.status_when_training(5);
  ASSERT_EQ(status["ranks"].size(), 2u) << p.output();
  const auto hung = std::chrono::steady_clock::now();
  // Meanwhile /status shows rank 1 without progress and rank 0 waiting for it in a collective.
  const uint16_t port = p.monitor_port();
  nlohmann::json during;
  EXPECT_TRUE(testing::eventually(
      [&] {
        during = nlohmann::json::parse(testing::http_get(port, "/status"), nullptr, false);
        return !during.is_discarded() && during["ranks"].size() == 2 &&
               during["ranks"][1]["seconds_since_progress"].is_number() &&
               during["ranks"][1]["seconds_since_progress"].get<double>() > 3 &&
               during["ranks"][0]["in_collective_s"].is_number();
      },
      10))
      << during.dump();
  EXPECT_TRUE(during["ranks"][1]["in_collective_s"].is_null()) << during.dump();
  EXPECT_EQ(during["ranks"][1]["step"], 5) << during.dump();
  EXPECT_EQ(p.wait(60), 1) << p.output();
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - hung).count();
  EXPECT_LT(took, 10 + 10) << p.output();
  const std::string want = "lasynth-launch: the job failed: rank 1 on " +
                           status["ranks"][1]["host"].get<std::string>() + " (pid " +
                           std::to_string(status["ranks"][1]["pid"].get<int64_t>()) +
                           ") made no progress for ";
  EXPECT_NE(p.output().find(want), std::string::npos) << p.output();
  EXPECT_NE(p.output().find(" s at step 5 (the highest step of any rank is 5), not inside a "
                            "collective: it is hung (--progress-timeout 10)"),
            std::string::npos)
      << p.output();
  EXPECT_NE(p.output().find("LASYNTH_FAULT hangs here at step 5"), std::string::npos);
  EXPECT_EQ(processes_of_this_test(), "");
}

TEST_F(Launch, ACrashedRankEndsTheJobNamingIt) {
  const FaultForRanks fault("crash:rank=1:step=5");
  JobProcess p(job({}, 1000000), path("out"));
  EXPECT_EQ(p.wait(60), 1) << p.output();
  const std::string out = p.output();
  EXPECT_NE(out.find("LASYNTH_FAULT aborts here at step 5"), std::string::npos) << out;
  EXPECT_TRUE(std::regex_search(
      out, std::regex("lasynth-launch: the job failed: rank 1 on [^ ]+ \\(pid [0-9]+\\) killed "
                      "by signal 6 \\(SIGABRT\\)")))
      << out;
  EXPECT_EQ(processes_of_this_test(), "");
}

TEST_F(Launch, ASlowRankIsMarkedAStragglerAndTheJobCompletes) {
  const FaultForRanks fault("slow:rank=1:step=1");
  JobProcess p(job({}, kSlowJobSteps), path("out"));
  const uint16_t port = p.monitor_port();
  nlohmann::json status;
  const bool marked = testing::eventually(
      [&] {
        status = nlohmann::json::parse(testing::http_get(port, "/status"), nullptr, false);
        return !status.is_discarded() && status["ranks"].size() == 2 &&
               status["ranks"][1]["straggler"] == true;
      },
      60);
  ASSERT_TRUE(marked) << status.dump() << p.output();
  EXPECT_EQ(status["ranks"][0]["straggler"], false) << status.dump();
  // It keeps the other waiting: a third of its progress per second of work, give or take.
  EXPECT_LT(status["ranks"][1]["work_rate"].get<double>(),
            0.5 * status["ranks"][0]["work_rate"].get<double>())
      << status.dump();
  const std::string metrics = testing::http_get(port, "/metrics");
  EXPECT_TRUE(std::regex_search(
      metrics, std::regex("lasynth_rank_straggler\\{rank=\"1\",host=\"[^\"]+\"\\} 1")))
      << metrics;
  EXPECT_NE(metrics.find("lasynth_rank_seconds_since_progress{rank=\"0\""), std::string::npos);
  EXPECT_EQ(p.wait(120), 0) << p.output();
}

TEST_F(Launch, SigtermCheckpointsEveryRankAndResumeContinues) {
  JobProcess p(job({}, 1000000), path("out"));
  p.status_when_training(5);
  kill(p.pid(), SIGTERM);
  ASSERT_EQ(p.wait(60), 75) << p.output();
  EXPECT_NE(p.output().find("stopped with checkpoints (exit 75): continue with --resume"),
            std::string::npos)
      << p.output();
  std::ifstream latest(path("model/latest"));
  std::string name;
  latest >> name;
  ASSERT_FALSE(name.empty()) << p.output();
  const int64_t stopped_at = std::stoll(name.substr(5));
  EXPECT_GE(stopped_at, 5);

  JobProcess resumed(job({}, stopped_at + 10, {"--resume"}), path("out2"));
  ASSERT_EQ(resumed.wait(300), 0) << resumed.output();
  EXPECT_TRUE(
      std::filesystem::exists(path("model/ckpt-" + std::to_string(stopped_at + 10) + ".pt")))
      << resumed.output();
}

TEST_F(Launch, MaxRestartsRecoversFromAKilledRank) {
  const int64_t steps = 100000;  // far beyond what runs here: the test stops it
  JobProcess p(job({"--max-restarts", "1"}, steps), path("out"));
  const nlohmann::json first = p.status_when_training(45);  // after the checkpoint at step 40
  ASSERT_EQ(first["ranks"].size(), 2u) << p.output();
  kill(static_cast<pid_t>(first["ranks"][1]["pid"].get<int64_t>()), SIGKILL);
  // The relaunch resumes from a checkpoint: its ranks report steps past it.
  ASSERT_TRUE(testing::eventually(
      [&] {
        const std::string body = testing::http_get(p.monitor_port(), "/status");
        const auto s = nlohmann::json::parse(body, nullptr, false);
        return !s.is_discarded() && s["job"]["attempt"] == 1 &&
               s["ranks"][0]["state"] == "running" && s["ranks"][0]["step"].get<int64_t>() > 40;
      },
      120))
      << p.output();
  EXPECT_NE(p.output().find("restart 1 of 1 from the latest checkpoint, after: rank 1 on"),
            std::string::npos)
      << p.output();
  EXPECT_NE(p.output().find("--resume"), std::string::npos);
  kill(p.pid(), SIGTERM);
  EXPECT_EQ(p.wait(60), 75) << p.output();
}

// The live page as a browser renders it (its JavaScript fetched /status and built the table); a
// screenshot is kept as the test's artifact.
TEST_F(Launch, ThePageShowsEveryRankInHeadlessChromium) {
  JobProcess p(job({}, 1000000), path("out"));
  const nlohmann::json status = p.status_when_training(5);
  ASSERT_EQ(status["ranks"].size(), 2u) << p.output();
  const std::string url = "http://127.0.0.1:" + std::to_string(p.monitor_port()) + "/";
  const std::string chromium =
      "chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,600 "
      "--virtual-time-budget=5000 ";
  const auto dom = testing::run_command(chromium + "--dump-dom " + url);
  ASSERT_EQ(dom.exit_code, 0) << "is chromium installed (scripts/install-deps.sh)?";
  for (int rank = 0; rank < 2; ++rank) {
    // The class is "running", and "running straggler" when the machine's load slowed one rank's
    // work (the straggler rule is tested in job_health_test): either shows the rank.
    const std::string row = "\" data-rank=\"" + std::to_string(rank) + "\"><td>" +
                            std::to_string(rank) + "</td><td>" +
                            status["ranks"][rank]["host"].get<std::string>() + "</td><td>" +
                            std::to_string(status["ranks"][rank]["pid"].get<int64_t>()) + "</td>";
    const size_t at = dom.out.find(row);
    ASSERT_NE(at, std::string::npos) << dom.out;
    EXPECT_EQ(dom.out.rfind("<tr class=\"running", at), dom.out.rfind("<tr ", at)) << dom.out;
  }
  EXPECT_NE(dom.out.find("running · 2 ranks · attempt 0"), std::string::npos) << dom.out;
  std::filesystem::create_directories(LASYNTH_ARTIFACT_DIR);
  const std::string shot = std::string(LASYNTH_ARTIFACT_DIR) + "/monitor-page.png";
  std::filesystem::remove(shot);
  EXPECT_EQ(testing::run_command(chromium + "--screenshot=" + shot + " " + url).exit_code, 0);
  EXPECT_GT(std::filesystem::file_size(shot), 10000u);
  kill(p.pid(), SIGTERM);
  EXPECT_EQ(p.wait(60), 75) << p.output();
}

TEST_F(Launch, BadUsageSaysWhatIsWrong) {
  const auto none = testing::run_command(kLaunch + " -- true", true);
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.out.find("--ranks is required"), std::string::npos) << none.out;
  const auto hosts = testing::run_command(kLaunch + " -n 3 --hosts a:1,b:1 -- true", true);
  EXPECT_EQ(hosts.exit_code, 1);
  EXPECT_NE(hosts.out.find("-n 3 ranks but --hosts has 2 slot(s)"), std::string::npos) << hosts.out;
  const auto missing =
      testing::run_command(kLaunch + " -n 1 --monitor-port -1 -- /nonexistent/x", true);
  EXPECT_EQ(missing.exit_code, 1) << missing.out;
  EXPECT_NE(missing.out.find("cannot run '/nonexistent/x'"), std::string::npos) << missing.out;
}

}  // namespace
}  // namespace lasynth
