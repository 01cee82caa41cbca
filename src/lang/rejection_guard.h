// A sampler draws until a program passes its checks; when the limits allow fewer distinct
// programs than a shard asks for, every draw is a duplicate and it would loop forever. The guard
// turns that into an error naming the cause.
// Thread-safety: none; one per sampler.
#ifndef LASYNTH_LANG_REJECTION_GUARD_H_
#define LASYNTH_LANG_REJECTION_GUARD_H_

#include <fmt/format.h>

#include <cstdint>
#include <map>
#include <string>

#include "core/error.h"

namespace lasynth {

// Counts why draws were rejected (and how many were accepted), for the generator's counters().
class RejectionGuard {
 public:
  static constexpr int64_t kMaxInARow = 1000000;

  void accepted() {
    in_a_row_ = 0;
    ++counters_["accepted"];
  }
  // Counts `reason`. Throws ConfigError after kMaxInARow rejections in a row.
  void rejected(const char* reason) {
    ++counters_[reason];
    if (++in_a_row_ < kMaxInARow) return;
    std::string reasons;
    for (const auto& [name, count] : counters_) {
      if (name != "accepted")
        reasons += fmt::format("{}{} {}", reasons.empty() ? "" : ", ", name, count);
    }
    throw ConfigError(fmt::format(
        "the generator found no acceptable new program in {} draws after {} accepted ({}): the "
        "limits allow too few distinct programs for this many examples per shard; raise the "
        "program limits (e.g. --max-tokens, --max-statements) or use more shards",
        kMaxInARow, counters_.count("accepted") ? counters_.at("accepted") : 0, reasons));
  }
  // Draws by outcome: "accepted" and each rejection reason.
  const std::map<std::string, int64_t>& counters() const { return counters_; }

 private:
  int64_t in_a_row_ = 0;
  std::map<std::string, int64_t> counters_;
};

}  // namespace lasynth

#endif  // LASYNTH_LANG_REJECTION_GUARD_H_
