// Random restricted-C programs and inputs, and the sampler that turns them into accepted examples.
#ifndef LASYNTH_LANG_C_GENERATOR_H_
#define LASYNTH_LANG_C_GENERATOR_H_

#include <cstdint>
#include <map>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/rng.h"
#include "lang/c/ast.h"
#include "lang/c/limits.h"
#include "lang/domain.h"
#include "lang/rejection_guard.h"

namespace lasynth {
namespace c {

// Draws programs within `limits` (locals, statements, depth, constants); nothing is executed, so
// a drawn program may fail, loop forever or do nothing. Thread-compatible: const methods only.
class Generator {
 public:
  explicit Generator(const Limits& limits) : limits_(limits) {}

  Program sample_program(Rng& rng) const;

  // limits.io_pairs distinct arrays of limits.array_len values in [-value_range, value_range].
  std::vector<Value> sample_inputs(Rng& rng) const;

 private:
  Limits limits_;
};

// Draws programs and inputs until one passes every check, and returns it as an Example. Rejected:
// a program longer than max_tokens, one seen before (same tokens), one that fails on any input,
// writes a value outside [-output_range, output_range], gives the same output for every input
// (ignores it) or leaves every input unchanged; with limits.dead_code 0, also one with a local it
// never mentions or a top-level statement whose removal changes no output. Not thread-safe.
class Sampler : public ExampleSampler {
 public:
  Sampler(const Limits& limits, uint64_t seed);
  Example next() override;
  std::map<std::string, int64_t> counters() const override { return guard_.counters(); }

 private:
  // Returns "" when accepted, else the reason for the counters.
  const char* check(const Program& program, const std::vector<Value>& inputs,
                    std::vector<Value>* outputs) const;

  Limits limits_;
  Generator generator_;
  Rng rng_;
  std::unordered_set<uint64_t> seen_;
  RejectionGuard guard_;
};

}  // namespace c
}  // namespace lasynth

#endif  // LASYNTH_LANG_C_GENERATOR_H_
