// Exit statuses shared by lasynth, lasynth-launch and the SLURM scripts.
#ifndef LASYNTH_CORE_EXIT_STATUS_H_
#define LASYNTH_CORE_EXIT_STATUS_H_

namespace lasynth {

// A run stopped by SIGTERM/SIGUSR1 (or the launcher's "stop") after writing its checkpoint:
// sysexits' EX_TEMPFAIL, "try again later"; continue it with --resume.
constexpr int kExitPreempted = 75;

}  // namespace lasynth

#endif  // LASYNTH_CORE_EXIT_STATUS_H_
