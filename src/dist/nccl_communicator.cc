#include "dist/nccl_communicator.h"

#include <cuda_runtime.h>
#include <fmt/format.h>
#include <nccl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <list>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "dist/progress.h"

namespace lasynth {
namespace dist {
namespace {

double timeout_s() {
  const char* value = std::getenv("LASYNTH_NCCL_TIMEOUT_S");
  return value ? std::max(1.0, std::atof(value)) : 600.0;
}

void check_cuda(cudaError_t rc, int rank, const char* operation) {
  if (rc != cudaSuccess) {
    throw DistError(fmt::format("rank {}: {} failed: {}", rank, operation, cudaGetErrorString(rc)));
  }
}

ncclRedOp_t nccl_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum:
      return ncclSum;
    case ReduceOp::kAverage:
      return ncclAvg;
    case ReduceOp::kMax:
      return ncclMax;
  }
  return ncclSum;
}

// The communicator and what every collective shares: its stream and the polling of errors.
struct NcclState {
  ncclComm_t comm = nullptr;
  cudaStream_t stream = nullptr;
  int rank = 0;
  std::atomic<bool> aborted{false};
  std::mutex mu;
  std::string failure;  // guarded by mu: why the communicator was aborted

  // From any thread: aborts the communicator once (its kernels end, so the streams waiting on
  // them move again) and records why, for the next collective on the main thread to throw.
  std::string abort(const char* operation, const std::string& why) {
    std::lock_guard<std::mutex> lock(mu);
    if (failure.empty()) {
      failure = fmt::format("rank {}: NCCL {} failed ({}); the communicator was aborted", rank,
                            operation, why);
    }
    if (comm && !aborted.exchange(true)) ncclCommAbort(comm);
    return failure;
  }
  // Throws what aborted the communicator, if anything did.
  void raise_if_failed() {
    if (!aborted) return;
    std::lock_guard<std::mutex> lock(mu);
    throw DistError(failure);
  }

  // NCCL calls on a non-blocking communicator may return ncclInProgress: poll until done.
  void check(ncclResult_t rc, const char* operation) {
    raise_if_failed();
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s());
    while (rc == ncclInProgress) {
      if (std::chrono::steady_clock::now() > deadline) fail(operation, "timed out");
      std::this_thread::yield();
      ncclCommGetAsyncError(comm, &rc);
    }
    if (rc != ncclSuccess) fail(operation, ncclGetErrorString(rc));
  }
  [[noreturn]] void fail(const char* operation, const std::string& why) {
    throw DistError(abort(operation, why));
  }
  // Waits for `done` (an event after the collective) while watching NCCL's error and the clock.
  void wait(cudaEvent_t done, const char* operation) {
    const CollectiveScope blocked;
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s());
    while (true) {
      const cudaError_t rc = cudaEventQuery(done);
      if (rc == cudaSuccess) return;
      if (rc != cudaErrorNotReady) fail(operation, cudaGetErrorString(rc));
      ncclResult_t async = ncclSuccess;
      ncclCommGetAsyncError(comm, &async);
      if (async != ncclSuccess && async != ncclInProgress) {
        fail(operation, ncclGetErrorString(async));
      }
      if (std::chrono::steady_clock::now() > deadline) {
        fail(operation, fmt::format("not finished after {:.0f} s (LASYNTH_NCCL_TIMEOUT_S): a "
                                    "rank died or stopped",
                                    timeout_s()));
      }
      std::this_thread::yield();
    }
  }
};

// LibTorch queues its kernels, the gradients' among them, on the legacy default stream.
const cudaStream_t kTorchStream = cudaStreamLegacy;

bool device_memory(const void* data) {
  cudaPointerAttributes attributes;
  if (cudaPointerGetAttributes(&attributes, data) != cudaSuccess) {
    cudaGetLastError();  // host memory CUDA never saw: clear the error, it is not one
    return false;
  }
  return attributes.type == cudaMemoryTypeDevice || attributes.type == cudaMemoryTypeManaged;
}

// Watches the in-place all-reduces that no host thread waits for: their wait() only orders
// LibTorch's stream after the collective and hands the collective's event here. One that fails
// (NCCL's asynchronous error) or outlives LASYNTH_NCCL_TIMEOUT_S aborts the communicator, which
// ends its kernels so that the streams move again; the next collective or wait() on the main
// thread throws why (as c10d's watchdog does).
class Watchdog {
 public:
  Watchdog(NcclState& state, int device) : state_(state), thread_([this, device] { run(device); }) {}
  // Waits for the collectives still watched: each fires, or fails, or times out and aborts.
  ~Watchdog() {
    {
      std::unique_lock<std::mutex> lock(mu_);
      changed_.wait(lock, [&] { return pending_.empty(); });
      stop_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }
  // Takes `done` (recorded after the collective on NCCL's stream) and destroys it when it fired.
  void watch(cudaEvent_t done, const char* operation) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      pending_.push_back({done, operation, std::chrono::steady_clock::now()});
    }
    changed_.notify_all();
  }

 private:
  struct Pending {
    cudaEvent_t done;
    const char* operation;
    std::chrono::steady_clock::time_point since;
  };

  void run(int device) {
    cudaSetDevice(device);
    const auto limit = std::chrono::duration<double>(timeout_s());
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      if (pending_.empty()) {
        changed_.wait(lock, [&] { return stop_ || !pending_.empty(); });
        continue;
      }
      for (auto it = pending_.begin(); it != pending_.end();) {
        const cudaError_t rc = state_.aborted ? cudaSuccess : cudaEventQuery(it->done);
        if (rc == cudaErrorNotReady) {
          ncclResult_t async = ncclSuccess;
          ncclCommGetAsyncError(state_.comm, &async);
          if (async != ncclSuccess && async != ncclInProgress) {
            state_.abort(it->operation, ncclGetErrorString(async));
          } else if (std::chrono::steady_clock::now() - it->since > limit) {
            state_.abort(it->operation,
                         fmt::format("not finished after {:.0f} s (LASYNTH_NCCL_TIMEOUT_S): a rank "
                                     "died or stopped",
                                     timeout_s()));
          }
          ++it;
          continue;
        }
        if (rc != cudaSuccess) state_.abort(it->operation, cudaGetErrorString(rc));
        cudaEventDestroy(it->done);
        it = pending_.erase(it);
      }
      if (pending_.empty()) changed_.notify_all();
      changed_.wait_for(lock, std::chrono::milliseconds(2), [&] { return stop_; });
    }
  }

  NcclState& state_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::list<Pending> pending_;  // guarded by mu_
  bool stop_ = false;           // guarded by mu_
  std::thread thread_;
};

// Bucket memory on the rank's GPU: the gradients are written and reduced where they are.
class DeviceBuffer : public Buffer {
 public:
  DeviceBuffer(void* data, size_t bytes, int device) : Buffer(data, bytes, device) {}
  ~DeviceBuffer() override { cudaFree(data()); }
  // On LibTorch's stream, which writes the gradients next; the all-reduce waits for it.
  void zero(size_t offset, size_t bytes) override {
    check(cudaMemsetAsync(at(offset), 0, bytes, kTorchStream), "cudaMemsetAsync");
  }
  // Pageable host memory: the call returns once the bytes are staged, so `from` may go.
  void write(size_t offset, const void* from, size_t bytes) override {
    check(cudaMemcpyAsync(at(offset), from, bytes, cudaMemcpyHostToDevice, kTorchStream),
          "cudaMemcpyAsync");
  }
  void read(size_t offset, void* to, size_t bytes) const override {
    check(cudaMemcpyAsync(to, at(offset), bytes, cudaMemcpyDeviceToHost, kTorchStream),
          "cudaMemcpyAsync");
    check(cudaStreamSynchronize(kTorchStream), "cudaStreamSynchronize");
  }

 private:
  char* at(size_t offset) const { return static_cast<char*>(data()) + offset; }
  static void check(cudaError_t rc, const char* operation) {
    if (rc != cudaSuccess) {
      throw DistError(
          fmt::format("{} on a gradient bucket failed: {}", operation, cudaGetErrorString(rc)));
    }
  }
};

// An all-reduce of device memory in place: NCCL's stream waits (on the device) for what LibTorch
// queued before it, the gradients; wait() makes LibTorch's stream wait for the all-reduce and
// returns at once, the watchdog watching the collective: no host thread blocks on it.
class NcclInPlaceWork : public Work {
 public:
  NcclInPlaceWork(NcclState& state, Watchdog& watchdog, void* data, size_t count,
                  ncclDataType_t type, ncclRedOp_t op)
      : state_(state), watchdog_(watchdog) {
    state_.raise_if_failed();
    cudaEvent_t produced = nullptr;
    check_cuda(cudaEventCreateWithFlags(&produced, cudaEventDisableTiming), state_.rank,
               "cudaEventCreate");
    check_cuda(cudaEventCreateWithFlags(&done_, cudaEventDisableTiming), state_.rank,
               "cudaEventCreate");
    check_cuda(cudaEventRecord(produced, kTorchStream), state_.rank, "cudaEventRecord");
    check_cuda(cudaStreamWaitEvent(state_.stream, produced, 0), state_.rank, "cudaStreamWaitEvent");
    cudaEventDestroy(produced);  // released once the wait is done with it
    state_.check(ncclAllReduce(data, data, count, type, op, state_.comm, state_.stream),
                 "all-reduce");
    check_cuda(cudaEventRecord(done_, state_.stream), state_.rank, "cudaEventRecord");
  }
  ~NcclInPlaceWork() override {
    if (done_) watchdog_.watch(done_, "all-reduce");
  }
  bool done() override {
    if (!done_) return true;
    if (cudaEventQuery(done_) == cudaErrorNotReady) return false;
    wait();
    return true;
  }
  void wait() override {
    if (!done_) return;
    state_.raise_if_failed();
    check_cuda(cudaStreamWaitEvent(kTorchStream, done_, 0), state_.rank, "cudaStreamWaitEvent");
    watchdog_.watch(done_, "all-reduce");
    done_ = nullptr;
  }

 private:
  NcclState& state_;
  Watchdog& watchdog_;
  cudaEvent_t done_ = nullptr;  // until handed to the watchdog
};

// A staged collective: host -> device, the collective, device -> host, then an event.
class NcclWork : public Work {
 public:
  NcclWork(NcclState& state, void* host, size_t bytes, const char* operation)
      : state_(state), host_(host), bytes_(bytes), operation_(operation) {
    check_cuda(cudaMallocAsync(&device_, std::max<size_t>(bytes, 1), state_.stream), state_.rank,
               "cudaMallocAsync");
    check_cuda(cudaEventCreateWithFlags(&done_, cudaEventDisableTiming), state_.rank,
               "cudaEventCreate");
  }
  ~NcclWork() override {
    if (!finished_ && !state_.aborted) cudaEventSynchronize(done_);
    cudaFreeAsync(device_, state_.stream);
    cudaEventDestroy(done_);
  }
  void* device() { return device_; }
  void upload() {
    check_cuda(cudaMemcpyAsync(device_, host_, bytes_, cudaMemcpyHostToDevice, state_.stream),
               state_.rank, "cudaMemcpyAsync");
  }
  void download_and_record(void* host, size_t bytes) {
    check_cuda(cudaMemcpyAsync(host, device_, bytes, cudaMemcpyDeviceToHost, state_.stream),
               state_.rank, "cudaMemcpyAsync");
    check_cuda(cudaEventRecord(done_, state_.stream), state_.rank, "cudaEventRecord");
  }
  bool done() override {
    if (finished_) return true;
    const cudaError_t rc = cudaEventQuery(done_);
    if (rc == cudaErrorNotReady) return false;
    wait();
    return true;
  }
  void wait() override {
    if (finished_) return;
    state_.wait(done_, operation_);
    finished_ = true;
  }

 private:
  NcclState& state_;
  void* host_;
  size_t bytes_;
  const char* operation_;
  void* device_ = nullptr;
  cudaEvent_t done_ = nullptr;
  bool finished_ = false;
};

class NcclCommunicator : public Communicator {
 public:
  NcclCommunicator(std::unique_ptr<Communicator> bootstrap, const World& world)
      : bootstrap_(std::move(bootstrap)), world_(world) {
    state_.rank = world_.rank;
  }
  ~NcclCommunicator() override {
    watchdog_.reset();
    if (state_.comm && !state_.aborted) ncclCommDestroy(state_.comm);
    if (state_.stream) cudaStreamDestroy(state_.stream);
  }
  void connect(int device) {
    device_ = device;
    check_cuda(cudaSetDevice(device), rank(), "cudaSetDevice");
    check_cuda(cudaStreamCreateWithFlags(&state_.stream, cudaStreamNonBlocking), rank(),
               "cudaStreamCreate");
    ncclUniqueId id;
    std::memset(&id, 0, sizeof(id));
    if (rank() == 0) state_.check(ncclGetUniqueId(&id), "ncclGetUniqueId");
    bootstrap_->broadcast(&id, sizeof(id), 0);
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.blocking = 0;
    state_.check(ncclCommInitRankConfig(&state_.comm, size(), id, rank(), &config),
                 "ncclCommInitRankConfig");
    watchdog_ = std::make_unique<Watchdog>(state_, device);
  }

  const World& world() const override { return world_; }
  std::string backend() const override { return "nccl"; }

  std::unique_ptr<Buffer> allocate(size_t bytes) override {
    void* data = nullptr;
    check_cuda(cudaMalloc(&data, std::max<size_t>(bytes, 1)), rank(), "cudaMalloc");
    auto buffer = std::make_unique<DeviceBuffer>(data, bytes, device_);
    check_cuda(cudaMemset(data, 0, bytes), rank(), "cudaMemset");
    return buffer;
  }

  std::unique_ptr<Work> allreduce_async(float* data, size_t count, ReduceOp op) override {
    return start_allreduce(data, count, ncclFloat, sizeof(float), op);
  }
  std::unique_ptr<Work> allreduce_bf16_async(uint16_t* data, size_t count, ReduceOp op) override {
    return start_allreduce(data, count, ncclBfloat16, sizeof(uint16_t), op);
  }
  void allreduce_doubles(double* data, size_t count, ReduceOp op) override {
    NcclWork work(state_, data, count * sizeof(double), "all-reduce");
    work.upload();
    state_.check(ncclAllReduce(work.device(), work.device(), count, ncclDouble, nccl_op(op),
                               state_.comm, state_.stream),
                 "all-reduce");
    work.download_and_record(data, count * sizeof(double));
    work.wait();
  }
  void broadcast(void* data, size_t bytes, int root) override {
    NcclWork work(state_, data, bytes, "broadcast");
    work.upload();
    state_.check(ncclBroadcast(work.device(), work.device(), bytes, ncclUint8, root, state_.comm,
                               state_.stream),
                 "broadcast");
    work.download_and_record(data, bytes);
    work.wait();
  }
  void allgather(const void* data, size_t bytes, void* received) override {
    NcclWork work(state_, const_cast<void*>(data), bytes * static_cast<size_t>(size()),
                  "all-gather");
    check_cuda(cudaMemcpyAsync(static_cast<char*>(work.device()) + bytes * rank(), data, bytes,
                               cudaMemcpyHostToDevice, state_.stream),
               rank(), "cudaMemcpyAsync");
    char* slot = static_cast<char*>(work.device()) + bytes * rank();
    state_.check(ncclAllGather(slot, work.device(), bytes, ncclUint8, state_.comm, state_.stream),
                 "all-gather");
    work.download_and_record(received, bytes * static_cast<size_t>(size()));
    work.wait();
  }
  // Host bytes that only one rank reads: through the bootstrap's MPI, not the device.
  void gather(const void* data, size_t bytes, void* received, int root) override {
    bootstrap_->gather(data, bytes, received, root);
  }
  void barrier() override {
    const CollectiveScope blocked;
    check_cuda(cudaStreamSynchronize(state_.stream), rank(), "cudaStreamSynchronize");
    bootstrap_->barrier();
  }

 private:
  // In place where the data is on the GPU (a bucket from allocate()); else staged through it.
  std::unique_ptr<Work> start_allreduce(void* data, size_t count, ncclDataType_t type,
                                        size_t width, ReduceOp op) {
    if (device_memory(data)) {
      return std::make_unique<NcclInPlaceWork>(state_, *watchdog_, data, count, type,
                                               nccl_op(op));
    }
    auto work = std::make_unique<NcclWork>(state_, data, count * width, "all-reduce");
    work->upload();
    state_.check(ncclAllReduce(work->device(), work->device(), count, type, nccl_op(op),
                               state_.comm, state_.stream),
                 "all-reduce");
    work->download_and_record(data, count * width);
    return work;
  }

  std::unique_ptr<Communicator> bootstrap_;
  World world_;
  NcclState state_;
  int device_ = 0;
  std::unique_ptr<Watchdog> watchdog_;  // before the communicator is destroyed, stopped
};

}  // namespace

std::unique_ptr<Communicator> make_nccl_communicator(const World& world) {
  int devices = 0;
  const cudaError_t rc = cudaGetDeviceCount(&devices);
  if (rc != cudaSuccess || devices == 0) {
    throw ConfigError(
        fmt::format("NCCL (--backend nccl, or auto with --device cuda on several ranks): no CUDA "
                    "device on {} ({}); on CPU machines use --device cpu and --backend mpi",
                    world.host, rc != cudaSuccess ? cudaGetErrorString(rc) : "0 devices"));
  }
  // MPI (or, for one process, nothing) carries the unique id and the barriers.
  std::unique_ptr<Communicator> bootstrap = make_communicator("mpi", world);
  const World w = bootstrap->world();
  auto comm = std::make_unique<NcclCommunicator>(std::move(bootstrap), w);
  // The local rank picks the device; never per-task CUDA_VISIBLE_DEVICES, which hides the other
  // GPUs of the node from NCCL's peer-to-peer paths.
  comm->connect(w.local_rank % devices);
  return comm;
}

}  // namespace dist
}  // namespace lasynth
