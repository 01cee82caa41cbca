#include "eval/checkpoint_eval.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "core/error.h"
#include "core/plot.h"
#include "train/checkpoint.h"

namespace lasynth {
namespace eval {
namespace {

const char* const kMetrics[] = {"generalization", "io_consistency", "exact_match", "avg_length",
                                "avg_reference_length"};

void write_file(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary);
    out << text;
    if (!out) throw IoError(fmt::format("{}: cannot write", temporary));
  }
  std::filesystem::rename(temporary, path);
}

}  // namespace

CheckpointTable evaluate_checkpoints(const EvalOptions& o, bool plot) {
  namespace fs = std::filesystem;
  const std::string dir = o.checkpoint;
  if (!fs::is_directory(dir)) {
    throw ConfigError(fmt::format("--checkpoints {}: not a model directory", dir));
  }
  const auto checkpoints = train::list_checkpoints(dir);
  if (checkpoints.empty()) {
    throw ConfigError(fmt::format("--checkpoints {}: no ckpt-STEP.pt files in it", dir));
  }
  const bool lead = !o.comm || o.comm->rank() == 0;
  CheckpointTable t;
  const std::string stem =
      fmt::format("{}/eval-{}-beam{}", dir, o.split, std::max<int64_t>(1, o.beam));
  t.json = stem + ".json";
  t.csv = stem + ".csv";
  t.png = stem + ".png";
  t.rows = nlohmann::ordered_json::array();
  if (fs::exists(t.json)) {
    std::ifstream in(t.json);
    try {
      t.rows = nlohmann::ordered_json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw IoError(fmt::format("{}: not a checkpoint table ({}); delete it to start over", t.json,
                                e.what()));
    }
  }
  const int64_t last = t.rows.empty() ? -1 : t.rows.back().at("step").get<int64_t>();
  for (const auto& [step, path] : checkpoints) {
    if (step <= last) continue;
    EvalOptions e = o;
    e.checkpoint = path;
    e.report.clear();
    e.predictions = false;
    if (!o.quiet && lead) std::cerr << fmt::format("checkpoint {} (step {})\n", path, step);
    const nlohmann::ordered_json report = evaluate(e);
    nlohmann::ordered_json row;
    row["step"] = step;
    row["checkpoint"] = fs::path(path).filename().string();
    row["examples"] = report.at("examples");
    for (const char* m : kMetrics) row[m] = report.at("metrics").at(m);
    t.rows.push_back(row);
    ++t.evaluated;
    // The table grows on disk as it is computed: an interrupted run keeps what it did.
    if (lead) write_file(t.json, t.rows.dump(2) + "\n");
  }
  if (!lead) return t;
  std::string csv = "step,checkpoint,examples";
  for (const char* m : kMetrics) csv += std::string(",") + m;
  csv += "\n";
  std::vector<double> steps;
  std::vector<Series> series = {
      {"generalization", {}}, {"io_consistency", {}}, {"exact_match", {}}};
  for (const auto& row : t.rows) {
    csv += fmt::format("{},{},{}", row.at("step").get<int64_t>(),
                       row.at("checkpoint").get<std::string>(), row.at("examples").get<int64_t>());
    for (const char* m : kMetrics) csv += fmt::format(",{}", row.at(m).get<double>());
    csv += "\n";
    steps.push_back(row.at("step").get<double>());
    for (Series& s : series) s.y.push_back(row.at(s.name).get<double>());
  }
  write_file(t.csv, csv);
  if (plot) {
    plot_png(t.png,
             fmt::format("{}: {} split, beam {}", fs::path(dir).filename().string(), o.split,
                         std::max<int64_t>(1, o.beam)),
             "step", "fraction of examples", steps, series);
  }
  return t;
}

}  // namespace eval
}  // namespace lasynth
