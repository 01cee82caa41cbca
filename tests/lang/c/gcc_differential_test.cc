#include <gtest/gtest.h>

#include "difftest_driver.h"

namespace lasynth {
namespace c {
namespace {

// A few hundred random programs (failing ones included) against gcc with sanitizers.
TEST(CAgainstGcc, InterpreterAgreesWithNativeCode) {
  DifftestOptions options;
  options.programs = 400;
  options.batch = 200;
  options.jobs = 2;
  options.seed = 2026;
  const DiffStats stats = run_difftest(options);
  EXPECT_EQ(stats.programs, 400);
  EXPECT_GT(stats.ok_runs, 1000);
  EXPECT_GT(stats.failures, 50);
  EXPECT_EQ(stats.ok_agreed, stats.ok_runs);
  EXPECT_EQ(stats.failures_agreed, stats.failures);
  for (const auto& m : stats.mismatches) ADD_FAILURE() << m;
}

// Small arrays and wide constants push indices out of range and values past 32 bits.
TEST(CAgainstGcc, AgreesOnOverflowAndIndexHeavyPrograms) {
  DifftestOptions options;
  options.programs = 200;
  options.batch = 200;
  options.seed = 7;
  options.limits.array_len = 3;
  options.limits.const_min = -16;
  options.limits.const_max = 16;
  options.limits.max_statements = 12;
  options.limits.max_depth = 3;
  const DiffStats stats = run_difftest(options);
  EXPECT_GT(stats.failures, 100);
  EXPECT_EQ(stats.agreed(), stats.compared());
  for (const auto& m : stats.mismatches) ADD_FAILURE() << m;
}

}  // namespace
}  // namespace c
}  // namespace lasynth
