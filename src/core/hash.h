// Stable, platform-independent hashes for identifying vocabularies and canonical programs.
#ifndef LASYNTH_CORE_HASH_H_
#define LASYNTH_CORE_HASH_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lasynth {

// 64-bit FNV-1a of the bytes, continuing from `basis` so that pieces can be chained.
uint64_t fnv1a64(std::string_view bytes, uint64_t basis = 0xCBF29CE484222325ULL);

// FNV-1a of a token-id sequence's bytes: how programs are compared for duplicates.
uint64_t hash_ids(const std::vector<int32_t>& ids);

// 16 lowercase hex digits.
std::string hex64(uint64_t value);

}  // namespace lasynth

#endif  // LASYNTH_CORE_HASH_H_
