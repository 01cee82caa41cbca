#include "lang/c/limits.h"

#include <fmt/format.h>

#include "core/error.h"
#include "lang/c/parser.h"
#include "lang/c/tokens.h"
#include "lang/options.h"

namespace lasynth {
namespace c {
namespace {

const std::vector<OptionField<Limits>>& fields() {
  static const std::vector<OptionField<Limits>> kFields = {
      {"array_len", &Limits::array_len, 1, kMaxLiteral + 1, "length of the input array a[]"},
      {"value_range", &Limits::value_range, 1, kMaxLiteral, "inputs are drawn from [-R, R]"},
      {"output_range", &Limits::output_range, 1, 4 * kMaxLiteral,
       "programs writing an output outside [-R, R] are rejected; at most 4 * value_range"},
      {"const_min", &Limits::const_min, -kMaxLiteral, kMaxLiteral,
       "smallest constant the generator writes"},
      {"const_max", &Limits::const_max, -kMaxLiteral, kMaxLiteral,
       "largest constant the generator writes"},
      {"max_locals", &Limits::max_locals, 0, kNumVars, "most local variables per program"},
      {"max_statements", &Limits::max_statements, 1, 64,
       "most statements per program, nested ones included"},
      {"max_depth", &Limits::max_depth, 0, 8, "deepest nesting of if/for/while"},
      {"whole_loops", &Limits::whole_loops, 0, 1,
       "chance that a for loop walks the whole array; the others walk a random part"},
      {"dead_code", &Limits::dead_code, 0, 1,
       "1: programs may hold a top-level statement whose removal changes no output, or a local "
       "no statement mentions; 0: such programs are rejected"},
      {"max_tokens", &Limits::max_tokens, 16, static_cast<double>(kMaxProgramTokens),
       "longest generated program, in tokens"},
      {"step_limit", &Limits::step_limit, 1, 100000000,
       "steps (statements and loop tests) before an execution fails"},
      {"io_pairs", &Limits::io_pairs, 1, 64, "input/output pairs per example"},
      {"num_spec", &Limits::num_spec, 1, 64,
       "pairs that specify the program; the rest are held out"},
  };
  return kFields;
}

}  // namespace

Limits Limits::from_options(const DomainOptions& options) {
  Limits limits = parse_options("c", fields(), options);
  if (limits.const_min > limits.const_max) {
    throw ConfigError(fmt::format("domain c: const_min ({}) is above const_max ({})",
                                  limits.const_min, limits.const_max));
  }
  if (limits.output_range > 4 * limits.value_range) {
    throw ConfigError(fmt::format(
        "domain c: output_range ({}) is above 4 * value_range ({}), the values the models embed; "
        "lower --output-range or raise --value-range",
        limits.output_range, 4 * limits.value_range));
  }
  if (limits.num_spec > limits.io_pairs) {
    throw ConfigError(fmt::format("domain c: num_spec ({}) is above io_pairs ({})", limits.num_spec,
                                  limits.io_pairs));
  }
  return limits;
}

DomainOptions Limits::to_options() const { return options_of(*this, fields()); }

std::vector<DomainOptionSpec> Limits::specs() { return option_specs(fields()); }

}  // namespace c
}  // namespace lasynth
