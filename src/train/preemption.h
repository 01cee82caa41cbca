// SIGTERM and SIGUSR1 (SLURM's warning before preemption or the time limit, sent with
// `sbatch --signal=USR1@60`) ask training to stop cleanly: every rank finishes its step, rank 0
// writes a checkpoint, and the process exits with kPreemptedExitCode, so a job script or
// lasynth-launch can requeue it with --resume.
#ifndef LASYNTH_TRAIN_PREEMPTION_H_
#define LASYNTH_TRAIN_PREEMPTION_H_

#include "core/exit_status.h"

namespace lasynth {
namespace train {

// The exit status of a run that stopped on SIGTERM/SIGUSR1 after writing its checkpoint.
constexpr int kPreemptedExitCode = kExitPreempted;

// Installs the handlers (idempotent). Async-signal-safe: the handler only sets a flag.
void watch_preemption_signals();
// The signal received since watch_preemption_signals(), or 0.
int preemption_signal();
// The same stop asked for without a signal (the launcher's monitor says "stop"): as if `signal`
// had been received. Callable from any thread.
void request_stop(int signal);

}  // namespace train
}  // namespace lasynth

#endif  // LASYNTH_TRAIN_PREEMPTION_H_
