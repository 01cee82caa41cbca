// The abstract syntax of restricted C. A program is
//
//   int * func_1(int a[]) { <declarations> <statements> return a; }
//
// where each declaration is `int v = constant;` and statements assign to locals or array cells,
// increment or decrement them, branch and loop. Expressions have no side effects, so evaluation
// order only decides which failure is reported when several could be.
#ifndef LASYNTH_LANG_C_AST_H_
#define LASYNTH_LANG_C_AST_H_

#include <cstdint>
#include <memory>
#include <vector>

namespace lasynth {
namespace c {

// In order of increasing precedence groups; see precedence() in printer.cc.
enum class BinOp : uint8_t {
  kOr,
  kAnd,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod
};

struct Expr {
  enum class Kind : uint8_t {
    kConst,   // value
    kVar,     // variable number `value`
    kIndex,   // a[lhs]
    kNot,     // !lhs
    kBinary,  // lhs op rhs
  };
  Kind kind = Kind::kConst;
  BinOp op = BinOp::kAdd;
  int32_t value = 0;
  std::unique_ptr<Expr> lhs, rhs;

  static std::unique_ptr<Expr> constant(int32_t v);
  static std::unique_ptr<Expr> var(int k);
  static std::unique_ptr<Expr> index(std::unique_ptr<Expr> i);
  static std::unique_ptr<Expr> negation(std::unique_ptr<Expr> e);
  static std::unique_ptr<Expr> binary(BinOp op, std::unique_ptr<Expr> l, std::unique_ptr<Expr> r);
};

enum class AssignOp : uint8_t { kSet, kAdd, kSub, kMul, kInc, kDec };

struct Stmt {
  enum class Kind : uint8_t {
    kAssign,  // target op value (kInc/kDec: target++ / target--, value unused)
    kIf,      // if (value) { body } else { else_body }
    kFor,     // for (init; value; step) { body }
    kWhile,   // while (value) { body }
  };
  Kind kind = Kind::kAssign;
  AssignOp op = AssignOp::kSet;
  bool has_else = false;
  std::unique_ptr<Expr> target;  // kAssign: a kVar or kIndex expression
  std::unique_ptr<Expr> value;   // kAssign: right-hand side; otherwise the condition
  std::vector<Stmt> body, else_body;
  std::unique_ptr<Stmt> init, step;  // kFor: assignments
};

struct Decl {
  int var = 0;
  int32_t init = 0;
};

struct Program {
  std::vector<Decl> decls;
  std::vector<Stmt> body;
};

bool operator==(const Expr& a, const Expr& b);
bool operator==(const Stmt& a, const Stmt& b);
bool operator==(const Program& a, const Program& b);
inline bool operator!=(const Program& a, const Program& b) { return !(a == b); }

// Nesting depth of if/for/while (0 for straight-line code) and number of statements, nested
// ones included (a for loop's init and step are part of the loop); loops are for and while
// statements, branches if statements (with or without else), nested ones included.
int nesting_depth(const Program& p);
int statement_count(const Program& p);
int loop_count(const Program& p);
int branch_count(const Program& p);

}  // namespace c
}  // namespace lasynth

#endif  // LASYNTH_LANG_C_AST_H_
