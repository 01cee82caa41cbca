// The restricted-C vocabulary (version 1) and the conversions between program text and tokens.
//
// Token ids are fixed: the specials 0..2 of every Vocabulary, then the entries of Tok in order.
// Names are Csmith-style: l_0..l_7 for locals and p_0..p_7 for loop counters (both are locals to
// the language), so the vocabulary stays closed. Integer literals are 0..16; a negative constant is
// the two tokens `-` `N`.
#ifndef LASYNTH_LANG_C_TOKENS_H_
#define LASYNTH_LANG_C_TOKENS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "lang/vocabulary.h"

namespace lasynth {
namespace c {

constexpr int kVocabularyVersion = 1;
constexpr int kMaxLiteral = 16;
constexpr int kNumLocalNames = 8;  // per prefix: l_0..l_7 and p_0..p_7
constexpr int kNumVars = 2 * kNumLocalNames;

// clang-format off
enum Tok : int32_t {
  kPad = 0, kBos = 1, kEos = 2,
  kInt, kIf, kElse, kFor, kWhile, kReturn, kFunc1, kArr,
  kLParen, kRParen, kLBrace, kRBrace, kLBracket, kRBracket, kSemi, kComma,
  kAssign, kAddAssign, kSubAssign, kMulAssign, kInc, kDec,
  kPlus, kMinus, kStar, kSlash, kPercent,
  kLt, kLe, kGt, kGe, kEq, kNe, kAndAnd, kOrOr, kNot,
  kNum0,                                 // kNum0 + v is the literal v, 0 <= v <= kMaxLiteral
  kVar0 = kNum0 + kMaxLiteral + 1,       // kVar0 + k is variable k: l_k for k < 8, p_(k-8) after
  kNumTokens = kVar0 + kNumVars,
};
// clang-format on

inline bool is_num(int32_t t) { return t >= kNum0 && t <= kNum0 + kMaxLiteral; }
inline bool is_var(int32_t t) { return t >= kVar0 && t < kVar0 + kNumVars; }

// The version-1 vocabulary; built once, shared.
const Vocabulary& vocabulary();

// Name of variable k (0 <= k < kNumVars): "l_3", "p_0".
std::string var_name(int k);

// Splits C text into tokens of the vocabulary. Throws ParseError naming line, column and the
// offending text for a character or word that is not in the language.
std::vector<std::string> tokenize(const std::string& text);

// Lays tokens out as readable, compilable C: one statement per line, two-space indentation.
// tokenize(format(t)) == t for every token sequence t of the vocabulary.
std::string format(const std::vector<int32_t>& ids);

}  // namespace c
}  // namespace lasynth

#endif  // LASYNTH_LANG_C_TOKENS_H_
