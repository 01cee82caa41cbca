// The reducer against in-process ranks: each rank is a thread with its own reducer, and a hub
// sums the buffers of the n-th all-reduce of every rank, so the bucket protocol (same order on
// every rank, zero-fill, sums) is checked without MPI.
#include "dist/reducer.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <numeric>
#include <thread>

#include "core/error.h"

namespace lasynth {
namespace dist {
namespace {

class Hub {
 public:
  explicit Hub(int ranks) : ranks_(ranks) {}
  // Joins the `seq`-th all-reduce; returns once every rank has joined it.
  void reduce(int64_t seq, float* data, size_t count) {
    std::unique_lock<std::mutex> lock(mu_);
    Call& c = calls_[seq];
    c.buffers.push_back(data);
    c.counts.push_back(count);
    if (static_cast<int>(c.buffers.size()) == ranks_) {
      std::vector<float> sum(count, 0.0f);
      for (float* b : c.buffers) {
        for (size_t i = 0; i < count; ++i) sum[i] += b[i];
      }
      for (float* b : c.buffers) std::copy(sum.begin(), sum.end(), b);
      c.complete = true;
      changed_.notify_all();
    }
    changed_.wait(lock, [&] { return c.complete; });
  }
  // Whether every rank passed the same count to each all-reduce.
  bool same_counts() {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [seq, c] : calls_) {
      for (size_t n : c.counts) {
        if (n != c.counts[0]) return false;
      }
    }
    return true;
  }

 private:
  struct Call {
    std::vector<float*> buffers;
    std::vector<size_t> counts;
    bool complete = false;
  };
  const int ranks_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::map<int64_t, Call> calls_;
};

// Completes at wait(): the hub's reduce blocks until every rank joined.
class HubWork : public Work {
 public:
  HubWork(Hub& hub, int64_t seq, float* data, size_t count)
      : hub_(hub), seq_(seq), data_(data), count_(count) {}
  bool done() override { return false; }
  void wait() override { hub_.reduce(seq_, data_, count_); }

 private:
  Hub& hub_;
  int64_t seq_;
  float* data_;
  size_t count_;
};

class HubCommunicator : public Communicator {
 public:
  HubCommunicator(Hub& hub, int rank, int size) : hub_(hub) {
    world_.rank = rank;
    world_.size = size;
  }
  const World& world() const override { return world_; }
  std::string backend() const override { return "hub"; }
  std::unique_ptr<Work> allreduce_async(float* data, size_t count, ReduceOp op) override {
    EXPECT_EQ(op, ReduceOp::kSum);
    return std::make_unique<HubWork>(hub_, next_++, data, count);
  }
  void allreduce_doubles(double*, size_t, ReduceOp) override { ADD_FAILURE() << "not used"; }
  void broadcast(void*, size_t, int) override { ADD_FAILURE() << "not used"; }
  void allgather(const void*, size_t, void*) override { ADD_FAILURE() << "not used"; }
  void barrier() override { ADD_FAILURE() << "not used"; }

 private:
  Hub& hub_;
  World world_;
  int64_t next_ = 0;
};

const std::vector<size_t> kSizes = {300, 5, 1000, 20, 700, 3};

TEST(Reducer, BucketsInReverseParameterOrderFirstOneSmall) {
  Hub hub(1);
  HubCommunicator comm(hub, 0, 1);
  ReducerOptions o;
  o.first_bucket_bytes = 100 * sizeof(float);
  o.bucket_bytes = 1100 * sizeof(float);
  GradientReducer r(comm, kSizes, o);
  ASSERT_EQ(r.num_buckets(), 4u);
  EXPECT_EQ(r.bucket(0), (std::vector<size_t>{5}));     // 3 floats; 703 would exceed 100
  EXPECT_EQ(r.bucket(1), (std::vector<size_t>{4, 3}));  // 720; 1720 would exceed 1100
  EXPECT_EQ(r.bucket(2), (std::vector<size_t>{2, 1}));  // 1005; 1305 would exceed 1100
  EXPECT_EQ(r.bucket(3), (std::vector<size_t>{0}));
}

TEST(Reducer, SumsOverRanksWhateverOrderGradientsArrive) {
  const int ranks = 3;
  Hub hub(ranks);
  ReducerOptions o;
  o.first_bucket_bytes = 100 * sizeof(float);
  o.bucket_bytes = 800 * sizeof(float);
  std::vector<std::vector<std::vector<float>>> results(ranks);
  std::vector<std::thread> threads;
  for (int rank = 0; rank < ranks; ++rank) {
    threads.emplace_back([&, rank] {
      HubCommunicator comm(hub, rank, ranks);
      GradientReducer r(comm, kSizes, o);
      for (int step = 0; step < 2; ++step) {
        // Rank 0 produces gradients in parameter order, rank 1 in reverse, rank 2 none (an
        // empty batch); every gradient value names rank, step, gradient and position.
        std::vector<size_t> order(kSizes.size());
        std::iota(order.begin(), order.end(), 0);
        if (rank == 1) std::reverse(order.begin(), order.end());
        if (rank == 2) order.clear();
        for (size_t g : order) {
          for (size_t i = 0; i < kSizes[g]; ++i) {
            r.slot(g)[i] = static_cast<float>((rank + 1) * 1000 + step * 100 + g * 10 + i % 7);
          }
          r.mark_ready(g);
        }
        r.finish();
        if (step == 1) {
          for (size_t g = 0; g < kSizes.size(); ++g) {
            results[rank].emplace_back(r.slot(g), r.slot(g) + kSizes[g]);
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(hub.same_counts());
  for (size_t g = 0; g < kSizes.size(); ++g) {
    for (size_t i = 0; i < kSizes[g]; ++i) {
      // Ranks 0 and 1 contributed; rank 2's slots were zero-filled.
      const float want = 1000 + 2000 + 2 * (100 + g * 10 + i % 7);
      ASSERT_EQ(results[0][g][i], want) << "gradient " << g << " element " << i;
      ASSERT_EQ(results[1][g][i], want);
      ASSERT_EQ(results[2][g][i], want);
    }
  }
}

TEST(Reducer, AGradientReadyTwiceInOneStepIsAnError) {
  Hub hub(1);
  HubCommunicator comm(hub, 0, 1);
  GradientReducer r(comm, kSizes);
  r.mark_ready(1);
  EXPECT_THROW(r.mark_ready(1), DistError);
}

}  // namespace
}  // namespace dist
}  // namespace lasynth
