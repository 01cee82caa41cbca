// Where this process stands in a job: rank, world size, local rank on its node, node index and
// host. The launcher is recognised from its environment: Open MPI (`mpirun`: OMPI_COMM_WORLD_*),
// PMIx (`srun --mpi=pmix`: PMIX_RANK with SLURM_*), SLURM (`srun`: SLURM_PROCID, SLURM_LOCALID,
// SLURM_STEP_NUM_TASKS) or torchrun (RANK, LOCAL_RANK, WORLD_SIZE); none of them: one process.
#ifndef LASYNTH_DIST_WORLD_H_
#define LASYNTH_DIST_WORLD_H_

#include <functional>
#include <string>

namespace lasynth {
namespace dist {

struct World {
  int rank = 0;
  int size = 1;
  int local_rank = 0;  // among the ranks on this node: picks the GPU
  int local_size = 1;
  int node = 0;  // index of this node among the job's nodes, in rank order
  std::string host;
  // "single", "openmpi", "pmix", "slurm" or "torchrun": who started the process.
  std::string launcher = "single";
  // Whether the ranks talk through MPI (every multi-rank launcher but torchrun does).
  bool needs_mpi() const { return launcher == "openmpi" || launcher == "pmix"; }
};

// Reads the launcher's variables through `getenv` (std::getenv by default; tests pass a map).
// Throws ConfigError for variables that do not parse, a rank outside [0, size), or a multi-rank
// launch lasynth cannot join: `srun` without PMIx (each task would train alone) or torchrun
// (lasynth bootstraps its communicators through MPI); the message says which command to use.
World world_from_environment(const std::function<const char*(const char*)>& getenv = nullptr);

}  // namespace dist
}  // namespace lasynth

#endif  // LASYNTH_DIST_WORLD_H_
