#include "lang/karel/limits.h"

#include <fmt/format.h>

#include "core/error.h"
#include "lang/karel/parser.h"
#include "lang/options.h"

namespace lasynth {
namespace karel {
namespace {

const std::vector<OptionField<Limits>>& fields() {
  static const std::vector<OptionField<Limits>> kFields = {
      {"rows", &Limits::rows, 2, 64, "rows of the Karel grid"},
      {"cols", &Limits::cols, 2, 64, "columns of the Karel grid"},
      {"wall_density", &Limits::wall_density, 0, 0.9, "chance that a random cell is a wall"},
      {"marker_density", &Limits::marker_density, 0, 1,
       "chance that a random free cell holds markers"},
      {"max_statements", &Limits::max_statements, 1, 64,
       "most statements per program, nested ones included"},
      {"max_depth", &Limits::max_depth, 0, 8, "deepest nesting of control statements"},
      {"max_tokens", &Limits::max_tokens, 8, static_cast<double>(kMaxProgramTokens),
       "longest generated program, in tokens"},
      {"step_limit", &Limits::step_limit, 1, 100000000,
       "steps (actions and condition tests) before an execution fails"},
      {"io_pairs", &Limits::io_pairs, 1, 64, "input/output pairs per example"},
      {"num_spec", &Limits::num_spec, 1, 64,
       "pairs that specify the program; the rest are held out"},
  };
  return kFields;
}

}  // namespace

Limits Limits::from_options(const DomainOptions& options) {
  Limits limits = parse_options("karel", fields(), options);
  if (limits.num_spec > limits.io_pairs) {
    throw ConfigError(fmt::format("domain karel: num_spec ({}) is above io_pairs ({})",
                                  limits.num_spec, limits.io_pairs));
  }
  return limits;
}

DomainOptions Limits::to_options() const { return options_of(*this, fields()); }

std::vector<DomainOptionSpec> Limits::specs() { return option_specs(fields()); }

}  // namespace karel
}  // namespace lasynth
