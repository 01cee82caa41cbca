// The command line's side of core/fields.h: each setting a struct lists becomes a flag of the same
// name. Torch-free.
#ifndef LASYNTH_APP_FLAG_BINDING_H_
#define LASYNTH_APP_FLAG_BINDING_H_

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <string>
#include <type_traits>

#include "app/cli_checks.h"
#include "core/error.h"
#include "core/fields.h"

namespace lasynth {
namespace app {

// Binds each setting a struct lists to a flag of the same name, with its help, group and check.
template <typename S>
class FlagBinder {
 public:
  FlagBinder(CLI::App* app, S* target) : app_(app), target_(target) {}

  void group(const char* name) { group_ = name; }

  template <typename T>
  void operator()(const char* key, T S::*member, const char* help, const Check& check = {}) {
    T& value = target_->*member;
    const std::string flag = std::string("--") + key;
    CLI::Option* option = nullptr;
    if constexpr (std::is_same_v<T, bool>) {
      option = app_->add_flag(flag, value, help);
    } else {
      option = app_->add_option(flag, value, help);
    }
    option->group(group_);
    if constexpr (std::is_unsigned_v<T> && !std::is_same_v<T, bool>) {
      option->check(non_negative_integer());
    }
    if (!check.choices.empty()) {
      option->check(CLI::IsMember(check.choices));
      return;
    }
    if (describe(check).empty()) return;
    option->check(CLI::Validator(
        [key, check](std::string& text) -> std::string {
          T parsed{};
          if (!CLI::detail::lexical_cast(text, parsed)) return "";  // CLI11 itself says why
          try {
            check_value("", key, parsed, check);
          } catch (const ConfigError&) {
            return fmt::format("{} is not {}", text, describe(check));  // CLI11 names the flag
          }
          return "";
        },
        describe(check)));
  }

 private:
  CLI::App* app_;
  S* target_;
  std::string group_;
};

// Adds a flag --KEY for every setting S::fields lists, bound to `target`'s member, with its help,
// group and check (the check also applies to config files, which go through the flags).
template <typename S>
void bind_fields(CLI::App* app, S* target) {
  FlagBinder<S> binder(app, target);
  S::fields(binder);
}

}  // namespace app
}  // namespace lasynth

#endif  // LASYNTH_APP_FLAG_BINDING_H_
