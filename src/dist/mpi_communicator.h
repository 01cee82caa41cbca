// The MPI backend (CPU ranks): Open MPI's collectives over MPI_COMM_WORLD; the all-reduce is
// non-blocking (MPI_Iallreduce), so buckets reduce while backward still runs.
// Thread-safety: one thread calls it (MPI is initialised with MPI_THREAD_FUNNELED).
#ifndef LASYNTH_DIST_MPI_COMMUNICATOR_H_
#define LASYNTH_DIST_MPI_COMMUNICATOR_H_

#include <memory>

#include "dist/communicator.h"

namespace lasynth {
namespace dist {

// Initialises MPI (once per process; finalised at exit) and checks that MPI's world is the one
// the launcher announced; fills in the local rank, local size and node from the ranks' hosts.
// Throws DistError.
std::unique_ptr<Communicator> make_mpi_communicator(const World& world);

// Ends every rank of the job with `code` after an error on this one (MPI_Abort), so that the
// others never wait for it. Returns only if MPI is not running.
void abort_job(int code);

}  // namespace dist
}  // namespace lasynth

#endif  // LASYNTH_DIST_MPI_COMMUNICATOR_H_
