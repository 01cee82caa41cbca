#include "lang/c/limits.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "core/error.h"
#include "lang/c/parser.h"
#include "lang/c/tokens.h"

namespace lasynth {
namespace c {
namespace {

struct Field {
  const char* key;
  int Limits::*member;
  int min, max;
  const char* help;
};

const std::vector<Field>& fields() {
  static const std::vector<Field> kFields = {
      {"array_len", &Limits::array_len, 1, kMaxLiteral + 1, "length of the input array a[]"},
      {"value_range", &Limits::value_range, 1, kMaxLiteral,
       "inputs in [-R, R]; outputs must stay in [-4R, 4R]"},
      {"const_min", &Limits::const_min, -kMaxLiteral, kMaxLiteral,
       "smallest constant the generator writes"},
      {"const_max", &Limits::const_max, -kMaxLiteral, kMaxLiteral,
       "largest constant the generator writes"},
      {"max_locals", &Limits::max_locals, 0, kNumVars, "most local variables per program"},
      {"max_statements", &Limits::max_statements, 1, 64,
       "most statements per program, nested ones included"},
      {"max_depth", &Limits::max_depth, 0, 8, "deepest nesting of if/for/while"},
      {"max_tokens", &Limits::max_tokens, 16, static_cast<int>(kMaxProgramTokens),
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
  Limits limits;
  for (const auto& [key, text] : options) {
    const Field* field = nullptr;
    for (const Field& f : fields()) {
      if (key == f.key) field = &f;
    }
    if (!field) {
      std::string known;
      for (const Field& f : fields()) known += std::string(known.empty() ? "" : ", ") + f.key;
      throw ConfigError(
          fmt::format("domain c has no option '{}'; its options are: {}", key, known));
    }
    errno = 0;
    char* end = nullptr;
    const long value = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || errno != 0 || value < field->min || value > field->max) {
      throw ConfigError(fmt::format("domain c: {} = '{}' is not an integer in [{}, {}]", key, text,
                                    field->min, field->max));
    }
    limits.*(field->member) = static_cast<int>(value);
  }
  if (limits.const_min > limits.const_max) {
    throw ConfigError(fmt::format("domain c: const_min ({}) is above const_max ({})",
                                  limits.const_min, limits.const_max));
  }
  if (limits.num_spec > limits.io_pairs) {
    throw ConfigError(fmt::format("domain c: num_spec ({}) is above io_pairs ({})", limits.num_spec,
                                  limits.io_pairs));
  }
  return limits;
}

DomainOptions Limits::to_options() const {
  DomainOptions out;
  for (const Field& f : fields()) out[f.key] = std::to_string(this->*(f.member));
  return out;
}

std::vector<DomainOptionSpec> Limits::specs() {
  const Limits defaults;
  std::vector<DomainOptionSpec> out;
  for (const Field& f : fields()) {
    out.push_back({f.key, std::to_string(defaults.*(f.member)),
                   fmt::format("{} (integer in [{}, {}])", f.help, f.min, f.max)});
  }
  return out;
}

}  // namespace c
}  // namespace lasynth
