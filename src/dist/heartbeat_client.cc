#include "dist/heartbeat_client.h"

#include <fmt/format.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <iostream>

#include "core/error.h"
#include "dist/progress.h"

namespace lasynth {
namespace dist {

namespace asio = boost::asio;
using asio::ip::tcp;

struct HeartbeatClient::Io {
  asio::io_context context;
  tcp::socket socket{context};
  asio::steady_timer timer{context};
  asio::streambuf incoming;
  std::deque<std::string> outgoing;
  bool connected = false;
  bool writing = false;  // outgoing.front() is in an async_write until its handler runs
  bool warned = false;
};

MonitorHello hello_from_environment(const World& world, const std::string& role) {
  MonitorHello hello;
  const char* token = std::getenv(kMonitorTokenEnv);
  hello.token = token ? token : "";
  hello.role = role;
  hello.rank = world.rank;
  hello.size = world.size;
  hello.host = world.host;
  hello.pid = getpid();
  return hello;
}

std::unique_ptr<HeartbeatClient> HeartbeatClient::from_environment(const World& world,
                                                                   std::function<void()> on_stop) {
  const char* address = std::getenv(kMonitorAddressEnv);
  if (!address || !*address) return nullptr;
  MonitorHello hello = hello_from_environment(world, "rank");
  double interval = 1.0;
  if (const char* s = std::getenv(kHeartbeatIntervalEnv)) {
    char* end = nullptr;
    interval = std::strtod(s, &end);
    if (end == s || *end != '\0' || !(interval > 0) || interval > 3600) {
      throw ConfigError(fmt::format("{}='{}' must be seconds between heartbeats, in (0, 3600]",
                                    kHeartbeatIntervalEnv, s));
    }
  }
  return std::make_unique<HeartbeatClient>(address, std::move(hello), interval, std::move(on_stop));
}

HeartbeatClient::HeartbeatClient(const std::string& address, MonitorHello hello, double interval_s,
                                 std::function<void()> on_stop)
    : hello_(std::move(hello)),
      interval_s_(interval_s),
      on_stop_(std::move(on_stop)),
      io_(std::make_unique<Io>()) {
  split_monitor_address(address, &host_, &port_);
  thread_ = std::thread([this] { run(); });
}

HeartbeatClient::~HeartbeatClient() {
  asio::post(io_->context, [this] {
    done_ = true;
    if (io_->connected) {
      boost::system::error_code ignored;
      asio::write(io_->socket, asio::buffer(monitor_bye_line()), ignored);
    }
    io_->timer.cancel();
    boost::system::error_code ignored;
    io_->socket.close(ignored);
    io_->context.stop();
  });
  thread_.join();
}

void HeartbeatClient::update(const Heartbeat& beat) {
  std::lock_guard<std::mutex> lock(mu_);
  latest_ = beat;
}

void HeartbeatClient::run() {
  Io& io = *io_;
  const auto interval = std::chrono::duration_cast<asio::steady_timer::duration>(
      std::chrono::duration<double>(interval_s_));

  // Writes one line after another (Asio allows one async_write in flight per socket). The line
  // in flight stays at the queue's front, alive, until its handler runs, even when the
  // connection is lost meanwhile: that handler then pops it, aborted.
  std::function<void()> write_next = [&] {
    if (io.writing || io.outgoing.empty() || !io.connected) return;
    io.writing = true;
    asio::async_write(io.socket, asio::buffer(io.outgoing.front()),
                      [&](boost::system::error_code error, size_t) {
                        io.writing = false;
                        io.outgoing.pop_front();
                        write_next();  // nothing while the connection is down
                      });
  };
  auto send = [&](std::string line) {
    io.outgoing.push_back(std::move(line));
    write_next();
  };

  std::function<void()> connect, beat, read;
  auto lost = [&](const boost::system::error_code& error) {
    if (done_) return;
    if (!io.warned) {
      std::cerr << fmt::format(
          "lasynth: rank {}: lost the monitor at {}:{} ({}); training goes on, reconnecting\n",
          hello_.rank, host_, port_, error.message());
      io.warned = true;
    }
    io.connected = false;
    // What was queued for this connection goes; a new one starts with its hello.
    io.outgoing.erase(io.outgoing.begin() + (io.writing ? 1 : 0), io.outgoing.end());
    boost::system::error_code ignored;
    io.socket.close(ignored);
    io.timer.expires_after(interval);
    io.timer.async_wait([&](boost::system::error_code e) {
      if (!e && !done_) connect();
    });
  };
  read = [&] {
    asio::async_read_until(
        io.socket, io.incoming, '\n', [&](boost::system::error_code error, size_t n) {
          if (error) return lost(error);
          std::string line(asio::buffers_begin(io.incoming.data()),
                           asio::buffers_begin(io.incoming.data()) + static_cast<long>(n));
          io.incoming.consume(n);
          if (parse_monitor_line(line).kind == MessageKind::kStop && on_stop_) on_stop_();
          read();
        });
  };
  beat = [&] {
    Heartbeat b;
    {
      std::lock_guard<std::mutex> lock(mu_);
      b = latest_;
    }
    const ProgressSnapshot p = progress_snapshot();
    b.progress = p.progress;
    b.work_s = p.work_s;
    b.in_collective_s = p.in_collective_s;
    b.in_collective_since = p.in_collective_since;
    send(monitor_line(b));
    io.timer.expires_after(interval);
    io.timer.async_wait([&](boost::system::error_code e) {
      if (!e && !done_ && io.connected) beat();
    });
  };
  connect = [&] {
    tcp::resolver resolver(io.context);
    boost::system::error_code error;
    const auto endpoints = resolver.resolve(host_, std::to_string(port_), error);
    if (error) return lost(error);
    asio::async_connect(io.socket, endpoints,
                        [&](boost::system::error_code e, const tcp::endpoint&) {
                          if (e) return lost(e);
                          io.connected = true;
                          io.socket.set_option(tcp::no_delay(true));
                          send(monitor_line(hello_));
                          beat();
                          read();
                        });
  };
  connect();
  io.context.run();
}

}  // namespace dist
}  // namespace lasynth
