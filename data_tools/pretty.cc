#include "pretty.h"

#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <sstream>
#include <vector>

namespace lasynth {
namespace {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

void print_pretty(const Domain& domain, const Example& ex, const std::string& title) {
  std::cout << fmt::format("# {} ({} tokens)\n{}", title, ex.tokens.size(), ex.source);
  if (ex.source.empty() || ex.source.back() != '\n') std::cout << '\n';
  for (size_t i = 0; i < ex.io.size(); ++i) {
    const auto in = split_lines(domain.value_to_text(ex.io[i].input));
    const auto out = split_lines(domain.value_to_text(ex.io[i].output));
    size_t width = 0;
    for (const auto& l : in) width = std::max(width, l.size());
    const char* label = static_cast<int>(i) < domain.num_spec() ? "spec" : "held-out";
    for (size_t k = 0; k < std::max(in.size(), out.size()); ++k) {
      std::cout << fmt::format("  {:<9} {:<{}}  {}  {}\n", k == 0 ? label : "",
                               k < in.size() ? in[k] : "", width, k == 0 ? "->" : "  ",
                               k < out.size() ? out[k] : "");
    }
  }
  std::cout << '\n';
}

}  // namespace lasynth
