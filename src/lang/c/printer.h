// Restricted-C programs back to tokens and to compilable C text. The output is canonical: equal
// programs print the same, and parse(print(p)) == p.
#ifndef LASYNTH_LANG_C_PRINTER_H_
#define LASYNTH_LANG_C_PRINTER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "lang/c/ast.h"

namespace lasynth {
namespace c {

// Token ids of the whole function, header and `return a;` included. Parentheses appear exactly
// where precedence needs them.
std::vector<int32_t> to_tokens(const Program& program);

// format(to_tokens(program)): a C function that gcc compiles.
std::string to_source(const Program& program);

}  // namespace c
}  // namespace lasynth

#endif  // LASYNTH_LANG_C_PRINTER_H_
