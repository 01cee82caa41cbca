#include "lang/options.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "core/error.h"

namespace lasynth {
namespace options_internal {

double parse_number(const std::string& domain, const char* key, const std::string& text,
                    bool integer, double min, double max) {
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  const bool ok = !text.empty() && *end == '\0' && errno == 0 && std::isfinite(value) &&
                  (!integer || value == std::floor(value)) && value >= min && value <= max;
  if (!ok) {
    throw ConfigError(fmt::format("domain {}: {} = '{}' is not {} in [{}, {}]", domain, key, text,
                                  integer ? "an integer" : "a number", format_number(min, integer),
                                  format_number(max, integer)));
  }
  return value;
}

std::string format_number(double value, bool integer) {
  return integer ? fmt::format("{}", static_cast<long long>(value)) : fmt::format("{}", value);
}

void unknown_option(const std::string& domain, const std::string& key,
                    const std::vector<std::string>& known) {
  throw ConfigError(fmt::format("domain {} has no option '{}'; its options are: {}", domain, key,
                                fmt::join(known, ", ")));
}

}  // namespace options_internal
}  // namespace lasynth
