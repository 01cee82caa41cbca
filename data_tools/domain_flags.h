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
  // Adds --domain (unless the command fixes the domain) and one flag per limit of any domain.
  void add_to(CLI::App* app, bool with_domain = true);

  const std::string& domain() const { return domain_; }

  // The limits given on the command line (only those), ready for make_domain. A limit that the
  // chosen domain does not have is reported by make_domain.
  DomainOptions options() const;

 private:
  std::string domain_ = "c";
  std::map<std::string, std::string> values_;
  std::map<std::string, CLI::Option*> flags_;
};

}  // namespace lasynth

#endif  // LASYNTH_DATA_TOOLS_DOMAIN_FLAGS_H_
