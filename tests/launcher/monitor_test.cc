// lasynth-launch's monitor in one process: real sockets, real heartbeat clients, real HTTP.
#include "launcher/monitor.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <thread>

#include "dist/heartbeat_client.h"
#include "dist/monitor_protocol.h"

namespace lasynth {
namespace launcher {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// Polls a condition the monitor's thread makes true; false after `seconds`.
bool eventually(const std::function<bool()>& condition, double seconds = 10) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

struct HttpReply {
  int status = 0;
  std::string body;
};

HttpReply get(uint16_t port, const std::string& path) {
  asio::io_context context;
  tcp::socket socket(context);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
  asio::write(socket, asio::buffer(request));
  std::string reply;
  boost::system::error_code error;
  asio::read(socket, asio::dynamic_buffer(reply), error);  // until the monitor closes
  HttpReply r;
  r.status = std::stoi(reply.substr(9, 3));
  r.body = reply.substr(reply.find("\r\n\r\n") + 4);
  return r;
}

// A connection speaking the protocol by hand.
struct Raw {
  explicit Raw(uint16_t port) : socket(context) {
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
  }
  void send(const std::string& bytes) { asio::write(socket, asio::buffer(bytes)); }
  // True once the monitor closed the connection.
  bool closed_by_peer() {
    char c;
    boost::system::error_code error;
    socket.read_some(asio::buffer(&c, 1), error);
    return error == asio::error::eof || error == asio::error::connection_reset;
  }
  asio::io_context context;
  tcp::socket socket;
};

std::string hello(const std::string& token, const std::string& role, int rank, int size = 2) {
  dist::MonitorHello h;
  h.token = token;
  h.role = role;
  h.rank = rank;
  h.size = size;
  h.host = "h" + std::to_string(rank);
  h.pid = 1000 + rank;
  return dist::monitor_line(h);
}

MonitorOptions two_ranks() {
  MonitorOptions o;
  o.world_size = 2;
  o.token = "secret";
  o.heartbeat_timeout_s = 30;
  o.job = "lasynth train";
  return o;
}

std::string address(const Monitor& m) { return "127.0.0.1:" + std::to_string(m.beat_port()); }

TEST(Monitor, RanksBeatAndTheirStateIsServed) {
  Monitor monitor(two_ranks());
  std::vector<std::unique_ptr<dist::HeartbeatClient>> clients;
  for (int rank = 0; rank < 2; ++rank) {
    dist::MonitorHello h;
    h.token = "secret";
    h.rank = rank;
    h.size = 2;
    h.host = "h" + std::to_string(rank);
    h.pid = 100 + rank;
    clients.push_back(std::make_unique<dist::HeartbeatClient>(address(monitor), h, 0.02, nullptr));
    dist::Heartbeat beat;
    beat.step = 7 + rank;
    beat.loss = 1.5;
    beat.examples_per_s = 40;
    clients.back()->update(beat);
  }
  ASSERT_TRUE(eventually([&] {
    const auto s = monitor.status();
    return s["ranks"][0]["step"] == 7 && s["ranks"][1]["step"] == 8;
  }));
  const nlohmann::json status = nlohmann::json::parse(get(monitor.http_port(), "/status").body);
  EXPECT_EQ(status["job"]["ranks"], 2);
  EXPECT_EQ(status["job"]["state"], "running");
  EXPECT_EQ(status["ranks"][1]["host"], "h1");
  EXPECT_EQ(status["ranks"][1]["pid"], 101);
  EXPECT_EQ(status["ranks"][1]["state"], "running");
  EXPECT_DOUBLE_EQ(status["ranks"][1]["loss"].get<double>(), 1.5);
  EXPECT_LT(status["ranks"][0]["seconds_since_heartbeat"].get<double>(), 30);

  const HttpReply metrics = get(monitor.http_port(), "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("# TYPE lasynth_rank_step gauge"), std::string::npos);
  EXPECT_NE(metrics.body.find("lasynth_rank_step{rank=\"1\",host=\"h1\"} 8\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("lasynth_job_ranks 2\n"), std::string::npos);

  const HttpReply page = get(monitor.http_port(), "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<table id=\"ranks\">"), std::string::npos);
  EXPECT_EQ(get(monitor.http_port(), "/nothing").status, 404);

  clients.clear();  // a clean end: bye, then the connection closes
  EXPECT_FALSE(eventually([&] { return monitor.failure().has_value(); }, 0.5));
  EXPECT_EQ(monitor.status()["ranks"][0]["state"], "finished");
}

TEST(Monitor, JunkAndStrangersAreCountedAndHarmless) {
  Monitor monitor(two_ranks());
  {
    Raw stranger(monitor.beat_port());
    stranger.send(hello("wrong", "rank", 0));
    EXPECT_TRUE(stranger.closed_by_peer());
  }
  {
    Raw outsider(monitor.beat_port());
    outsider.send(hello("secret", "rank", 5, 6));  // not this job's size
    EXPECT_TRUE(outsider.closed_by_peer());
  }
  Raw rank(monitor.beat_port());
  rank.send(hello("secret", "rank", 0));
  rank.send("{not json\n");
  rank.send("[1,2,3]\n");
  rank.send("{\"type\":\"beat\",\"step\":\"many\"}\n");
  rank.send("{\"type\":\"launch-missiles\"}\n");
  rank.send(dist::monitor_line(dist::Heartbeat{3, 0, 2.0, 9.0}));
  ASSERT_TRUE(eventually([&] { return monitor.status()["ranks"][0]["step"] == 3; }));
  {
    Raw flood(monitor.beat_port());
    flood.send(hello("secret", "rank", 1));
    flood.send(std::string(dist::kMaxMonitorLine * 3, 'x'));
    EXPECT_TRUE(flood.closed_by_peer());
  }
  ASSERT_TRUE(eventually([&] { return monitor.counters().oversized == 1; }));
  const MonitorCounters c = monitor.counters();
  EXPECT_EQ(c.refused, 2);
  EXPECT_EQ(c.malformed, 3);
  EXPECT_EQ(c.unknown, 1);
  EXPECT_EQ(c.beats, 1);
  EXPECT_EQ(get(monitor.http_port(), "/status").status, 200);
  EXPECT_NE(get(monitor.http_port(), "/metrics")
                .body.find("lasynth_monitor_dropped_total{reason=\"malformed\"} 3"),
            std::string::npos);
}

// A plain connected socket: one descriptor (an asio client brings its own reactor's too), or -1.
int connect_plain(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// At 1,000 ranks a monitor may run out of file descriptors: an accept that finds none waits a
// moment and tries again instead of spinning, and the connection waiting in the backlog is
// accepted once another closes.
TEST(Monitor, OutOfDescriptorsItWaitsAndAcceptsOnceOneIsFree) {
  Monitor monitor(two_ranks());
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  std::vector<int> fds;
  struct Restore {
    rlimit limit;
    std::vector<int>& fds;
    int spare = -1;
    ~Restore() {
      for (int fd : fds) ::close(fd);
      if (spare >= 0) ::close(spare);
      setrlimit(RLIMIT_NOFILE, &limit);
    }
  } restore{saved, fds};
  int64_t open = 0;
  for ([[maybe_unused]] const auto& fd : std::filesystem::directory_iterator("/proc/self/fd")) {
    ++open;
  }
  rlimit low = saved;
  low.rlim_cur = static_cast<rlim_t>(open + 8);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  restore.spare = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(restore.spare, 0);
  // Connections, each a descriptor here and one in the monitor, until none is left.
  for (int fd; (fd = connect_plain(monitor.beat_port())) >= 0;) {
    fds.push_back(fd);
    ASSERT_TRUE(eventually([&] {
      const MonitorCounters c = monitor.counters();
      return c.connections == static_cast<int64_t>(fds.size()) || c.out_of_descriptors > 0;
    }));
  }
  ASSERT_FALSE(fds.empty());
  // No descriptor is free in this process now, so the monitor's count settles: either it
  // accepted every connection, or a retry after the last connect failed. Linux takes a descriptor
  // before it looks at the backlog, so an accept fails for want of one even with nothing waiting:
  // the failure count alone does not say a connection waits.
  const int64_t failed_when_full = monitor.counters().out_of_descriptors;
  ASSERT_TRUE(eventually([&] {
    const MonitorCounters c = monitor.counters();
    return c.connections == static_cast<int64_t>(fds.size()) ||
           c.out_of_descriptors > failed_when_full;
  }));
  if (monitor.counters().connections == static_cast<int64_t>(fds.size())) {
    // Every connection accepted: the spare makes room for one more here, none for the monitor
    // to accept it with. Its next try fails, whether it was retrying or waiting on the listener.
    const int64_t failed_before = monitor.counters().out_of_descriptors;
    ::close(restore.spare);
    restore.spare = -1;
    const int fd = connect_plain(monitor.beat_port());
    ASSERT_GE(fd, 0);
    fds.push_back(fd);
    ASSERT_TRUE(eventually([&] { return monitor.counters().out_of_descriptors > failed_before; }));
  }
  // Otherwise the spare stays open until the end: freeing it would let the monitor's next retry
  // accept the waiting connection.
  const int64_t accepted = monitor.counters().connections;
  ASSERT_LT(accepted, static_cast<int64_t>(fds.size()));  // one waits in the backlog
  // The monitor reads the end of the first, closes its side and has a descriptor again.
  ::close(fds.front());
  fds.erase(fds.begin());
  EXPECT_TRUE(eventually([&] { return monitor.counters().connections > accepted; }));
  // Retries are spaced (50 ms), not a busy loop of failing accepts.
  EXPECT_LT(monitor.counters().out_of_descriptors, 1000);
}

TEST(Monitor, AnAgentReportingASignalFailsTheJobNamingRankAndHost) {
  Monitor monitor(two_ranks());
  Raw rank(monitor.beat_port()), agent(monitor.beat_port());
  rank.send(hello("secret", "rank", 1));
  agent.send(hello("secret", "agent", 1));
  ASSERT_TRUE(eventually([&] { return monitor.status()["ranks"][1]["pid"] == 1001; }));
  EXPECT_FALSE(monitor.failure());
  agent.send(dist::monitor_line(dist::ExitReport{0, 9}));
  ASSERT_TRUE(eventually([&] { return monitor.failure().has_value(); }));
  const Failure f = *monitor.failure();
  EXPECT_EQ(f.rank, 1);
  EXPECT_EQ(f.host, "h1");
  EXPECT_EQ(f.message, "rank 1 on h1 (pid 1001) killed by signal 9 (SIGKILL)");
  EXPECT_EQ(monitor.exits().at(1), 128 + 9);
  EXPECT_EQ(monitor.status()["job"]["state"], "failed");
}

TEST(Monitor, PreemptedRanksAreNotFailures) {
  Monitor monitor(two_ranks());
  Raw agent(monitor.beat_port());
  agent.send(hello("secret", "agent", 0));
  agent.send(dist::monitor_line(dist::ExitReport{75, 0}));
  ASSERT_TRUE(eventually([&] { return monitor.exits().count(0) == 1; }));
  EXPECT_EQ(monitor.exits().at(0), 75);
  EXPECT_FALSE(monitor.failure());
}

TEST(Monitor, ASilentRankIsStalled) {
  MonitorOptions o = two_ranks();
  o.heartbeat_timeout_s = 0.3;
  Monitor monitor(o);
  Raw rank(monitor.beat_port());
  rank.send(hello("secret", "rank", 0));
  rank.send(dist::monitor_line(dist::Heartbeat{12, 0, 2.0, 9.0}));
  ASSERT_TRUE(eventually([&] { return monitor.failure().has_value(); }));
  EXPECT_NE(monitor.failure()->message.find("rank 0 on h0 (pid 1000) sent no heartbeat"),
            std::string::npos)
      << monitor.failure()->message;
  EXPECT_NE(monitor.failure()->message.find("last at step 12"), std::string::npos);
}

TEST(Monitor, AConnectionLostWithoutByeIsADeath) {
  MonitorOptions o = two_ranks();
  o.lost_grace_s = 0.1;
  Monitor monitor(o);
  {
    Raw rank(monitor.beat_port());
    rank.send(hello("secret", "rank", 1));
    ASSERT_TRUE(eventually([&] { return monitor.status()["ranks"][1]["pid"] == 1001; }));
  }
  ASSERT_TRUE(eventually([&] { return monitor.failure().has_value(); }));
  EXPECT_NE(monitor.failure()->message.find("rank 1 on h1 (pid 1001) lost its connection"),
            std::string::npos);
}

TEST(Monitor, RanksNeverArrivingFailTheStart) {
  MonitorOptions o = two_ranks();
  o.start_timeout_s = 0.2;
  Monitor monitor(o);
  Raw rank(monitor.beat_port());
  rank.send(hello("secret", "rank", 0));
  ASSERT_TRUE(eventually([&] { return monitor.failure().has_value(); }));
  EXPECT_EQ(monitor.failure()->message,
            "rank(s) 1 never reached the monitor within 0 s (--start-timeout)");
}

TEST(Monitor, StopReachesEveryRank) {
  Monitor monitor(two_ranks());
  std::atomic<int> stops{0};
  std::vector<std::unique_ptr<dist::HeartbeatClient>> clients;
  for (int rank = 0; rank < 2; ++rank) {
    dist::MonitorHello h;
    h.token = "secret";
    h.rank = rank;
    h.size = 2;
    h.host = "h";
    clients.push_back(
        std::make_unique<dist::HeartbeatClient>(address(monitor), h, 0.02, [&] { ++stops; }));
  }
  ASSERT_TRUE(eventually([&] {
    const auto s = monitor.status();
    return s["ranks"][0]["state"] == "running" && s["ranks"][1]["state"] == "running";
  }));
  monitor.request_stop();
  EXPECT_TRUE(eventually([&] { return stops == 2; }));
  EXPECT_EQ(monitor.status()["job"]["state"], "stopping");
}

TEST(Monitor, EndReachesEveryAgent) {
  Monitor monitor(two_ranks());
  Raw agent(monitor.beat_port());
  agent.send(hello("secret", "agent", 1));
  ASSERT_TRUE(eventually([&] { return monitor.counters().messages == 1; }));
  monitor.end_ranks();
  asio::streambuf in;
  const size_t n = asio::read_until(agent.socket, in, '\n');
  const std::string line(asio::buffers_begin(in.data()),
                         asio::buffers_begin(in.data()) + static_cast<long>(n));
  EXPECT_EQ(dist::parse_monitor_line(line).kind, dist::MessageKind::kEnd);
}

TEST(Monitor, ANewAttemptForgetsTheFailure) {
  MonitorOptions o = two_ranks();
  o.start_timeout_s = 0.1;
  Monitor monitor(o);
  ASSERT_TRUE(eventually([&] { return monitor.failure().has_value(); }));
  monitor.begin_attempt(1);
  EXPECT_FALSE(monitor.failure());
  EXPECT_EQ(monitor.status()["job"]["attempt"], 1);
}

}  // namespace
}  // namespace launcher
}  // namespace lasynth
