// What the monitor serves over HTTP, rendered from a snapshot of what it knows: /status (JSON),
// /metrics (Prometheus' text format) and the page at "/". A private header of the monitor.
#ifndef LASYNTH_LAUNCHER_STATUS_VIEWS_H_
#define LASYNTH_LAUNCHER_STATUS_VIEWS_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "launcher/job_health.h"
#include "launcher/monitor.h"

namespace lasynth {
namespace launcher {

// One point of the job's curve.
struct CurvePoint {
  double t = 0;  // seconds since the job started
  int64_t step = 0;
  double loss = 0;            // mean over the ranks beating
  double examples_per_s = 0;  // summed over them
};

// The job's training curve for the page: at most a point a second, and only when the step
// moved, from the last beats of the ranks still running. Not thread-safe.
class JobCurve {
 public:
  explicit JobCurve(HealthClock::time_point start) : start_(start), last_sample_(start) {}
  void sample(const std::vector<RankStatus>& ranks, HealthClock::time_point now);
  const std::vector<CurvePoint>& points() const { return points_; }

 private:
  static constexpr size_t kMaxPoints = 2000;
  const HealthClock::time_point start_;
  HealthClock::time_point last_sample_;
  std::vector<CurvePoint> points_;
};

// Everything a view shows, copied under the monitor's lock so that rendering needs none.
struct StatusSnapshot {
  MonitorOptions options;
  uint16_t beat_port = 0;
  JobState state = JobState::kRunning;
  int attempt = 0;
  double elapsed_s = 0;  // since the job (not the attempt) started
  std::optional<Failure> failure;
  MonitorCounters counters;
  HealthClock::time_point now;
  std::vector<RankStatus> ranks;
  std::vector<CurvePoint> history;
};

// The /status document: job, monitor counters, one row per rank, the curve.
nlohmann::json status_json(const StatusSnapshot& s);
// The /metrics text: job gauges, per-rank gauges (connected ranks), the monitor's counters.
std::string prometheus_text(const StatusSnapshot& s);
// The page served at "/": it polls /status and draws the curves and the per-rank table.
const std::string& status_page_html();

}  // namespace launcher
}  // namespace lasynth

#endif  // LASYNTH_LAUNCHER_STATUS_VIEWS_H_
