#include "launcher/monitor.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "core/error.h"
#include "dist/monitor_protocol.h"
#include "launcher/status_views.h"

namespace lasynth {
namespace launcher {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Monitor::Impl {
  // A connection from a rank or an agent. Touched only on the io thread.
  struct Session : std::enable_shared_from_this<Session> {
    Session(Impl* m, tcp::socket s)
        : monitor(m), socket(std::move(s)), hello_timer(socket.get_executor()) {}
    Impl* monitor;
    tcp::socket socket;
    asio::streambuf incoming{dist::kMaxMonitorLine + 1};
    asio::steady_timer hello_timer;
    bool introduced = false;
    Sender sender = Sender::kRank;
    int rank = -1;
    int attempt = 0;
    std::deque<std::string> outgoing;
    int malformed_here = 0;
  };

  // A rank's latest connections, to send "stop" and "end" to and to tell whether a connection
  // that closed still speaks for its rank.
  struct Connections {
    std::weak_ptr<Session> rank;
    std::weak_ptr<Session> agent;
  };

  // Constant after construction but for world_size, which an attempt on fewer ranks changes
  // (guarded by mu).
  MonitorOptions options;
  const Clock::time_point job_start = Clock::now();

  // Used on the io thread only, once it runs; but the acceptors' local ports, fixed once they are
  // open, are read from any thread.
  asio::io_context context;
  tcp::acceptor beat_acceptor{context};
  tcp::acceptor http_acceptor{context};
  asio::steady_timer check_timer{context};
  asio::steady_timer accept_retry_timer{context};
  std::thread thread;  // started by the constructor, joined by the destructor

  // The io thread writes what follows, the launcher's thread reads it and starts attempts.
  mutable std::mutex mu;
  JobHealth health;                      // guarded by mu
  std::vector<Connections> connections;  // guarded by mu; one per rank, reset per attempt
  MonitorCounters counters;              // guarded by mu
  JobCurve curve;                        // guarded by mu

  explicit Impl(MonitorOptions o)
      : options(std::move(o)),
        health(health_options(options), job_start),
        connections(static_cast<size_t>(std::max(options.world_size, 0))),
        curve(job_start) {}

  static JobHealthOptions health_options(const MonitorOptions& o) {
    JobHealthOptions h;
    h.world_size = std::max(o.world_size, 1);
    h.heartbeat_timeout_s = o.heartbeat_timeout_s;
    h.progress_timeout_s = o.progress_timeout_s;
    h.start_timeout_s = o.start_timeout_s;
    h.lost_grace_s = o.lost_grace_s;
    return h;
  }

  void open(tcp::acceptor& acceptor, const std::string& address, uint16_t port, const char* what) {
    boost::system::error_code error;
    const tcp::endpoint endpoint(asio::ip::make_address(address, error), port);
    if (error)
      throw ConfigError(fmt::format("monitor {} address '{}': {}", what, address, error.message()));
    acceptor.open(endpoint.protocol(), error);
    if (!error) acceptor.set_option(tcp::acceptor::reuse_address(true), error);
    if (!error) acceptor.bind(endpoint, error);
    if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
    if (error) {
      throw IoError(fmt::format("monitor: cannot listen for {} on {}:{} ({}); pick another port",
                                what, address, port, error.message()));
    }
  }

  // --- rank connections -------------------------------------------------------------------

  void accept_beats() {
    beat_acceptor.async_accept([this](boost::system::error_code error, tcp::socket socket) {
      if (error == asio::error::no_descriptors ||
          error == boost::system::error_code(ENFILE, boost::system::system_category())) {
        // A connection may wait in the listen backlog; accepting again at once would fail again
        // at once, a busy loop, until some connection closes.
        {
          std::lock_guard<std::mutex> lock(mu);
          ++counters.out_of_descriptors;
        }
        accept_retry_timer.expires_after(std::chrono::milliseconds(50));
        accept_retry_timer.async_wait([this](boost::system::error_code e) {
          if (!e) accept_beats();
        });
        return;
      }
      if (error) {
        if (error != asio::error::operation_aborted) accept_beats();
        return;
      }
      auto s = std::make_shared<Session>(this, std::move(socket));
      {
        std::lock_guard<std::mutex> lock(mu);
        ++counters.connections;
      }
      // A connection that does not introduce itself soon is not one of ours.
      s->hello_timer.expires_after(std::chrono::seconds(10));
      s->hello_timer.async_wait([s](boost::system::error_code e) {
        if (!e && !s->introduced) {
          std::lock_guard<std::mutex> lock(s->monitor->mu);
          ++s->monitor->counters.refused;
          boost::system::error_code ignored;
          s->socket.close(ignored);
        }
      });
      read(s);
      accept_beats();
    });
  }

  void read(const std::shared_ptr<Session>& s) {
    asio::async_read_until(
        s->socket, s->incoming, '\n', [this, s](boost::system::error_code error, size_t n) {
          if (error) return closed(s, error == asio::error::not_found);
          std::string line(asio::buffers_begin(s->incoming.data()),
                           asio::buffers_begin(s->incoming.data()) + static_cast<long>(n));
          s->incoming.consume(n);
          if (!handle(s, line)) {
            boost::system::error_code ignored;
            s->socket.close(ignored);
            return closed(s, false);
          }
          read(s);
        });
  }

  // False: drop the connection.
  bool handle(const std::shared_ptr<Session>& s, const std::string& line) {
    const dist::MonitorMessage m = dist::parse_monitor_line(line);
    std::lock_guard<std::mutex> lock(mu);
    if (m.kind == dist::MessageKind::kMalformed) {
      ++counters.malformed;
      return ++s->malformed_here < 16 && s->introduced;
    }
    if (!s->introduced) {
      if (m.kind != dist::MessageKind::kHello || m.hello.token != options.token ||
          m.hello.size != options.world_size) {
        ++counters.refused;
        return false;
      }
      ++counters.messages;
      s->introduced = true;
      s->hello_timer.cancel();
      s->sender = m.hello.role == "agent" ? Sender::kAgent : Sender::kRank;
      s->rank = m.hello.rank;
      s->attempt = health.attempt();
      Connections& c = connections[static_cast<size_t>(s->rank)];
      (s->sender == Sender::kAgent ? c.agent : c.rank) = s;
      health.handle(s->rank, s->sender, m, Clock::now());
      return true;
    }
    if (s->attempt != health.attempt()) return false;  // a straggler of an earlier launch
    if (!JobHealth::expects(s->sender, m.kind)) {
      ++counters.unknown;
      return true;
    }
    ++counters.messages;
    if (m.kind == dist::MessageKind::kBeat) ++counters.beats;
    health.handle(s->rank, s->sender, m, Clock::now());
    return true;
  }

  void closed(const std::shared_ptr<Session>& s, bool oversized) {
    s->hello_timer.cancel();
    std::lock_guard<std::mutex> lock(mu);
    if (oversized) ++counters.oversized;
    if (!s->introduced || s->attempt != health.attempt()) return;
    // A rank's connection that is no longer its latest one does not speak for it any more.
    if (s->sender == Sender::kRank && connections[static_cast<size_t>(s->rank)].rank.lock() != s) {
      return;
    }
    health.closed(s->rank, s->sender, Clock::now());
  }

  void send(const std::shared_ptr<Session>& s, std::string line) {
    s->outgoing.push_back(std::move(line));
    if (s->outgoing.size() > 1) return;
    write_next(s);
  }
  void write_next(const std::shared_ptr<Session>& s) {
    if (s->outgoing.empty()) return;
    asio::async_write(s->socket, asio::buffer(s->outgoing.front()),
                      [this, s](boost::system::error_code error, size_t) {
                        s->outgoing.pop_front();
                        if (!error) write_next(s);
                      });
  }

  // --- periodic checks ----------------------------------------------------------------------

  void check() {
    {
      std::lock_guard<std::mutex> lock(mu);
      const Clock::time_point now = Clock::now();
      health.check(now);
      curve.sample(health.ranks(now), now);
    }
    check_timer.expires_after(std::chrono::milliseconds(250));
    check_timer.async_wait([this](boost::system::error_code e) {
      if (!e) check();
    });
  }

  // --- HTTP ----------------------------------------------------------------------------------

  void accept_http() {
    http_acceptor.async_accept([this](boost::system::error_code error, tcp::socket socket) {
      if (error) {
        if (error != asio::error::operation_aborted) accept_http();
        return;
      }
      serve(std::make_shared<tcp::socket>(std::move(socket)));
      accept_http();
    });
  }

  void serve(std::shared_ptr<tcp::socket> socket) {
    struct Exchange {
      beast::flat_buffer buffer{16 * 1024};
      http::request_parser<http::empty_body> parser;
      http::response<http::string_body> response;
    };
    auto x = std::make_shared<Exchange>();
    x->parser.header_limit(8 * 1024);
    http::async_read(
        *socket, x->buffer, x->parser, [this, socket, x](boost::system::error_code error, size_t) {
          if (error) return;
          const auto& request = x->parser.get();
          auto& response = x->response;
          response.version(11);
          response.keep_alive(false);
          response.set(http::field::cache_control, "no-store");
          const std::string target(request.target());
          const std::string path = target.substr(0, target.find('?'));
          {
            std::lock_guard<std::mutex> lock(mu);
            ++counters.http_requests;
          }
          if (request.method() != http::verb::get) {
            response.result(http::status::method_not_allowed);
            response.body() = "only GET\n";
          } else if (path == "/") {
            response.set(http::field::content_type, "text/html; charset=utf-8");
            response.body() = status_page_html();
          } else if (path == "/status") {
            response.set(http::field::content_type, "application/json");
            response.body() = status_json(snapshot()).dump(1) + "\n";
          } else if (path == "/metrics") {
            response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
            response.body() = prometheus_text(snapshot());
          } else {
            response.result(http::status::not_found);
            response.body() = "not found: try /, /status or /metrics\n";
          }
          response.prepare_payload();
          http::async_write(*socket, response, [socket, x](boost::system::error_code, size_t) {
            boost::system::error_code ignored;
            socket->shutdown(tcp::socket::shutdown_both, ignored);
          });
        });
  }

  StatusSnapshot snapshot() const {
    StatusSnapshot s;
    s.beat_port = beat_acceptor.local_endpoint().port();
    std::lock_guard<std::mutex> lock(mu);
    s.options = options;
    s.now = Clock::now();
    s.state = health.state();
    s.attempt = health.attempt();
    s.elapsed_s = std::chrono::duration<double>(s.now - job_start).count();
    s.failure = health.failure();
    s.counters = counters;
    s.ranks = health.ranks(s.now);
    s.history = curve.points();
    return s;
  }
};

int64_t raise_open_file_limit(int64_t wanted) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
  const rlim_t want = static_cast<rlim_t>(wanted);
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= want) {
    return limit.rlim_cur == RLIM_INFINITY ? wanted : static_cast<int64_t>(limit.rlim_cur);
  }
  limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? want : std::min(want, limit.rlim_max);
  setrlimit(RLIMIT_NOFILE, &limit);
  getrlimit(RLIMIT_NOFILE, &limit);
  return static_cast<int64_t>(limit.rlim_cur);
}

Monitor::Monitor(MonitorOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  Impl& m = *impl_;
  if (m.options.world_size < 1) throw ConfigError("monitor: the job needs at least one rank");
  m.open(m.beat_acceptor, m.options.beat_address, m.options.beat_port, "ranks");
  if (m.options.http_port >= 0) {
    m.open(m.http_acceptor, m.options.http_address, static_cast<uint16_t>(m.options.http_port),
           "HTTP");
    m.accept_http();
  }
  m.accept_beats();
  m.check();
  m.thread = std::thread([&m] { m.context.run(); });
}

Monitor::~Monitor() {
  impl_->context.stop();
  impl_->thread.join();
}

uint16_t Monitor::beat_port() const { return impl_->beat_acceptor.local_endpoint().port(); }

uint16_t Monitor::http_port() const {
  return impl_->http_acceptor.is_open() ? impl_->http_acceptor.local_endpoint().port() : 0;
}

void Monitor::begin_attempt(int attempt, int world_size) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (world_size > 0) impl_->options.world_size = world_size;
  impl_->health.begin_attempt(attempt, Clock::now(), world_size);
  impl_->connections.assign(static_cast<size_t>(impl_->options.world_size), Impl::Connections{});
}

std::optional<Failure> Monitor::failure() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->health.failure();
}

std::vector<int> Monitor::never_arrived() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->health.never_arrived();
}

std::map<int, int> Monitor::exits() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->health.exits();
}

void Monitor::request_stop() {
  asio::post(impl_->context, [m = impl_.get()] {
    std::vector<std::shared_ptr<Impl::Session>> sessions;
    {
      std::lock_guard<std::mutex> lock(m->mu);
      m->health.stop_requested();
      for (const auto& c : m->connections) {
        if (auto s = c.rank.lock()) sessions.push_back(s);
      }
    }
    for (const auto& s : sessions) m->send(s, dist::monitor_stop_line());
  });
}

void Monitor::end_ranks() {
  asio::post(impl_->context, [m = impl_.get()] {
    std::vector<std::shared_ptr<Impl::Session>> agents;
    {
      std::lock_guard<std::mutex> lock(m->mu);
      for (const auto& c : m->connections) {
        if (auto s = c.agent.lock()) agents.push_back(s);
      }
    }
    for (const auto& s : agents) m->send(s, dist::monitor_end_line());
  });
}

void Monitor::set_state(JobState state) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->health.set_state(state);
}

nlohmann::json Monitor::status() const { return status_json(impl_->snapshot()); }
std::string Monitor::prometheus() const { return prometheus_text(impl_->snapshot()); }
MonitorCounters Monitor::counters() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->counters;
}

}  // namespace launcher
}  // namespace lasynth
