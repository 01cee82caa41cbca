#include "eval/execution_guide.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>

#include "core/error.h"

namespace lasynth {
namespace eval {

Search parse_search(const std::string& name) {
  if (name == "beam") return Search::kBeam;
  if (name == "execution_guided") return Search::kExecutionGuided;
  throw ConfigError(
      fmt::format("--search {}: expected beam or execution_guided", name.empty() ? "''" : name));
}

ExecutionGuide::ExecutionGuide(const Domain& domain, std::vector<std::vector<IoPair>> spec)
    : domain_(domain), spec_(std::move(spec)), prefix_(domain.fixed_prefix_ids()) {}

bool ExecutionGuide::viable(int64_t example, const std::vector<int32_t>& ids, bool finished) {
  std::vector<int32_t> whole = prefix_;
  whole.insert(whole.end(), ids.begin(), ids.end());
  std::vector<std::string> tokens;
  try {
    tokens = domain_.vocabulary().decode(whole);
    if (!finished && !domain_.ends_statement(tokens)) {
      domain_.check_prefix(tokens);
      return true;
    }
  } catch (const Error&) {
    ++refused_;
    return false;  // no program begins so
  }
  ++executed_;
  const bool ok = runs(example, tokens, finished);
  refused_ += !ok;
  return ok;
}

std::vector<int32_t> ExecutionGuide::completion(int64_t example, const std::vector<int32_t>& ids) {
  std::vector<int32_t> whole = prefix_;
  whole.insert(whole.end(), ids.begin(), ids.end());
  try {
    const auto program = domain_.closed_program(domain_.vocabulary().decode(whole));
    if (!program) return {};
    ++executed_;
    if (!reproduces(example, *program)) return {};
    const std::vector<int32_t> closed = domain_.vocabulary().encode(program->tokens());
    if (closed.size() < prefix_.size() ||
        !std::equal(prefix_.begin(), prefix_.end(), closed.begin())) {
      return {};
    }
    ++completed_;
    return {closed.begin() + static_cast<std::ptrdiff_t>(prefix_.size()), closed.end()};
  } catch (const Error&) {
    return {};  // no program begins so: viable() refuses it
  }
}

bool ExecutionGuide::reproduces(int64_t example, const Program& program) const {
  for (const IoPair& pair : spec_[static_cast<size_t>(example)]) {
    const ExecResult r = program.execute(pair.input);
    if (!r.ok() || r.output != pair.output) return false;
  }
  return true;
}

bool ExecutionGuide::runs(int64_t example, const std::vector<std::string>& tokens,
                          bool finished) const {
  try {
    if (finished) return reproduces(example, *domain_.parse(tokens));
    for (const IoPair& pair : spec_[static_cast<size_t>(example)]) {
      if (!domain_.execute_prefix(tokens, tokens.size(), pair.input).ok()) return false;
    }
    return true;
  } catch (const Error&) {
    return false;  // the tokens do not parse: neither do any that begin with them
  }
}

}  // namespace eval
}  // namespace lasynth
