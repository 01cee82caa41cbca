#include "launcher/agent.h"

#include <fmt/format.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <thread>

#include "core/subprocess.h"
#include "dist/heartbeat_client.h"
#include "dist/monitor_protocol.h"
#include "dist/world.h"

namespace lasynth {
namespace launcher {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

std::atomic<pid_t> g_child{0};

void forward(int signal) {
  const pid_t child = g_child;
  if (child <= 0) return;
  kill(child, signal);
  // A stopped rank (kill -STOP) must wake up to act on a request to end.
  if (signal == SIGTERM || signal == SIGINT) kill(child, SIGCONT);
}

// The agent's connection, when there is a monitor; without one the agent only runs the rank.
std::optional<tcp::socket> connect_monitor(asio::io_context& context, const dist::World& world) {
  const char* address = std::getenv(dist::kMonitorAddressEnv);
  if (!address || !*address) return std::nullopt;
  try {
    std::string host;
    uint16_t port = 0;
    dist::split_monitor_address(address, &host, &port);
    tcp::socket socket(context);
    asio::connect(socket, tcp::resolver(context).resolve(host, std::to_string(port)));
    asio::write(socket,
                asio::buffer(dist::monitor_line(dist::hello_from_environment(world, "agent"))));
    return socket;
  } catch (const std::exception& e) {
    std::cerr << fmt::format(
        "lasynth-launch agent (rank {} on {}): cannot reach the monitor at "
        "{} ({}); the rank runs unwatched\n",
        world.rank, world.host, address, e.what());
    return std::nullopt;
  }
}

// Reads the monitor's lines until the connection ends; on "end" kills the rank: SIGTERM (with
// SIGCONT, for a stopped rank), then SIGKILL if it is still there after a moment.
void listen_for_end(tcp::socket& socket) {
  asio::streambuf incoming(dist::kMaxMonitorLine + 1);
  boost::system::error_code error;
  while (true) {
    const size_t n = asio::read_until(socket, incoming, '\n', error);
    if (error) return;
    const std::string line(asio::buffers_begin(incoming.data()),
                           asio::buffers_begin(incoming.data()) + static_cast<long>(n));
    incoming.consume(n);
    if (dist::parse_monitor_line(line).kind != dist::MessageKind::kEnd) continue;
    forward(SIGTERM);
    for (int i = 0; i < 40 && g_child != 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    forward(SIGKILL);
  }
}

}  // namespace

int run_agent(const std::vector<std::string>& command) {
  if (command.empty()) {
    std::cerr << "lasynth-launch --agent: no command after --\n";
    return 2;
  }
  dist::World world;
  try {
    world = dist::world_from_environment();
  } catch (const std::exception& e) {
    std::cerr << "lasynth-launch --agent: " << e.what() << '\n';
    return 2;
  }
  asio::io_context context;
  std::optional<tcp::socket> monitor = connect_monitor(context, world);

  const std::vector<int> forwarded = {SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGHUP, SIGCONT};
  struct sigaction action {};
  action.sa_handler = forward;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int s : forwarded) sigaction(s, &action, nullptr);

  SpawnOptions spawn;
  spawn.default_signals = forwarded;
  spawn.error_prefix = fmt::format("lasynth-launch: rank {} on {}: ", world.rank, world.host);
  std::optional<Subprocess> child;
  try {
    child = Subprocess::spawn(command, spawn);
  } catch (const std::exception& e) {
    std::cerr << fmt::format("lasynth-launch --agent: {}\n", e.what());
    return 1;
  }
  g_child = child->pid();
  std::thread listener;
  if (monitor) listener = std::thread([&] { listen_for_end(*monitor); });
  const ExitStatus ended = child->wait();
  g_child = 0;
  dist::ExitReport report;
  report.code = ended.code;
  report.signal = ended.signal;
  if (monitor) {
    boost::system::error_code ignored;
    asio::write(*monitor, asio::buffer(dist::monitor_line(report)), ignored);
    // A syscall, not an Asio call on a socket another thread reads: it wakes the listener.
    ::shutdown(monitor->native_handle(), SHUT_RDWR);
    listener.join();
  }
  if (report.signal != 0) {
    std::cerr << fmt::format("lasynth-launch: rank {} on {} (pid {}) {}\n", world.rank, world.host,
                             child->pid(), dist::describe_exit(report));
  }
  return ended.shell_status();
}

}  // namespace launcher
}  // namespace lasynth
