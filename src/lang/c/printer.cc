#include "lang/c/printer.h"

#include "lang/c/tokens.h"

namespace lasynth {
namespace c {
namespace {

constexpr int kUnaryPrecedence = 7;
constexpr int kPrimaryPrecedence = 8;

int precedence(BinOp op) {
  switch (op) {
    case BinOp::kOr:
      return 1;
    case BinOp::kAnd:
      return 2;
    case BinOp::kEq:
    case BinOp::kNe:
      return 3;
    case BinOp::kLt:
    case BinOp::kLe:
    case BinOp::kGt:
    case BinOp::kGe:
      return 4;
    case BinOp::kAdd:
    case BinOp::kSub:
      return 5;
    case BinOp::kMul:
    case BinOp::kDiv:
    case BinOp::kMod:
      return 6;
  }
  return 0;
}

int precedence(const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::kBinary:
      return precedence(e.op);
    case Expr::Kind::kNot:
      return kUnaryPrecedence;
    case Expr::Kind::kConst:
      return e.value < 0 ? kUnaryPrecedence : kPrimaryPrecedence;
    default:
      return kPrimaryPrecedence;
  }
}

Tok op_token(BinOp op) {
  switch (op) {
    case BinOp::kOr:
      return kOrOr;
    case BinOp::kAnd:
      return kAndAnd;
    case BinOp::kEq:
      return kEq;
    case BinOp::kNe:
      return kNe;
    case BinOp::kLt:
      return kLt;
    case BinOp::kLe:
      return kLe;
    case BinOp::kGt:
      return kGt;
    case BinOp::kGe:
      return kGe;
    case BinOp::kAdd:
      return kPlus;
    case BinOp::kSub:
      return kMinus;
    case BinOp::kMul:
      return kStar;
    case BinOp::kDiv:
      return kSlash;
    case BinOp::kMod:
      return kPercent;
  }
  return kPad;
}

Tok op_token(AssignOp op) {
  switch (op) {
    case AssignOp::kSet:
      return kAssign;
    case AssignOp::kAdd:
      return kAddAssign;
    case AssignOp::kSub:
      return kSubAssign;
    case AssignOp::kMul:
      return kMulAssign;
    case AssignOp::kInc:
      return kInc;
    case AssignOp::kDec:
      return kDec;
  }
  return kPad;
}

class Printer {
 public:
  std::vector<int32_t> print(const Program& p) {
    out_ = {kInt, kStar, kFunc1, kLParen, kInt, kArr, kLBracket, kRBracket, kRParen, kLBrace};
    for (const Decl& d : p.decls) {
      out_.insert(out_.end(), {kInt, kVar0 + d.var, kAssign});
      constant(d.init);
      out_.push_back(kSemi);
    }
    for (const Stmt& s : p.body) stmt(s);
    out_.insert(out_.end(), {kReturn, kArr, kSemi, kRBrace});
    return std::move(out_);
  }

 private:
  void constant(int32_t v) {
    if (v < 0) out_.push_back(kMinus);
    out_.push_back(kNum0 + (v < 0 ? -v : v));
  }

  void expr(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::kConst:
        constant(e.value);
        break;
      case Expr::Kind::kVar:
        out_.push_back(kVar0 + e.value);
        break;
      case Expr::Kind::kIndex:
        out_.insert(out_.end(), {kArr, kLBracket});
        expr(*e.lhs);
        out_.push_back(kRBracket);
        break;
      case Expr::Kind::kNot:
        out_.push_back(kNot);
        operand(*e.lhs, precedence(*e.lhs) < kUnaryPrecedence);
        break;
      case Expr::Kind::kBinary: {
        const int p = precedence(e.op);
        operand(*e.lhs, precedence(*e.lhs) < p);
        out_.push_back(op_token(e.op));
        operand(*e.rhs, precedence(*e.rhs) <= p);
        break;
      }
    }
  }

  void operand(const Expr& e, bool parens) {
    if (parens) out_.push_back(kLParen);
    expr(e);
    if (parens) out_.push_back(kRParen);
  }

  void simple(const Stmt& s) {
    expr(*s.target);
    out_.push_back(op_token(s.op));
    if (s.op != AssignOp::kInc && s.op != AssignOp::kDec) expr(*s.value);
  }

  void block(const std::vector<Stmt>& body) {
    out_.push_back(kLBrace);
    for (const Stmt& s : body) stmt(s);
    out_.push_back(kRBrace);
  }

  void stmt(const Stmt& s) {
    switch (s.kind) {
      case Stmt::Kind::kAssign:
        simple(s);
        out_.push_back(kSemi);
        break;
      case Stmt::Kind::kIf:
        out_.insert(out_.end(), {kIf, kLParen});
        expr(*s.value);
        out_.push_back(kRParen);
        block(s.body);
        if (s.has_else) {
          out_.push_back(kElse);
          block(s.else_body);
        }
        break;
      case Stmt::Kind::kFor:
        out_.insert(out_.end(), {kFor, kLParen});
        simple(*s.init);
        out_.push_back(kSemi);
        expr(*s.value);
        out_.push_back(kSemi);
        simple(*s.step);
        out_.push_back(kRParen);
        block(s.body);
        break;
      case Stmt::Kind::kWhile:
        out_.insert(out_.end(), {kWhile, kLParen});
        expr(*s.value);
        out_.push_back(kRParen);
        block(s.body);
        break;
    }
  }

  std::vector<int32_t> out_;
};

}  // namespace

std::vector<int32_t> to_tokens(const Program& program) { return Printer().print(program); }

std::string to_source(const Program& program) { return format(to_tokens(program)); }

}  // namespace c
}  // namespace lasynth
