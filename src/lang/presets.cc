#include "lang/presets.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"

namespace lasynth {

// Each preset states every limit that shapes its programs, so that a later change of a domain's
// defaults does not change what the preset generates. The shares quoted are measured with
// `lasynth-datagen --preset NAME --train 20000` and `lasynth-data stats` (issue 15's note).
const std::vector<Preset>& presets() {
  static const std::vector<Preset> all = {
      {"paper",
       "c",
       "the paper's C task as far as it is stated: up to 8 statements nested 2 deep, 4 locals, "
       "for/while/if, half the for loops over the whole array, outputs in [-4, 4], up to 256 "
       "tokens (of 20,000 generated: 47% loop, 34% branch, 68 tokens on average)",
       {{"array_len", "5"},
        {"value_range", "4"},
        {"output_range", "4"},
        {"max_locals", "4"},
        {"max_statements", "8"},
        {"max_depth", "2"},
        {"whole_loops", "0.5"},
        {"max_tokens", "256"},
        {"const_min", "-4"},
        {"const_max", "8"},
        {"step_limit", "10000"},
        {"io_pairs", "10"},
        {"num_spec", "5"}}},
      {"small",
       "c",
       "a CPU-scale task of the paper's character: up to 4 statements nested 2 deep, 3 locals, "
       "half the for loops over the whole array, outputs in [-4, 4], up to 96 tokens (of 20,000 "
       "generated: 42% loop, 32% branch, 53 tokens on average)",
       {{"array_len", "5"},
        {"value_range", "4"},
        {"output_range", "4"},
        {"max_locals", "3"},
        {"max_statements", "4"},
        {"max_depth", "2"},
        {"whole_loops", "0.5"},
        {"max_tokens", "96"},
        {"const_min", "-4"},
        {"const_max", "8"},
        {"step_limit", "10000"},
        {"io_pairs", "10"},
        {"num_spec", "5"}}},
      {"karel",
       "karel",
       "the Karel benchmark's worlds and programs as far as they are known: 18 x 18 grids, up "
       "to 10 statements nested 3 deep, up to 80 tokens, 5 specifying worlds and 1 held out",
       {{"rows", "18"},
        {"cols", "18"},
        {"max_statements", "10"},
        {"max_depth", "3"},
        {"max_tokens", "80"},
        {"wall_density", "0.1"},
        {"marker_density", "0.1"},
        {"step_limit", "1000"},
        {"io_pairs", "6"},
        {"num_spec", "5"}}},
      {"karel-small",
       "karel",
       "a CPU-scale Karel task: 8 x 8 grids, up to 6 statements nested 2 deep, up to 40 tokens",
       {{"rows", "8"},
        {"cols", "8"},
        {"max_statements", "6"},
        {"max_depth", "2"},
        {"max_tokens", "40"},
        {"wall_density", "0.1"},
        {"marker_density", "0.1"},
        {"step_limit", "1000"},
        {"io_pairs", "6"},
        {"num_spec", "5"}}},
  };
  return all;
}

const Preset& find_preset(const std::string& name) {
  std::vector<std::string> names;
  for (const Preset& p : presets()) {
    if (p.name == name) return p;
    names.push_back(p.name);
  }
  throw ConfigError(
      fmt::format("no preset '{}'; the presets are {}", name, fmt::join(names, ", ")));
}

std::string describe_presets() {
  std::string out;
  for (const Preset& p : presets()) {
    std::string settings;
    for (const auto& [key, value] : p.options) {
      settings += fmt::format("{}{}={}", settings.empty() ? "" : " ", key, value);
    }
    out += fmt::format("  {} (domain {}): {}.\n      {}\n", p.name, p.domain, p.summary, settings);
  }
  return out;
}

}  // namespace lasynth
