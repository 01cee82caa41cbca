// In-process ranks for tests of code that talks through dist::Communicator (the reducer,
// DataParallel): each rank is a thread with its own FakeCommunicator, and a Hub joins the n-th
// collective of every rank, as a real backend does. Every collective computes what MPI would
// (sums in rank order, averages, maxima, broadcast from any root, all-gather in rank order,
// gather to any root, barrier), so code under test that calls collectives in another order on
// another rank, with other sizes, or reads an asynchronous result before wait(), gets a wrong
// answer or an error.
//   - A collective completes when every rank joined it; the last rank to join computes the
//     result, and each rank copies it into its own buffer in wait() (or a done() that returns
//     true), never earlier: a buffer read before wait() still holds the rank's own values.
//   - Ranks whose n-th collectives differ (operation, size, root, reduce op) all get a DistError
//     naming the ranks and what each called, instead of a hang or a silent mix-up.
//   - A rank that waits longer than the hub's timeout for the others, or for a rank that
//     left (threw, under run_ranks), gets a DistError naming the collective and the ranks
//     that never joined it.
// Thread-safety: Hub is thread-safe; a FakeCommunicator and its Work belong to one thread.
#ifndef LASYNTH_TESTS_DIST_FAKE_COMMUNICATOR_H_
#define LASYNTH_TESTS_DIST_FAKE_COMMUNICATOR_H_

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "dist/bfloat16.h"
#include "dist/communicator.h"

namespace lasynth {
namespace dist {
namespace fake {

class Hub {
 public:
  enum class Kind {
    kAllreduceFloat,
    kAllreduceDouble,
    kAllreduceBf16,
    kBroadcast,
    kAllgather,
    kGather,
    kBarrier
  };

  // One rank's part in a collective.
  struct Part {
    Kind kind = Kind::kBarrier;
    ReduceOp op = ReduceOp::kSum;
    int root = 0;
    std::vector<char> bytes;  // what the rank contributes (its buffer at the call)
  };

  // A collective as every rank sees it.
  struct Call {
    std::vector<Part> parts;  // by rank
    std::vector<bool> joined;
    int num_joined = 0;
    bool complete = false;
    std::string error;         // set instead of `result` when the ranks disagree
    std::vector<char> result;  // what every rank's output buffer receives
  };

  explicit Hub(int ranks, std::chrono::milliseconds timeout = std::chrono::seconds(60))
      : ranks_(ranks), timeout_(timeout) {}

  int size() const { return ranks_; }

  // Adds `rank`'s part to its `seq`-th collective; non-blocking. The last rank to join
  // completes the call for all.
  std::shared_ptr<Call> join(int rank, int64_t seq, Part part) {
    std::lock_guard<std::mutex> lock(mu_);
    std::shared_ptr<Call>& call = calls_[seq];
    if (!call) {
      call = std::make_shared<Call>();
      call->parts.resize(static_cast<size_t>(ranks_));
      call->joined.assign(static_cast<size_t>(ranks_), false);
    }
    call->parts[static_cast<size_t>(rank)] = std::move(part);
    call->joined[static_cast<size_t>(rank)] = true;
    if (++call->num_joined == ranks_) {
      complete(seq, *call);
      changed_.notify_all();
    }
    return call;
  }

  // Blocks until `call` (rank's `seq`-th) completed; throws DistError if the ranks disagreed
  // or some rank did not join within the timeout.
  void wait(int rank, int64_t seq, const Call& call) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!changed_.wait_for(lock, timeout_, [&] { return call.complete || !left_.empty(); }) ||
        !call.complete) {
      std::string missing;
      for (int r = 0; r < ranks_; ++r) {
        if (!call.joined[static_cast<size_t>(r)]) missing += " " + std::to_string(r);
      }
      throw DistError("rank " + std::to_string(rank) + ": collective #" + std::to_string(seq) +
                      " not joined by rank(s)" + missing +
                      (left_.empty() ? " within the fake's timeout" : " (" + left_ + ")"));
    }
    if (!call.error.empty()) throw DistError("rank " + std::to_string(rank) + ": " + call.error);
  }

  // Non-blocking: whether `call` completed.
  bool complete(const Call& call) {
    std::lock_guard<std::mutex> lock(mu_);
    return call.complete;
  }

  // `rank` takes part in no further collective (it failed because of `why`): ranks waiting for
  // it fail instead of waiting for the timeout.
  void leave(int rank, const std::string& why) {
    std::lock_guard<std::mutex> lock(mu_);
    if (left_.empty()) left_ = "rank " + std::to_string(rank) + " left: " + why;
    changed_.notify_all();
  }

 private:
  static const char* name(Kind kind) {
    switch (kind) {
      case Kind::kAllreduceFloat:
        return "all-reduce (float)";
      case Kind::kAllreduceBf16:
        return "all-reduce (bfloat16)";
      case Kind::kAllreduceDouble:
        return "all-reduce (double)";
      case Kind::kBroadcast:
        return "broadcast";
      case Kind::kAllgather:
        return "all-gather";
      case Kind::kGather:
        return "gather";
      case Kind::kBarrier:
        return "barrier";
    }
    return "?";
  }

  static std::string describe(const Part& p) {
    return std::string(name(p.kind)) + " of " + std::to_string(p.bytes.size()) + " bytes" +
           (p.kind == Kind::kBroadcast || p.kind == Kind::kGather
                ? " to/from root " + std::to_string(p.root)
                : "") +
           (reduces(p.kind) ? " op " + std::to_string(static_cast<int>(p.op))
                : "");
  }

  static bool reduces(Kind k) {
    return k == Kind::kAllreduceFloat || k == Kind::kAllreduceDouble || k == Kind::kAllreduceBf16;
  }

  // As the MPI communicator's (dist/bfloat16.h): each partial result rounded to bfloat16.
  static std::vector<char> reduce_bf16(const std::vector<Part>& parts, ReduceOp op) {
    const size_t n = parts[0].bytes.size() / sizeof(uint16_t);
    std::vector<uint16_t> acc(n), x(n);
    std::memcpy(acc.data(), parts[0].bytes.data(), n * sizeof(uint16_t));
    for (size_t r = 1; r < parts.size(); ++r) {
      std::memcpy(x.data(), parts[r].bytes.data(), n * sizeof(uint16_t));
      for (size_t i = 0; i < n; ++i) {
        acc[i] = op == ReduceOp::kMax ? max_bfloat16(acc[i], x[i]) : add_bfloat16(acc[i], x[i]);
      }
    }
    if (op == ReduceOp::kAverage) {
      divide_bfloat16(acc.data(), n, static_cast<float>(parts.size()));
    }
    std::vector<char> out(n * sizeof(uint16_t));
    std::memcpy(out.data(), acc.data(), out.size());
    return out;
  }

  template <typename T>
  static std::vector<char> reduce(const std::vector<Part>& parts, ReduceOp op) {
    const size_t n = parts[0].bytes.size() / sizeof(T);
    std::vector<T> acc(n), x(n);
    std::memcpy(acc.data(), parts[0].bytes.data(), n * sizeof(T));
    for (size_t r = 1; r < parts.size(); ++r) {
      std::memcpy(x.data(), parts[r].bytes.data(), n * sizeof(T));
      for (size_t i = 0; i < n; ++i)
        acc[i] = op == ReduceOp::kMax ? std::max(acc[i], x[i]) : acc[i] + x[i];
    }
    if (op == ReduceOp::kAverage) {
      for (T& a : acc) a /= static_cast<T>(parts.size());
    }
    std::vector<char> out(n * sizeof(T));
    std::memcpy(out.data(), acc.data(), out.size());
    return out;
  }

  // REQUIRES: mu_ held, every rank joined.
  void complete(int64_t seq, Call& call) {
    const Part& first = call.parts[0];
    for (size_t r = 1; r < call.parts.size(); ++r) {
      const Part& p = call.parts[r];
      // An all-gather's ranks may not disagree on the size either: every rank sends as many
      // bytes. The reduce op and root matter only where the operation reads them.
      const bool same =
          p.kind == first.kind && p.bytes.size() == first.bytes.size() &&
          ((p.kind != Kind::kBroadcast && p.kind != Kind::kGather) || p.root == first.root) &&
          (!reduces(p.kind) || p.op == first.op);
      if (!same) {
        call.error = "collective #" + std::to_string(seq) + ": rank 0 called " + describe(first) +
                     ", rank " + std::to_string(r) + " " + describe(p);
        call.complete = true;
        return;
      }
    }
    switch (first.kind) {
      case Kind::kAllreduceFloat:
        call.result = reduce<float>(call.parts, first.op);
        break;
      case Kind::kAllreduceDouble:
        call.result = reduce<double>(call.parts, first.op);
        break;
      case Kind::kAllreduceBf16:
        call.result = reduce_bf16(call.parts, first.op);
        break;
      case Kind::kBroadcast:
        if (first.root < 0 || first.root >= ranks_) {
          call.error = "collective #" + std::to_string(seq) + ": broadcast from root " +
                       std::to_string(first.root) + " of " + std::to_string(ranks_) + " ranks";
        } else {
          call.result = call.parts[static_cast<size_t>(first.root)].bytes;
        }
        break;
      case Kind::kAllgather:
      case Kind::kGather:
        for (const Part& p : call.parts) {
          call.result.insert(call.result.end(), p.bytes.begin(), p.bytes.end());
        }
        break;
      case Kind::kBarrier:
        break;
    }
    call.complete = true;
  }

  const int ranks_;
  const std::chrono::milliseconds timeout_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::map<int64_t, std::shared_ptr<Call>> calls_;  // guarded by mu_
  std::string left_;  // guarded by mu_: why the first rank that left did
};

// An all-reduce in flight: the result reaches the rank's buffer in wait(), or in a done() that
// returns true.
class FakeWork : public Work {
 public:
  FakeWork(Hub& hub, int rank, int64_t seq, std::shared_ptr<Hub::Call> call, void* data)
      : hub_(hub), rank_(rank), seq_(seq), call_(std::move(call)), data_(data) {}
  bool done() override {
    if (!delivered_ && hub_.complete(*call_)) wait();
    return delivered_;
  }
  void wait() override {
    if (delivered_) return;
    hub_.wait(rank_, seq_, *call_);
    if (data_) std::memcpy(data_, call_->result.data(), call_->result.size());
    delivered_ = true;
  }

 private:
  Hub& hub_;
  const int rank_;
  const int64_t seq_;
  const std::shared_ptr<Hub::Call> call_;
  void* const data_;
  bool delivered_ = false;
};

class FakeCommunicator : public Communicator {
 public:
  // Rank `rank` of hub.size() ranks, all on one host.
  FakeCommunicator(Hub& hub, int rank) : hub_(hub) {
    world_.rank = world_.local_rank = rank;
    world_.size = world_.local_size = hub.size();
    world_.host = "fake-host";
  }
  const World& world() const override { return world_; }
  std::string backend() const override { return "fake"; }

  std::unique_ptr<Work> allreduce_async(float* data, size_t count, ReduceOp op) override {
    return start(Hub::Kind::kAllreduceFloat, op, 0, data, count * sizeof(float));
  }
  std::unique_ptr<Work> allreduce_bf16_async(uint16_t* data, size_t count, ReduceOp op) override {
    return start(Hub::Kind::kAllreduceBf16, op, 0, data, count * sizeof(uint16_t));
  }
  void allreduce_doubles(double* data, size_t count, ReduceOp op) override {
    start(Hub::Kind::kAllreduceDouble, op, 0, data, count * sizeof(double))->wait();
  }
  void broadcast(void* data, size_t bytes, int root) override {
    start(Hub::Kind::kBroadcast, ReduceOp::kSum, root, data, bytes)->wait();
  }
  void allgather(const void* data, size_t bytes, void* received) override {
    Hub::Part part{
        Hub::Kind::kAllgather, ReduceOp::kSum, 0,
        std::vector<char>(static_cast<const char*>(data), static_cast<const char*>(data) + bytes)};
    const int64_t seq = next_++;
    FakeWork(hub_, rank(), seq, hub_.join(rank(), seq, std::move(part)), received).wait();
  }
  // Only the root's `received` gets the result; the hub checks that every rank names one root.
  void gather(const void* data, size_t bytes, void* received, int root) override {
    Hub::Part part{
        Hub::Kind::kGather, ReduceOp::kSum, root,
        std::vector<char>(static_cast<const char*>(data), static_cast<const char*>(data) + bytes)};
    const int64_t seq = next_++;
    FakeWork(hub_, rank(), seq, hub_.join(rank(), seq, std::move(part)),
             rank() == root ? received : nullptr)
        .wait();
  }
  void barrier() override { start(Hub::Kind::kBarrier, ReduceOp::kSum, 0, nullptr, 0)->wait(); }

  // How many collectives this rank has started: lets a test check that a step communicated
  // nothing.
  int64_t collectives_started() const { return next_; }

 private:
  std::unique_ptr<Work> start(Hub::Kind kind, ReduceOp op, int root, void* data, size_t bytes) {
    Hub::Part part{kind, op, root,
                   std::vector<char>(static_cast<char*>(data), static_cast<char*>(data) + bytes)};
    const int64_t seq = next_++;
    return std::make_unique<FakeWork>(hub_, rank(), seq, hub_.join(rank(), seq, std::move(part)),
                                      data);
  }

  Hub& hub_;
  World world_;
  int64_t next_ = 0;
};

// Runs body(comm) for every rank of a new hub, each rank on its own thread, and returns what
// each rank threw (empty where it returned): an exception must not escape a thread.
inline std::vector<std::string> run_ranks(
    int ranks, const std::function<void(FakeCommunicator&)>& body,
    std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  Hub hub(ranks, timeout);
  std::vector<std::string> errors(static_cast<size_t>(ranks));
  std::vector<std::thread> threads;
  for (int r = 0; r < ranks; ++r) {
    threads.emplace_back([&, r] {
      FakeCommunicator comm(hub, r);
      try {
        body(comm);
      } catch (const std::exception& e) {
        const std::string what = e.what();
        errors[static_cast<size_t>(r)] = what.empty() ? "an exception without a message" : what;
        hub.leave(r, errors[static_cast<size_t>(r)]);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  return errors;
}

}  // namespace fake
}  // namespace dist
}  // namespace lasynth

#endif  // LASYNTH_TESTS_DIST_FAKE_COMMUNICATOR_H_
