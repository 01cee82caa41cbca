// The original LaSynth release's restricted-C data as an ExternalFormat (import-lasynth): a
// directory of pairs code_N.c / code_N.out. code_N.c holds `int * func_1(int a[])` and a main
// whose arrays `aI[K] = {...}` give, for input position I, its value in each of the K examples;
// code_N.out has one line per example: the output array's values separated by spaces.
#ifndef LASYNTH_LANG_C_ORIGINAL_FORMAT_H_
#define LASYNTH_LANG_C_ORIGINAL_FORMAT_H_

#include "lang/external_format.h"

namespace lasynth {
namespace c {

class OriginalFormat : public ExternalFormat {
 public:
  std::string name() const override { return "lasynth"; }
  std::string domain() const override { return "c"; }
  std::string description() const override {
    return "the original LaSynth data: a directory of code_N.c and code_N.out files";
  }
  DomainOptions detect_options(const std::string& path) const override;
  std::vector<Example> read(const Domain& domain, const std::string& path,
                            ImportReport* report) const override;
  void write(const Domain& domain, const std::vector<Example>& examples,
             const std::string& path) const override;
};

}  // namespace c
}  // namespace lasynth

#endif  // LASYNTH_LANG_C_ORIGINAL_FORMAT_H_
