// Example generation on one core: accepted restricted-C examples (a program and its 10 executed
// inputs) per second, with what the rejected draws were rejected for.
//
//   c_generation_bench --examples 200000
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>

#include "lang/domains.h"

int main(int argc, char** argv) {
  int64_t examples = 200000;
  uint64_t seed = 1;
  CLI::App app{"c_generation_bench: accepted examples per second on one core"};
  app.add_option("--examples", examples, "accepted examples to generate")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--seed", seed, "random seed")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const auto domain = lasynth::make_domain("c");
  const auto sampler = domain->make_sampler(seed);
  size_t tokens = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < examples; ++i) tokens += sampler->next().tokens.size();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  int64_t drawn = 0;
  for (const auto& [reason, n] : sampler->counters()) drawn += n;
  std::cout << fmt::format("restricted-C generation, one thread, {} IO pairs per example\n\n",
                           domain->io_pairs());
  std::cout << fmt::format("| {:<30} | {:>12} |\n|{:-<32}|{:->14}|\n", "measure", "value", "", "");
  std::cout << fmt::format("| {:<30} | {:>12} |\n", "accepted examples", examples);
  std::cout << fmt::format("| {:<30} | {:>12.2f} |\n", "seconds", s);
  std::cout << fmt::format("| {:<30} | {:>12.0f} |\n", "accepted examples / s", examples / s);
  std::cout << fmt::format("| {:<30} | {:>12.0f} |\n", "programs drawn / s", drawn / s);
  std::cout << fmt::format("| {:<30} | {:>12.1f} |\n", "mean tokens per program",
                           static_cast<double>(tokens) / examples);
  std::cout << "\nwhy drawn programs were rejected (share of all drawn):\n";
  for (const auto& [reason, n] : sampler->counters()) {
    std::cout << fmt::format("  {:<20} {:>10} {:>6.1f}%\n", reason, n, 100.0 * n / drawn);
  }
  return 0;
}
