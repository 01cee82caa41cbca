#include "dist/fault.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "core/error.h"

namespace lasynth {
namespace dist {
namespace {

// A whole non-negative decimal number in `text`, or -1.
int64_t whole_number(const std::string& text) {
  if (text.empty() || text.size() > 18 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return -1;
  }
  return std::stoll(text);
}

}  // namespace

Fault parse_fault(const std::string& value) {
  auto bad = [&](const std::string& why) {
    return ConfigError(fmt::format(
        "{}='{}': {}; expected KIND:rank=R:step=N with KIND hang, crash or slow, R >= 0, N >= 1 "
        "(unset it for no fault)",
        kFaultEnv, value, why));
  };
  const size_t first = value.find(':');
  const size_t second = first == std::string::npos ? first : value.find(':', first + 1);
  if (second == std::string::npos || value.find(':', second + 1) != std::string::npos) {
    throw bad("not three fields separated by ':'");
  }
  const std::string kind = value.substr(0, first);
  const std::string rank = value.substr(first + 1, second - first - 1);
  const std::string step = value.substr(second + 1);
  Fault f;
  if (kind == "hang") {
    f.kind = FaultKind::kHang;
  } else if (kind == "crash") {
    f.kind = FaultKind::kCrash;
  } else if (kind == "slow") {
    f.kind = FaultKind::kSlow;
  } else {
    throw bad(fmt::format("unknown kind '{}'", kind));
  }
  const int64_t r = rank.rfind("rank=", 0) == 0 ? whole_number(rank.substr(5)) : -1;
  if (r < 0 || r > 1'000'000) throw bad(fmt::format("'{}' is not rank=R with R >= 0", rank));
  const int64_t n = step.rfind("step=", 0) == 0 ? whole_number(step.substr(5)) : -1;
  if (n < 1) throw bad(fmt::format("'{}' is not step=N with N >= 1", step));
  f.rank = static_cast<int>(r);
  f.step = n;
  return f;
}

std::optional<Fault> fault_from_environment() {
  const char* value = std::getenv(kFaultEnv);
  if (!value || !*value) return std::nullopt;
  return parse_fault(value);
}

void inject_fault(const Fault& fault, int rank, int64_t step, double step_seconds) {
  if (rank != fault.rank || step < fault.step) return;
  switch (fault.kind) {
    case FaultKind::kHang:
      std::cerr << fmt::format("lasynth: rank {}: {} hangs here at step {}, as asked\n", rank,
                               kFaultEnv, step)
                << std::flush;
      for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
    case FaultKind::kCrash:
      std::cerr << fmt::format("lasynth: rank {}: {} aborts here at step {}, as asked\n", rank,
                               kFaultEnv, step)
                << std::flush;
      std::abort();
    case FaultKind::kSlow:
      std::this_thread::sleep_for(std::chrono::duration<double>(2 * step_seconds));
      return;
  }
}

}  // namespace dist
}  // namespace lasynth
