// A program written in pieces, for the domains' tests of Domain::ends_statement and
// Domain::check_prefix: its tokens, where its pieces end, and every prefix of it.
#ifndef LASYNTH_TESTS_LANG_PREFIXES_H_
#define LASYNTH_TESTS_LANG_PREFIXES_H_

#include <string>
#include <vector>

#include "lang/domain.h"

namespace lasynth {
namespace testing {

struct PiecedProgram {
  std::vector<std::string> tokens;
  std::vector<size_t> inner_ends;  // token counts where a piece ends, but the first and the last

  // The first n tokens.
  std::vector<std::string> prefix(size_t n) const {
    return {tokens.begin(), tokens.begin() + static_cast<long>(n)};
  }
  // The lengths n of the prefixes that `domain` says end a statement.
  std::vector<size_t> statement_ends(const Domain& domain) const {
    std::vector<size_t> ends;
    for (size_t n = 0; n <= tokens.size(); ++n) {
      if (domain.ends_statement(prefix(n))) ends.push_back(n);
    }
    return ends;
  }
};

template <typename Tokenize>
PiecedProgram pieced_program(const std::vector<std::string>& pieces, Tokenize tokenize) {
  PiecedProgram p;
  for (size_t i = 0; i < pieces.size(); ++i) {
    for (const std::string& t : tokenize(pieces[i])) p.tokens.push_back(t);
    if (i > 0 && i + 1 < pieces.size()) p.inner_ends.push_back(p.tokens.size());
  }
  return p;
}

}  // namespace testing
}  // namespace lasynth

#endif  // LASYNTH_TESTS_LANG_PREFIXES_H_
