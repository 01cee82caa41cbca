// bfloat16 as the wire format of gradient all-reduces (--grad_dtype bf16): the upper 16 bits of
// an IEEE float, rounded to nearest even. MPI has no bfloat16 type, so the MPI communicator sums
// these bits with an operation of its own, in float.
#ifndef LASYNTH_DIST_BFLOAT16_H_
#define LASYNTH_DIST_BFLOAT16_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace lasynth {
namespace dist {

inline uint16_t to_bfloat16(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof(bits));
  if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu) != 0) {
    return static_cast<uint16_t>((bits >> 16) | 0x0040u);  // NaN stays NaN (quiet)
  }
  bits += 0x7fffu + ((bits >> 16) & 1u);  // round to nearest, ties to even
  return static_cast<uint16_t>(bits >> 16);
}

inline float from_bfloat16(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float x;
  std::memcpy(&x, &bits, sizeof(x));
  return x;
}

inline void encode_bfloat16(const float* from, uint16_t* to, size_t count) {
  for (size_t i = 0; i < count; ++i) to[i] = to_bfloat16(from[i]);
}

inline void decode_bfloat16(const uint16_t* from, float* to, size_t count) {
  for (size_t i = 0; i < count; ++i) to[i] = from_bfloat16(from[i]);
}

// The reductions over bfloat16 values, as the MPI communicator computes them: in float, each
// result rounded to bfloat16 (so a sum over ranks rounds every partial sum, as NCCL's does).
inline uint16_t add_bfloat16(uint16_t a, uint16_t b) {
  return to_bfloat16(from_bfloat16(a) + from_bfloat16(b));
}
inline uint16_t max_bfloat16(uint16_t a, uint16_t b) {
  return from_bfloat16(a) > from_bfloat16(b) ? a : b;
}
inline void divide_bfloat16(uint16_t* values, size_t count, float divisor) {
  for (size_t i = 0; i < count; ++i) values[i] = to_bfloat16(from_bfloat16(values[i]) / divisor);
}

}  // namespace dist
}  // namespace lasynth

#endif  // LASYNTH_DIST_BFLOAT16_H_
