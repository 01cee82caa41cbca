// Data layouts from outside lasynth that a domain can import and export: the public Karel
// benchmark's JSON lines, the original LaSynth release's C files. Reached through the registry
// (domains.h), so the data tools never name a domain.
#ifndef LASYNTH_LANG_EXTERNAL_FORMAT_H_
#define LASYNTH_LANG_EXTERNAL_FORMAT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lang/domain.h"

namespace lasynth {

// What an import read, kept and skipped (with the first few reasons).
struct ImportReport {
  int64_t read = 0;
  int64_t imported = 0;
  std::map<std::string, int64_t> skipped;  // reason kind -> count
  std::vector<std::string> first_reasons;  // "where: why", the first few

  void skip(const std::string& kind, const std::string& where_why);
};

class ExternalFormat {
 public:
  virtual ~ExternalFormat() = default;
  virtual std::string name() const = 0;    // "karel": the command is import-karel
  virtual std::string domain() const = 0;  // the domain its programs belong to
  virtual std::string description() const = 0;

  // Domain options the source implies (grid size, pairs per task), read from its first task;
  // options the user gives win over these. Throws IoError when `path` cannot be read.
  virtual DomainOptions detect_options(const std::string& path) const = 0;

  // Every task of `path` the domain can hold, as examples whose outputs our interpreter
  // reproduces; the rest are skipped and reported. Throws IoError for an unreadable source and
  // ParseError (naming file and line) for a malformed one.
  virtual std::vector<Example> read(const Domain& domain, const std::string& path,
                                    ImportReport* report) const = 0;

  // Writes `examples` in this layout to `path`. Throws IoError.
  virtual void write(const Domain& domain, const std::vector<Example>& examples,
                     const std::string& path) const = 0;
};

}  // namespace lasynth

#endif  // LASYNTH_LANG_EXTERNAL_FORMAT_H_
