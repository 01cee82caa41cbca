// The public Karel benchmark's JSON-lines layout (Devlin et al. 2017 / Bunel et al. 2018), read
// and written so that users can train and evaluate on it. One object per line:
//
//   {"guid": "...", "program_tokens": ["DEF", "run", "m(", ...], "program_json": {...},
//    "examples": [{"example_index": 0, "actions": ["move", ...],
//                  "inpgrid_json": GRID, "outgrid_json": GRID,
//                  "inpgrid_tensor": "i:1.0 ...", "outgrid_tensor": "i:1.0 ..."}, ...]}
//
// where GRID is the grid JSON of world.h (an object, or a string holding one). Fields we do not
// use are kept and written back unchanged.
#ifndef LASYNTH_LANG_KAREL_BENCHMARK_H_
#define LASYNTH_LANG_KAREL_BENCHMARK_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lang/karel/karel_domain.h"

namespace lasynth {
namespace karel {

struct BenchmarkTask {
  nlohmann::ordered_json raw;  // the object as read (or {}), unknown fields included
  std::string guid;
  std::vector<std::string> tokens;  // the program, checked to parse
  std::vector<IoPair> io;           // worlds as the domain's Values
};

// Parses one line. Throws ParseError saying which field is missing or malformed.
BenchmarkTask read_benchmark_task(const KarelDomain& domain, const std::string& line);

// Reads a whole file; a malformed line throws ParseError "FILE:LINE: reason". Blank lines are
// skipped.
std::vector<BenchmarkTask> read_benchmark_file(const KarelDomain& domain, const std::string& path);

// One line (without newline) in the layout above: guid, program_tokens, and for each pair its
// index, action trace, grids and tensors, over the fields of task.raw. Throws ExecError-free
// ParseError when the program does not run on one of its inputs.
std::string write_benchmark_task(const KarelDomain& domain, const BenchmarkTask& task);

}  // namespace karel
}  // namespace lasynth

#endif  // LASYNTH_LANG_KAREL_BENCHMARK_H_
