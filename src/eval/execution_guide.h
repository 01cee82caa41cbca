// Execution-guided search (issue 17): during beam search, a candidate leaves the beam as soon as
// no program begins with it (checked at every token), and it is executed on the specification
// inputs each time it completes a statement at the program's top level, leaving the beam when it
// fails there (division by zero, an index out of range, the step limit, a Karel crash); a
// finished candidate stays only when it reproduces every specification output. Pruning only where
// the domain says a prefix runs exactly what every completion runs first (Domain::ends_statement)
// keeps it sound: no candidate that could still become a consistent program is ever dropped.
#ifndef LASYNTH_EVAL_EXECUTION_GUIDE_H_
#define LASYNTH_EVAL_EXECUTION_GUIDE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lang/domain.h"

namespace lasynth {
namespace eval {

// How to search: plain beam search, or execution-guided.
enum class Search { kBeam, kExecutionGuided };

// "beam" or "execution_guided"; throws ConfigError naming the value otherwise.
Search parse_search(const std::string& name);

class ExecutionGuide {
 public:
  // `spec[e]`: the specification pairs of the batch's example e. The domain must outlive this.
  ExecutionGuide(const Domain& domain, std::vector<std::vector<IoPair>> spec);

  // Whether example `example`'s candidate, the decoded ids after the domain's fixed prefix, may
  // still become a program consistent with its specification. Never throws.
  bool viable(int64_t example, const std::vector<int32_t>& ids, bool finished);

  // viable() as beam search's candidate filter (model::SynthesizerImpl::CandidateFilter). The
  // guide must outlive it.
  std::function<bool(int64_t, const std::vector<int32_t>&, bool)> filter() {
    return [this](int64_t example, const std::vector<int32_t>& ids, bool finished) {
      return viable(example, ids, finished);
    };
  }

  // Candidates executed (at statement ends and when finished) and those refused (for their
  // grammar or their execution), so far.
  int64_t executed() const { return executed_; }
  int64_t refused() const { return refused_; }

 private:
  bool runs(int64_t example, const std::vector<std::string>& tokens, bool finished) const;

  const Domain& domain_;
  std::vector<std::vector<IoPair>> spec_;
  std::vector<int32_t> prefix_;
  int64_t executed_ = 0, refused_ = 0;
};

}  // namespace eval
}  // namespace lasynth

#endif  // LASYNTH_EVAL_EXECUTION_GUIDE_H_
