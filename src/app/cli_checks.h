// What every command line of lasynth's tools shares: a parse error is one line naming the tool,
// the flag and the value, and a range check names its bounds (CLI11's own one-sided checks print
// the type's whole range instead). Header-only: the data tools and the launcher use it without
// linking the lasynth command's libraries.
#ifndef LASYNTH_APP_CLI_CHECKS_H_
#define LASYNTH_APP_CLI_CHECKS_H_

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace lasynth {
namespace app {

// "TOOL: error: MESSAGE (TOOL --help lists the flags)", one line.
inline void one_line_errors(CLI::App& app, const std::string& tool) {
  app.failure_message([tool](const CLI::App*, const CLI::Error& e) {
    return fmt::format("{}: error: {} ({} --help lists the flags)\n", tool, e.what(), tool);
  });
}

// A number for which `ok` holds; otherwise "VALUE is not WHAT".
inline CLI::Validator number_where(std::function<bool(double)> ok, const std::string& what) {
  return CLI::Validator(
      [ok, what](std::string& text) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(text, value)) return fmt::format("{} is not a number", text);
        return ok(value) ? "" : fmt::format("{} is not {}", text, what);
      },
      what);
}
inline CLI::Validator number_in(double min, double max) {
  return number_where([min, max](double v) { return v >= min && v <= max; },
                      fmt::format("in [{}, {}]", min, max));
}
inline CLI::Validator at_least(double min) {
  return number_where([min](double v) { return v >= min; }, fmt::format("at least {}", min));
}
inline CLI::Validator positive() {
  return number_where([](double v) { return v > 0; }, "positive");
}

// An unsigned integer such as a seed: "-3" is refused, not read as 2^64 - 3.
inline CLI::Validator non_negative_integer() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
          return fmt::format("{} is not a non-negative integer", text);
        }
        return "";
      },
      "a non-negative integer");
}

}  // namespace app
}  // namespace lasynth

#endif  // LASYNTH_APP_CLI_CHECKS_H_
