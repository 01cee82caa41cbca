// Helpers shared by the restricted-C tests.
#ifndef LASYNTH_TESTS_LANG_C_TEST_UTIL_H_
#define LASYNTH_TESTS_LANG_C_TEST_UTIL_H_

#include <string>
#include <vector>

#include "lang/c/ast.h"
#include "lang/c/interpreter.h"
#include "lang/c/parser.h"
#include "lang/c/tokens.h"
#include "lang/domain.h"

namespace lasynth {
namespace c {
namespace testing {

inline Program parse_text(const std::string& text) {
  return parse(vocabulary().encode(tokenize(text)));
}

// Wraps `body` (declarations and statements) into the function.
inline std::string function(const std::string& body) {
  return "int * func_1(int a[]) {\n" + body + "\nreturn a;\n}\n";
}

struct Run {
  ExecStatus status;
  Value output;
};

inline Run run_text(const std::string& body, Value input, int64_t step_limit = 10000) {
  const Program p = parse_text(function(body));
  const Executable exe(p, static_cast<int>(input.size()));
  Value out(input.size());
  const ExecStatus status = exe.run(input.data(), out.data(), step_limit);
  return {status, out};
}

}  // namespace testing
}  // namespace c
}  // namespace lasynth

#endif  // LASYNTH_TESTS_LANG_C_TEST_UTIL_H_
