#include "lang/c/ast.h"

#include <algorithm>

namespace lasynth {
namespace c {

std::unique_ptr<Expr> Expr::constant(int32_t v) {
  auto e = std::make_unique<Expr>();
  e->kind = Kind::kConst;
  e->value = v;
  return e;
}

std::unique_ptr<Expr> Expr::var(int k) {
  auto e = std::make_unique<Expr>();
  e->kind = Kind::kVar;
  e->value = k;
  return e;
}

std::unique_ptr<Expr> Expr::index(std::unique_ptr<Expr> i) {
  auto e = std::make_unique<Expr>();
  e->kind = Kind::kIndex;
  e->lhs = std::move(i);
  return e;
}

std::unique_ptr<Expr> Expr::negation(std::unique_ptr<Expr> x) {
  auto e = std::make_unique<Expr>();
  e->kind = Kind::kNot;
  e->lhs = std::move(x);
  return e;
}

std::unique_ptr<Expr> Expr::binary(BinOp op, std::unique_ptr<Expr> l, std::unique_ptr<Expr> r) {
  auto e = std::make_unique<Expr>();
  e->kind = Kind::kBinary;
  e->op = op;
  e->lhs = std::move(l);
  e->rhs = std::move(r);
  return e;
}

namespace {

template <typename T>
bool same_ptr(const std::unique_ptr<T>& a, const std::unique_ptr<T>& b) {
  if (!a || !b) return !a && !b;
  return *a == *b;
}

int depth_of(const std::vector<Stmt>& stmts) {
  int d = 0;
  for (const Stmt& s : stmts) {
    if (s.kind == Stmt::Kind::kAssign) continue;
    d = std::max(d, 1 + std::max(depth_of(s.body), depth_of(s.else_body)));
  }
  return d;
}

int count_of(const std::vector<Stmt>& stmts) {
  int n = 0;
  for (const Stmt& s : stmts) n += 1 + count_of(s.body) + count_of(s.else_body);
  return n;
}

int kind_count(const std::vector<Stmt>& stmts, Stmt::Kind a, Stmt::Kind b) {
  int n = 0;
  for (const Stmt& s : stmts) {
    n += (s.kind == a || s.kind == b) + kind_count(s.body, a, b) + kind_count(s.else_body, a, b);
  }
  return n;
}

}  // namespace

bool operator==(const Expr& a, const Expr& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Expr::Kind::kConst:
    case Expr::Kind::kVar:
      return a.value == b.value;
    case Expr::Kind::kIndex:
    case Expr::Kind::kNot:
      return same_ptr(a.lhs, b.lhs);
    case Expr::Kind::kBinary:
      return a.op == b.op && same_ptr(a.lhs, b.lhs) && same_ptr(a.rhs, b.rhs);
  }
  return false;
}

bool operator==(const Stmt& a, const Stmt& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Stmt::Kind::kAssign:
      return a.op == b.op && same_ptr(a.target, b.target) &&
             (a.op == AssignOp::kInc || a.op == AssignOp::kDec || same_ptr(a.value, b.value));
    case Stmt::Kind::kIf:
      return same_ptr(a.value, b.value) && a.body == b.body && a.has_else == b.has_else &&
             a.else_body == b.else_body;
    case Stmt::Kind::kFor:
      return same_ptr(a.init, b.init) && same_ptr(a.value, b.value) && same_ptr(a.step, b.step) &&
             a.body == b.body;
    case Stmt::Kind::kWhile:
      return same_ptr(a.value, b.value) && a.body == b.body;
  }
  return false;
}

bool operator==(const Program& a, const Program& b) {
  if (a.decls.size() != b.decls.size()) return false;
  for (size_t i = 0; i < a.decls.size(); ++i) {
    if (a.decls[i].var != b.decls[i].var || a.decls[i].init != b.decls[i].init) return false;
  }
  return a.body == b.body;
}

int nesting_depth(const Program& p) { return depth_of(p.body); }
int statement_count(const Program& p) { return count_of(p.body); }
int loop_count(const Program& p) {
  return kind_count(p.body, Stmt::Kind::kFor, Stmt::Kind::kWhile);
}
int branch_count(const Program& p) { return kind_count(p.body, Stmt::Kind::kIf, Stmt::Kind::kIf); }

}  // namespace c
}  // namespace lasynth
