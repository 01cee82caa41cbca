// c-difftest: the restricted-C interpreter against gcc on many random programs.
//
//   c-difftest --programs 10000 --seed 1 --jobs 2
//
// Prints the agreement rate; exits 1 on any disagreement, printing the first ones.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "difftest_driver.h"

int main(int argc, char** argv) {
  lasynth::c::DifftestOptions options;
  options.programs = 10000;
  CLI::App app{
      "c-difftest: compare the restricted-C interpreter with gcc -O1 -fwrapv "
      "-fsanitize=undefined,address on random programs"};
  app.add_option("--programs", options.programs, "random programs to check")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--seed", options.seed, "random seed")->capture_default_str();
  app.add_option("--batch", options.batch, "programs per gcc compile")
      ->check(CLI::Range(1, 5000))
      ->capture_default_str();
  app.add_option("--jobs", options.jobs, "batches at once")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    const auto stats = lasynth::c::run_difftest(options, [&](const lasynth::c::DiffStats& s) {
      std::cerr << fmt::format("c-difftest: {}/{} programs, {} runs compared, {} disagreements\n",
                               s.programs, options.programs, s.compared(),
                               s.compared() - s.agreed());
    });
    std::cout << fmt::format(
        "programs                 {}\n"
        "runs compared            {}\n"
        "  successful, same array {} / {}\n"
        "  traps, native died     {} / {}\n"
        "step-limit runs skipped  {}\n"
        "agreement                {:.4f}%\n",
        stats.programs, stats.compared(), stats.ok_agreed, stats.ok_runs, stats.failures_agreed,
        stats.failures, stats.step_limit_skipped,
        stats.compared()
            ? 100.0 * static_cast<double>(stats.agreed()) / static_cast<double>(stats.compared())
            : 0.0);
    for (const auto& m : stats.mismatches) std::cout << "MISMATCH " << m << "\n";
    return stats.agreed() == stats.compared() ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "c-difftest: error: " << e.what() << '\n';
    return 2;
  }
}
