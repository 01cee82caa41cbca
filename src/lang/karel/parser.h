// Karel token ids to the AST, and the AST back to tokens.
#ifndef LASYNTH_LANG_KAREL_PARSER_H_
#define LASYNTH_LANG_KAREL_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "lang/karel/ast.h"

namespace lasynth {
namespace karel {

constexpr size_t kMaxProgramTokens = 4096;
constexpr int kMaxNesting = 64;

// Throws ParseError naming the token position, the token and what was expected.
Program parse(const std::vector<int32_t>& ids);

// The partial program the first ids.size() tokens determine: the statement being written is
// dropped and open blocks are closed (an IFELSE whose ELSE has not started gets an empty else).
// Throws ParseError for anything that is not the beginning of some program.
Program parse_prefix(const std::vector<int32_t>& ids);

// Token ids of the program; parse(to_tokens(p)) == p.
std::vector<int32_t> to_tokens(const Program& program);

}  // namespace karel
}  // namespace lasynth

#endif  // LASYNTH_LANG_KAREL_PARSER_H_
