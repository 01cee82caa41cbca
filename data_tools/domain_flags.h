// Command-line flags for every domain's limits (--array-len, --max-locals, ...), shared by the
// data tools so that each spells them the same way and --help lists them with their defaults.
#ifndef LASYNTH_DATA_TOOLS_DOMAIN_FLAGS_H_
#define LASYNTH_DATA_TOOLS_DOMAIN_FLAGS_H_

#include <CLI/CLI.hpp>
#include <map>
#include <string>

#include "lang/domain.h"

namespace lasynth {

class DomainFlags {
 public:
  // Adds --domain and --preset (unless the command fixes the domain) and one flag per limit of
  // any domain.
  void add_to(CLI::App* app, bool with_domain = true);

  // --domain, else the preset's domain, else c. Throws ConfigError when --domain names another
  // domain than --preset's.
  std::string domain() const;
  // The preset's name, or "" without --preset.
  const std::string& preset() const { return preset_; }

  // The preset's limits overridden by those given on the command line, ready for make_domain. A
  // limit that the chosen domain does not have is reported by make_domain.
  DomainOptions options() const;

 private:
  std::string domain_ = "c";
  std::string preset_;
  CLI::Option* domain_flag_ = nullptr;
  std::map<std::string, std::string> values_;
  std::map<std::string, CLI::Option*> flags_;
};

}  // namespace lasynth

#endif  // LASYNTH_DATA_TOOLS_DOMAIN_FLAGS_H_
