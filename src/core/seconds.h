// Seconds between two points of one clock, as a double: what progress lines, timeouts and rates
// are computed in.
#ifndef LASYNTH_CORE_SECONDS_H_
#define LASYNTH_CORE_SECONDS_H_

#include <chrono>

namespace lasynth {

template <typename TimePoint>
double seconds_between(TimePoint from, TimePoint to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace lasynth

#endif  // LASYNTH_CORE_SECONDS_H_
