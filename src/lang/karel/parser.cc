#include "lang/karel/parser.h"

#include <fmt/format.h>

#include "core/error.h"
#include "lang/karel/tokens.h"
#include "lang/token_parser.h"

namespace lasynth {
namespace karel {
namespace {

bool is_program_token(int32_t t) {
  return t >= kDef && t < kNumTokens && (t < kRepeat0 || is_repeat_count(t));
}

class Parser : public TokenParser {
 public:
  Parser(const std::vector<int32_t>& ids, bool prefix)
      : TokenParser(ids, prefix, vocabulary(), kMaxProgramTokens, kMaxNesting, &is_program_token) {}

  Program program() {
    Program p;
    try {
      expect(kDef, "`DEF`");
      expect(kRun, "`run` after `DEF`");
      expect(kMOpen, "`m(` opening the program");
    } catch (const OutOfTokens&) {
      return p;
    }
    p.body = statements(kMClose);
    if (truncated_) return p;
    try {
      expect(kMClose, "a statement or `m)`");
    } catch (const OutOfTokens&) {
      return p;
    }
    if (pos_ < ids_.size()) fail("nothing may follow the program's closing `m)`");
    return p;
  }

 private:
  // Statements up to `closer` (not consumed).
  std::vector<Stmt> statements(int32_t closer) {
    std::vector<Stmt> out;
    while (true) {
      try {
        const int32_t t = peek();
        if (t == closer) return out;
        if (t == kEos)
          fail(fmt::format("expected a statement or `{}`", vocabulary().token(closer)));
        out.push_back(statement());
        if (truncated_) return out;
      } catch (const OutOfTokens&) {
        truncated_ = true;
        return out;
      }
    }
  }

  std::vector<Stmt> block(int32_t opener, int32_t closer) {
    NestingGuard guard(this);
    expect(opener, fmt::format("`{}`", vocabulary().token(opener)));
    std::vector<Stmt> body = statements(closer);
    if (!truncated_) expect(closer, fmt::format("`{}`", vocabulary().token(closer)));
    return body;
  }

  Cond condition() {
    NestingGuard guard(this);
    Cond c;
    if (accept(kNot)) {
      expect(kCOpen, "`c(` after `not`");
      c = condition();
      ++c.negations;
      expect(kCClose, "`c)` closing the negated condition");
      return c;
    }
    const int32_t t = peek();
    if (!is_condition(t)) {
      fail(
          "expected a condition: frontIsClear, leftIsClear, rightIsClear, markersPresent, "
          "noMarkersPresent or not c( ... c)");
    }
    ++pos_;
    c.sensor = static_cast<Sensor>(t - kFrontIsClear);
    return c;
  }

  Cond bracketed_condition() {
    expect(kCOpen, "`c(` before the condition");
    Cond c = condition();
    expect(kCClose, "`c)` after the condition");
    return c;
  }

  Stmt statement() {
    const int32_t t = peek();
    Stmt s;
    if (is_action(t)) {
      ++pos_;
      s.kind = Stmt::Kind::kAction;
      s.action = static_cast<Action>(t - kMove);
      return s;
    }
    switch (t) {
      case kIf:
        ++pos_;
        s.kind = Stmt::Kind::kIf;
        s.cond = bracketed_condition();
        s.body = block(kIOpen, kIClose);
        return s;
      case kIfElse:
        ++pos_;
        s.kind = Stmt::Kind::kIfElse;
        s.cond = bracketed_condition();
        s.body = block(kIOpen, kIClose);
        if (truncated_) return s;
        if (at_end_of_prefix()) {
          truncated_ = true;  // the else part has not started: it is empty so far
          return s;
        }
        expect(kElse, "`ELSE` after the IFELSE's i( ... i)");
        if (at_end_of_prefix()) {
          truncated_ = true;
          return s;
        }
        s.else_body = block(kEOpen, kEClose);
        return s;
      case kWhile:
        ++pos_;
        s.kind = Stmt::Kind::kWhile;
        s.cond = bracketed_condition();
        s.body = block(kWOpen, kWClose);
        return s;
      case kRepeat: {
        ++pos_;
        s.kind = Stmt::Kind::kRepeat;
        const int32_t count = peek();
        if (!is_repeat_count(count)) {
          fail(fmt::format("expected a repeat count R={}..R={}", kMinRepeat, kMaxRepeat));
        }
        ++pos_;
        s.times = count - kRepeat0;
        s.body = block(kROpen, kRClose);
        return s;
      }
      default:
        fail("expected a statement: an action, IF, IFELSE, WHILE or REPEAT");
    }
  }
};

void emit_cond(const Cond& c, std::vector<int32_t>* out) {
  for (int i = 0; i < c.negations; ++i) out->insert(out->end(), {kNot, kCOpen});
  out->push_back(kFrontIsClear + static_cast<int32_t>(c.sensor));
  for (int i = 0; i < c.negations; ++i) out->push_back(kCClose);
}

void emit(const std::vector<Stmt>& body, std::vector<int32_t>* out) {
  for (const Stmt& s : body) {
    switch (s.kind) {
      case Stmt::Kind::kAction:
        out->push_back(kMove + static_cast<int32_t>(s.action));
        break;
      case Stmt::Kind::kIf:
      case Stmt::Kind::kIfElse:
      case Stmt::Kind::kWhile: {
        const bool loop = s.kind == Stmt::Kind::kWhile;
        out->push_back(loop ? kWhile : s.kind == Stmt::Kind::kIf ? kIf : kIfElse);
        out->push_back(kCOpen);
        emit_cond(s.cond, out);
        out->push_back(kCClose);
        out->push_back(loop ? kWOpen : kIOpen);
        emit(s.body, out);
        out->push_back(loop ? kWClose : kIClose);
        if (s.kind == Stmt::Kind::kIfElse) {
          out->insert(out->end(), {kElse, kEOpen});
          emit(s.else_body, out);
          out->push_back(kEClose);
        }
        break;
      }
      case Stmt::Kind::kRepeat:
        out->insert(out->end(), {kRepeat, kRepeat0 + s.times, kROpen});
        emit(s.body, out);
        out->push_back(kRClose);
        break;
    }
  }
}

}  // namespace

Program parse(const std::vector<int32_t>& ids) { return Parser(ids, false).program(); }

Program parse_prefix(const std::vector<int32_t>& ids) { return Parser(ids, true).program(); }

std::vector<int32_t> to_tokens(const Program& program) {
  std::vector<int32_t> out = {kDef, kRun, kMOpen};
  emit(program.body, &out);
  out.push_back(kMClose);
  return out;
}

}  // namespace karel
}  // namespace lasynth
