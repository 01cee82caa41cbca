// The agent: what mpirun or srun starts for each rank (lasynth-launch --agent -- COMMAND). It runs
// the rank as its child, passes on the signals it gets, and tells the monitor how the rank ended
// (its exit status, or the signal that killed it, kill -9 included), which the rank itself cannot.
#ifndef LASYNTH_LAUNCHER_AGENT_H_
#define LASYNTH_LAUNCHER_AGENT_H_

#include <string>
#include <vector>

namespace lasynth {
namespace launcher {

// Returns the rank's exit status, or 128 + the signal that ended it.
int run_agent(const std::vector<std::string>& command);

}  // namespace launcher
}  // namespace lasynth

#endif  // LASYNTH_LAUNCHER_AGENT_H_
