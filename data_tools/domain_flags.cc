#include "domain_flags.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"
#include "lang/domains.h"
#include "lang/presets.h"

namespace lasynth {

void DomainFlags::add_to(CLI::App* app, bool with_domain) {
  if (with_domain) {
    domain_flag_ = app->add_option("--domain", domain_, "program domain")
                       ->check(CLI::IsMember(domain_names()))
                       ->capture_default_str();
    std::vector<std::string> names;
    for (const Preset& p : presets()) names.push_back(p.name);
    app->add_option("--preset", preset_,
                    "a named task: its domain and limits; flags given beside it override its "
                    "limits. The presets:\n" +
                        describe_presets())
        ->check(CLI::IsMember(names));
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

std::string DomainFlags::domain() const {
  if (preset_.empty()) return domain_;
  const Preset& p = find_preset(preset_);
  if (domain_flag_ && domain_flag_->count() > 0 && domain_ != p.domain) {
    throw ConfigError(
        fmt::format("--domain {} and --preset {} disagree: the preset is a {} task; "
                    "drop --domain",
                    domain_, preset_, p.domain));
  }
  return p.domain;
}

DomainOptions DomainFlags::options() const {
  DomainOptions out = preset_.empty() ? DomainOptions{} : find_preset(preset_).options;
  for (const auto& [key, flag] : flags_) {
    if (flag->count() > 0) out[key] = values_.at(key);
  }
  return out;
}

}  // namespace lasynth
