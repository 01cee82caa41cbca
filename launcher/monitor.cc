#include "launcher/monitor.h"

#include <fmt/format.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cmath>
#include <deque>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/exit_status.h"
#include "dist/monitor_protocol.h"

namespace lasynth {
namespace launcher {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// A finite number or null in JSON.
nlohmann::json number(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(); }

std::string prometheus_label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

struct Monitor::Impl {
  struct Session;

  struct Rank {
    bool connected = false;  // a rank connection said hello (this attempt)
    bool clean = false;      // it said bye
    bool lost = false;       // its connection dropped without bye
    Clock::time_point lost_at;
    bool agent = false;
    bool agent_lost = false;
    Clock::time_point agent_lost_at;
    std::optional<dist::ExitReport> exit;
    std::string host;
    int64_t pid = 0;
    bool beaten = false;
    dist::Heartbeat beat;
    Clock::time_point last_beat;
    std::weak_ptr<Session> session;
    std::weak_ptr<Session> agent_session;
  };

  struct Session : std::enable_shared_from_this<Session> {
    Session(Impl* m, tcp::socket s)
        : monitor(m), socket(std::move(s)), hello_timer(socket.get_executor()) {}
    Impl* monitor;
    tcp::socket socket;
    asio::streambuf incoming{dist::kMaxMonitorLine + 1};
    asio::steady_timer hello_timer;
    bool introduced = false;
    bool agent = false;
    int rank = -1;
    int attempt = 0;
    std::deque<std::string> outgoing;
    int malformed_here = 0;
  };

  MonitorOptions options;
  asio::io_context context;
  tcp::acceptor beat_acceptor{context};
  tcp::acceptor http_acceptor{context};
  asio::steady_timer check_timer{context};
  std::thread thread;

  mutable std::mutex mu;  // everything below: the io thread writes, the launcher reads
  int attempt = 0;
  Clock::time_point attempt_start = Clock::now();
  Clock::time_point job_start = Clock::now();
  std::vector<Rank> ranks;
  std::optional<Failure> failure;
  MonitorCounters counters;
  std::string state = "running";
  struct Point {
    double t;
    int64_t step;
    double loss, examples_per_s;
  };
  std::vector<Point> history;
  Clock::time_point last_history = Clock::now();

  explicit Impl(MonitorOptions o) : options(std::move(o)), ranks(options.world_size) {}

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
      s->agent = m.hello.role == "agent";
      s->rank = m.hello.rank;
      s->attempt = attempt;
      Rank& r = ranks[static_cast<size_t>(s->rank)];
      r.host = m.hello.host;
      if (s->agent) {
        r.agent = true;
        r.agent_lost = false;
        r.agent_session = s;
      } else {
        r.pid = m.hello.pid;
        r.connected = true;
        r.clean = r.lost = false;
        r.last_beat = Clock::now();
        r.session = s;
      }
      return true;
    }
    if (s->attempt != attempt) return false;  // a straggler of an earlier launch
    Rank& r = ranks[static_cast<size_t>(s->rank)];
    switch (m.kind) {
      case dist::MessageKind::kBeat:
        if (s->agent) break;
        ++counters.messages;
        ++counters.beats;
        r.beat = m.beat;
        r.beaten = true;
        r.last_beat = Clock::now();
        return true;
      case dist::MessageKind::kBye:
        if (s->agent) break;
        ++counters.messages;
        r.clean = true;
        return true;
      case dist::MessageKind::kExit:
        if (!s->agent) break;
        ++counters.messages;
        r.exit = m.exit;
        if (m.exit.signal != 0 || (m.exit.code != 0 && m.exit.code != kExitPreempted)) {
          fail(s->rank, dist::describe_exit(m.exit));
        }
        return true;
      default:
        break;
    }
    ++counters.unknown;
    return true;
  }

  void closed(const std::shared_ptr<Session>& s, bool oversized) {
    s->hello_timer.cancel();
    std::lock_guard<std::mutex> lock(mu);
    if (oversized) ++counters.oversized;
    if (!s->introduced || s->attempt != attempt) return;
    Rank& r = ranks[static_cast<size_t>(s->rank)];
    if (s->agent) {
      if (!r.exit) {
        r.agent_lost = true;
        r.agent_lost_at = Clock::now();
      }
    } else if (!r.clean && r.session.lock() == s) {
      r.lost = true;
      r.lost_at = Clock::now();
    }
  }

  // Holding mu.
  void fail(int rank, const std::string& cause) {
    if (failure) return;
    const Rank& r = ranks[static_cast<size_t>(rank)];
    Failure f;
    f.rank = rank;
    f.host = r.host.empty() ? "?" : r.host;
    f.pid = r.pid;
    f.cause = cause;
    f.message = fmt::format("rank {} on {} (pid {}) {}", rank, f.host, r.pid, cause);
    failure = f;
    state = "failed";
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
      for (size_t i = 0; i < ranks.size(); ++i) {
        Rank& r = ranks[i];
        const int rank = static_cast<int>(i);
        if (r.exit) continue;  // ended and reported: the agent said how
        if (r.lost && seconds_since(r.lost_at) > options.lost_grace_s) {
          fail(rank,
               "lost its connection to the monitor without a clean end: the process died "
               "or its node is unreachable");
        } else if (r.agent_lost && seconds_since(r.agent_lost_at) > options.lost_grace_s &&
                   !r.clean) {
          fail(rank,
               "lost its agent (lasynth-launch --agent ended without reporting): the node "
               "or the agent was killed");
        } else if (r.connected && !r.clean && !r.lost &&
                   seconds_since(r.last_beat) > options.heartbeat_timeout_s) {
          fail(rank,
               fmt::format("sent no heartbeat for {:.0f} s (last at step {}): it is stalled "
                           "or stopped (--heartbeat-timeout {})",
                           seconds_since(r.last_beat), r.beat.step, options.heartbeat_timeout_s));
        }
      }
      if (!failure && seconds_since(attempt_start) > options.start_timeout_s) {
        std::string missing;
        for (size_t i = 0; i < ranks.size(); ++i) {
          if (!ranks[i].connected && !ranks[i].exit)
            missing += (missing.empty() ? "" : ",") + std::to_string(i);
        }
        if (!missing.empty()) {
          Failure f;
          f.cause = fmt::format("never reached the monitor within {:.0f} s (--start-timeout)",
                                options.start_timeout_s);
          f.message = fmt::format("rank(s) {} {}", missing, f.cause);
          f.rank = std::stoi(missing.substr(0, missing.find(',')));
          f.host = "?";
          failure = f;
          state = "failed";
        }
      }
      sample_history();
    }
    check_timer.expires_after(std::chrono::milliseconds(250));
    check_timer.async_wait([this](boost::system::error_code e) {
      if (!e) check();
    });
  }

  // Holding mu: once a second, the job's curve point (mean loss, summed throughput).
  void sample_history() {
    if (seconds_since(last_history) < 1.0) return;
    last_history = Clock::now();
    double loss = 0, rate = 0;
    int64_t step = -1;
    int n = 0;
    for (const Rank& r : ranks) {
      if (!r.beaten || r.clean || r.lost) continue;
      loss += r.beat.loss;
      rate += r.beat.examples_per_s;
      step = std::max(step, r.beat.step);
      ++n;
    }
    if (n == 0 || step <= 0 || (!history.empty() && history.back().step == step)) return;
    history.push_back(
        {std::chrono::duration<double>(Clock::now() - job_start).count(), step, loss / n, rate});
    if (history.size() > 2000) {  // keep every other point: the curve's shape, bounded memory
      std::vector<Point> half;
      for (size_t i = 0; i < history.size(); i += 2) half.push_back(history[i]);
      history.swap(half);
    }
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
            response.body() = status_json().dump(1) + "\n";
          } else if (path == "/metrics") {
            response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
            response.body() = prometheus_text();
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

  nlohmann::json status_json() const {
    std::lock_guard<std::mutex> lock(mu);
    nlohmann::json j;
    j["job"] = {{"command", options.job},
                {"ranks", options.world_size},
                {"state", state},
                {"attempt", attempt},
                {"elapsed_s", seconds_since(job_start)},
                {"heartbeat_timeout_s", options.heartbeat_timeout_s},
                {"ranks_connect_to",
                 fmt::format("{}:{}", options.advertised, beat_acceptor.local_endpoint().port())},
                {"failure", failure ? nlohmann::json(failure->message) : nlohmann::json()}};
    j["monitor"] = counters_json();
    nlohmann::json rows = nlohmann::json::array();
    for (size_t i = 0; i < ranks.size(); ++i) {
      const Rank& r = ranks[i];
      std::string rank_state = "waiting";
      if (r.exit) {
        rank_state = r.exit->signal == 0 && r.exit->code == 0                ? "finished"
                     : r.exit->signal == 0 && r.exit->code == kExitPreempted ? "stopped"
                                                                             : "failed";
      } else if (r.clean) {
        rank_state = "finished";
      } else if (r.lost) {
        rank_state = "lost";
      } else if (r.connected) {
        rank_state =
            seconds_since(r.last_beat) > options.heartbeat_timeout_s ? "stalled" : "running";
      }
      nlohmann::json row = {
          {"rank", i},
          {"host", r.host},
          {"pid", r.pid},
          {"state", rank_state},
          {"step", r.beat.step},
          {"epoch", r.beat.epoch},
          {"loss", r.beaten ? number(r.beat.loss) : nlohmann::json()},
          {"examples_per_s", number(r.beat.examples_per_s)},
          {"seconds_since_heartbeat",
           r.connected ? nlohmann::json(seconds_since(r.last_beat)) : nlohmann::json()}};
      if (r.exit) row["exit"] = dist::describe_exit(*r.exit);
      rows.push_back(row);
    }
    j["ranks"] = rows;
    nlohmann::json curve = nlohmann::json::array();
    for (const Point& p : history) {
      curve.push_back({{"t", p.t},
                       {"step", p.step},
                       {"loss", number(p.loss)},
                       {"examples_per_s", number(p.examples_per_s)}});
    }
    j["history"] = curve;
    return j;
  }

  // Holding mu.
  nlohmann::json counters_json() const {
    return {{"connections", counters.connections},
            {"messages", counters.messages},
            {"beats", counters.beats},
            {"malformed", counters.malformed},
            {"oversized", counters.oversized},
            {"unknown", counters.unknown},
            {"refused", counters.refused},
            {"http_requests", counters.http_requests}};
  }

  std::string prometheus_text() const {
    std::lock_guard<std::mutex> lock(mu);
    std::string out;
    auto family = [&](const char* name, const char* type, const char* help) {
      out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    };
    family("lasynth_job_ranks", "gauge", "Ranks in the job.");
    out += fmt::format("lasynth_job_ranks {}\n", options.world_size);
    family("lasynth_job_attempt", "gauge", "Launch attempt (0, then one more per restart).");
    out += fmt::format("lasynth_job_attempt {}\n", attempt);
    family("lasynth_job_failed", "gauge", "1 once the monitor declared the job failed.");
    out += fmt::format("lasynth_job_failed {}\n", failure ? 1 : 0);
    struct Gauge {
      const char* name;
      const char* help;
      double (*value)(const Rank&);
    };
    const Gauge gauges[] = {
        {"lasynth_rank_step", "Last optimizer step the rank reported.",
         [](const Rank& r) { return static_cast<double>(r.beat.step); }},
        {"lasynth_rank_loss", "The rank's loss over its own examples at its last step.",
         [](const Rank& r) { return r.beat.loss; }},
        {"lasynth_rank_examples_per_second", "The rank's training throughput.",
         [](const Rank& r) { return r.beat.examples_per_s; }},
        {"lasynth_rank_seconds_since_heartbeat", "Seconds since the rank's last heartbeat.",
         [](const Rank& r) { return seconds_since(r.last_beat); }},
    };
    for (const Gauge& g : gauges) {
      family(g.name, "gauge", g.help);
      for (size_t i = 0; i < ranks.size(); ++i) {
        const Rank& r = ranks[i];
        if (!r.connected) continue;
        const double v = g.value(r);
        out +=
            fmt::format("{}{{rank=\"{}\",host=\"{}\"}} {}\n", g.name, i, prometheus_label(r.host),
                        std::isfinite(v) ? fmt::format("{}", v) : std::string("NaN"));
      }
    }
    family("lasynth_monitor_messages_total", "counter",
           "Well-formed messages from ranks and agents.");
    out += fmt::format("lasynth_monitor_messages_total {}\n", counters.messages);
    family("lasynth_monitor_heartbeats_total", "counter", "Heartbeats received.");
    out += fmt::format("lasynth_monitor_heartbeats_total {}\n", counters.beats);
    family("lasynth_monitor_dropped_total", "counter",
           "Messages or connections dropped, by reason.");
    out += fmt::format("lasynth_monitor_dropped_total{{reason=\"malformed\"}} {}\n",
                       counters.malformed);
    out += fmt::format("lasynth_monitor_dropped_total{{reason=\"oversized\"}} {}\n",
                       counters.oversized);
    out +=
        fmt::format("lasynth_monitor_dropped_total{{reason=\"unknown\"}} {}\n", counters.unknown);
    out +=
        fmt::format("lasynth_monitor_dropped_total{{reason=\"refused\"}} {}\n", counters.refused);
    family("lasynth_monitor_connections_total", "counter", "Connections accepted from ranks.");
    out += fmt::format("lasynth_monitor_connections_total {}\n", counters.connections);
    return out;
  }
};

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

void Monitor::begin_attempt(int attempt) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->attempt = attempt;
  impl_->attempt_start = Clock::now();
  impl_->ranks.assign(static_cast<size_t>(impl_->options.world_size), Impl::Rank{});
  impl_->failure.reset();
  impl_->state = "running";
}

std::optional<Failure> Monitor::failure() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->failure;
}

std::map<int, int> Monitor::exits() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::map<int, int> out;
  for (size_t i = 0; i < impl_->ranks.size(); ++i) {
    const auto& e = impl_->ranks[i].exit;
    if (e) out[static_cast<int>(i)] = e->signal ? 128 + e->signal : e->code;
  }
  return out;
}

void Monitor::request_stop() {
  asio::post(impl_->context, [m = impl_.get()] {
    std::vector<std::shared_ptr<Impl::Session>> sessions;
    {
      std::lock_guard<std::mutex> lock(m->mu);
      if (m->state == "running") m->state = "stopping";
      for (const auto& r : m->ranks) {
        if (auto s = r.session.lock()) sessions.push_back(s);
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
      for (const auto& r : m->ranks) {
        if (auto s = r.agent_session.lock()) agents.push_back(s);
      }
    }
    for (const auto& s : agents) m->send(s, dist::monitor_end_line());
  });
}

void Monitor::set_state(const std::string& state) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->state = state;
}

nlohmann::json Monitor::status() const { return impl_->status_json(); }
std::string Monitor::prometheus() const { return impl_->prometheus_text(); }
MonitorCounters Monitor::counters() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->counters;
}

}  // namespace launcher
}  // namespace lasynth
