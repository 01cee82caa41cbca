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

namespace {

int kind_count(const std::vector<Stmt>& body, Stmt::Kind a, Stmt::Kind b) {
  int n = 0;
  for (const Stmt& s : body) {
    n += (s.kind == a || s.kind == b) + kind_count(s.body, a, b) + kind_count(s.else_body, a, b);
  }
  return n;
}

}  // namespace

int loop_count(const std::vector<Stmt>& body) {
  return kind_count(body, Stmt::Kind::kWhile, Stmt::Kind::kRepeat);
}
int branch_count(const std::vector<Stmt>& body) {
  return kind_count(body, Stmt::Kind::kIf, Stmt::Kind::kIfElse);
}

}  // namespace karel
}  // namespace lasynth
