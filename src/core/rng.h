// Seeded pseudo-random numbers that give the same sequence on every machine and standard library.
// std::uniform_int_distribution is implementation-defined, so bounded draws are done here.
#ifndef LASYNTH_CORE_RNG_H_
#define LASYNTH_CORE_RNG_H_

#include <cstdint>
#include <initializer_list>

namespace lasynth {

// xoshiro256** seeded through splitmix64. Not thread-safe: one Rng per thread or task.
class Rng {
 public:
  explicit Rng(uint64_t seed);

  // A generator whose stream depends only on the seed and the given keys (e.g. split, shard),
  // never on how many workers share the work.
  static Rng derive(uint64_t seed, std::initializer_list<uint64_t> keys);

  uint64_t next_u64();

  // Uniform integer in [lo, hi]. REQUIRES: lo <= hi.
  int64_t uniform_int(int64_t lo, int64_t hi);

  // Uniform integer in [0, n). REQUIRES: n > 0.
  uint64_t below(uint64_t n);

  // True with probability p (p outside [0, 1] is clamped).
  bool bernoulli(double p);

  // Uniform double in [0, 1).
  double uniform01();

 private:
  uint64_t s_[4];
};

}  // namespace lasynth

#endif  // LASYNTH_CORE_RNG_H_
