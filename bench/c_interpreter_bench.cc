// The restricted-C interpreter against the same programs compiled natively with gcc -O2, side by
// side on the same inputs. Process start and compilation are outside both timings; each side
// runs every program on its inputs `--reps` times and folds the outputs into a checksum, and the
// two checksums must agree.
//
//   c_interpreter_bench --programs 1000 --reps 300
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "lang/c/generator.h"
#include "lang/c/interpreter.h"
#include "lang/c/parser.h"
#include "lang/c/tokens.h"

namespace lasynth {
namespace c {
namespace {

// Reads "N K LEN" then N*K*LEN ints; runs every program on its K inputs REPS times.
const char* kNativeMain = R"(
#include <time.h>
int main(int argc, char** argv) {
  FILE* f = fopen(argv[1], "r");
  long reps = atol(argv[2]);
  int n, k, len;
  if (fscanf(f, "%d %d %d", &n, &k, &len) != 3) return 2;
  int* in = malloc(sizeof(int) * n * k * len);
  for (long i = 0; i < (long)n * k * len; ++i) if (fscanf(f, "%d", &in[i]) != 1) return 2;
  int a[64];
  unsigned long long sum = 0;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long r = 0; r < reps; ++r)
    for (int p = 0; p < n; ++p)
      for (int j = 0; j < k; ++j) {
        memcpy(a, in + ((long)p * k + j) * len, sizeof(int) * len);
        kFns[p](a);
        for (int i = 0; i < len; ++i) sum = sum * 31 + (unsigned)a[i];
      }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("%.9f %llu\n", (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec), sum);
  return 0;
}
)";

int run(int programs, long reps, uint64_t seed) {
  Limits limits;
  Sampler sampler(limits, seed);
  std::vector<Example> examples;
  for (int i = 0; i < programs; ++i) examples.push_back(sampler.next());

  // Native side.
  const auto dir =
      std::filesystem::temp_directory_path() / fmt::format("lasynth-bench-{}", getpid());
  std::filesystem::create_directories(dir);
  std::ostringstream src, inputs;
  src << "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n";
  inputs << programs << ' ' << limits.io_pairs << ' ' << limits.array_len << '\n';
  for (int i = 0; i < programs; ++i) {
    src << "#define func_1 f" << i << "\nstatic " << examples[i].source << "#undef func_1\n";
    for (const IoPair& pair : examples[i].io) {
      for (int32_t x : pair.input) inputs << x << ' ';
    }
    inputs << '\n';
  }
  src << "static int* (*kFns[])(int*) = {";
  for (int i = 0; i < programs; ++i) src << "f" << i << ",";
  src << "};\n" << kNativeMain;
  std::ofstream(dir / "native.c") << src.str();
  std::ofstream(dir / "inputs.txt") << inputs.str();
  const std::string bin = (dir / "native").string();
  if (std::system(
          fmt::format("gcc -O2 -fwrapv -w -o {} {}", bin, (dir / "native.c").string()).c_str()) !=
      0) {
    std::cerr << "c_interpreter_bench: gcc failed\n";
    return 1;
  }
  FILE* pipe =
      popen(fmt::format("{} {} {}", bin, (dir / "inputs.txt").string(), reps).c_str(), "r");
  double native_s = 0;
  unsigned long long native_sum = 0;
  if (!pipe || std::fscanf(pipe, "%lf %llu", &native_s, &native_sum) != 2) {
    std::cerr << "c_interpreter_bench: the native harness failed\n";
    return 1;
  }
  pclose(pipe);
  std::filesystem::remove_all(dir);

  // Interpreter side: parse and compile once, then run.
  const auto c0 = std::chrono::steady_clock::now();
  std::vector<Executable> exes;
  exes.reserve(programs);
  for (const Example& ex : examples)
    exes.emplace_back(parse(vocabulary().encode(ex.tokens)), limits.array_len);
  const auto c1 = std::chrono::steady_clock::now();
  int32_t a[64];
  unsigned long long sum = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (long r = 0; r < reps; ++r) {
    for (int p = 0; p < programs; ++p) {
      for (const IoPair& pair : examples[p].io) {
        exes[p].run(pair.input.data(), a, limits.step_limit);
        for (int i = 0; i < limits.array_len; ++i) sum = sum * 31 + static_cast<uint32_t>(a[i]);
      }
    }
  }
  const auto t1 = std::chrono::steady_clock::now();
  const double interp_s = std::chrono::duration<double>(t1 - t0).count();
  const double compile_s = std::chrono::duration<double>(c1 - c0).count();

  const double runs = static_cast<double>(programs) * limits.io_pairs * static_cast<double>(reps);
  std::cout << fmt::format("restricted-C execution: {} accepted programs x {} inputs x {} reps\n\n",
                           programs, limits.io_pairs, reps);
  std::cout << fmt::format("| {:<26} | {:>12} | {:>9} | {:>14} | {:>10} |\n", "engine",
                           "executions", "seconds", "executions/s", "vs native");
  std::cout << fmt::format("|{:-<28}|{:->14}|{:->11}|{:->16}|{:->12}|\n", "", "", "", "", "");
  std::cout << fmt::format("| {:<26} | {:>12.0f} | {:>9.3f} | {:>14.0f} | {:>10} |\n",
                           "native gcc -O2 -fwrapv", runs, native_s, runs / native_s, "1.00x");
  std::cout << fmt::format("| {:<26} | {:>12.0f} | {:>9.3f} | {:>14.0f} | {:>9.2f}x |\n",
                           "lasynth interpreter", runs, interp_s, runs / interp_s,
                           interp_s / native_s);
  std::cout << fmt::format(
      "\nparse + compile to bytecode: {:.1f} us per program (once per program)\n",
      1e6 * compile_s / programs);
  std::cout << fmt::format("checksums: native {} interpreter {} -> {}\n", native_sum, sum,
                           native_sum == sum ? "agree" : "DISAGREE");
  return native_sum == sum ? 0 : 1;
}

}  // namespace
}  // namespace c
}  // namespace lasynth

int main(int argc, char** argv) {
  int programs = 1000;
  long reps = 300;
  uint64_t seed = 1;
  CLI::App app{"c_interpreter_bench: interpreter vs native gcc -O2 on the same programs"};
  app.add_option("--programs", programs, "accepted programs")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--reps", reps, "passes over all programs and inputs")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--seed", seed, "random seed")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  return lasynth::c::run(programs, reps, seed);
}
