// Execution-guided search (issue 17): during beam search, a candidate leaves the beam as soon as
// no program begins with it (checked at every token), and it is executed on the specification
// inputs each time it completes a statement at the program's top level, leaving the beam when it
// fails there (division by zero, an index out of range, the step limit, a Karel crash); a
// finished candidate stays only when it reproduces every specification output. Pruning only where
// the domain says a prefix runs exactly what every completion runs first (Domain::ends_statement)
// keeps it sound: no candidate that could still become a consistent program is ever dropped.
// Where a candidate ends a statement at any depth, the program it already determines, its open
// blocks closed (Domain::closed_program), is run too: when it reproduces every specification
// output it is an answer, so a loop is found as soon as its body is, before the model closes it.
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

  // The program, as ids after the fixed prefix, that example `example`'s live candidate `ids`
  // already determine where they end a statement, its open blocks closed, when it reproduces
  // every specification output; empty otherwise. Never throws.
  std::vector<int32_t> completion(int64_t example, const std::vector<int32_t>& ids);

  // completion() as beam search's (model::SynthesizerImpl::Completer). The guide must outlive it.
  std::function<std::vector<int32_t>(int64_t, const std::vector<int32_t>&)> completer() {
    return [this](int64_t example, const std::vector<int32_t>& ids) {
      return completion(example, ids);
    };
  }

  // Candidates executed (at statement ends and when finished), those refused (for their grammar
  // or their execution) and those completed into answers, so far.
  int64_t executed() const { return executed_; }
  int64_t refused() const { return refused_; }
  int64_t completed() const { return completed_; }

 private:
  bool runs(int64_t example, const std::vector<std::string>& tokens, bool finished) const;
  bool reproduces(int64_t example, const Program& program) const;

  const Domain& domain_;
  std::vector<std::vector<IoPair>> spec_;
  std::vector<int32_t> prefix_;
  int64_t executed_ = 0, refused_ = 0, completed_ = 0;
};

}  // namespace eval
}  // namespace lasynth

#endif  // LASYNTH_EVAL_EXECUTION_GUIDE_H_
