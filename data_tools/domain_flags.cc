#include "domain_flags.h"

#include <algorithm>

#include "lang/domains.h"

namespace lasynth {

void DomainFlags::add_to(CLI::App* app) {
  app->add_option("--domain", domain_, "program domain")
      ->check(CLI::IsMember(domain_names()))
      ->capture_default_str();
  for (const std::string& name : domain_names()) {
    for (const DomainOptionSpec& spec : domain_option_specs(name)) {
      if (flags_.count(spec.key)) continue;
      std::string flag = "--" + spec.key;
      std::replace(flag.begin(), flag.end(), '_', '-');
      flags_[spec.key] =
          app->add_option(flag, values_[spec.key],
                          spec.help + " [" + name + " default: " + spec.default_value + "]");
      flags_[spec.key]->group("Domain limits");
    }
  }
}

DomainOptions DomainFlags::options() const {
  DomainOptions out;
  for (const auto& [key, flag] : flags_) {
    if (flag->count() > 0) out[key] = values_.at(key);
  }
  return out;
}

}  // namespace lasynth
