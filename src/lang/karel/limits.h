// The knobs of the Karel domain: the world's size and contents, program size, example sets.
#ifndef LASYNTH_LANG_KAREL_LIMITS_H_
#define LASYNTH_LANG_KAREL_LIMITS_H_

#include <vector>

#include "lang/domain.h"

namespace lasynth {
namespace karel {

struct Limits {
  // Grid size; the public benchmark's worlds are 18 x 18.
  int rows = 18;
  int cols = 18;
  // Random worlds: chance that a cell is a wall, and that a free cell holds markers (1..10).
  double wall_density = 0.1;
  double marker_density = 0.1;
  // Random programs: statements (nested ones included), nesting depth, length in tokens.
  int max_statements = 10;
  int max_depth = 3;
  int max_tokens = 80;
  // Actions plus condition tests before an execution fails.
  int step_limit = 1000;
  // Worlds per example and how many specify the program (the rest are held out).
  int io_pairs = 6;
  int num_spec = 5;

  // Throws ConfigError naming the first option that is unknown or out of range.
  static Limits from_options(const DomainOptions& options);
  DomainOptions to_options() const;
  static std::vector<DomainOptionSpec> specs();
};

}  // namespace karel
}  // namespace lasynth

#endif  // LASYNTH_LANG_KAREL_LIMITS_H_
