// The NCCL backend (CUDA ranks): one NCCL communicator per process on the GPU its local rank
// picks, bootstrapped through MPI (rank 0's unique id is broadcast). The communicator is
// non-blocking: every wait polls the collective and NCCL's asynchronous error, and a collective
// that fails, or does not finish within the timeout (a peer that died or hangs), aborts the
// communicator and throws DistError naming the rank and operation instead of hanging.
// allocate() gives memory on the GPU, which the all-reduce reduces in place, ordered after what
// LibTorch queued before it by a CUDA event (no copy, no host synchronisation to start it); other
// buffers are host memory, staged through device memory on the communicator's stream.
// Thread-safety: one thread calls it. Built only where CUDA and NCCL are found.
#ifndef LASYNTH_DIST_NCCL_COMMUNICATOR_H_
#define LASYNTH_DIST_NCCL_COMMUNICATOR_H_

#include <memory>

#include "dist/communicator.h"

namespace lasynth {
namespace dist {

// Throws ConfigError when no CUDA device can be used (the message carries CUDA's reason, e.g.
// "no CUDA-capable device is detected"), DistError when the ranks cannot connect.
// LASYNTH_NCCL_TIMEOUT_S (default 600) bounds every wait.
std::unique_ptr<Communicator> make_nccl_communicator(const World& world);

}  // namespace dist
}  // namespace lasynth

#endif  // LASYNTH_DIST_NCCL_COMMUNICATOR_H_
