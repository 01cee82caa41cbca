// Evaluation: synthesize a program for every example of a split, execute it with the domain's
// interpreter, and score it (DESIGN.md's report layout):
//   io_consistency  the program matches every specification pair
//   generalization  ... and every held-out pair too (the paper's accuracy)
//   exact_match     the same tokens as the reference program
//   avg_length, avg_reference_length  in tokens
#ifndef LASYNTH_EVAL_EVALUATE_H_
#define LASYNTH_EVAL_EVALUATE_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "dist/communicator.h"
#include "eval/eval_options.h"
#include "lang/domain.h"

// A reference to the model is all this interface takes (trainer.h says why).
namespace lasynth {
namespace model {
class Synthesizer;
}  // namespace model
namespace eval {

struct Score {
  bool parses = false;
  bool consistent = false;
  bool generalizes = false;
  bool exact = false;
  std::string source;  // the program's text, or its tokens joined when it does not parse
};

// Scores `predicted` (token ids, no <s>/</s>) against the reference example `reference`.
Score score(const Domain& domain, const std::vector<int32_t>& predicted,
            const std::vector<int32_t>& reference, const std::vector<IoPair>& io);

// The core of evaluate() on a model at hand (validation during training uses it): the report's
// "examples", "metrics" and (with options.predictions) "predictions", in example order. With
// options.comm, all ranks, same order; blocks.
nlohmann::ordered_json evaluate_model(model::Synthesizer& net, data::Dataset& dataset,
                                      const EvalOptions& options);

// Decodes every example (greedy, or beam search keeping `beam` candidates, each executed: the
// first one in beam order that matches every specification pair is the program, else the top
// one), scores it and returns the report. Throws ConfigError or IoError naming the file at fault.
nlohmann::ordered_json evaluate(const EvalOptions& options);

}  // namespace eval
}  // namespace lasynth

#endif  // LASYNTH_EVAL_EVALUATE_H_
