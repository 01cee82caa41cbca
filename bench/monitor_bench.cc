// lasynth-launch's monitor under load: how many heartbeats per second it takes in (many ranks
// beating as fast as they can over real sockets), and what a rank pays per step to report one
// (HeartbeatClient::update, the only call on the training thread).
//
//   build/bench/monitor_bench [--ranks 64] [--seconds 3]
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <thread>
#include <vector>

#include "dist/heartbeat_client.h"
#include "dist/monitor_protocol.h"
#include "launcher/monitor.h"

int main(int argc, char** argv) {
  using namespace lasynth;
  namespace asio = boost::asio;
  CLI::App app{"heartbeats per second through lasynth-launch's monitor"};
  int ranks = 64;
  double seconds = 3;
  app.add_option("--ranks", ranks, "connections beating at once")->check(CLI::Range(1, 1024));
  app.add_option("--seconds", seconds, "how long they beat")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  launcher::MonitorOptions o;
  o.world_size = ranks;
  o.token = "bench";
  o.http_port = -1;
  o.heartbeat_timeout_s = 3600;
  launcher::Monitor monitor(o);

  // Each sender writes batches of beat lines as fast as the socket takes them.
  std::atomic<bool> go{true};
  std::vector<std::thread> senders;
  const auto start = std::chrono::steady_clock::now();
  const int threads = std::min(ranks, 4);
  for (int t = 0; t < threads; ++t) {
    senders.emplace_back([&, t] {
      asio::io_context context;
      std::vector<asio::ip::tcp::socket> sockets;
      for (int r = t; r < ranks; r += threads) {
        sockets.emplace_back(context);
        sockets.back().connect({asio::ip::make_address("127.0.0.1"), monitor.beat_port()});
        dist::MonitorHello h;
        h.token = "bench";
        h.rank = r;
        h.size = ranks;
        h.host = "bench";
        asio::write(sockets.back(), asio::buffer(dist::monitor_line(h)));
      }
      std::string batch;
      for (int i = 0; i < 64; ++i) batch += dist::monitor_line(dist::Heartbeat{i, 0, 1.25, 300.0});
      while (go) {
        for (auto& s : sockets) asio::write(s, asio::buffer(batch));
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const int64_t beats = monitor.counters().beats;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  go = false;
  for (auto& t : senders) t.join();

  // The training thread's share: update() under no contention, as each step calls it.
  dist::MonitorHello h;
  h.token = "bench";
  h.size = ranks;
  dist::HeartbeatClient client(fmt::format("127.0.0.1:{}", monitor.beat_port()), h, 1.0, nullptr);
  const int calls = 1000000;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < calls; ++i) client.update(dist::Heartbeat{i, 0, 1.0, 2.0});
  const double update_ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() /
      calls;

  fmt::print("| measure | value |\n|---|---|\n");
  fmt::print("| connections beating at once | {} |\n", ranks);
  fmt::print("| heartbeats handled per second | {:.0f} |\n", beats / elapsed);
  fmt::print(
      "| dropped as malformed, oversized or unknown | {} |\n",
      monitor.counters().malformed + monitor.counters().oversized + monitor.counters().unknown);
  fmt::print("| HeartbeatClient::update per step (ns) | {:.1f} |\n", update_ns);
  fmt::print("| heartbeats a 1,000-rank job sends per second (one per rank per second) | 1000 |\n");
  return 0;
}
