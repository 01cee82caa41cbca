// Token ids to the restricted-C AST.
#ifndef LASYNTH_LANG_C_PARSER_H_
#define LASYNTH_LANG_C_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "lang/c/ast.h"

namespace lasynth {
namespace c {

// Longest program accepted, in tokens; longer input is refused before parsing.
constexpr size_t kMaxProgramTokens = 4096;
// Deepest nesting of blocks and parentheses accepted.
constexpr int kMaxNesting = 64;

// Parses a whole program. Throws ParseError naming the token position, the token and what was
// expected: unknown or misplaced tokens, unbalanced braces, a variable used before it is
// declared or declared twice, a literal out of range, input that is too long or nested too deep.
Program parse(const std::vector<int32_t>& ids);

// Parses the first `ids.size()` tokens of a program that may not be finished: the statement
// being written when the tokens run out is dropped and every open block is closed, so the result
// is the partial program those tokens already determine. Anything that is not a prefix of some
// valid program still throws ParseError.
Program parse_prefix(const std::vector<int32_t>& ids);

}  // namespace c
}  // namespace lasynth

#endif  // LASYNTH_LANG_C_PARSER_H_
