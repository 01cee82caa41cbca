#include "lang/karel/benchmark_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>

#include "core/error.h"
#include "lang/karel/benchmark.h"
#include "lang/karel/karel_domain.h"

namespace lasynth {
namespace karel {
namespace {

const KarelDomain& as_karel(const Domain& domain) {
  const auto* k = dynamic_cast<const KarelDomain*>(&domain);
  if (!k) throw ConfigError("the Karel benchmark format needs the karel domain");
  return *k;
}

}  // namespace

// The dataset's worlds are as large as the file's largest grid (smaller ones are padded with
// walls on import); its pair counts are the first task's.
DomainOptions BenchmarkFormat::detect_options(const std::string& path) const {
  std::ifstream in(path);
  if (!in) throw IoError(fmt::format("{}: cannot open the Karel benchmark file", path));
  std::string line;
  int rows = 0, cols = 0;
  size_t pairs = 0;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      const auto j = nlohmann::json::parse(line);
      const auto& examples = j.at("examples");
      if (pairs == 0) pairs = examples.size();
      for (const auto& example : examples) {
        for (const char* side : {"inpgrid_json", "outgrid_json"}) {
          nlohmann::json grid = example.at(side);
          if (grid.is_string()) grid = nlohmann::json::parse(grid.get<std::string>());
          rows = std::max(rows, grid.at("rows").get<int>());
          cols = std::max(cols, grid.at("cols").get<int>());
        }
      }
    } catch (const nlohmann::json::exception& e) {
      throw ParseError(fmt::format("{}:{}: {}", path, n, e.what()));
    }
  }
  if (pairs == 0) throw IoError(fmt::format("{}: no task in the file", path));
  return {{"rows", std::to_string(rows)},
          {"cols", std::to_string(cols)},
          {"io_pairs", std::to_string(pairs)},
          {"num_spec", std::to_string(std::max<size_t>(1, pairs - 1))}};
}

std::vector<Example> BenchmarkFormat::read(const Domain& domain, const std::string& path,
                                           ImportReport* report) const {
  const KarelDomain& karel = as_karel(domain);
  std::ifstream in(path);
  if (!in) throw IoError(fmt::format("{}: cannot open the Karel benchmark file", path));
  std::vector<Example> out;
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    ++report->read;
    const std::string where = fmt::format("{}:{}", path, n);
    BenchmarkTask task;
    try {
      task = read_benchmark_task(karel, line);
    } catch (const ParseError& e) {
      throw ParseError(fmt::format("{}: {}", where, e.what()));
    }
    if (static_cast<int>(task.io.size()) != domain.io_pairs()) {
      report->skip("pair_count", fmt::format("{}: {} examples, the dataset's tasks have {}", where,
                                             task.io.size(), domain.io_pairs()));
      continue;
    }
    const auto program = domain.parse(task.tokens);
    bool same = true;
    std::string why;
    for (size_t i = 0; i < task.io.size() && same; ++i) {
      const ExecResult r = program->execute(task.io[i].input);
      same = r.ok() && r.output == task.io[i].output;
      if (!same) {
        why = r.ok() ? fmt::format("example {}: our interpreter gives another output grid", i)
                     : fmt::format("example {}: the program fails here ({})", i,
                                   exec_status_name(r.status));
      }
    }
    if (!same) {
      report->skip("output_differs", fmt::format("{}: {}", where, why));
      continue;
    }
    Example ex;
    ex.tokens = task.tokens;
    ex.source = program->source();
    ex.io = std::move(task.io);
    out.push_back(std::move(ex));
    ++report->imported;
  }
  return out;
}

void BenchmarkFormat::write(const Domain& domain, const std::vector<Example>& examples,
                            const std::string& path) const {
  const KarelDomain& karel = as_karel(domain);
  std::ofstream out(path);
  if (!out) throw IoError(fmt::format("{}: cannot write", path));
  for (size_t i = 0; i < examples.size(); ++i) {
    BenchmarkTask task;
    task.guid = fmt::format("lasynth-{}", i);
    task.tokens = examples[i].tokens;
    task.io = examples[i].io;
    out << write_benchmark_task(karel, task) << '\n';
  }
  if (!out) throw IoError(fmt::format("{}: write error", path));
}

}  // namespace karel
}  // namespace lasynth
