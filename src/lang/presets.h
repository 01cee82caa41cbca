// Named tasks: complete generator settings a user names with --preset instead of spelling out
// every limit, so that "the paper's task" means the same programs in every run.
#ifndef LASYNTH_LANG_PRESETS_H_
#define LASYNTH_LANG_PRESETS_H_

#include <string>
#include <vector>

#include "lang/domain.h"

namespace lasynth {

struct Preset {
  std::string name;
  std::string domain;
  std::string summary;    // one line for --help
  DomainOptions options;  // every limit the task fixes; the domain's defaults fill the rest
};

// paper, small (restricted C), karel, karel-small.
const std::vector<Preset>& presets();

// Throws ConfigError naming the presets there are.
const Preset& find_preset(const std::string& name);

// "NAME (domain D): summary; settings k=v ..." for each preset, one per line.
std::string describe_presets();

}  // namespace lasynth

#endif  // LASYNTH_LANG_PRESETS_H_
