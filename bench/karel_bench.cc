// Karel on one core: example generation (a program and its 6 executed worlds, accepted) per
// second, and the emulator's speed in actions per second on the accepted programs.
//
//   karel_bench --examples 50000
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>

#include "lang/karel/generator.h"
#include "lang/karel/interpreter.h"
#include "lang/karel/parser.h"
#include "lang/karel/tokens.h"

int main(int argc, char** argv) {
  using namespace lasynth;
  using namespace lasynth::karel;
  int64_t examples = 50000;
  int reps = 20;
  uint64_t seed = 1;
  CLI::App app{"karel_bench: Karel example generation and emulator speed on one core"};
  app.add_option("--examples", examples, "accepted examples to generate")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--reps", reps, "emulator passes over the generated examples")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--seed", seed, "random seed")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const Limits limits;
  Sampler sampler(limits, seed);
  std::vector<Example> out;
  out.reserve(static_cast<size_t>(examples));
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < examples; ++i) out.push_back(sampler.next());
  const double gen_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::vector<karel::Program> programs;
  std::vector<std::vector<World>> worlds;
  for (const Example& ex : out) {
    programs.push_back(parse(vocabulary().encode(ex.tokens)));
    worlds.emplace_back();
    for (const IoPair& pair : ex.io)
      worlds.back().push_back(world_from_value(pair.input, limits.rows, limits.cols));
  }
  std::vector<Action> trace;
  int64_t actions = 0, runs = 0;
  const auto t1 = std::chrono::steady_clock::now();
  for (int r = 0; r < reps; ++r) {
    for (size_t i = 0; i < programs.size(); ++i) {
      for (const World& start : worlds[i]) {
        World w = start;
        trace.clear();
        run(programs[i], &w, limits.step_limit, &trace);
        actions += static_cast<int64_t>(trace.size());
        ++runs;
      }
    }
  }
  const double emu_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();

  int64_t drawn = 0;
  for (const auto& [reason, n] : sampler.counters()) drawn += n;
  std::cout << fmt::format("Karel on one thread, {}x{} worlds, {} worlds per example\n\n",
                           limits.rows, limits.cols, limits.io_pairs);
  std::cout << fmt::format("| {:<40} | {:>12} |\n|{:-<42}|{:->14}|\n", "measure", "value", "", "");
  std::cout << fmt::format("| {:<40} | {:>12.0f} |\n", "accepted examples / s (generation)",
                           examples / gen_s);
  std::cout << fmt::format("| {:<40} | {:>12.0f} |\n", "programs drawn / s", drawn / gen_s);
  std::cout << fmt::format("| {:<40} | {:>12.0f} |\n", "emulator runs / s (program on a world)",
                           runs / emu_s);
  std::cout << fmt::format("| {:<40} | {:>12.0f} |\n", "emulator actions / s", actions / emu_s);
  std::cout << fmt::format("| {:<40} | {:>12.1f} |\n", "mean actions per run",
                           static_cast<double>(actions) / runs);
  std::cout << "\nwhy drawn programs were rejected (share of all drawn):\n";
  for (const auto& [reason, n] : sampler.counters()) {
    std::cout << fmt::format("  {:<12} {:>10} {:>6.1f}%\n", reason, n, 100.0 * n / drawn);
  }
  return 0;
}
