// Fault injection, for testing lasynth-launch's failure detection on a cluster:
//
//   LASYNTH_FAULT=KIND:rank=R:step=N
//
// read once at process start; rank R, on reaching training step N (once step N is done):
//   hang   stops making progress and never returns, while its heartbeat thread goes on beating
//          (what a rank stuck in MPI_Wait or a blocking copy looks like);
//   crash  aborts (std::abort: SIGABRT);
//   slow   takes 3x as long per step from step N on (sleeps twice the step's measured time).
// Unset or empty: no fault. Every other rank ignores it.
#ifndef LASYNTH_DIST_FAULT_H_
#define LASYNTH_DIST_FAULT_H_

#include <cstdint>
#include <optional>
#include <string>

namespace lasynth {
namespace dist {

constexpr const char* kFaultEnv = "LASYNTH_FAULT";

enum class FaultKind { kHang, kCrash, kSlow };

struct Fault {
  FaultKind kind = FaultKind::kHang;
  int rank = 0;
  int64_t step = 1;  // >= 1
};

// The fault LASYNTH_FAULT's value describes. Throws ConfigError, one line naming the variable
// and the value, when it is not KIND:rank=R:step=N with a known KIND, R >= 0 and N >= 1.
Fault parse_fault(const std::string& value);

// The fault of this process's environment; nothing when LASYNTH_FAULT is unset or empty.
// Throws as parse_fault.
std::optional<Fault> fault_from_environment();

// Called by the training loop once each step is done, by every rank: does what `fault` says
// when it names this rank and `step` has reached its step (never returns for hang, aborts for
// crash, sleeps 2 x step_seconds for slow); returns at once otherwise.
void inject_fault(const Fault& fault, int rank, int64_t step, double step_seconds);

}  // namespace dist
}  // namespace lasynth

#endif  // LASYNTH_DIST_FAULT_H_
