// A sampler draws until a program passes its checks; when the limits allow fewer distinct
// programs than a shard asks for, every draw is a duplicate and it would loop forever. The guard
// turns that into an error naming the cause.
#ifndef LASYNTH_LANG_REJECTION_GUARD_H_
#define LASYNTH_LANG_REJECTION_GUARD_H_

#include <fmt/format.h>

#include <cstdint>
#include <map>
#include <string>

#include "core/error.h"

namespace lasynth {

class RejectionGuard {
 public:
  static constexpr int64_t kMaxInARow = 1000000;

  void accepted() { in_a_row_ = 0; }
  // Throws ConfigError after kMaxInARow rejections in a row.
  void rejected(const std::map<std::string, int64_t>& counters) {
    if (++in_a_row_ < kMaxInARow) return;
    std::string reasons;
    for (const auto& [reason, count] : counters) {
      if (reason != "accepted")
        reasons += fmt::format("{}{} {}", reasons.empty() ? "" : ", ", reason, count);
    }
    throw ConfigError(fmt::format(
        "the generator found no acceptable new program in {} draws after {} accepted ({}): the "
        "limits allow too few distinct programs for this many examples per shard; raise the "
        "program limits (e.g. --max-tokens, --max-statements) or use more shards",
        kMaxInARow, counters.count("accepted") ? counters.at("accepted") : 0, reasons));
  }

 private:
  int64_t in_a_row_ = 0;
};

}  // namespace lasynth

#endif  // LASYNTH_LANG_REJECTION_GUARD_H_
