// The original LaSynth release's restricted-C data as an ExternalFormat (import-lasynth, export
// --format lasynth). A directory holds one task per pair code_N.c / code_N.out:
//
//   code_N.c    int * func_1(int a[]);          the original's loader takes the program from
//               int * func_1(int a[])           the text after the *second* header, so the
//               { ... }                         prototype must be there
//               int main(void)
//               {
//                   int a0[5] = {1, (-3), 0, 2, 2};   aK: the INPUT array of example K, its
//                   ...                               values separated by ", "; a value may be
//                   int a4[5] = {...};                written in parentheses, (-3)
//                   ...                               (what main prints is code_N.out)
//               }
//   code_N.out  one line per example K: the output array's values, each followed by a space.
//
// Reading accepts any whitespace and a value with or without parentheses; writing produces what
// the original's loader (models/data_utils/data_utils.py) reads, and a main that prints the
// .out file when compiled and run.
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
  // array_len: the values of a0; io_pairs: the arrays a0, a1, ... of the first code_N.c. Throws
  // IoError for a missing directory and ParseError (file and line) for a malformed value.
  DomainOptions detect_options(const std::string& path) const override;
  std::vector<Example> read(const Domain& domain, const std::string& path,
                            ImportReport* report) const override;
  void write(const Domain& domain, const std::vector<Example>& examples,
             const std::string& path) const override;
};

}  // namespace c
}  // namespace lasynth

#endif  // LASYNTH_LANG_C_ORIGINAL_FORMAT_H_
