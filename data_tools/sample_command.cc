#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "app/cli_checks.h"
#include "commands.h"
#include "core/error.h"
#include "domain_flags.h"
#include "lang/domains.h"
#include "pretty.h"

namespace lasynth {
namespace {

struct SampleArgs {
  DomainFlags domain;
  int64_t count = 10;
  uint64_t seed = 1;
  bool quiet = false;
  bool pretty = false;
};

void run_sample(const SampleArgs& args) {
  const auto domain = make_domain(args.domain.domain(), args.domain.options());
  const auto sampler = domain->make_sampler(args.seed);
  for (int64_t i = 0; i < args.count; ++i) {
    if (args.pretty) {
      print_pretty(*domain, sampler->next(), fmt::format("example {}", i));
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
      if (reason != "accepted") {
        rejected += fmt::format("{}{} {}", rejected.empty() ? "" : ", ", reason, n);
      }
    }
    std::cerr << fmt::format("lasynth-data sample: {} examples from {} programs drawn{}\n",
                             args.count, drawn,
                             rejected.empty() ? "" : " (rejected: " + rejected + ")");
  }
}

}  // namespace

void add_sample_command(CLI::App& app) {
  auto args = std::make_shared<SampleArgs>();
  CLI::App* cmd =
      app.add_subcommand("sample",
                         "print freshly generated examples, one JSON object per line: "
                         "{\"source\", \"tokens\", \"io\": [{\"input\", \"output\"}, ...]}");
  args->domain.add_to(cmd);
  cmd->add_option("--count", args->count, "examples to print")
      ->check(app::at_least(0))
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "random seed; same seed, same lines")
      ->check(app::non_negative_integer())
      ->capture_default_str();
  cmd->add_flag("--quiet", args->quiet, "no summary line on standard error");
  cmd->add_flag("--pretty", args->pretty,
                "readable text instead of JSON lines: the program, then its pairs");
  cmd->callback([args] { run_sample(*args); });
}

}  // namespace lasynth
