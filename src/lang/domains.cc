#include "lang/domains.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"
#include "lang/c/c_domain.h"

namespace lasynth {

std::vector<std::string> domain_names() { return {"c"}; }

std::vector<DomainOptionSpec> domain_option_specs(const std::string& name) {
  if (name == "c") return c::CDomain::option_specs();
  throw ConfigError(
      fmt::format("unknown domain '{}'; known domains: {}", name, fmt::join(domain_names(), ", ")));
}

std::unique_ptr<Domain> make_domain(const std::string& name, const DomainOptions& options) {
  if (name == "c") return std::make_unique<c::CDomain>(options);
  throw ConfigError(
      fmt::format("unknown domain '{}'; known domains: {}", name, fmt::join(domain_names(), ", ")));
}

}  // namespace lasynth
