#include "launcher/status_views.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "dist/monitor_protocol.h"

namespace lasynth {
namespace launcher {
namespace {

double seconds_between(HealthClock::time_point from, HealthClock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
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

nlohmann::json counters_json(const MonitorCounters& c) {
  return {{"connections", c.connections},
          {"messages", c.messages},
          {"beats", c.beats},
          {"malformed", c.malformed},
          {"oversized", c.oversized},
          {"unknown", c.unknown},
          {"refused", c.refused},
          {"http_requests", c.http_requests},
          {"out_of_descriptors", c.out_of_descriptors}};
}

}  // namespace

void JobCurve::sample(const std::vector<RankStatus>& ranks, HealthClock::time_point now) {
  if (seconds_between(last_sample_, now) < 1.0) return;
  last_sample_ = now;
  double loss = 0, rate = 0;
  int64_t step = -1;
  int n = 0;
  for (const RankStatus& r : ranks) {
    if (!r.beaten || r.said_bye || r.lost) continue;
    loss += r.beat.loss;
    rate += r.beat.examples_per_s;
    step = std::max(step, r.beat.step);
    ++n;
  }
  if (n == 0 || step <= 0 || (!points_.empty() && points_.back().step == step)) return;
  points_.push_back({seconds_between(start_, now), step, loss / n, rate});
  if (points_.size() > kMaxPoints) {  // keep every other point: the curve's shape, bounded memory
    std::vector<CurvePoint> half;
    for (size_t i = 0; i < points_.size(); i += 2) half.push_back(points_[i]);
    points_.swap(half);
  }
}

nlohmann::json status_json(const StatusSnapshot& s) {
  nlohmann::json j;
  j["job"] = {{"command", s.options.job},
              {"ranks", s.options.world_size},
              {"state", to_string(s.state)},
              {"attempt", s.attempt},
              {"elapsed_s", s.elapsed_s},
              {"heartbeat_timeout_s", s.options.heartbeat_timeout_s},
              {"progress_timeout_s", s.options.progress_timeout_s},
              {"ranks_connect_to", fmt::format("{}:{}", s.options.advertised, s.beat_port)},
              {"failure", s.failure ? nlohmann::json(s.failure->message) : nlohmann::json()}};
  j["monitor"] = counters_json(s.counters);
  nlohmann::json rows = nlohmann::json::array();
  for (size_t i = 0; i < s.ranks.size(); ++i) {
    const RankStatus& r = s.ranks[i];
    nlohmann::json row = {
        {"rank", i},
        {"host", r.host},
        {"pid", r.pid},
        {"state", to_string(r.state)},
        {"step", r.beat.step},
        {"epoch", r.beat.epoch},
        {"loss", r.beaten ? number(r.beat.loss) : nlohmann::json()},
        {"examples_per_s", number(r.beat.examples_per_s)},
        {"seconds_since_heartbeat",
         r.connected ? nlohmann::json(seconds_between(r.last_beat, s.now)) : nlohmann::json()},
        {"progress", r.beat.progress},
        {"seconds_since_progress",
         r.connected ? nlohmann::json(seconds_between(r.last_progress, s.now)) : nlohmann::json()},
        {"in_collective_s",
         r.beaten && r.beat.in_collective_s > 0
             ? nlohmann::json(r.beat.in_collective_s + seconds_between(r.last_beat, s.now))
             : nlohmann::json()},
        {"work_rate", number(r.work_rate)},
        {"straggler", r.straggler}};
    if (r.exit) row["exit"] = dist::describe_exit(*r.exit);
    rows.push_back(row);
  }
  j["ranks"] = rows;
  nlohmann::json curve = nlohmann::json::array();
  for (const CurvePoint& p : s.history) {
    curve.push_back({{"t", p.t},
                     {"step", p.step},
                     {"loss", number(p.loss)},
                     {"examples_per_s", number(p.examples_per_s)}});
  }
  j["history"] = curve;
  return j;
}

std::string prometheus_text(const StatusSnapshot& s) {
  std::string out;
  auto family = [&](const char* name, const char* type, const char* help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  family("lasynth_job_ranks", "gauge", "Ranks in the job.");
  out += fmt::format("lasynth_job_ranks {}\n", s.options.world_size);
  family("lasynth_job_attempt", "gauge", "Launch attempt (0, then one more per restart).");
  out += fmt::format("lasynth_job_attempt {}\n", s.attempt);
  family("lasynth_job_failed", "gauge", "1 once the monitor declared the job failed.");
  out += fmt::format("lasynth_job_failed {}\n", s.failure ? 1 : 0);
  struct Gauge {
    const char* name;
    const char* help;
    double (*value)(const RankStatus&, HealthClock::time_point now);
  };
  const Gauge gauges[] = {
      {"lasynth_rank_step", "Last optimizer step the rank reported.",
       [](const RankStatus& r, HealthClock::time_point) {
         return static_cast<double>(r.beat.step);
       }},
      {"lasynth_rank_loss", "The rank's loss over its own examples at its last step.",
       [](const RankStatus& r, HealthClock::time_point) { return r.beat.loss; }},
      {"lasynth_rank_examples_per_second", "The rank's training throughput.",
       [](const RankStatus& r, HealthClock::time_point) { return r.beat.examples_per_s; }},
      {"lasynth_rank_seconds_since_heartbeat", "Seconds since the rank's last heartbeat.",
       [](const RankStatus& r, HealthClock::time_point now) {
         return seconds_between(r.last_beat, now);
       }},
      {"lasynth_rank_progress", "Steps trained plus batches decoded by the rank.",
       [](const RankStatus& r, HealthClock::time_point) {
         return static_cast<double>(r.beat.progress);
       }},
      {"lasynth_rank_seconds_since_progress",
       "Seconds since the rank's progress counter last advanced.",
       [](const RankStatus& r, HealthClock::time_point now) {
         return seconds_between(r.last_progress, now);
       }},
      {"lasynth_rank_in_collective", "1 while the rank is blocked inside a collective.",
       [](const RankStatus& r, HealthClock::time_point) {
         return r.beat.in_collective_s > 0 ? 1.0 : 0.0;
       }},
      {"lasynth_rank_work_rate",
       "The rank's progress per second spent outside collectives, over the straggler window.",
       [](const RankStatus& r, HealthClock::time_point) { return r.work_rate; }},
      {"lasynth_rank_straggler",
       "1 when the rank's work rate is below half the median of the other ranks'.",
       [](const RankStatus& r, HealthClock::time_point) { return r.straggler ? 1.0 : 0.0; }},
  };
  for (const Gauge& g : gauges) {
    family(g.name, "gauge", g.help);
    for (size_t i = 0; i < s.ranks.size(); ++i) {
      const RankStatus& r = s.ranks[i];
      if (!r.connected) continue;
      const double v = g.value(r, s.now);
      out += fmt::format("{}{{rank=\"{}\",host=\"{}\"}} {}\n", g.name, i, prometheus_label(r.host),
                         std::isfinite(v) ? fmt::format("{}", v) : std::string("NaN"));
    }
  }
  const MonitorCounters& c = s.counters;
  family("lasynth_monitor_messages_total", "counter",
         "Well-formed messages from ranks and agents.");
  out += fmt::format("lasynth_monitor_messages_total {}\n", c.messages);
  family("lasynth_monitor_heartbeats_total", "counter", "Heartbeats received.");
  out += fmt::format("lasynth_monitor_heartbeats_total {}\n", c.beats);
  family("lasynth_monitor_dropped_total", "counter", "Messages or connections dropped, by reason.");
  out += fmt::format("lasynth_monitor_dropped_total{{reason=\"malformed\"}} {}\n", c.malformed);
  out += fmt::format("lasynth_monitor_dropped_total{{reason=\"oversized\"}} {}\n", c.oversized);
  out += fmt::format("lasynth_monitor_dropped_total{{reason=\"unknown\"}} {}\n", c.unknown);
  out += fmt::format("lasynth_monitor_dropped_total{{reason=\"refused\"}} {}\n", c.refused);
  family("lasynth_monitor_connections_total", "counter", "Connections accepted from ranks.");
  out += fmt::format("lasynth_monitor_connections_total {}\n", c.connections);
  family("lasynth_monitor_out_of_descriptors_total", "counter",
         "Accepts that waited for a free file descriptor (raise ulimit -n).");
  out += fmt::format("lasynth_monitor_out_of_descriptors_total {}\n", c.out_of_descriptors);
  return out;
}

}  // namespace launcher
}  // namespace lasynth
