// The registry of domains: the one place that knows every domain by name.
#ifndef LASYNTH_LANG_DOMAINS_H_
#define LASYNTH_LANG_DOMAINS_H_

#include <memory>
#include <string>
#include <vector>

#include "lang/domain.h"
#include "lang/external_format.h"

namespace lasynth {

// Names accepted by make_domain, e.g. {"c"}.
std::vector<std::string> domain_names();

// The limits a domain accepts, with defaults and help. Throws ConfigError for an unknown name.
std::vector<DomainOptionSpec> domain_option_specs(const std::string& name);

// Throws ConfigError for an unknown name, an unknown option or a value out of range.
std::unique_ptr<Domain> make_domain(const std::string& name, const DomainOptions& options = {});

// Every external data layout some domain imports and exports (see external_format.h).
std::vector<std::unique_ptr<ExternalFormat>> external_formats();

}  // namespace lasynth

#endif  // LASYNTH_LANG_DOMAINS_H_
