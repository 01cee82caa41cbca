#include "lang/karel/ast.h"

#include <algorithm>

namespace lasynth {
namespace karel {

int nesting_depth(const std::vector<Stmt>& body) {
  int d = 0;
  for (const Stmt& s : body) {
    if (s.kind == Stmt::Kind::kAction) continue;
    d = std::max(d, 1 + std::max(nesting_depth(s.body), nesting_depth(s.else_body)));
  }
  return d;
}

int statement_count(const std::vector<Stmt>& body) {
  int n = 0;
  for (const Stmt& s : body) n += 1 + statement_count(s.body) + statement_count(s.else_body);
  return n;
}

}  // namespace karel
}  // namespace lasynth
