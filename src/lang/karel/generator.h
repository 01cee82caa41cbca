// Random Karel programs and worlds, and the sampler that turns them into accepted examples.
#ifndef LASYNTH_LANG_KAREL_GENERATOR_H_
#define LASYNTH_LANG_KAREL_GENERATOR_H_

#include <cstdint>
#include <map>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/rng.h"
#include "lang/domain.h"
#include "lang/karel/ast.h"
#include "lang/karel/limits.h"
#include "lang/karel/world.h"
#include "lang/rejection_guard.h"

namespace lasynth {
namespace karel {

// Thread-compatible: const methods only.
class Generator {
 public:
  explicit Generator(const Limits& limits) : limits_(limits) {}

  // A program within max_statements and max_depth; nothing is executed.
  Program sample_program(Rng& rng) const;

  // A rows x cols world: walls with probability wall_density, markers (1..10, mostly few) on
  // free cells with probability marker_density, the hero on a free cell facing any direction.
  World sample_world(Rng& rng) const;

 private:
  Limits limits_;
};

// Draws programs and io_pairs worlds until the program runs on every world without crashing or
// hitting the step limit, changes at least one world, is within max_tokens and was not returned
// before. Not thread-safe.
class Sampler : public ExampleSampler {
 public:
  Sampler(const Limits& limits, uint64_t seed);
  Example next() override;
  std::map<std::string, int64_t> counters() const override { return guard_.counters(); }

 private:
  Limits limits_;
  Generator generator_;
  Rng rng_;
  std::unordered_set<uint64_t> seen_;
  RejectionGuard guard_;
};

}  // namespace karel
}  // namespace lasynth

#endif  // LASYNTH_LANG_KAREL_GENERATOR_H_
