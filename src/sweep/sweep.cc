#include "sweep/sweep.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/error.h"
#include "core/plot.h"
#include "core/subprocess.h"

namespace lasynth {
namespace sweep {
namespace fs = std::filesystem;

namespace {

using Flags = std::map<std::string, std::string>;

// The array job script, relative to the lasynth checkout.
constexpr const char* kSweepScript = "slurm/sweep.sbatch";

// A map of scalar flags; throws naming `where`.
Flags scalar_map(const YAML::Node& node, const std::string& where) {
  Flags flags;
  if (!node) return flags;
  if (!node.IsMap()) throw ConfigError(fmt::format("{}: must be a map of flags", where));
  for (const auto& kv : node) {
    if (!kv.second.IsScalar()) {
      throw ConfigError(
          fmt::format("{}: '{}' must be a single value", where, kv.first.as<std::string>()));
    }
    flags[kv.first.as<std::string>()] = kv.second.as<std::string>();
  }
  return flags;
}

// A value safe in a directory name.
std::string for_path(const std::string& text) {
  std::string out;
  for (char c : text)
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '_';
  return out;
}

struct Axis {
  std::string key;
  // (label, flags) per value.
  std::vector<std::pair<std::string, Flags>> values;
  bool named = false;
};

std::string yaml_scalar(const std::string& value) {
  const bool plain = !value.empty() &&
                     value.find_first_of(":#{}[],&*?|<>=!%@`'\"\n") == std::string::npos &&
                     value.front() != ' ' && value.back() != ' ';
  if (plain) return value;
  std::string quoted = "\"";
  for (char c : value)
    quoted += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return quoted + "\"";
}

// Runs argv with stdout and stderr appended to `log`; returns the exit status.
int run_logged(const std::vector<std::string>& argv, const std::string& log) {
  std::ofstream(log, std::ios::app) << "$";
  {
    std::ofstream line(log, std::ios::app);
    for (const auto& w : argv) line << ' ' << w;
    line << '\n';
  }
  SpawnOptions o;
  o.stdout_path = log;
  o.stderr_path = log;
  return run_subprocess(argv, o).shell_status();
}

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return nlohmann::json();
  return nlohmann::json::parse(in, nullptr, false);
}

}  // namespace

Sweep load_sweep(const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::Exception& e) {
    throw ConfigError(fmt::format("{}: {}", file, e.what()));
  }
  if (!root.IsMap()) throw ConfigError(fmt::format("{}: a sweep file is a YAML map", file));
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    if (key != "base" && key != "out" && key != "flags" && key != "eval" && key != "greedy" &&
        key != "grid") {
      throw ConfigError(
          fmt::format("{}: unknown key '{}' (base, out, flags, eval, greedy, grid)", file, key));
    }
  }
  Sweep s;
  s.file = file;
  if (!root["out"] || !root["out"].IsScalar()) {
    throw ConfigError(fmt::format("{}: 'out' (where the runs go) is required", file));
  }
  s.out = root["out"].as<std::string>();
  Flags base;
  if (root["base"]) {
    const fs::path path = fs::path(file).parent_path() / root["base"].as<std::string>();
    try {
      base = scalar_map(YAML::LoadFile(path.string()), path.string());
    } catch (const YAML::Exception& e) {
      throw ConfigError(fmt::format("{}: base '{}': {}", file, path.string(), e.what()));
    }
  }
  const Flags common = scalar_map(root["flags"], file + ": flags");
  s.eval = scalar_map(root["eval"], file + ": eval");
  if (root["greedy"]) {
    const YAML::Node& g = root["greedy"];
    if (!g.IsScalar() || (g.Scalar() != "true" && g.Scalar() != "false")) {
      throw ConfigError(fmt::format("{}: 'greedy' is true or false", file));
    }
    s.greedy = g.Scalar() == "true";
  }
  std::vector<Axis> axes;
  if (root["grid"]) {
    if (!root["grid"].IsMap()) throw ConfigError(fmt::format("{}: 'grid' must be a map", file));
    for (const auto& kv : root["grid"]) {
      Axis axis;
      axis.key = kv.first.as<std::string>();
      const std::string where = fmt::format("{}: grid.{}", file, axis.key);
      if (kv.second.IsMap()) {
        axis.named = true;
        for (const auto& variant : kv.second) {
          const std::string name = variant.first.as<std::string>();
          axis.values.emplace_back(name, variant.second.IsNull()
                                             ? Flags{}
                                             : scalar_map(variant.second, where + "." + name));
        }
      } else if (kv.second.IsSequence()) {
        for (const auto& v : kv.second) {
          if (!v.IsScalar())
            throw ConfigError(fmt::format("{}: values must be single values", where));
          axis.values.emplace_back(v.as<std::string>(), Flags{{axis.key, v.as<std::string>()}});
        }
      } else {
        throw ConfigError(fmt::format(
            "{}: a list of values, or a map of named variants (each a map of flags)", where));
      }
      if (axis.values.empty()) throw ConfigError(fmt::format("{}: no values", where));
      s.axes.push_back(axis.key);
      axes.push_back(std::move(axis));
    }
  }
  // The product, the first axis varying slowest.
  std::vector<size_t> at(axes.size(), 0);
  while (true) {
    Run run;
    run.config = base;
    for (const auto& [k, v] : common) run.config[k] = v;
    std::string name;
    for (size_t a = 0; a < axes.size(); ++a) {
      const auto& [label, flags] = axes[a].values[at[a]];
      for (const auto& [k, v] : flags) run.config[k] = v;
      run.point.emplace_back(axes[a].key, label);
      name += (name.empty() ? "" : "_") +
              (axes[a].named ? for_path(label) : axes[a].key + "-" + for_path(label));
    }
    run.name = name.empty() ? "run" : name;
    run.dir = (fs::path(s.out) / run.name).string();
    s.runs.push_back(std::move(run));
    size_t a = axes.size();
    while (a > 0 && ++at[a - 1] == axes[a - 1].values.size()) at[--a] = 0;
    if (a == 0) break;
  }
  return s;
}

namespace {

bool has_report(const Run& run) { return fs::exists(fs::path(run.dir) / "report.json"); }
bool has_greedy_report(const Run& run) {
  return fs::exists(fs::path(run.dir) / "report-greedy.json");
}

}  // namespace

bool finished(const Sweep& sweep, const Run& run) {
  return has_report(run) && (!sweep.greedy || has_greedy_report(run));
}

std::vector<std::vector<std::string>> run_commands(const Sweep& sweep, const Run& run,
                                                   const RunnerOptions& o) {
  auto command = [&](std::vector<std::string> words) {
    std::vector<std::string> argv = o.launch;
    argv.push_back(o.lasynth);
    argv.insert(argv.end(), words.begin(), words.end());
    return argv;
  };
  const std::string config = run.dir + "/config.yaml";
  auto eval = [&](const std::string& report, const std::string& beam) {
    std::vector<std::string> words = {
        "eval", "--config", config, "--load_model", run.dir + "/model", "--report", report};
    for (const auto& [k, v] : sweep.eval) {
      if (!beam.empty() && k == "beam") continue;
      words.push_back(fmt::format("--{}={}", k, v));
    }
    if (!beam.empty()) words.push_back("--beam=" + beam);
    return command(words);
  };
  std::vector<std::vector<std::string>> commands = {
      command({"train", "--config", config, "--model_dir", run.dir + "/model", "--resume"}),
      eval(run.dir + "/report.json", "")};
  if (sweep.greedy) commands.push_back(eval(run.dir + "/report-greedy.json", "1"));
  return commands;
}

int run_sweep(const Sweep& sweep, const RunnerOptions& o) {
  if (o.only >= static_cast<int>(sweep.runs.size())) {
    throw ConfigError(
        fmt::format("--only {}: {} has runs 0..{}", o.only, sweep.file, sweep.runs.size() - 1));
  }
  int failed = 0;
  for (size_t i = 0; i < sweep.runs.size(); ++i) {
    if (o.only >= 0 && static_cast<size_t>(o.only) != i) continue;
    const Run& run = sweep.runs[i];
    const std::string head = fmt::format("sweep: run {}/{} {}", i + 1, sweep.runs.size(), run.name);
    if (finished(sweep, run)) {
      std::cout << head << ": finished before, skipped\n" << std::flush;
      continue;
    }
    auto commands = run_commands(sweep, run, o);
    // Evaluated before the sweep asked for a greedy figure: that evaluation alone.
    const bool trains = !has_report(run);
    if (!trains) commands.erase(commands.begin(), commands.begin() + 2);
    if (o.dry_run) {
      for (const auto& c : commands) {
        std::string line;
        for (const auto& w : c) line += (line.empty() ? "" : " ") + w;
        std::cout << head << ": " << line << '\n';
      }
      continue;
    }
    fs::create_directories(run.dir);
    {
      std::ofstream config(run.dir + "/config.yaml");
      config << "# " << run.name << " of " << sweep.file << " (written by lasynth sweep)\n";
      for (const auto& [k, v] : run.config) config << k << ": " << yaml_scalar(v) << '\n';
      if (!config) throw IoError(fmt::format("{}/config.yaml: cannot write", run.dir));
    }
    const std::string log = run.dir + "/log.txt";
    int status = 0;
    for (size_t k = 0; k < commands.size() && status == 0; ++k) {
      std::cout << head << (trains && k == 0 ? ": training (log " + log + ")" : ": evaluating")
                << '\n'
                << std::flush;
      status = run_logged(commands[k], log);
    }
    if (status != 0) {
      ++failed;
      std::cout << head << ": FAILED (exit " << status << "); see " << log << '\n' << std::flush;
      continue;
    }
    const auto report = read_json(run.dir + "/report.json");
    std::cout << head
              << fmt::format(": generalization {:.4f}",
                             report["metrics"]["generalization"].get<double>());
    if (sweep.greedy) {
      const auto greedy = read_json(run.dir + "/report-greedy.json");
      std::cout << fmt::format(", greedy io_consistency {:.4f}",
                               greedy["metrics"]["io_consistency"].get<double>());
    }
    std::cout << '\n' << std::flush;
  }
  return failed;
}

std::vector<std::string> slurm_submit_argv(const Sweep& sweep, int ntasks,
                                           const std::string& tasks) {
  return {"sbatch",
          "--parsable",
          "--array=" + tasks,
          fmt::format("--ntasks={}", std::max(1, ntasks)),
          "--output=" + (fs::path(sweep.out) / "slurm-%A_%a.out").string(),
          kSweepScript,
          sweep.file};
}

int submit_to_slurm(const Sweep& sweep, int ntasks, bool dry_run) {
  std::string tasks;
  for (size_t i = 0; i < sweep.runs.size(); ++i) {
    if (!finished(sweep, sweep.runs[i])) tasks += (tasks.empty() ? "" : ",") + std::to_string(i);
  }
  if (tasks.empty()) {
    std::cout << "sweep: every run of " << sweep.file << " is finished\n";
    return 0;
  }
  if (!fs::exists(kSweepScript)) {
    throw ConfigError(
        fmt::format("--slurm submits {}: run it from the lasynth checkout", kSweepScript));
  }
  const std::vector<std::string> argv = slurm_submit_argv(sweep, ntasks, tasks);
  fs::create_directories(sweep.out);
  std::cout << "sweep: " << shell_line(argv) << '\n' << std::flush;
  if (dry_run) return 0;
  return run_subprocess(argv).shell_status() == 0 ? 0 : 1;
}

nlohmann::ordered_json collect(const Sweep& sweep) {
  nlohmann::ordered_json table;
  table["sweep"] = sweep.file;
  table["runs"] = nlohmann::ordered_json::array();
  const char* metrics[] = {"generalization", "io_consistency", "exact_match", "avg_length"};
  std::string csv = "run";
  std::string md = "| run";
  for (const auto& axis : sweep.axes) {
    csv += "," + axis;
    md += " | " + axis;
  }
  csv += ",state,step";
  md += " | step";
  for (const char* m : metrics) {
    csv += std::string(",") + m;
    md += std::string(" | ") + m;
  }
  if (sweep.greedy) {
    csv += ",greedy_io_consistency";
    md += " | greedy io_consistency";
  }
  csv += ",examples_per_s\n";
  md += " | train examples/s |\n|---";
  for (size_t i = 0; i < sweep.axes.size() + 6 + (sweep.greedy ? 1 : 0); ++i) md += "|---";
  md += "|\n";
  std::vector<std::string> labels;
  std::vector<Series> bars = {{"generalization", {}}, {"io_consistency", {}}};
  if (sweep.greedy) bars.push_back({"greedy io_consistency", {}});
  for (const Run& run : sweep.runs) {
    nlohmann::ordered_json row;
    row["run"] = run.name;
    for (const auto& [axis, value] : run.point) row[axis] = value;
    const auto report = read_json(fs::path(run.dir) / "report.json");
    const auto greedy = read_json(fs::path(run.dir) / "report-greedy.json");
    const bool done = report.is_object() && report.contains("metrics") &&
                      (!sweep.greedy || (greedy.is_object() && greedy.contains("metrics")));
    row["state"] = done ? "finished" : "not finished";
    double rate = 0;
    {
      std::ifstream metrics_file(fs::path(run.dir) / "model" / "metrics.jsonl");
      for (std::string line; std::getline(metrics_file, line);) {
        const auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_object() && j.contains("examples_per_s") && !j.contains("split")) {
          rate = j["examples_per_s"].get<double>();
        }
      }
    }
    csv += run.name;
    md += "| " + run.name;
    for (const auto& [axis, value] : run.point) {
      csv += "," + value;
      md += " | " + value;
    }
    if (done) {
      row["step"] = report["step"];
      row["beam"] = report["beam"];
      for (const char* m : metrics) row[m] = report["metrics"][m];
      row["examples_per_s"] = rate;
      csv += fmt::format(",finished,{}", report["step"].get<int64_t>());
      md += fmt::format(" | {}", report["step"].get<int64_t>());
      for (const char* m : metrics) {
        csv += fmt::format(",{}", report["metrics"][m].get<double>());
        md += fmt::format(" | {:.4f}", report["metrics"][m].get<double>());
      }
      if (sweep.greedy) {
        const double g = greedy["metrics"]["io_consistency"].get<double>();
        row["greedy_io_consistency"] = g;
        csv += fmt::format(",{}", g);
        md += fmt::format(" | {:.4f}", g);
        bars[2].y.push_back(g);
      }
      csv += fmt::format(",{:.1f}\n", rate);
      md += fmt::format(" | {:.1f} |\n", rate);
      labels.push_back(run.name);
      bars[0].y.push_back(report["metrics"]["generalization"].get<double>());
      bars[1].y.push_back(report["metrics"]["io_consistency"].get<double>());
    } else {
      const std::string blanks(sweep.greedy ? 7 : 6, ',');
      csv += ",not finished" + blanks + "\n";
      md += " | not finished | | | | |" + std::string(sweep.greedy ? " |" : "") + " |\n";
    }
    table["runs"].push_back(row);
  }
  fs::create_directories(sweep.out);
  const fs::path out(sweep.out);
  std::ofstream(out / "sweep.json") << table.dump(2) << '\n';
  std::ofstream(out / "sweep.csv") << csv;
  std::ofstream(out / "sweep.md") << md;
  if (!labels.empty()) {
    plot_bars_png((out / "sweep.png").string(), sweep.file, "fraction of the split", labels, bars);
  }
  return table;
}

}  // namespace sweep
}  // namespace lasynth
