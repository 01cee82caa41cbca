#include "lang/c/tokens.h"

#include <fmt/format.h>

#include <cctype>

#include "core/error.h"

namespace lasynth {
namespace c {
namespace {

std::vector<std::string> token_strings() {
  std::vector<std::string> t = {
      "int", "if", "else", "for", "while", "return", "func_1", "a",  "(",  ")",  "{",  "}",
      "[",   "]",  ";",    ",",   "=",     "+=",     "-=",     "*=", "++", "--", "+",  "-",
      "*",   "/",  "%",    "<",   "<=",    ">",      ">=",     "==", "!=", "&&", "||", "!"};
  for (int v = 0; v <= kMaxLiteral; ++v) t.push_back(std::to_string(v));
  for (int k = 0; k < kNumVars; ++k) t.push_back(var_name(k));
  return t;
}

// Tokens after which a `-` is binary (they end an operand).
bool ends_operand(int32_t t) {
  return is_num(t) || is_var(t) || t == kArr || t == kRParen || t == kRBracket || t == kInc ||
         t == kDec;
}

}  // namespace

const Vocabulary& vocabulary() {
  static const Vocabulary* vocab = [] {
    auto* v = new Vocabulary("c", kVocabularyVersion, token_strings());
    if (v->size() != kNumTokens) throw Error("restricted-C vocabulary and Tok disagree");
    return v;
  }();
  return *vocab;
}

std::string var_name(int k) {
  return k < kNumLocalNames ? fmt::format("l_{}", k) : fmt::format("p_{}", k - kNumLocalNames);
}

std::vector<std::string> tokenize(const std::string& text) {
  static const char* kOps[] = {"+=", "-=", "*=", "++", "--", "<=", ">=", "==", "!=", "&&",
                               "||", "(",  ")",  "{",  "}",  "[",  "]",  ";",  ",",  "=",
                               "+",  "-",  "*",  "/",  "%",  "<",  ">",  "!"};
  const Vocabulary& vocab = vocabulary();
  std::vector<std::string> tokens;
  size_t i = 0, line = 1, line_start = 0;
  auto fail = [&](size_t at, const std::string& what) {
    throw ParseError(fmt::format("line {}, column {}: {}", line, at - line_start + 1, what));
  };
  while (i < text.size()) {
    const unsigned char ch = static_cast<unsigned char>(text[i]);
    if (ch == '\n') {
      ++i;
      ++line;
      line_start = i;
      continue;
    }
    if (std::isspace(ch)) {
      ++i;
      continue;
    }
    if (std::isalpha(ch) || ch == '_' || std::isdigit(ch)) {
      size_t j = i;
      while (j < text.size() &&
             (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_')) {
        ++j;
      }
      std::string word = text.substr(i, j - i);
      if (vocab.find(word) < 0) {
        fail(i, fmt::format("'{}' is not in the restricted-C vocabulary (locals are l_0..l_7 and "
                            "p_0..p_7, literals 0..{})",
                            word.size() > 40 ? word.substr(0, 40) + "..." : word, kMaxLiteral));
      }
      tokens.push_back(std::move(word));
      i = j;
      continue;
    }
    bool matched = false;
    for (const char* op : kOps) {
      const size_t n = std::char_traits<char>::length(op);
      if (text.compare(i, n, op) == 0) {
        tokens.emplace_back(op);
        i += n;
        matched = true;
        break;
      }
    }
    if (!matched) {
      fail(i, std::isprint(ch) ? fmt::format("unexpected character '{}'", static_cast<char>(ch))
                               : fmt::format("unexpected byte 0x{:02x}", ch));
    }
  }
  return tokens;
}

std::string format(const std::vector<int32_t>& ids) {
  const Vocabulary& vocab = vocabulary();
  std::string out;
  int indent = 0, paren_depth = 0;
  bool line_start = true;
  int32_t prev = kPad;
  bool prev_unary = false;
  for (size_t i = 0; i < ids.size(); ++i) {
    const int32_t t = ids[i];
    if (t == kRBrace) {
      indent = std::max(0, indent - 1);
      if (!line_start) out += '\n';
      line_start = true;
    }
    if (line_start) {
      out.append(2 * indent, ' ');
    } else {
      bool space = true;
      if (t == kSemi || t == kComma || t == kRParen || t == kRBracket || t == kLBracket) {
        space = false;
      } else if ((t == kInc || t == kDec) && ends_operand(prev)) {
        space = false;
      } else if (prev == kLParen || prev == kLBracket || prev == kNot || prev_unary) {
        space = false;
      } else if (t == kLParen && prev == kFunc1) {
        space = false;
      }
      if (space) out += ' ';
    }
    out += vocab.token(t);
    line_start = false;
    prev_unary = t == kMinus && !ends_operand(prev);
    if (t == kLParen) ++paren_depth;
    if (t == kRParen) paren_depth = std::max(0, paren_depth - 1);
    const bool next_is_else = i + 1 < ids.size() && ids[i + 1] == kElse;
    if (t == kLBrace) {
      ++indent;
      out += '\n';
      line_start = true;
    } else if ((t == kSemi && paren_depth == 0) || (t == kRBrace && !next_is_else)) {
      out += '\n';
      line_start = true;
    }
    prev = t;
  }
  return out;
}

}  // namespace c
}  // namespace lasynth
