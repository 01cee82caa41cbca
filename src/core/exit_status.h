// Exit statuses that mean the same thing in every lasynth program, so that job scripts, the
// launcher and SLURM requeue logic can act on them without knowing which program ended.
#ifndef LASYNTH_CORE_EXIT_STATUS_H_
#define LASYNTH_CORE_EXIT_STATUS_H_

namespace lasynth {

// A run stopped on request (SIGTERM/SIGUSR1, or the launcher's "stop") after writing its
// checkpoint: nothing failed, continue it with --resume. sysexits.h's EX_TEMPFAIL ("try again
// later"), which SLURM scripts and lasynth-launch treat as "requeue", not as a failure.
constexpr int kExitPreempted = 75;

// The program could not be started (not found, not executable), as a shell reports it.
constexpr int kExitCannotRun = 127;

}  // namespace lasynth

#endif  // LASYNTH_CORE_EXIT_STATUS_H_
