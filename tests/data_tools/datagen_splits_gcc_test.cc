// No function of a generated C dataset's test (or val) split is a function of its train split,
// checked from outside: lasynth-datagen writes the dataset and lasynth-data exports it, as a user
// runs them; every exported C source is compiled by gcc and run natively (run_native of
// gcc_harness.h), with neither the interpreter nor the generator's probe inputs. A program's
// function is the tuple of its native results (outputs, traps, endless loops) on inputs drawn
// here; a test program and a train program that agree on them are then run on every array of
// the domain, and must differ there.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gcc_harness.h"
#include "run_tool.h"
#include "test_files.h"

namespace lasynth {
namespace {

using testing::run_command;
using testing::ScratchDir;

// The c domain's default array_len and value_range, which no dataset here changes.
constexpr int kLen = 5;
constexpr int kRange = 4;
constexpr int kRandomInputs = 64;

// kRandomInputs uniform arrays from std::mt19937_64 (nothing shared with the project's Rng), and
// edge arrays that uniform draws almost never give.
std::vector<Value> fresh_inputs(uint64_t seed) {
  std::vector<Value> inputs = {Value(kLen, 0), Value(kLen, kRange), Value(kLen, -kRange),
                               Value(kLen, 0), Value(kLen, 0)};
  for (int i = 0; i < kLen; ++i) inputs[3][i] = kRange - (2 * kRange * i) / (kLen - 1);
  inputs[4][kLen / 2] = kRange;
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int32_t> cell(-kRange, kRange);
  for (int k = 0; k < kRandomInputs; ++k) {
    Value v(kLen);
    for (int32_t& x : v) x = cell(rng);
    inputs.push_back(std::move(v));
  }
  return inputs;
}

struct Split {
  std::string name;
  std::vector<std::string> sources;
  std::vector<std::string> functions;  // run_native's line per source, on the fresh inputs
  std::map<std::string, std::vector<size_t>> with;  // function -> the sources computing it
};

Split export_and_run(const std::string& dir, const std::string& name,
                     const std::vector<Value>& inputs, const std::string& work_dir) {
  Split split;
  split.name = name;
  const auto r = run_command(std::string(LASYNTH_DATA_BIN) + " export " + dir + " --split " + name);
  EXPECT_EQ(r.exit_code, 0) << name;
  for (const std::string& line : testing::lines_of(r.out)) {
    split.sources.push_back(nlohmann::json::parse(line).at("source").get<std::string>());
  }
  split.functions = c::run_native(split.sources, inputs, kLen, work_dir);
  for (size_t i = 0; i < split.functions.size(); ++i) split.with[split.functions[i]].push_back(i);
  return split;
}

struct Pair {
  std::string a, b;  // sources
};

// Every array of the domain: (2 kRange + 1)^kLen = 59,049.
std::vector<Value> every_input() {
  std::vector<Value> inputs = {Value(kLen, -kRange)};
  while (true) {
    Value v = inputs.back();
    int i = 0;
    while (i < kLen && v[i] == kRange) v[i++] = -kRange;
    if (i == kLen) return inputs;
    ++v[i];
    inputs.push_back(std::move(v));
  }
}

// For each pair, whether its two sources compute one function on every array of the domain.
// Agreeing on the fresh inputs only is not enough: a branch on two cells (p = 1/81) is missed by
// all of them with probability 0.45.
std::vector<bool> equal_everywhere(const std::vector<Pair>& pairs, const std::string& work_dir) {
  std::vector<std::string> sources;
  std::map<std::string, size_t> index;
  for (const Pair& p : pairs) {
    for (const std::string* s : {&p.a, &p.b}) {
      if (index.emplace(*s, sources.size()).second) sources.push_back(*s);
    }
  }
  std::filesystem::create_directories(work_dir);
  const std::vector<std::string> functions = c::run_native(sources, every_input(), kLen, work_dir);
  std::vector<bool> equal;
  for (const Pair& p : pairs) equal.push_back(functions[index[p.a]] == functions[index[p.b]]);
  return equal;
}

// Counts the programs of `a` that compute, on every array of the domain, the function of a
// program of `b`, failing with the first few such pairs of sources. `candidates` is set to the
// number of programs of `a` agreeing with some program of `b` on the fresh inputs.
int64_t shared_functions(const Split& a, const Split& b, const std::string& work_dir,
                         int64_t* candidates) {
  std::vector<Pair> pairs;
  std::vector<size_t> program_of_pair;
  *candidates = 0;
  for (size_t i = 0; i < a.functions.size(); ++i) {
    const auto it = b.with.find(a.functions[i]);
    if (it == b.with.end()) continue;
    ++*candidates;
    for (size_t j : it->second) {
      pairs.push_back({a.sources[i], b.sources[j]});
      program_of_pair.push_back(i);
    }
  }
  if (pairs.empty()) return 0;
  const std::vector<bool> equal = equal_everywhere(pairs, work_dir);
  std::set<size_t> shared;
  for (size_t k = 0; k < pairs.size(); ++k) {
    if (!equal[k] || !shared.insert(program_of_pair[k]).second) continue;
    if (shared.size() <= 5) {
      ADD_FAILURE() << fmt::format(
          "{} program\n{}computes the function of {} program\n{}on every array of the domain",
          a.name, pairs[k].a, b.name, pairs[k].b);
    }
  }
  return static_cast<int64_t>(shared.size());
}

// Generates a dataset with `settings`, runs its splits natively and checks them pairwise.
void check_splits_disjoint(const std::string& settings, uint64_t input_seed) {
  ScratchDir dir;
  const auto gen = run_command(std::string(LASYNTH_DATAGEN_BIN) + " --domain c --quiet --out " +
                                   dir.path("data") + " " + settings,
                               true);
  ASSERT_EQ(gen.exit_code, 0) << gen.out;
  const std::vector<Value> inputs = fresh_inputs(input_seed);
  std::map<std::string, Split> splits;
  for (const char* name : {"test", "val", "train"}) {
    const std::string work = dir.path(name);
    std::filesystem::create_directories(work);
    splits[name] = export_and_run(dir.path("data"), name, inputs, work);
  }
  const Split &test = splits["test"], &val = splits["val"], &train = splits["train"];

  // Not vacuous: the check finds one function under different texts, which train has many of.
  // Train programs agreeing on the fresh inputs with an earlier one of another text, and the
  // first kRepeatsChecked of those pairs on every array of the domain.
  constexpr size_t kRepeatsChecked = 20;
  std::vector<Pair> repeats;
  int64_t train_repeats = 0;
  for (size_t i = 0; i < train.functions.size(); ++i) {
    const size_t first = train.with.at(train.functions[i]).front();
    if (first == i || train.sources[first] == train.sources[i]) continue;
    ++train_repeats;
    if (repeats.size() < kRepeatsChecked)
      repeats.push_back({train.sources[first], train.sources[i]});
  }
  EXPECT_GT(train_repeats, static_cast<int64_t>(train.sources.size()) / 4);
  const std::vector<bool> repeats_equal = equal_everywhere(repeats, dir.path("repeats"));
  const auto equal_repeats = std::count(repeats_equal.begin(), repeats_equal.end(), true);
  EXPECT_GE(equal_repeats, static_cast<int64_t>(kRepeatsChecked) / 2);

  int64_t test_train_candidates = 0, val_train_candidates = 0, test_val_candidates = 0;
  const int64_t test_train =
      shared_functions(test, train, dir.path("test-train"), &test_train_candidates);
  const int64_t val_train =
      shared_functions(val, train, dir.path("val-train"), &val_train_candidates);
  const int64_t test_val = shared_functions(test, val, dir.path("test-val"), &test_val_candidates);
  EXPECT_EQ(test_train, 0);
  EXPECT_EQ(val_train, 0);
  EXPECT_EQ(test_val, 0);
  std::cout << fmt::format(
      "programs / distinct functions on {} fresh inputs: test {} / {}, val {} / {}, train {} / "
      "{}; train programs repeating an earlier train function under another text: {}, of the "
      "first {} the same on every array: {}; programs agreeing on the fresh inputs / on every "
      "array: test-train {} / {}, val-train {} / {}, test-val {} / {}\n",
      inputs.size(), test.sources.size(), test.with.size(), val.sources.size(), val.with.size(),
      train.sources.size(), train.with.size(), train_repeats, repeats.size(), equal_repeats,
      test_train_candidates, test_train, val_train_candidates, val_train, test_val_candidates,
      test_val);
}

// The native lines themselves: outputs, each kind of trap, an endless loop, and a trap or a loop
// ending one run only.
TEST(DatagenSplitsAgainstGcc, NativeRunsGiveOutputsTrapsAndEndlessLoops) {
  ScratchDir dir;
  const std::string head = "int * func_1(int a[]) {\n";
  const std::vector<std::string> sources = {
      head + "  a[0] = a[1] + 1;\n  return a;\n}\n",
      head + "  int l_0 = a[0];\n  a[1] = a[l_0];\n  return a;\n}\n",
      head + "  a[1] = 7 / a[0];\n  return a;\n}\n",
      head + "  int l_0 = -2147483647;\n  l_0 = l_0 - 1;\n  a[1] = l_0 / a[0];\n  return a;\n}\n",
      head + "  while (a[0] < 1) {\n    a[1] = 2;\n  }\n  return a;\n}\n",
      head +
          "  int l_0;\n  for (l_0 = 0; l_0 != 5; l_0 = l_0 + a[0]) {\n    a[2] = l_0;\n  }\n"
          "  return a;\n}\n"};
  const std::vector<Value> inputs = {{0, 1, 2, 3, 4}, {-1, 1, 2, 3, 4}, {5, 1, 2, 3, 4}};
  const std::vector<std::string> want = {
      "2,1,2,3,4 2,1,2,3,4 2,1,2,3,4", "0,0,2,3,4 trap trap",       "trap -1,-7,2,3,4 5,1,2,3,4",
      "trap trap 5,-429496729,2,3,4",  "endless endless 5,1,2,3,4", "endless endless 5,1,0,3,4",
  };
  EXPECT_EQ(c::run_native(sources, inputs, kLen, dir.path()), want);
}

TEST(DatagenSplitsAgainstGcc, SmallProgramsShareNoFunctionAcrossSplits) {
  check_splits_disjoint(
      "--train 3000 --val 200 --test 300 --shards 2 --seed 5 --max-statements 4 --max-depth 2 "
      "--max-locals 3 --max-tokens 96",
      0x5eed0001);
}

TEST(DatagenSplitsAgainstGcc, DefaultProgramsShareNoFunctionAcrossSplits) {
  check_splits_disjoint("--train 3000 --val 200 --test 300 --shards 2 --seed 11", 0x5eed0002);
}

}  // namespace
}  // namespace lasynth
