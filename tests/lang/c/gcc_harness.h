// Differential testing of the restricted-C interpreter against gcc: programs are printed as C,
// compiled many to one harness with `gcc -O1 -fwrapv -fsanitize=undefined,address`, run natively
// on the same inputs, and compared with the interpreter.
//
// For every (program, input) the interpreter runs successfully, the native output must be equal
// and the sanitizers must stay silent (they abort the harness otherwise). For every failure the
// interpreter reports (division by zero, INT_MIN / -1, index out of range), the native run, in a
// forked child, must die. Step-limit failures are not run natively: the native program might
// never end.
//
// run_native runs C texts natively with no interpreter at all, for checks from outside such as
// whether two programs compute the same function.
#ifndef LASYNTH_TESTS_LANG_C_GCC_HARNESS_H_
#define LASYNTH_TESTS_LANG_C_GCC_HARNESS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "lang/c/ast.h"
#include "lang/c/limits.h"
#include "lang/domain.h"

namespace lasynth {
namespace c {

struct DiffCase {
  const Program* program;
  std::vector<Value> inputs;
};

struct DiffStats {
  int64_t programs = 0;
  int64_t ok_runs = 0;          // interpreter succeeded; native compared
  int64_t ok_agreed = 0;        // ... and native gave the same array
  int64_t failures = 0;         // interpreter failed with a trap native code also hits
  int64_t failures_agreed = 0;  // ... and the native child died
  int64_t step_limit_skipped = 0;
  std::vector<std::string> mismatches;  // first few, with program and input

  void add(const DiffStats& other);
  int64_t compared() const { return ok_runs + failures; }
  int64_t agreed() const { return ok_agreed + failures_agreed; }
};

// Compiles and runs one batch. `work_dir` must exist; files are written there. Throws Error when
// gcc or the harness itself fails (a sanitizer report on a run the interpreter accepted counts
// as a mismatch, not an error).
DiffStats run_differential(const std::vector<DiffCase>& cases, const Limits& limits,
                           const std::string& work_dir);

// What run_native writes for a run that trapped (a division by zero, INT_MIN / -1, an index out
// of range) and for one whose loops ran more than kNativeLoopBound iterations: twice the
// interpreter's default step limit, which counts every loop test, so any run the interpreter
// finishes within its default limit ends within the bound.
constexpr const char* kNativeTrap = "trap";
constexpr const char* kNativeEndless = "endless";
constexpr int64_t kNativeLoopBound = 20000;

// Runs C functions natively, without the interpreter: each of `sources` (a function
// `int * func_1(int a[])` as the printer writes it, such as a dataset's "source") on each of
// `inputs` (arrays of `array_len` ints), all compiled into one harness with `gcc -O1 -fwrapv
// -fsanitize=undefined -fsanitize-undefined-trap-on-error`, every index into `a` bounds-checked,
// in one process: a trap ends the run, not the harness. Returns a line per source: per input,
// its output array "v0,..,vN-1", kNativeTrap or kNativeEndless, separated by spaces; equal lines
// are equal functions on `inputs`. `work_dir` must exist; files are written there. Throws Error
// when a source has another header, or gcc or the harness fails.
std::vector<std::string> run_native(const std::vector<std::string>& sources,
                                    const std::vector<Value>& inputs, int array_len,
                                    const std::string& work_dir);

}  // namespace c
}  // namespace lasynth

#endif  // LASYNTH_TESTS_LANG_C_GCC_HARNESS_H_
