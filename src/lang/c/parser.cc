#include "lang/c/parser.h"

#include <fmt/format.h>

#include "core/error.h"
#include "lang/c/tokens.h"
#include "lang/token_parser.h"

namespace lasynth {
namespace c {
namespace {

bool is_program_token(int32_t t) { return t >= kInt && t < kNumTokens; }

class Parser : public TokenParser {
 public:
  Parser(const std::vector<int32_t>& ids, bool prefix)
      : TokenParser(ids, prefix, vocabulary(), kMaxProgramTokens, kMaxNesting, &is_program_token) {}

  Program program() {
    Program p;
    try {
      for (Tok t :
           {kInt, kStar, kFunc1, kLParen, kInt, kArr, kLBracket, kRBracket, kRParen, kLBrace}) {
        expect(t, "the header `int * func_1(int a[]) {`");
      }
    } catch (const OutOfTokens&) {
      return p;
    }
    try {
      while (peek_is(kInt)) p.decls.push_back(decl());
    } catch (const OutOfTokens&) {
      return p;
    }
    p.body = statements(/*in_block=*/false);
    if (truncated_) return p;
    try {
      expect(kReturn, "a statement or `return a;`");
      expect(kArr, "`a` after `return`");
      expect(kSemi, "`;` after `return a`");
      expect(kRBrace, "`}` closing the function");
    } catch (const OutOfTokens&) {
      return p;
    }
    if (pos_ < ids_.size()) fail("nothing after the function's closing `}`");
    return p;
  }

 private:
  int literal() {
    const int32_t t = peek();
    if (!is_num(t)) fail("expected an integer literal");
    ++pos_;
    return t - kNum0;
  }

  Decl decl() {
    expect(kInt, "`int`");
    const int32_t t = peek();
    if (!is_var(t)) fail("expected a local variable name (l_0..l_7, p_0..p_7)");
    Decl d;
    d.var = t - kVar0;
    if (declared_[d.var]) fail(fmt::format("variable {} is declared twice", var_name(d.var)));
    ++pos_;
    expect(kAssign, "`=` and a constant initialiser");
    const bool negative = accept(kMinus);
    d.init = negative ? -literal() : literal();
    expect(kSemi, "`;` after the declaration");
    declared_[d.var] = true;
    return d;
  }

  // Statements up to the closing `}` of a block (not consumed) or, at the top level, up to
  // `return`. In prefix mode a statement cut short ends the list and marks the parse truncated.
  std::vector<Stmt> statements(bool in_block) {
    std::vector<Stmt> out;
    while (true) {
      try {
        const int32_t t = peek();
        if (t == kRBrace || (!in_block && t == kReturn)) break;
        if (t == kEos) fail(in_block ? "expected a statement or `}`" : "expected `return a;`");
        if (t == kInt) fail("declarations must come before every statement");
        out.push_back(statement());
        // A compound statement whose body ran out is kept with what its header fixed.
        if (truncated_) return out;
      } catch (const OutOfTokens&) {
        truncated_ = true;
        return out;
      }
    }
    return out;
  }

  std::vector<Stmt> block() {
    NestingGuard guard(this);
    expect(kLBrace, "`{` (blocks need braces)");
    std::vector<Stmt> body = statements(/*in_block=*/true);
    if (!truncated_) expect(kRBrace, "`}`");
    return body;
  }

  Stmt statement() {
    const int32_t t = peek();
    Stmt s;
    if (t == kIf) {
      ++pos_;
      s.kind = Stmt::Kind::kIf;
      s.value = condition();
      s.body = block();
      if (truncated_) return s;
      if (at_end_of_prefix()) {
        // The tokens end right after the then-block: the if is complete as it stands.
        truncated_ = true;
        return s;
      }
      if (accept(kElse)) {
        s.has_else = true;
        if (at_end_of_prefix()) {
          truncated_ = true;  // `else` with its block not yet open: an empty else so far
          return s;
        }
        s.else_body = block();
      }
      return s;
    }
    if (t == kFor) {
      ++pos_;
      s.kind = Stmt::Kind::kFor;
      expect(kLParen, "`(` after `for`");
      s.init = std::make_unique<Stmt>(simple());
      expect(kSemi, "`;` after the loop's initialisation");
      s.value = expr();
      expect(kSemi, "`;` after the loop's condition");
      s.step = std::make_unique<Stmt>(simple());
      expect(kRParen, "`)` closing the loop header");
      s.body = block();
      return s;
    }
    if (t == kWhile) {
      ++pos_;
      s.kind = Stmt::Kind::kWhile;
      s.value = condition();
      s.body = block();
      return s;
    }
    s = simple();
    expect(kSemi, "`;` after the statement");
    return s;
  }

  std::unique_ptr<Expr> condition() {
    expect(kLParen, "`(` before the condition");
    auto c = expr();
    expect(kRParen, "`)` after the condition");
    return c;
  }

  Stmt simple() {
    Stmt s;
    s.kind = Stmt::Kind::kAssign;
    s.target = lvalue();
    switch (peek()) {
      case kAssign:
        s.op = AssignOp::kSet;
        break;
      case kAddAssign:
        s.op = AssignOp::kAdd;
        break;
      case kSubAssign:
        s.op = AssignOp::kSub;
        break;
      case kMulAssign:
        s.op = AssignOp::kMul;
        break;
      case kInc:
        s.op = AssignOp::kInc;
        break;
      case kDec:
        s.op = AssignOp::kDec;
        break;
      default:
        fail("expected `=`, `+=`, `-=`, `*=`, `++` or `--`");
    }
    ++pos_;
    if (s.op != AssignOp::kInc && s.op != AssignOp::kDec) s.value = expr();
    return s;
  }

  std::unique_ptr<Expr> lvalue() {
    const int32_t t = peek();
    if (t == kArr) return array_cell();
    if (is_var(t)) return variable();
    fail("expected a statement: an assignment to a local or to a[...], if, for or while");
  }

  std::unique_ptr<Expr> variable() {
    const int k = peek() - kVar0;
    if (!declared_[k]) {
      fail(
          fmt::format("variable {} is used but not declared; declare it first, e.g. "
                      "`int {} = 0;`",
                      var_name(k), var_name(k)));
    }
    ++pos_;
    return Expr::var(k);
  }

  std::unique_ptr<Expr> array_cell() {
    NestingGuard guard(this);
    expect(kArr, "`a`");
    expect(kLBracket, "`[` after `a` (the array is only read and written by index)");
    auto i = expr();
    expect(kRBracket, "`]`");
    return Expr::index(std::move(i));
  }

  std::unique_ptr<Expr> expr() { return binary(1); }

  static int precedence_of(int32_t t, BinOp* op) {
    switch (t) {
      case kOrOr:
        *op = BinOp::kOr;
        return 1;
      case kAndAnd:
        *op = BinOp::kAnd;
        return 2;
      case kEq:
        *op = BinOp::kEq;
        return 3;
      case kNe:
        *op = BinOp::kNe;
        return 3;
      case kLt:
        *op = BinOp::kLt;
        return 4;
      case kLe:
        *op = BinOp::kLe;
        return 4;
      case kGt:
        *op = BinOp::kGt;
        return 4;
      case kGe:
        *op = BinOp::kGe;
        return 4;
      case kPlus:
        *op = BinOp::kAdd;
        return 5;
      case kMinus:
        *op = BinOp::kSub;
        return 5;
      case kStar:
        *op = BinOp::kMul;
        return 6;
      case kSlash:
        *op = BinOp::kDiv;
        return 6;
      case kPercent:
        *op = BinOp::kMod;
        return 6;
      default:
        return 0;
    }
  }

  // Precedence climbing over the left-associative binary operators of C.
  std::unique_ptr<Expr> binary(int min_precedence) {
    if (min_precedence > 6) return unary();
    auto lhs = binary(min_precedence + 1);
    while (true) {
      BinOp op = BinOp::kAdd;
      if (precedence_of(peek(), &op) != min_precedence) return lhs;
      ++pos_;
      lhs = Expr::binary(op, std::move(lhs), binary(min_precedence + 1));
    }
  }

  std::unique_ptr<Expr> unary() {
    NestingGuard guard(this);
    const int32_t t = peek();
    if (t == kNot) {
      ++pos_;
      return Expr::negation(unary());
    }
    if (t == kMinus) {
      ++pos_;
      if (!is_num(peek())) fail("unary `-` is only allowed before an integer literal");
      return Expr::constant(-literal());
    }
    if (is_num(t)) return Expr::constant(literal());
    if (is_var(t)) return variable();
    if (t == kArr) return array_cell();
    if (t == kLParen) {
      ++pos_;
      auto e = expr();
      expect(kRParen, "`)`");
      return e;
    }
    fail("expected an expression: a literal, a local, a[...], `!`, `-` or `(`");
  }

  bool declared_[kNumVars] = {};
};

}  // namespace

Program parse(const std::vector<int32_t>& ids) { return Parser(ids, false).program(); }

Program parse_prefix(const std::vector<int32_t>& ids) { return Parser(ids, true).program(); }

}  // namespace c
}  // namespace lasynth
