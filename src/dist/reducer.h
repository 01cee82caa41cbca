// Gradient all-reduce in buckets, as PyTorch's DDP reducer does, over flat float buffers that the
// communicator allocates where its collectives work (host memory for MPI, GPU memory for NCCL).
// No torch here: src/train/ makes each parameter's gradient a view of its slot, so backward
// writes straight into the bucket, and calls mark_ready().
//
// Protocol (the same on every rank, which is what makes it safe):
//   - Gradients are numbered in parameter order and packed into buckets in *reverse* order,
//     since backward produces the last layers' gradients first: the first bucket holds about
//     first_bucket_bytes, the others about bucket_bytes (a gradient is never split).
//   - Bucket i is launched (an asynchronous all-reduce) once all its gradients are ready *and*
//     every bucket before it was launched, so buckets reduce in the same order on every rank
//     whatever order backward happens to produce gradients in.
//   - finish() zero-fills the slots of gradients that never became ready (a rank whose batch was
//     empty, or a parameter this step did not use), launches what is left, waits for all, and
//     leaves in every slot the sum (or average) over ranks.
//   - Control values (options.control_floats) follow the gradients of the last bucket.
//   - With options.wire bfloat16, a bucket is rounded into its wire copy as it launches, and the
//     reduced copy read back into the floats in finish().
// Thread-safety: none; one thread runs the step (the thread running backward).
#ifndef LASYNTH_DIST_REDUCER_H_
#define LASYNTH_DIST_REDUCER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "dist/communicator.h"

namespace lasynth {
namespace dist {

// What a gradient all-reduce sends.
enum class WireType { kFloat32, kBFloat16 };

struct ReducerOptions {
  // The first bucket is small so that its all-reduce starts early in backward.
  size_t first_bucket_bytes = size_t{1} << 20;
  // Later buckets: fewer, larger messages (PyTorch's default, 25 MiB).
  size_t bucket_bytes = size_t{25} << 20;
  ReduceOp op = ReduceOp::kSum;
  // Floats that ride after the gradients in the bucket launched last, reduced with them: what
  // the ranks must agree on each step (the stop flag) without a collective of its own.
  size_t control_floats = 0;
  // bfloat16 sends half the bytes. The gradients still accumulate in float32 in their slots; only
  // the bucket's copy on the wire, and the sums, are rounded (DDP's bf16 compression hook).
  WireType wire = WireType::kFloat32;
  // Bucket floats to bfloat16 and back, where the bucket's memory is: on the host by default; a
  // reducer of device buckets needs both from the caller (src/train has the kernels, torch's).
  std::function<void(const float* from, uint16_t* to, size_t count)> encode;
  std::function<void(const uint16_t* from, float* to, size_t count)> decode;
};

// What a reducer has done, for benchmarks and logs.
struct ReducerStats {
  int64_t steps = 0;
  int64_t buckets_launched = 0;
  int64_t bytes_reduced = 0;
  int64_t buckets_launched_early = 0;  // before finish(): overlapped with backward
  double finish_wait_s = 0;            // time spent waiting in finish()
};

class GradientReducer {
 public:
  // `sizes`: the number of floats of each gradient, in parameter order. `comm` must outlive
  // the reducer. REQUIRES: every rank passes the same sizes and options (check_same_layout).
  GradientReducer(Communicator& comm, std::vector<size_t> sizes, ReducerOptions options = {});
  ~GradientReducer();

  size_t num_gradients() const { return slots_.size(); }
  size_t num_buckets() const { return buckets_.size(); }
  // The gradients of bucket b, in the order they sit in its buffer.
  const std::vector<size_t>& bucket(size_t b) const { return buckets_[b].gradients; }

  // Where gradient i's values go (sizes[i] floats) before mark_ready(i); after finish(), the
  // reduced values. Valid for the reducer's lifetime; on device() (-1: host memory).
  float* slot(size_t i);
  int device() const { return device_; }
  // Zero-fills every slot and the control values (the start of a step whose gradients
  // accumulate in place).
  void zero();
  // The control values of this step (options.control_floats of them): set before the last
  // bucket launches, that is before backward; after finish(), control() is their reduction.
  void set_control(const std::vector<float>& values);
  std::vector<float> control() const;
  // Gradient i's values are in its slot: launches every complete bucket that is next in order.
  // Throws DistError if it was already marked this step or the all-reduce fails.
  void mark_ready(size_t i);
  // Whether gradient i was marked ready this step.
  bool ready(size_t i) const { return slots_[i].ready; }
  // Zero-fills and launches what is left, waits for every bucket (blocks), and starts the next
  // step. Throws DistError if a collective failed. With a bfloat16 wire, the slots then hold the
  // bfloat16 sums as floats.
  void finish();

  const ReducerStats& stats() const { return stats_; }

 private:
  struct Bucket {
    std::vector<size_t> gradients;
    size_t floats = 0;
    std::unique_ptr<Buffer> buffer;  // floats of the communicator's memory
    std::unique_ptr<Buffer> wire;    // the bfloat16 copy that travels (WireType::kBFloat16)
    size_t pending = 0;  // gradients not yet ready this step
    std::unique_ptr<Work> work;
  };
  struct Slot {
    size_t bucket = 0, offset = 0, size = 0;
    bool ready = false;
  };
  void launch_ready();
  void launch(Bucket& b);

  // Constant after construction.
  Communicator& comm_;
  ReducerOptions options_;
  std::vector<Slot> slots_;
  std::vector<Bucket> buckets_;
  size_t control_offset_ = 0;  // where the control floats start in the last bucket, in floats
  int device_ = -1;
  // Per step.
  size_t next_launch_ = 0;  // buckets [0, next_launch_) are in flight or reduced
  ReducerStats stats_;
};

}  // namespace dist
}  // namespace lasynth

#endif  // LASYNTH_DIST_REDUCER_H_
