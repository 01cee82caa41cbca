// Reading a domain's limits from DomainOptions (text by name) into its limits struct, with the
// same validation and messages in every domain.
#ifndef LASYNTH_LANG_OPTIONS_H_
#define LASYNTH_LANG_OPTIONS_H_

#include <string>
#include <variant>
#include <vector>

#include "lang/domain.h"

namespace lasynth {

// One limit: its key, where it lives in Limits, its accepted range and its help text.
template <typename Limits>
struct OptionField {
  const char* key;
  std::variant<int Limits::*, double Limits::*> member;
  double min, max;
  const char* help;
};

namespace options_internal {

// Parses `text` as the field's type within [min, max]; throws ConfigError naming domain and key.
double parse_number(const std::string& domain, const char* key, const std::string& text,
                    bool integer, double min, double max);
std::string format_number(double value, bool integer);
[[noreturn]] void unknown_option(const std::string& domain, const std::string& key,
                                 const std::vector<std::string>& known);

}  // namespace options_internal

// Starts from Limits{} and applies every option. Throws ConfigError for an unknown key or a
// value that is not a number of the field's type within its range.
template <typename Limits>
Limits parse_options(const std::string& domain, const std::vector<OptionField<Limits>>& fields,
                     const DomainOptions& options) {
  Limits limits;
  for (const auto& [key, text] : options) {
    const OptionField<Limits>* field = nullptr;
    for (const auto& f : fields) {
      if (key == f.key) field = &f;
    }
    if (!field) {
      std::vector<std::string> known;
      for (const auto& f : fields) known.push_back(f.key);
      options_internal::unknown_option(domain, key, known);
    }
    if (auto* m = std::get_if<int Limits::*>(&field->member)) {
      limits.*(*m) = static_cast<int>(
          options_internal::parse_number(domain, field->key, text, true, field->min, field->max));
    } else {
      limits.*(std::get<double Limits::*>(field->member)) =
          options_internal::parse_number(domain, field->key, text, false, field->min, field->max);
    }
  }
  return limits;
}

template <typename Limits>
DomainOptions options_of(const Limits& limits, const std::vector<OptionField<Limits>>& fields) {
  DomainOptions out;
  for (const auto& f : fields) {
    if (auto* m = std::get_if<int Limits::*>(&f.member)) {
      out[f.key] = options_internal::format_number(limits.*(*m), true);
    } else {
      out[f.key] =
          options_internal::format_number(limits.*(std::get<double Limits::*>(f.member)), false);
    }
  }
  return out;
}

template <typename Limits>
std::vector<DomainOptionSpec> option_specs(const std::vector<OptionField<Limits>>& fields) {
  const DomainOptions defaults = options_of(Limits{}, fields);
  std::vector<DomainOptionSpec> out;
  for (const auto& f : fields) {
    const bool integer = std::holds_alternative<int Limits::*>(f.member);
    out.push_back({f.key, defaults.at(f.key),
                   std::string(f.help) + " (" + (integer ? "integer" : "number") + " in [" +
                       options_internal::format_number(f.min, integer) + ", " +
                       options_internal::format_number(f.max, integer) + "])"});
  }
  return out;
}

}  // namespace lasynth

#endif  // LASYNTH_LANG_OPTIONS_H_
