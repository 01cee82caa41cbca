#include "lang/karel/benchmark.h"

#include <fmt/format.h>

#include <fstream>

#include "core/error.h"
#include "lang/karel/interpreter.h"
#include "lang/karel/parser.h"
#include "lang/karel/tokens.h"

namespace lasynth {
namespace karel {

BenchmarkTask read_benchmark_task(const KarelDomain& domain, const std::string& line) {
  BenchmarkTask task;
  try {
    task.raw = nlohmann::ordered_json::parse(line);
  } catch (const nlohmann::json::parse_error& e) {
    throw ParseError(fmt::format("not JSON ({})", e.what()));
  }
  const nlohmann::ordered_json& j = task.raw;
  if (!j.is_object()) throw ParseError("expected a JSON object");
  if (j.contains("guid"))
    task.guid = j.at("guid").is_string() ? j.at("guid").get<std::string>() : j.at("guid").dump();
  if (!j.contains("program_tokens") || !j.at("program_tokens").is_array()) {
    throw ParseError("field 'program_tokens' (a list of token strings) is missing");
  }
  for (const auto& t : j.at("program_tokens")) {
    if (!t.is_string()) throw ParseError("field 'program_tokens' holds a non-string");
    task.tokens.push_back(t.get<std::string>());
  }
  try {
    parse(vocabulary().encode(task.tokens));
  } catch (const ParseError& e) {
    throw ParseError(fmt::format("field 'program_tokens': {}", e.what()));
  }
  if (!j.contains("examples") || !j.at("examples").is_array() || j.at("examples").empty()) {
    throw ParseError("field 'examples' (a non-empty list) is missing");
  }
  for (size_t i = 0; i < j.at("examples").size(); ++i) {
    const auto& ex = j.at("examples")[i];
    auto grid = [&](const char* name) {
      if (!ex.is_object() || !ex.contains(name)) {
        throw ParseError(fmt::format("examples[{}]: field '{}' is missing", i, name));
      }
      try {
        // The benchmark mixes grid sizes; a smaller world is padded with walls to the domain's.
        const World w = world_from_json(nlohmann::json(ex.at(name)));
        const Limits& limits = domain.limits();
        if (w.rows > limits.rows || w.cols > limits.cols) {
          throw ParseError(fmt::format(
              "grid is {}x{}, larger than this dataset's {}x{} worlds; import the file into a new "
              "dataset (its size is the largest grid in the file)",
              w.rows, w.cols, limits.rows, limits.cols));
        }
        return world_to_value(pad_world(w, limits.rows, limits.cols));
      } catch (const ParseError& e) {
        throw ParseError(fmt::format("examples[{}].{}: {}", i, name, e.what()));
      }
    };
    task.io.push_back({grid("inpgrid_json"), grid("outgrid_json")});
  }
  return task;
}

std::vector<BenchmarkTask> read_benchmark_file(const KarelDomain& domain, const std::string& path) {
  std::ifstream in(path);
  if (!in) throw IoError(fmt::format("{}: cannot open the Karel benchmark file", path));
  std::vector<BenchmarkTask> tasks;
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      tasks.push_back(read_benchmark_task(domain, line));
    } catch (const ParseError& e) {
      throw ParseError(fmt::format("{}:{}: {}", path, n, e.what()));
    }
  }
  return tasks;
}

std::string write_benchmark_task(const KarelDomain& domain, const BenchmarkTask& task) {
  nlohmann::ordered_json j = task.raw.is_object() ? task.raw : nlohmann::ordered_json::object();
  j["guid"] = task.guid;
  j["program_tokens"] = task.tokens;
  const Program program = parse(vocabulary().encode(task.tokens));
  nlohmann::ordered_json examples = nlohmann::ordered_json::array();
  for (size_t i = 0; i < task.io.size(); ++i) {
    const bool had = j.contains("examples") && j.at("examples").is_array() &&
                     i < j.at("examples").size() && j.at("examples")[i].is_object();
    nlohmann::ordered_json ex = had ? j.at("examples")[i] : nlohmann::ordered_json::object();
    const World in = domain.world(task.io[i].input);
    const World out = domain.world(task.io[i].output);
    World w = in;
    std::vector<Action> trace;
    const ExecStatus status = run(program, &w, domain.limits().step_limit, &trace);
    if (status != ExecStatus::kOk) {
      throw ParseError(fmt::format("task {}: the program fails ({}) on example {}", task.guid,
                                   exec_status_name(status), i));
    }
    nlohmann::ordered_json actions = nlohmann::ordered_json::array();
    for (Action a : trace) actions.push_back(action_name(a));
    ex["example_index"] = i;
    ex["actions"] = std::move(actions);
    ex["inpgrid_json"] = world_to_json(in);
    ex["outgrid_json"] = world_to_json(out);
    ex["inpgrid_tensor"] = world_tensor_text(in);
    ex["outgrid_tensor"] = world_tensor_text(out);
    examples.push_back(std::move(ex));
  }
  j["examples"] = std::move(examples);
  return j.dump();
}

}  // namespace karel
}  // namespace lasynth
