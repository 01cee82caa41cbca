// Collectives over raw buffers, independent of torch, behind one interface with an MPI backend
// (CPU) and an NCCL backend (CUDA). Every collective is called by all ranks in the same order
// with the same sizes; a rank that skips one leaves the others waiting, so callers keep their
// calls unconditional (an empty batch still joins the gradient all-reduce).
#ifndef LASYNTH_DIST_COMMUNICATOR_H_
#define LASYNTH_DIST_COMMUNICATOR_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dist/world.h"

namespace lasynth {
namespace dist {

enum class ReduceOp { kSum, kAverage, kMax };

// Memory that a backend's collectives reduce in place, with no copy: host memory for MPI, memory
// on the rank's GPU for NCCL. Zero-filled when allocated; freed with the object. Not thread-safe.
class Buffer {
 public:
  virtual ~Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  // -1 for host memory, else the CUDA device the memory is on.
  int device() const { return device_; }
  // Zero-fills bytes [offset, offset + bytes), ordered before the collectives started after it.
  virtual void zero(size_t offset, size_t bytes) = 0;
  // Host bytes in, ordered like zero(); and out, after the collectives on it were waited for.
  virtual void write(size_t offset, const void* from, size_t bytes) = 0;
  virtual void read(size_t offset, void* to, size_t bytes) const = 0;

 protected:
  Buffer(void* data, size_t bytes, int device) : data_(data), bytes_(bytes), device_(device) {}

 private:
  void* data_;
  size_t bytes_;
  int device_;
};

// A collective in flight. Not thread-safe; used by the thread that started it.
class Work {
 public:
  virtual ~Work() = default;
  // Non-blocking: whether the collective completed (it also lets the backend make progress).
  // Throws DistError if it failed.
  virtual bool done() = 0;
  // Blocks until the collective completed; throws DistError naming the rank and operation.
  virtual void wait() = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual const World& world() const = 0;
  int rank() const { return world().rank; }
  int size() const { return world().size; }
  virtual std::string backend() const = 0;  // "mpi" or "nccl"

  // Memory for allreduce_async's data that the collective uses where it is (host memory unless
  // the backend overrides it).
  virtual std::unique_ptr<Buffer> allocate(size_t bytes);

  // All ranks, same order. Reduces `count` floats in place; non-blocking: `data` must stay alive
  // and untouched until the returned handle's wait(). Host memory, or memory from allocate().
  virtual std::unique_ptr<Work> allreduce_async(float* data, size_t count, ReduceOp op) = 0;
  // The same over bfloat16 values (dist/bfloat16.h): gradients in half the bytes
  // (--grad_dtype bf16), each partial sum rounded to bfloat16.
  virtual std::unique_ptr<Work> allreduce_bf16_async(uint16_t* data, size_t count,
                                                     ReduceOp op) = 0;
  // All ranks, same order; blocks.
  void allreduce(float* data, size_t count, ReduceOp op) {
    allreduce_async(data, count, op)->wait();
  }
  // All ranks, same order; blocks. Sums (or maxes) doubles in place: counts and losses.
  virtual void allreduce_doubles(double* data, size_t count, ReduceOp op) = 0;
  // All ranks, same order; blocks. `bytes` from `root` to every rank.
  virtual void broadcast(void* data, size_t bytes, int root) = 0;
  // All ranks, same order; blocks. Every rank's `bytes` bytes, in rank order, into `received`
  // (size() * bytes bytes).
  virtual void allgather(const void* data, size_t bytes, void* received) = 0;
  // All ranks, same order; blocks. Every rank's `bytes` bytes, in rank order, into `received`
  // (size() * bytes bytes) at `root` only; the other ranks' `received` is not touched and may be
  // null.
  virtual void gather(const void* data, size_t bytes, void* received, int root) = 0;
  // All ranks, same order; blocks.
  virtual void barrier() = 0;

  // Convenience over allgather: every rank's string, in rank order (lengths may differ).
  std::vector<std::string> allgather_strings(const std::string& text);
  // Convenience over gather: every rank's string, in rank order, at `root`; the other ranks get
  // an empty vector. What only one rank reads (an evaluation's predictions) need not fill every
  // rank's memory.
  std::vector<std::string> gather_strings(const std::string& text, int root);
};

// All ranks, same order; blocks. One line describing the job for its log, e.g. "4 ranks (mpi)
// on 2 nodes: node-a ranks 0,1 local 0,1; node-b ranks 2,3 local 0,1".
std::string job_layout(Communicator& comm);

// The communicator of this process for `backend` ("mpi" or "nccl"), joining every rank of the
// job. MPI is initialised on first use and finalised at exit; a one-process run needs no
// launcher. Throws ConfigError for an unknown backend or NCCL without a GPU or without NCCL in
// the build, DistError when the ranks cannot connect or the launcher's world and MPI's differ.
std::unique_ptr<Communicator> make_communicator(const std::string& backend, const World& world);

}  // namespace dist
}  // namespace lasynth

#endif  // LASYNTH_DIST_COMMUNICATOR_H_
