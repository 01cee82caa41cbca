// lasynth-launch across two real "nodes" (network namespaces with their own address, hostname and
// /tmp: scripts/local-nodes.sh): it trains 2 ranks on each over TCP, ranks on the other node reach
// the monitor only with the job's token, and a rank killed there ends the job within 10 s with its
// rank and host named. A node whose link goes down is named with its ranks within the heartbeat
// timeout, nothing of the attempt is left on the other node, and the job goes on without it.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "core/exit_status.h"
#include "job_process.h"
#include "run_tool.h"

namespace lasynth {
namespace {

using testing::JobProcess;
using testing::run_command;

const std::string kLaunch = LASYNTH_LAUNCH_BIN;
const std::string kLasynth = LASYNTH_BIN;
const std::string kDatagen = LASYNTH_DATAGEN_BIN;
const std::string kNodes = LASYNTH_SOURCE_DIR "/scripts/local-nodes.sh";

class TwoNodeLaunch : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto up = run_command(kNodes + " up", true);
    ASSERT_EQ(up.exit_code, 0) << "scripts/local-nodes.sh up (needs root): " << up.out;
    std::filesystem::remove_all(dir_);  // not /tmp: each node has its own
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    run_command(kNodes + " down");
    std::filesystem::remove_all(dir_);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // GET on node-lsA, where the launcher serves its page on loopback.
  // Waits up to `seconds` until /status shows `ranks` ranks, each running past `step` (and on
  // `host` when one is given); `status` keeps the last answer, for the failure message.
  bool ranks_running(uint16_t port, size_t ranks, int64_t step, double seconds,
                     nlohmann::json& status, const std::string& host = "") const {
    return testing::eventually(
        [&] {
          status = status_on_a(port);
          if (status.is_discarded() || status["ranks"].size() != ranks) return false;
          for (const auto& r : status["ranks"]) {
            if (r["state"] != "running" || r["step"].get<int64_t>() < step) return false;
            if (!host.empty() && r["host"] != host) return false;
          }
          return true;
        },
        seconds);
  }
  nlohmann::json status_on_a(uint16_t port) const {
    const auto r = run_command(kNodes + " run lsA curl -s --max-time 5 http://127.0.0.1:" +
                               std::to_string(port) + "/status");
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  // The command line of a job on both nodes, started on node-lsA: lasynth-launch with `flags`,
  // training with `train` besides the data, model and tiny-model flags.
  std::vector<std::string> launch_argv(const std::vector<std::string>& flags,
                                       const std::vector<std::string>& train) const {
    // Open MPI between the nodes as PLATFORM.md measured.
    std::vector<std::string> argv = {kNodes,
                                     "run",
                                     "lsA",
                                     "env",
                                     "OMPI_MCA_btl=self,tcp",
                                     "OMPI_MCA_pml=ob1",
                                     "OMPI_MCA_btl_tcp_if_include=10.254.0.0/24",
                                     "OMPI_MCA_oob_tcp_if_include=10.254.0.0/24",
                                     "OMPI_MCA_plm_rsh_agent=" + kNodes + " agent",
                                     kLaunch,
                                     "-n",
                                     "4",
                                     "--hosts",
                                     "node-lsA:2,node-lsB:2",
                                     "--monitor-port",
                                     "0"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.insert(argv.end(), {"--", kLasynth, "train", "--data_folder", path("data"), "--model_dir",
                             path("model")});
    argv.insert(argv.end(), train.begin(), train.end());
    const std::vector<std::string> tiny = testing::tiny_model_flags();
    argv.insert(argv.end(), tiny.begin(), tiny.end());
    return argv;
  }
  void make_data() const {
    ASSERT_EQ(run_command(kDatagen + " --out " + path("data") +
                          " --train 400 --val 8 --test 8 --shards 2 --eval-shards 1 --seed 3"
                          " --max-statements 2 --max-depth 0 --max-locals 0 --max-tokens 30")
                  .exit_code,
              0);
  }
  // Whether process `pid` runs (a zombie does not).
  static bool alive(int64_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t end = stat.rfind(") ");
    return end != std::string::npos && stat[end + 2] != 'Z';
  }
  // The processes of node `ns` (lsA, lsB) whose command line mentions this test's directory.
  std::vector<std::string> processes_on(const std::string& ns) const {
    std::vector<std::string> found;
    std::istringstream pids(run_command("ip netns pids " + ns).out);
    for (std::string pid; pids >> pid;) {
      std::ifstream in("/proc/" + pid + "/cmdline");
      std::string line((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      for (char& c : line) c = c == '\0' ? ' ' : c;
      if (line.find(dir_.string() + "/model") != std::string::npos)
        found.push_back(pid + ": " + line);
    }
    return found;
  }

  const std::filesystem::path dir_ =
      std::filesystem::path("/var/tmp") / ("lasynth-TwoNodeLaunch-" + std::to_string(getpid()));
};

TEST_F(TwoNodeLaunch, TrainsAcrossNodesRefusesStrangersAndEndsWhenARemoteRankIsKilled) {
  make_data();
  const std::vector<std::string> argv =
      launch_argv({}, {"--batch_size", "2", "--max_steps", "1000000"});
  JobProcess p(argv, path("out"));
  const uint16_t port = p.monitor_port(60);
  ASSERT_NE(port, 0) << p.output();
  nlohmann::json status;
  ASSERT_TRUE(ranks_running(port, 4, 5, 180, status)) << p.output() << status.dump(1);
  EXPECT_NE(p.output().find("--host node-lsA:2,node-lsB:2"), std::string::npos) << p.output();
  EXPECT_EQ(status["ranks"][0]["host"], "node-lsA");
  EXPECT_EQ(status["ranks"][1]["host"], "node-lsA");
  EXPECT_EQ(status["ranks"][2]["host"], "node-lsB");
  EXPECT_EQ(status["ranks"][3]["host"], "node-lsB");
  // Ranks on node-lsB reach the monitor on node-lsA's address, not on loopback.
  const std::string reach = status["job"]["ranks_connect_to"];
  ASSERT_EQ(reach.rfind("10.254.0.1:", 0), 0u) << reach << p.output();

  // From node-lsB without the token: refused, and the job goes on.
  const std::string stranger =
      "exec 3<>/dev/tcp/10.254.0.1/" + reach.substr(reach.find(':') + 1) +
      "; printf '{\"type\":\"hello\",\"token\":\"guess\",\"role\":\"rank\",\"rank\":0,\"size\":4,"
      "\"host\":\"x\",\"pid\":1}\\n' >&3; cat <&3";
  EXPECT_EQ(run_command(kNodes + " run lsB bash -c '" + stranger + "'").exit_code, 0);
  ASSERT_TRUE(testing::eventually(
      [&] {
        const auto s = status_on_a(port);
        return !s.is_discarded() && s["monitor"]["refused"] == 1;
      },
      30));
  EXPECT_EQ(status_on_a(port)["job"]["state"], "running");

  const int64_t pid = status["ranks"][3]["pid"];
  const auto killed = std::chrono::steady_clock::now();
  kill(static_cast<pid_t>(pid), SIGKILL);
  EXPECT_EQ(p.wait(60), 1) << p.output();
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count(), 10)
      << p.output();
  EXPECT_NE(p.output().find("the job failed: rank 3 on node-lsB (pid " + std::to_string(pid) +
                            ") killed by signal 9 (SIGKILL)"),
            std::string::npos)
      << p.output();
  const std::string d = dir_.string();
  EXPECT_EQ(run_command("pgrep -f '[" + d.substr(0, 1) + "]" + d.substr(1) + "/model'").out, "")
      << p.output();
}

// node-lsB's link goes down in the middle of training: the attempt ends within the heartbeat
// timeout naming the node and its ranks, and node-lsA's ranks are gone. The restart cannot start
// on node-lsB (its daemon cannot call back), its second failure: the next restart leaves it out
// and trains on node-lsA's 2 ranks with the same global batch of 8, from the checkpoint.
TEST_F(TwoNodeLaunch, ALostNodeEndsTheAttemptNamingItAndTheJobGoesOnWithoutIt) {
  make_data();
  const double heartbeat_timeout = 5;
  JobProcess p(launch_argv({"--heartbeat-timeout", "5", "--start-timeout", "30", "--max-restarts",
                            "2", "--exclude-failed-hosts"},
                           {"--batch_size", "2", "--max_steps", "1000000", "--log_interval", "5",
                            "--val_examples", "0", "--checkpoint_every_s", "1"}),
               path("out"));
  const uint16_t port = p.monitor_port(60);
  ASSERT_NE(port, 0) << p.output();
  nlohmann::json status;
  ASSERT_TRUE(ranks_running(port, 4, 12, 180, status)) << p.output() << status.dump(1);
  // The restarts resume from a checkpoint the four ranks wrote.
  ASSERT_TRUE(
      testing::eventually([&] { return std::filesystem::exists(dir_ / "model" / "latest"); }, 60))
      << p.output();
  ASSERT_FALSE(processes_on("lsA").empty());
  for (int rank : {0, 1}) ASSERT_TRUE(alive(status["ranks"][rank]["pid"].get<int64_t>()));

  const auto cut = std::chrono::steady_clock::now();
  ASSERT_EQ(run_command("ip -n lsB link set veth-lsB down").exit_code, 0);
  const std::string named =
      "node node-lsB went silent with every rank on it (rank(s) 2,3): no heartbeat for ";
  ASSERT_TRUE(testing::eventually([&] { return p.output().find(named) != std::string::npos; },
                                  heartbeat_timeout + 30))
      << p.output();
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - cut).count(),
            heartbeat_timeout + 10)
      << p.output();
  // Once the restart is under way, node-lsA's ranks of the attempt are gone (not even zombies).
  const std::string launching = "lasynth-launch: mpirun -np 4";
  const size_t first = p.output().find(launching);
  ASSERT_NE(first, std::string::npos) << p.output();
  ASSERT_TRUE(testing::eventually(
      [&] { return p.output().find(launching, first + 1) != std::string::npos; }, 30))
      << p.output();
  EXPECT_NE(p.output().find("restart 1 of 2 from the latest checkpoint, after: " + named),
            std::string::npos)
      << p.output();
  for (int rank : {0, 1}) {
    EXPECT_FALSE(alive(status["ranks"][rank]["pid"].get<int64_t>())) << rank << p.output();
  }

  ASSERT_TRUE(testing::eventually(
      [&] {
        return p.output().find(
                   "leaving out node-lsB, which failed twice: continuing on 2 "
                   "rank(s) of 4") != std::string::npos;
      },
      120))
      << p.output();
  ASSERT_TRUE(ranks_running(port, 2, 20, 120, status, "node-lsA")) << p.output() << status.dump(1);
  EXPECT_NE(p.output().find("keeping the checkpoint's global batch of 8 on 2 rank(s): batch_size "
                            "2 -> 4"),
            std::string::npos)
      << p.output();
  EXPECT_NE(p.output().find("mpirun -np 2 --allow-run-as-root --host node-lsA:2"),
            std::string::npos)
      << p.output();
  // A stop request now: the ranks checkpoint and the job stops cleanly, leaving nothing.
  kill(p.pid(), SIGTERM);
  EXPECT_EQ(p.wait(60), kExitPreempted) << p.output();
  EXPECT_EQ(processes_on("lsA"), std::vector<std::string>{}) << p.output();
}

}  // namespace
}  // namespace lasynth
