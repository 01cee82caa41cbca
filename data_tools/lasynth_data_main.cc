// lasynth-data: look at, check and convert lasynth data.
//
//   lasynth-data sample --domain c --count N --seed K [--pretty]   fresh examples as JSON lines
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "domain_flags.h"
#include "lang/domains.h"

namespace lasynth {
namespace {

struct SampleArgs {
  DomainFlags domain;
  int64_t count = 10;
  uint64_t seed = 1;
  bool quiet = false;
  bool pretty = false;
};

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// A human-readable rendering: the source, then each pair (input -> output side by side) marked
// as specification or held out.
void print_pretty(const Domain& domain, const Example& ex, int64_t index) {
  std::cout << fmt::format("# example {} ({} tokens)\n{}\n", index, ex.tokens.size(), ex.source);
  if (ex.source.empty() || ex.source.back() != '\n') std::cout << '\n';
  for (size_t i = 0; i < ex.io.size(); ++i) {
    const auto in = split_lines(domain.value_to_text(ex.io[i].input));
    const auto out = split_lines(domain.value_to_text(ex.io[i].output));
    size_t width = 0;
    for (const auto& l : in) width = std::max(width, l.size());
    const char* label = static_cast<int>(i) < domain.num_spec() ? "spec" : "held-out";
    for (size_t k = 0; k < std::max(in.size(), out.size()); ++k) {
      std::cout << fmt::format("  {:<9} {:<{}}  {}  {}\n", k == 0 ? label : "",
                               k < in.size() ? in[k] : "", width, k == 0 ? "->" : "  ",
                               k < out.size() ? out[k] : "");
    }
  }
  std::cout << '\n';
}

int run_sample(const SampleArgs& args) {
  const auto domain = make_domain(args.domain.domain(), args.domain.options());
  const auto sampler = domain->make_sampler(args.seed);
  for (int64_t i = 0; i < args.count; ++i) {
    if (args.pretty) {
      print_pretty(*domain, sampler->next(), i);
    } else {
      std::cout << example_to_json(*domain, sampler->next()).dump() << '\n';
    }
  }
  std::cout.flush();
  if (!std::cout) throw IoError("lasynth-data sample: could not write to standard output");
  if (!args.quiet) {
    std::string rejected;
    int64_t drawn = 0;
    for (const auto& [reason, n] : sampler->counters()) {
      drawn += n;
      if (reason != "accepted")
        rejected += fmt::format("{}{} {}", rejected.empty() ? "" : ", ", reason, n);
    }
    std::cerr << fmt::format("lasynth-data sample: {} examples from {} programs drawn{}\n",
                             args.count, drawn,
                             rejected.empty() ? "" : " (rejected: " + rejected + ")");
  }
  return 0;
}

}  // namespace
}  // namespace lasynth

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  CLI::App app{"lasynth-data: look at, check and convert lasynth data"};
  app.require_subcommand(1);

  lasynth::SampleArgs sample;
  CLI::App* sample_cmd =
      app.add_subcommand("sample",
                         "print freshly generated examples, one JSON object per line: "
                         "{\"source\", \"tokens\", \"io\": [{\"input\", \"output\"}, ...]}");
  sample.domain.add_to(sample_cmd);
  sample_cmd->add_option("--count", sample.count, "examples to print")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sample_cmd->add_option("--seed", sample.seed, "random seed; same seed, same lines")
      ->capture_default_str();
  sample_cmd->add_flag("--quiet", sample.quiet, "no summary line on standard error");
  sample_cmd->add_flag("--pretty", sample.pretty,
                       "readable text instead of JSON lines: the program, then its pairs");

  CLI11_PARSE(app, argc, argv);
  try {
    if (sample_cmd->parsed()) return lasynth::run_sample(sample);
  } catch (const std::exception& e) {
    std::cerr << "lasynth-data: error: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
