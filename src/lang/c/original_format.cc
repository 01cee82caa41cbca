#include "lang/c/original_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "core/error.h"

namespace lasynth {
namespace c {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSpace = " \t\r\n";

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw IoError(fmt::format("{}: cannot read", path.string()));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out)
    throw IoError(
        fmt::format("{}: cannot write; check the directory's space and rights", path.string()));
}

std::string trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(kSpace) - begin + 1);
}

// 1-based line of byte `offset` of `text`.
size_t line_of(const std::string& text, size_t offset) {
  return 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + offset, '\n'));
}

// The code_N.c files of `dir`, by N; a name whose N does not fit a long is not one of them.
std::vector<std::pair<long, fs::path>> code_files(const std::string& dir) {
  if (!fs::is_directory(dir)) {
    throw IoError(fmt::format("{}: not a directory of code_N.c / code_N.out files", dir));
  }
  static const std::regex kName(R"(code_(\d{1,18})\.c)");
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

// One value as the original writes it, `-3` or `(-3)`; `where` is "file:line" for the error.
int32_t parse_value(const std::string& item, const std::string& where) {
  std::string digits = trim(item);
  if (digits.size() >= 2 && digits.front() == '(' && digits.back() == ')') {
    digits = trim(digits.substr(1, digits.size() - 2));
  }
  int32_t value = 0;
  const char* end = digits.data() + digits.size();
  const auto [stop, status] = std::from_chars(digits.data(), end, value);
  if (digits.empty() || status != std::errc() || stop != end) {
    throw ParseError(fmt::format(
        "{}: '{}' is not a 32-bit integer; the original writes a value as -3 or (-3): correct "
        "the file or move it out of the directory",
        where, trim(item)));
  }
  return value;
}

// The arrays a0, a1, ... that main declares, in order: aK is the input of example K. Throws
// ParseError (file and line) for a malformed value, an array declared twice or a gap.
std::vector<std::vector<int32_t>> input_arrays(const std::string& text, const std::string& file) {
  static const std::regex kMain(R"(\bint\s+main\s*\()");
  static const std::regex kArray(R"(\ba(\d{1,9})\s*\[\s*\d*\s*\]\s*=\s*\{([^}]*)\})");
  std::smatch main;
  if (!std::regex_search(text, main, kMain)) return {};
  const size_t from = static_cast<size_t>(main.position(0));
  std::map<size_t, std::vector<int32_t>> by_example;
  for (auto it = std::sregex_iterator(text.begin() + from, text.end(), kArray);
       it != std::sregex_iterator(); ++it) {
    const size_t k = std::stoul((*it)[1]);
    const size_t list_start = from + static_cast<size_t>(it->position(2));
    const std::string list = (*it)[2];
    std::vector<int32_t> values;
    for (size_t begin = 0; begin <= list.size();) {
      const size_t comma = std::min(list.find(',', begin), list.size());
      const std::string item = list.substr(begin, comma - begin);
      const size_t first = item.find_first_not_of(kSpace);
      // C allows a trailing comma, `{1, 2,}`.
      if (first != std::string::npos || comma < list.size()) {
        const size_t at = list_start + begin + (first == std::string::npos ? 0 : first);
        values.push_back(parse_value(item, fmt::format("{}:{}", file, line_of(text, at))));
      }
      begin = comma + 1;
    }
    const size_t line = line_of(text, from + static_cast<size_t>(it->position(0)));
    if (!by_example.emplace(k, std::move(values)).second) {
      throw ParseError(fmt::format("{}:{}: a{} is declared twice; keep one input array per example",
                                   file, line, k));
    }
  }
  std::vector<std::vector<int32_t>> arrays;
  for (auto& [k, values] : by_example) {
    if (k != arrays.size()) {
      throw ParseError(fmt::format(
          "{}: main declares a{} but no a{}; the arrays are a0, a1, ..., one per example", file, k,
          arrays.size()));
    }
    arrays.push_back(std::move(values));
  }
  return arrays;
}

// The lines of a code_N.out: example K's output array on the K-th line that is not blank.
// Throws ParseError (file and line) for a malformed value.
std::vector<Value> output_arrays(const fs::path& path) {
  std::istringstream lines(slurp(path));
  std::vector<Value> outputs;
  size_t number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    std::istringstream items(line);
    Value values;
    for (std::string item; items >> item;) {
      values.push_back(parse_value(item, fmt::format("{}:{}", path.string(), number)));
    }
    if (!values.empty()) outputs.push_back(std::move(values));
  }
  return outputs;
}

// The definition of func_1, from its header to its matching closing brace, or "". A prototype
// `int * func_1(int a[]);` before it, as the original writes, is passed over.
std::string function_text(const std::string& text) {
  static const std::regex kHeader(R"(int\s*\*\s*func_1\s*\(\s*int\s+a\s*\[\s*\]\s*\)\s*\{)");
  std::smatch m;
  if (!std::regex_search(text, m, kHeader)) return "";
  const size_t open = static_cast<size_t>(m.position(0) + m.length(0)) - 1;
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
  const fs::path first = code_files(path).front().second;
  const auto arrays = input_arrays(slurp(first), first.string());
  if (arrays.empty() || arrays[0].empty()) {
    throw ParseError(fmt::format(
        "{}: main declares no input array a0[N] = {{...}}; the original declares one per example",
        first.string()));
  }
  return {{"array_len", std::to_string(arrays[0].size())},
          {"io_pairs", std::to_string(arrays.size())},
          {"num_spec", std::to_string(std::min<size_t>(5, arrays.size()))}};
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
    const auto inputs = input_arrays(text, where);
    if (inputs.size() != k ||
        std::any_of(inputs.begin(), inputs.end(), [&](const auto& a) { return a.size() != n; })) {
      report->skip("shape", fmt::format("{}: main needs {} arrays a0..a{}, one per example, of {} "
                                        "values",
                                        where, k, k - 1, n));
      continue;
    }
    const std::vector<Value> outputs = output_arrays(out_path);
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
      const ExecResult r = program->execute(inputs[e]);
      if (!r.ok()) {
        why = fmt::format("example {}: the program fails here ({})", e, exec_status_name(r.status));
      } else if (r.output != outputs[e]) {
        why = fmt::format("example {}: our interpreter gives another output", e);
      }
      ex.io.push_back({inputs[e], outputs[e]});
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

void OriginalFormat::write(const Domain& /*domain*/, const std::vector<Example>& examples,
                           const std::string& path) const {
  fs::create_directories(path);
  for (size_t i = 0; i < examples.size(); ++i) {
    const Example& ex = examples[i];
    const size_t k = ex.io.size();
    const size_t n = k == 0 ? 0 : ex.io[0].input.size();
    // The original's loader cuts the program from its second header up to `int main(void)`, so
    // nothing else may stand between them.
    std::string c =
        "#include <stdio.h>\n\nint * func_1(int a[]);\n\n" + ex.source + "\nint main(void)\n{\n";
    std::string arrays;
    for (size_t e = 0; e < k; ++e) {
      std::string values;
      for (const int32_t v : ex.io[e].input) {
        values += fmt::format("{}{}", values.empty() ? "" : ", ", v);
      }
      c += fmt::format("    int a{}[{}] = {{{}}};\n", e, n, values);
      arrays += fmt::format("{}a{}", e ? ", " : "", e);
    }
    c += fmt::format("    int *inputs[{}] = {{{}}};\n", k, arrays);
    c += fmt::format("    for (int e = 0; e < {}; ++e) {{\n", k);
    c += "        func_1(inputs[e]);\n";
    c += fmt::format("        for (int i = 0; i < {}; ++i) printf(\"%d \", inputs[e][i]);\n", n);
    c += "        printf(\"\\n\");\n    }\n    return 0;\n}\n";
    std::string outs;
    for (const IoPair& p : ex.io) {
      for (const int32_t v : p.output) outs += fmt::format("{} ", v);
      outs += "\n";
    }
    write_text(fs::path(path) / fmt::format("code_{}.c", i), c);
    write_text(fs::path(path) / fmt::format("code_{}.out", i), outs);
  }
}

}  // namespace c
}  // namespace lasynth
