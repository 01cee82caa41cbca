#include "lang/c/original_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/error.h"

namespace lasynth {
namespace c {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw IoError(fmt::format("{}: cannot read", path.string()));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The code_N.c files of `dir`, by N.
std::vector<std::pair<long, fs::path>> code_files(const std::string& dir) {
  if (!fs::is_directory(dir)) {
    throw IoError(fmt::format("{}: not a directory of code_N.c / code_N.out files", dir));
  }
  static const std::regex kName(R"(code_(\d+)\.c)");
  std::vector<std::pair<long, fs::path>> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::smatch m;
    const std::string name = entry.path().filename().string();
    if (std::regex_match(name, m, kName)) files.emplace_back(std::stol(m[1]), entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw IoError(fmt::format("{}: no code_N.c file", dir));
  return files;
}

// The input arrays of main: position -> its value in each example.
std::vector<std::vector<int32_t>> input_arrays(const std::string& text) {
  static const std::regex kArray(R"(\ba(\d+)\s*\[\s*(\d+)\s*\]\s*=\s*\{([^}]*)\})");
  std::vector<std::vector<int32_t>> arrays;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kArray);
       it != std::sregex_iterator(); ++it) {
    const size_t pos = std::stoul((*it)[1]);
    std::vector<int32_t> values;
    std::stringstream items((*it)[3]);
    for (std::string item; std::getline(items, item, ',');) {
      if (item.find_first_not_of(" \t\r\n") == std::string::npos) continue;
      values.push_back(static_cast<int32_t>(std::stol(item)));
    }
    if (arrays.size() <= pos) arrays.resize(pos + 1);
    arrays[pos] = std::move(values);
  }
  return arrays;
}

// The text of func_1, from its header to its matching closing brace, or "".
std::string function_text(const std::string& text) {
  static const std::regex kHeader(R"(int\s*\*\s*func_1\s*\(\s*int\s+a\s*\[\s*\]\s*\))");
  std::smatch m;
  if (!std::regex_search(text, m, kHeader)) return "";
  const size_t open = text.find('{', static_cast<size_t>(m.position(0)));
  if (open == std::string::npos) return "";
  int depth = 0;
  for (size_t i = open; i < text.size(); ++i) {
    if (text[i] == '{') ++depth;
    if (text[i] == '}' && --depth == 0) {
      return "int * func_1(int a[]) " + text.substr(open, i - open + 1);
    }
  }
  return "";
}

}  // namespace

DomainOptions OriginalFormat::detect_options(const std::string& path) const {
  const auto files = code_files(path);
  const auto arrays = input_arrays(slurp(files.front().second));
  if (arrays.empty() || arrays[0].empty()) {
    throw ParseError(
        fmt::format("{}: no input arrays a0[K] = {{...}} in main", files.front().second.string()));
  }
  const size_t k = arrays[0].size();
  return {{"array_len", std::to_string(arrays.size())},
          {"io_pairs", std::to_string(k)},
          {"num_spec", std::to_string(std::min<size_t>(5, k))}};
}

std::vector<Example> OriginalFormat::read(const Domain& domain, const std::string& path,
                                          ImportReport* report) const {
  const size_t n = static_cast<size_t>(domain.value_shape().at(0));
  const size_t k = static_cast<size_t>(domain.io_pairs());
  std::vector<Example> out;
  for (const auto& [number, c_path] : code_files(path)) {
    ++report->read;
    const std::string where = c_path.string();
    fs::path out_path = c_path;
    out_path.replace_extension(".out");
    if (!fs::exists(out_path)) {
      report->skip("no_out_file",
                   fmt::format("{}: {} is missing", where, out_path.filename().string()));
      continue;
    }
    const std::string text = slurp(c_path);
    const std::string function = function_text(text);
    if (function.empty()) {
      report->skip("no_function", fmt::format("{}: no `int * func_1(int a[]) {{...}}`", where));
      continue;
    }
    std::unique_ptr<Program> program;
    try {
      program = domain.parse_source(function);
    } catch (const ParseError& e) {
      report->skip("outside_grammar", fmt::format("{}: {}", where, e.what()));
      continue;
    }
    const auto arrays = input_arrays(text);
    bool shape_ok = arrays.size() == n;
    for (const auto& a : arrays) shape_ok = shape_ok && a.size() == k;
    if (!shape_ok) {
      report->skip("shape", fmt::format("{}: main needs {} arrays a0..a{} of {} values", where, n,
                                        n - 1, k));
      continue;
    }
    std::vector<Value> outputs;
    std::istringstream lines(slurp(out_path));
    for (std::string line; std::getline(lines, line);) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      std::istringstream values(line);
      Value v;
      for (long x; values >> x;) v.push_back(static_cast<int32_t>(x));
      outputs.push_back(std::move(v));
    }
    if (outputs.size() != k || std::any_of(outputs.begin(), outputs.end(),
                                           [&](const Value& v) { return v.size() != n; })) {
      report->skip("shape",
                   fmt::format("{}: needs {} lines of {} values", out_path.string(), k, n));
      continue;
    }
    Example ex;
    ex.tokens = program->tokens();
    ex.source = program->source();
    std::string why;
    for (size_t e = 0; e < k && why.empty(); ++e) {
      Value input(n);
      for (size_t i = 0; i < n; ++i) input[i] = arrays[i][e];
      const ExecResult r = program->execute(input);
      if (!r.ok()) {
        why = fmt::format("example {}: the program fails here ({})", e, exec_status_name(r.status));
      } else if (r.output != outputs[e]) {
        why = fmt::format("example {}: our interpreter gives another output", e);
      }
      ex.io.push_back({std::move(input), outputs[e]});
    }
    if (!why.empty()) {
      report->skip("output_differs", fmt::format("{}: {}", where, why));
      continue;
    }
    out.push_back(std::move(ex));
    ++report->imported;
  }
  return out;
}

void OriginalFormat::write(const Domain& domain, const std::vector<Example>& examples,
                           const std::string& path) const {
  fs::create_directories(path);
  for (size_t i = 0; i < examples.size(); ++i) {
    const Example& ex = examples[i];
    const size_t n = ex.io.empty() ? 0 : ex.io[0].input.size();
    std::string c = "#include <stdio.h>\n\n" + ex.source + "\nint main() {\n";
    for (size_t pos = 0; pos < n; ++pos) {
      std::string values;
      for (const IoPair& p : ex.io)
        values += fmt::format("{}{}", values.empty() ? "" : ", ", p.input[pos]);
      c += fmt::format("  int a{}[{}] = {{{}}};\n", pos, ex.io.size(), values);
    }
    c += fmt::format("  for (int e = 0; e < {}; ++e) {{\n    int a[{}];\n", ex.io.size(), n);
    for (size_t pos = 0; pos < n; ++pos) c += fmt::format("    a[{}] = a{}[e];\n", pos, pos);
    c += "    func_1(a);\n";
    c += fmt::format("    for (int i = 0; i < {}; ++i) printf(i ? \" %d\" : \"%d\", a[i]);\n", n);
    c += "    printf(\"\\n\");\n  }\n  return 0;\n}\n";
    std::string outs;
    for (const IoPair& p : ex.io) {
      for (size_t j = 0; j < p.output.size(); ++j)
        outs += fmt::format("{}{}", j ? " " : "", p.output[j]);
      outs += "\n";
    }
    std::ofstream(fs::path(path) / fmt::format("code_{}.c", i)) << c;
    std::ofstream(fs::path(path) / fmt::format("code_{}.out", i)) << outs;
  }
  (void)domain;
}

}  // namespace c
}  // namespace lasynth
