// Examples rendered for people: the program, then each input -> output pair side by side.
#ifndef LASYNTH_DATA_TOOLS_PRETTY_H_
#define LASYNTH_DATA_TOOLS_PRETTY_H_

#include <string>

#include "lang/domain.h"

namespace lasynth {

void print_pretty(const Domain& domain, const Example& example, const std::string& title);

}  // namespace lasynth

#endif  // LASYNTH_DATA_TOOLS_PRETTY_H_
