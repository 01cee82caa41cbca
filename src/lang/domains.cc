#include "lang/domains.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"
#include "lang/c/c_domain.h"
#include "lang/c/original_format.h"
#include "lang/karel/benchmark_format.h"
#include "lang/karel/karel_domain.h"

namespace lasynth {

namespace {

ConfigError unknown_domain(const std::string& name) {
  return ConfigError(
      fmt::format("unknown domain '{}'; known domains: {}", name, fmt::join(domain_names(), ", ")));
}

}  // namespace

std::vector<std::string> domain_names() { return {"c", "karel"}; }

std::vector<DomainOptionSpec> domain_option_specs(const std::string& name) {
  if (name == "c") return c::CDomain::option_specs();
  if (name == "karel") return karel::KarelDomain::option_specs();
  throw unknown_domain(name);
}

std::unique_ptr<Domain> make_domain(const std::string& name, const DomainOptions& options) {
  if (name == "c") return std::make_unique<c::CDomain>(options);
  if (name == "karel") return std::make_unique<karel::KarelDomain>(options);
  throw unknown_domain(name);
}

std::vector<std::unique_ptr<ExternalFormat>> external_formats() {
  std::vector<std::unique_ptr<ExternalFormat>> out;
  out.push_back(std::make_unique<karel::BenchmarkFormat>());
  out.push_back(std::make_unique<c::OriginalFormat>());
  return out;
}

}  // namespace lasynth
