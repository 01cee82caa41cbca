// The Karel interpreter. Each action and each condition test is one step (an "API call" in the
// benchmark's terms); exceeding the step limit is a failure, and so is a crash: moving into a wall
// or off the grid, picking a marker from an empty cell, or putting one on a cell that holds 10.
#ifndef LASYNTH_LANG_KAREL_INTERPRETER_H_
#define LASYNTH_LANG_KAREL_INTERPRETER_H_

#include <cstdint>
#include <vector>

#include "lang/domain.h"
#include "lang/karel/ast.h"
#include "lang/karel/world.h"

namespace lasynth {
namespace karel {

// Runs `program` on `*world` in place and returns how it ended; on failure `*world` holds the
// state at the failing step. When `trace` is not null, every action executed is appended to it.
ExecStatus run(const Program& program, World* world, int64_t step_limit,
               std::vector<Action>* trace = nullptr);

// The benchmark's name of an action ("move", "turnLeft", ...).
const char* action_name(Action action);

}  // namespace karel
}  // namespace lasynth

#endif  // LASYNTH_LANG_KAREL_INTERPRETER_H_
