// lasynth-launch's monitor under load: how many heartbeats per second it takes in (many ranks
// beating as fast as they can over real sockets, each rank's agent connected too), how long
// /status takes meanwhile, and what a rank pays per step to report one (HeartbeatClient::update,
// the only call on the training thread).
//
//   build/bench/monitor_bench [--ranks 64] [--seconds 3]
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
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
  app.add_option("--ranks", ranks, "ranks beating at once, each with its agent connected")
      ->check(CLI::Range(1, 4096));
  app.add_option("--seconds", seconds, "how long they beat")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  launcher::MonitorOptions o;
  o.world_size = ranks;
  o.token = "bench";
  o.http_port = 0;  // any free port
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
      std::vector<asio::ip::tcp::socket> sockets, agents;
      for (int r = t; r < ranks; r += threads) {
        sockets.emplace_back(context);
        sockets.back().connect({asio::ip::make_address("127.0.0.1"), monitor.beat_port()});
        dist::MonitorHello h;
        h.token = "bench";
        h.rank = r;
        h.size = ranks;
        h.host = "bench";
        asio::write(sockets.back(), asio::buffer(dist::monitor_line(h)));
        // The rank's agent: connected and silent, as agents are until their rank exits.
        agents.emplace_back(context);
        agents.back().connect({asio::ip::make_address("127.0.0.1"), monitor.beat_port()});
        h.role = "agent";
        asio::write(agents.back(), asio::buffer(dist::monitor_line(h)));
      }
      std::string batch;
      for (int i = 0; i < 64; ++i) batch += dist::monitor_line(dist::Heartbeat{i, 0, 1.25, 300.0});
      while (go) {
        for (auto& s : sockets) asio::write(s, asio::buffer(batch));
      }
    });
  }
  // /status while they beat: what an operator's dashboard waits.
  std::vector<double> status_ms;
  const auto until = start + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    const auto t0 = std::chrono::steady_clock::now();
    asio::io_context context;
    asio::ip::tcp::socket socket(context);
    socket.connect({asio::ip::make_address("127.0.0.1"), monitor.http_port()});
    namespace http = boost::beast::http;
    http::request<http::empty_body> request(http::verb::get, "/status", 11);
    request.set(http::field::host, "localhost");
    http::write(socket, request);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(socket, buffer, response);
    status_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::sort(status_ms.begin(), status_ms.end());
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
  fmt::print("| ranks beating at once (and as many agents connected) | {} |\n", ranks);
  fmt::print("| connections accepted | {} |\n", monitor.counters().connections);
  fmt::print("| refused | {} |\n", monitor.counters().refused);
  fmt::print("| heartbeats handled per second | {:.0f} |\n", beats / elapsed);
  fmt::print(
      "| dropped as malformed, oversized or unknown | {} |\n",
      monitor.counters().malformed + monitor.counters().oversized + monitor.counters().unknown);
  if (!status_ms.empty()) {
    fmt::print("| /status while beating: median / max (ms), {} requests | {:.1f} / {:.1f} |\n",
               status_ms.size(), status_ms[status_ms.size() / 2], status_ms.back());
  }
  fmt::print("| HeartbeatClient::update per step (ns) | {:.1f} |\n", update_ns);
  fmt::print("| heartbeats a 1,000-rank job sends per second (one per rank per second) | 1000 |\n");
  return 0;
}
