#include "domain_flags.h"

#include <algorithm>

#include "lang/domains.h"

namespace lasynth {

void DomainFlags::add_to(CLI::App* app, bool with_domain) {
  if (with_domain) {
    app->add_option("--domain", domain_, "program domain")
        ->check(CLI::IsMember(domain_names()))
        ->capture_default_str();
  }
  // A limit several domains share gets one flag; its help names each domain's default.
  struct Entry {
    std::vector<std::string> helps, defaults;
  };
  std::vector<std::string> order;
  std::map<std::string, Entry> entries;
  for (const std::string& name : domain_names()) {
    for (const DomainOptionSpec& spec : domain_option_specs(name)) {
      if (!entries.count(spec.key)) order.push_back(spec.key);
      Entry& e = entries[spec.key];
      const std::string help = name + ": " + spec.help;
      if (e.helps.empty() ||
          e.helps.back().substr(e.helps.back().find(": ")) != help.substr(help.find(": "))) {
        e.helps.push_back(help);
      }
      e.defaults.push_back(name + " " + spec.default_value);
    }
  }
  for (const std::string& key : order) {
    const Entry& e = entries[key];
    std::string help;
    for (const std::string& h : e.helps) {
      help += (help.empty() ? "" : "; ") + (e.helps.size() == 1 ? h.substr(h.find(": ") + 2) : h);
    }
    std::string defaults;
    for (const std::string& d : e.defaults) defaults += (defaults.empty() ? "" : ", ") + d;
    std::string flag = "--" + key;
    std::replace(flag.begin(), flag.end(), '_', '-');
    flags_[key] = app->add_option(flag, values_[key], help + " [default: " + defaults + "]");
    flags_[key]->group("Domain limits (each applies to the domains named in its default)");
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
