// The public Karel benchmark's JSON lines as an ExternalFormat (import-karel, export --format
// karel). Unknown fields survive a read and write of benchmark.h, not a trip through a dataset.
#ifndef LASYNTH_LANG_KAREL_BENCHMARK_FORMAT_H_
#define LASYNTH_LANG_KAREL_BENCHMARK_FORMAT_H_

#include "lang/external_format.h"

namespace lasynth {
namespace karel {

class BenchmarkFormat : public ExternalFormat {
 public:
  std::string name() const override { return "karel"; }
  std::string domain() const override { return "karel"; }
  std::string description() const override {
    return "the public Karel benchmark (JSON lines: guid, program_tokens, examples with "
           "inpgrid_json/outgrid_json)";
  }
  DomainOptions detect_options(const std::string& path) const override;
  std::vector<Example> read(const Domain& domain, const std::string& path,
                            ImportReport* report) const override;
  void write(const Domain& domain, const std::vector<Example>& examples,
             const std::string& path) const override;
};

}  // namespace karel
}  // namespace lasynth

#endif  // LASYNTH_LANG_KAREL_BENCHMARK_FORMAT_H_
