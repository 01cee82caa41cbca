#include "dist/mpi_communicator.h"

#include <fmt/format.h>
#include <mpi.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <limits>
#include <vector>

#include "core/error.h"
#include "dist/bfloat16.h"
#include "dist/progress.h"

namespace lasynth {
namespace dist {
namespace {

bool mpi_running() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  return initialized && !finalized;
}

void finalize_at_exit() {
  if (mpi_running()) MPI_Finalize();
}

void check(int rc, int rank, const char* operation) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  MPI_Error_string(rc, text, &length);
  throw DistError(fmt::format("rank {}: {} failed: {}", rank, operation, text));
}

MPI_Op mpi_op(ReduceOp op) { return op == ReduceOp::kMax ? MPI_MAX : MPI_SUM; }

// bfloat16 has no MPI type: its bits travel as MPI_UINT16_T and these operations add (or max)
// them in float, rounding each partial result to bfloat16 as NCCL does.
void bf16_sum(void* in, void* inout, int* count, MPI_Datatype*) {
  const auto* a = static_cast<const uint16_t*>(in);
  auto* b = static_cast<uint16_t*>(inout);
  for (int i = 0; i < *count; ++i) b[i] = add_bfloat16(a[i], b[i]);
}
void bf16_max(void* in, void* inout, int* count, MPI_Datatype*) {
  const auto* a = static_cast<const uint16_t*>(in);
  auto* b = static_cast<uint16_t*>(inout);
  for (int i = 0; i < *count; ++i) b[i] = max_bfloat16(a[i], b[i]);
}

MPI_Op mpi_bf16_op(ReduceOp op) {
  static MPI_Op sum = MPI_OP_NULL, max = MPI_OP_NULL;  // freed by MPI_Finalize
  MPI_Op& made = op == ReduceOp::kMax ? max : sum;
  if (made == MPI_OP_NULL) MPI_Op_create(op == ReduceOp::kMax ? bf16_max : bf16_sum, 1, &made);
  return made;
}

// An all-reduce in flight; `finish` runs once it completed (an average's division).
class MpiWork : public Work {
 public:
  MpiWork(MPI_Request request, int rank, std::function<void()> finish)
      : request_(request), rank_(rank), finish_(std::move(finish)) {}
  ~MpiWork() override {
    if (request_ != MPI_REQUEST_NULL) MPI_Wait(&request_, MPI_STATUS_IGNORE);
  }
  bool done() override {
    if (request_ == MPI_REQUEST_NULL) return true;
    int flag = 0;
    check(MPI_Test(&request_, &flag, MPI_STATUS_IGNORE), rank_, "MPI_Test (all-reduce)");
    if (flag) finish();
    return flag != 0;
  }
  void wait() override {
    if (request_ == MPI_REQUEST_NULL) return;
    const CollectiveScope blocked;
    check(MPI_Wait(&request_, MPI_STATUS_IGNORE), rank_, "MPI_Wait (all-reduce)");
    finish();
  }

 private:
  void finish() {
    request_ = MPI_REQUEST_NULL;
    if (finish_) finish_();
  }

  MPI_Request request_;
  int rank_;
  std::function<void()> finish_;
};

class MpiCommunicator : public Communicator {
 public:
  explicit MpiCommunicator(const World& world) : world_(world) {}
  const World& world() const override { return world_; }
  std::string backend() const override { return "mpi"; }

  std::unique_ptr<Work> allreduce_async(float* data, size_t count, ReduceOp op) override {
    MPI_Request request = MPI_REQUEST_NULL;
    check(MPI_Iallreduce(MPI_IN_PLACE, data, checked(count), MPI_FLOAT, mpi_op(op), MPI_COMM_WORLD,
                         &request),
          rank(), "MPI_Iallreduce");
    std::function<void()> finish;
    if (op == ReduceOp::kAverage) {
      const float scale = 1.0f / static_cast<float>(size());
      finish = [=] { std::for_each(data, data + count, [&](float& x) { x *= scale; }); };
    }
    return std::make_unique<MpiWork>(request, rank(), std::move(finish));
  }
  std::unique_ptr<Work> allreduce_bf16_async(uint16_t* data, size_t count, ReduceOp op) override {
    MPI_Request request = MPI_REQUEST_NULL;
    check(MPI_Iallreduce(MPI_IN_PLACE, data, checked(count), MPI_UINT16_T, mpi_bf16_op(op),
                         MPI_COMM_WORLD, &request),
          rank(), "MPI_Iallreduce (bfloat16)");
    std::function<void()> finish;
    if (op == ReduceOp::kAverage) {
      const float ranks = static_cast<float>(size());
      finish = [=] { divide_bfloat16(data, count, ranks); };
    }
    return std::make_unique<MpiWork>(request, rank(), std::move(finish));
  }
  void allreduce_doubles(double* data, size_t count, ReduceOp op) override {
    const CollectiveScope blocked;
    check(MPI_Allreduce(MPI_IN_PLACE, data, checked(count), MPI_DOUBLE, mpi_op(op), MPI_COMM_WORLD),
          rank(), "MPI_Allreduce");
    if (op == ReduceOp::kAverage) {
      std::for_each(data, data + count, [&](double& x) { x /= size(); });
    }
  }
  void broadcast(void* data, size_t bytes, int root) override {
    const CollectiveScope blocked;
    check(MPI_Bcast(data, checked(bytes), MPI_BYTE, root, MPI_COMM_WORLD), rank(), "MPI_Bcast");
  }
  void allgather(const void* data, size_t bytes, void* received) override {
    const CollectiveScope blocked;
    check(MPI_Allgather(data, checked(bytes), MPI_BYTE, received, checked(bytes), MPI_BYTE,
                        MPI_COMM_WORLD),
          rank(), "MPI_Allgather");
  }
  void gather(const void* data, size_t bytes, void* received, int root) override {
    const CollectiveScope blocked;
    check(MPI_Gather(data, checked(bytes), MPI_BYTE, received, checked(bytes), MPI_BYTE, root,
                     MPI_COMM_WORLD),
          rank(), "MPI_Gather");
  }
  void barrier() override {
    const CollectiveScope blocked;
    check(MPI_Barrier(MPI_COMM_WORLD), rank(), "MPI_Barrier");
  }

  World& mutable_world() { return world_; }

 private:
  int checked(size_t count) const {
    if (count > static_cast<size_t>(std::numeric_limits<int>::max())) {
      throw DistError(fmt::format("rank {}: a collective of {} elements exceeds MPI's int count",
                                  rank(), count));
    }
    return static_cast<int>(count);
  }

  World world_;
};

}  // namespace

std::unique_ptr<Communicator> make_mpi_communicator(const World& announced) {
  if (!mpi_running()) {
    int provided = 0;
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
      throw DistError(fmt::format("rank {}: MPI_Init failed", announced.rank));
    }
    std::atexit(finalize_at_exit);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  }
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (announced.launcher != "single" && (rank != announced.rank || size != announced.size)) {
    throw DistError(fmt::format(
        "{} announced rank {} of {}, but MPI sees rank {} of {}: the launcher and the MPI library "
        "disagree (with SLURM, use `srun --mpi=pmix`)",
        announced.launcher, announced.rank, announced.size, rank, size));
  }
  auto comm = std::make_unique<MpiCommunicator>(announced);
  World& w = comm->mutable_world();
  w.rank = rank;
  w.size = size;
  // The layout from MPI itself: ranks sharing memory share a node.
  MPI_Comm local;
  check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &local),
        rank, "MPI_Comm_split_type");
  MPI_Comm_rank(local, &w.local_rank);
  MPI_Comm_size(local, &w.local_size);
  MPI_Comm_free(&local);
  const std::vector<std::string> hosts = comm->allgather_strings(w.host);
  std::vector<std::string> seen;
  for (int r = 0; r <= rank; ++r) {
    if (std::find(seen.begin(), seen.end(), hosts[r]) == seen.end()) seen.push_back(hosts[r]);
  }
  w.node = static_cast<int>(std::find(seen.begin(), seen.end(), w.host) - seen.begin());
  return comm;
}

void abort_job(int code) {
  if (mpi_running()) MPI_Abort(MPI_COMM_WORLD, code);
}

}  // namespace dist
}  // namespace lasynth
