// The knobs of the restricted-C domain: sizes of inputs, programs and example sets.
#ifndef LASYNTH_LANG_C_LIMITS_H_
#define LASYNTH_LANG_C_LIMITS_H_

#include <vector>

#include "lang/domain.h"

namespace lasynth {
namespace c {

struct Limits {
  // Length of the input array `a` (and so of every output).
  int array_len = 5;
  // Inputs are drawn from [-value_range, value_range].
  int value_range = 4;
  // Outputs must stay within [-output_range, output_range]: the original's latent executor scores
  // 2R+1 values, so no output of its data lies outside [-4, 4]. At most 4 * value_range, the
  // reach of the models' value embedding.
  int output_range = 4;
  // Constants the generator writes in expressions and initialisers.
  int const_min = -4;
  int const_max = 8;
  // Locals declared at the top of the function (loop counters included).
  int max_locals = 4;
  // Statements in a program, nested ones included, and nesting depth of if/for/while.
  int max_statements = 8;
  int max_depth = 2;
  // Chance that a for loop walks the whole array (0 to array_len - 1, or back), the loop of
  // almost every program written by people; the others walk a random part of it.
  double whole_loops = 0.5;
  // 1: a program may hold a top-level statement whose removal leaves every output as it is, or
  // declare a local no statement mentions (as the original's data does: about 8% and 37% of the `small`
  // preset's programs). 0: such programs are rejected, so no token of a reference program is one
  // its examples leave undetermined in that way (issue 17).
  int dead_code = 1;
  // Longest generated program, in tokens (the paper's maximum decode length).
  int max_tokens = 256;
  // Statements executed plus loop tests before an execution fails.
  int step_limit = 10000;
  // Input/output pairs per example, and how many of them specify the program (the rest are held
  // out to test generalization).
  int io_pairs = 10;
  int num_spec = 5;

  // Throws ConfigError naming the first option that is unknown or out of range.
  static Limits from_options(const DomainOptions& options);
  DomainOptions to_options() const;
  static std::vector<DomainOptionSpec> specs();
};

}  // namespace c
}  // namespace lasynth

#endif  // LASYNTH_LANG_C_LIMITS_H_
