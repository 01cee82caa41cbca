// Synthesis for users: input/output examples in, the best program consistent with all of them
// out.
#ifndef LASYNTH_EVAL_SYNTHESIZE_H_
#define LASYNTH_EVAL_SYNTHESIZE_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "eval/execution_guide.h"
#include "lang/domain.h"

namespace lasynth {
namespace eval {

struct SynthesisResult {
  std::optional<Example> program;  // absent when no candidate is consistent
  int64_t candidates = 0;          // how many the beam produced
};

// `examples` is {"io": [{"input": ..., "output": ...}, ...]} in the domain's JSON value layout.
// Decodes with beam search of width `beam` (execution-guided: every pair guides it) from the
// checkpoint (file or model directory) and returns the first candidate, in beam order, that
// reproduces every pair; `close_blocks` as EvalOptions'. Throws ParseError for
// malformed examples (naming them as `where`: their file), IoError for an unreadable checkpoint.
SynthesisResult synthesize(const std::string& checkpoint, const nlohmann::json& examples,
                           int64_t beam, int64_t max_len, Search search, bool close_blocks,
                           std::string* domain_name,
                           const std::string& where = "examples");

}  // namespace eval
}  // namespace lasynth

#endif  // LASYNTH_EVAL_SYNTHESIZE_H_
