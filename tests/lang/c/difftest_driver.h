// Draws random programs (failing ones included) and checks them against gcc in batches.
#ifndef LASYNTH_TESTS_LANG_C_DIFFTEST_DRIVER_H_
#define LASYNTH_TESTS_LANG_C_DIFFTEST_DRIVER_H_

#include <cstdint>
#include <functional>

#include "gcc_harness.h"

namespace lasynth {
namespace c {

struct DifftestOptions {
  int64_t programs = 300;
  uint64_t seed = 1;
  int batch = 500;  // programs per gcc compile
  int jobs = 1;     // batches compiled and run at once
  Limits limits;
};

// Batch b draws its programs from Rng::derive(seed, {b}), so results do not depend on jobs.
// `progress` (may be empty) is called after each batch with the running totals.
DiffStats run_difftest(const DifftestOptions& options,
                       const std::function<void(const DiffStats&)>& progress = {});

}  // namespace c
}  // namespace lasynth

#endif  // LASYNTH_TESTS_LANG_C_DIFFTEST_DRIVER_H_
