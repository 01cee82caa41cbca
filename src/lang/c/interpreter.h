// The restricted-C interpreter: the ground truth of the whole system (datasets, evaluation and
// retraining all trust it), checked against gcc by tests/lang/c.
//
// Semantics are C's with 32-bit two's-complement wrapping arithmetic (gcc -fwrapv). What C leaves
// undefined or what traps is a typed failure instead: division or modulo by zero, INT_MIN / -1
// and INT_MIN % -1, an array index outside [0, length). One step is counted for each statement
// executed and each loop-condition test; exceeding the step limit is a failure too, so every
// execution ends.
//
// A program is compiled once into a register bytecode (locals, constants and temporaries are slots
// of one int32 frame; comparisons in conditions fuse with their jump), then run many times.
#ifndef LASYNTH_LANG_C_INTERPRETER_H_
#define LASYNTH_LANG_C_INTERPRETER_H_

#include <cstdint>
#include <vector>

#include "lang/c/ast.h"
#include "lang/domain.h"

namespace lasynth {
namespace c {

// Immutable after construction; run() may be called from several threads at once.
class Executable {
 public:
  // Compiles `program` for arrays of `array_len` ints.
  Executable(const Program& program, int array_len);

  // Copies input[0..array_len) to output, runs the program on output in place, and returns how it
  // ended. On failure the contents of `output` are unspecified.
  ExecStatus run(const int32_t* input, int32_t* output, int64_t step_limit) const;

  struct Instr {
    uint8_t op;
    uint16_t d, a, b;
  };

 private:
  std::vector<Instr> code_;
  std::vector<int32_t> frame_;  // initial slot values: locals' initialisers, then constants
  int array_len_;
};

}  // namespace c
}  // namespace lasynth

#endif  // LASYNTH_LANG_C_INTERPRETER_H_
