// The NCCL backend: on a machine without a GPU, asking for it fails with a clear message
// (label unit); with a GPU, one rank (NCCL refuses two ranks on one device), its collectives
// (suite NcclGpu, label gpu; scripts/device-check.sh nccl runs them on a lent GPU machine).
//
// With one rank every reduction is the identity, so a test that only checks a one-rank sum
// returns its input passes on a communicator that does nothing. What one rank can get wrong is
// the staging through device memory: how many bytes go up and come back, into which host
// buffer, in what order on the stream, from which (reused) device memory, and the error path.
// Each NcclGpu test is built so that a communicator getting one of those wrong fails it: results
// land in a buffer other than the input (all-gather) or over values a stale device buffer would
// not hold (consecutive large all-reduces), and are read only after wait().
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "dist/bfloat16.h"
#include "dist/communicator.h"
#include "dist/world.h"

namespace lasynth {
namespace dist {
namespace {

// Returns null (and records why) where NCCL cannot run here.
std::unique_ptr<Communicator> nccl_or_reason(std::string* reason) {
  try {
    return make_communicator("nccl", world_from_environment());
  } catch (const ConfigError& e) {
    *reason = e.what();
    return nullptr;
  }
}

TEST(Nccl, WithoutAGpuTheErrorSaysSoAndNamesTheFix) {
  std::string reason;
  auto comm = nccl_or_reason(&reason);
  if (comm) GTEST_SKIP() << "a GPU is here: see the NcclGpu tests";
  EXPECT_NE(reason.find("--backend mpi"), std::string::npos) << reason;
}

// Bytes that differ from their neighbours and from any shifted copy of themselves, so that a
// misplaced, truncated or stale copy does not match by chance.
std::vector<unsigned char> pattern(size_t n, unsigned seed) {
  std::vector<unsigned char> bytes(n);
  for (size_t i = 0; i < n; ++i) bytes[i] = static_cast<unsigned char>((i * 7919 + seed) % 251);
  return bytes;
}

// More floats than fit in NCCL's internal buffers (4 MiB by default), and not a multiple of any
// chunk size: the tail is where a wrong byte count shows.
const size_t kLarge = (size_t{1} << 22) + 5;

class NcclGpu : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string reason;
    comm_ = nccl_or_reason(&reason);
    if (!comm_) GTEST_SKIP() << reason;
    ASSERT_EQ(comm_->backend(), "nccl");
    ASSERT_EQ(comm_->size(), 1) << "NCCL tests run one rank (one GPU)";
  }
  std::unique_ptr<Communicator> comm_;
};

// The result must arrive in `received`, a buffer other than the input, entirely: a
// communicator that never copies back, copies to the wrong buffer or offset, or copies fewer
// bytes leaves the sentinel somewhere.
TEST_F(NcclGpu, AllGatherFillsEveryByteOfTheReceivingBuffer) {
  const std::vector<unsigned char> data = pattern(3 * (size_t{1} << 20) + 13, 1);
  std::vector<unsigned char> received(data.size(), 0xAB);
  comm_->allgather(data.data(), data.size(), received.data());
  EXPECT_TRUE(received == data) << "the gathered bytes differ from the sent ones";

  // Two all-gathers (lengths, then the padded texts) of a string longer than one chunk.
  const std::vector<unsigned char> bytes = pattern((size_t{1} << 20) + 3, 2);
  const std::string text(bytes.begin(), bytes.end());
  const std::vector<std::string> all = comm_->allgather_strings(text);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_TRUE(all[0] == text) << "the gathered string differs (length " << all[0].size() << ")";
}

// Two large all-reduces in flight at once, waited for in the other order, then a third after
// both buffers were freed (the stream-ordered pool hands their device memory out again): each
// buffer must come back with its own values, every element, and only after its wait().
TEST_F(NcclGpu, LargeAllReducesKeepEveryValueWhateverTheWaitOrder) {
  std::vector<float> a(kLarge), b(kLarge), c(kLarge);
  for (size_t i = 0; i < kLarge; ++i) {
    a[i] = static_cast<float>(i % 100003) * 0.25f;
    b[i] = -static_cast<float>(i % 99991) - 0.5f;
    c[i] = static_cast<float>(i % 7) + 1000.0f;
  }
  const std::vector<float> a0 = a, b0 = b, c0 = c;
  auto work_a = comm_->allreduce_async(a.data(), a.size(), ReduceOp::kSum);
  auto work_b = comm_->allreduce_async(b.data(), b.size(), ReduceOp::kMax);
  work_b->wait();
  work_a->wait();
  EXPECT_TRUE(work_a->done());
  EXPECT_TRUE(work_b->done());
  work_a->wait();  // a second wait is a no-op
  work_a.reset();
  work_b.reset();
  EXPECT_TRUE(a == a0) << "first all-reduce";
  EXPECT_TRUE(b == b0) << "second all-reduce";

  auto work_c = comm_->allreduce_async(c.data(), c.size(), ReduceOp::kAverage);
  // Polls as the reducer does during backward: done() turns true by itself, and once it has,
  // the values are there without a wait().
  while (!work_c->done()) std::this_thread::yield();
  EXPECT_TRUE(c == c0) << "an all-reduce on reused device memory";
}

// Values a float staging would round (0.1), overflow (1e300) or flush (the smallest denormal):
// every op leaves one rank's doubles bit for bit.
TEST_F(NcclGpu, DoublesKeepFullPrecisionWithEveryOp) {
  const std::vector<double> want = {0.1, -1e300, 1.0 + std::ldexp(1.0, -40),
                                    std::numeric_limits<double>::denorm_min(), 3.0};
  for (ReduceOp op : {ReduceOp::kSum, ReduceOp::kMax, ReduceOp::kAverage}) {
    std::vector<double> d = want;
    comm_->allreduce_doubles(d.data(), d.size(), op);
    EXPECT_EQ(std::memcmp(d.data(), want.data(), want.size() * sizeof(double)), 0)
        << "op " << static_cast<int>(op);
  }
}

// bfloat16 all-reduces (--grad_dtype bf16), staged from the host and in place in a bucket from
// allocate(): one rank's values come back bit for bit.
TEST_F(NcclGpu, BfloatAllReducesStagedAndInPlace) {
  std::vector<uint16_t> host(kLarge);
  for (size_t i = 0; i < kLarge; ++i) host[i] = to_bfloat16(static_cast<float>(i % 1001) - 500.5f);
  const std::vector<uint16_t> want = host;
  comm_->allreduce_bf16_async(host.data(), host.size(), ReduceOp::kSum)->wait();
  EXPECT_TRUE(host == want) << "staged";
  std::unique_ptr<Buffer> bucket = comm_->allocate(kLarge * sizeof(uint16_t));
  bucket->write(0, want.data(), bucket->bytes());
  comm_->allreduce_bf16_async(static_cast<uint16_t*>(bucket->data()), kLarge, ReduceOp::kAverage)
      ->wait();
  std::vector<uint16_t> back(kLarge);
  bucket->read(0, back.data(), bucket->bytes());
  EXPECT_TRUE(back == want) << "in place";
}

// A barrier drains the stream; collectives after it still work, and the job's layout (two
// all-gathers of strings) names this host and rank.
TEST_F(NcclGpu, CollectivesAfterABarrier) {
  comm_->barrier();
  std::vector<unsigned char> bytes = pattern(1000, 3);
  const std::vector<unsigned char> sent = bytes;
  comm_->broadcast(bytes.data(), bytes.size(), 0);
  EXPECT_TRUE(bytes == sent);
  comm_->barrier();
  EXPECT_EQ(job_layout(*comm_),
            "1 rank (nccl) on 1 node: " + comm_->world().host + " ranks 0 local 0");
}

// A collective NCCL refuses (a root outside the job) throws DistError naming the rank and the
// operation instead of crashing or hanging. It aborts the communicator, so it runs last on its
// own one.
TEST_F(NcclGpu, ARefusedCollectiveThrowsNamingRankAndOperation) {
  std::vector<unsigned char> bytes = pattern(64, 4);
  try {
    comm_->broadcast(bytes.data(), bytes.size(), 1);
    FAIL() << "a broadcast from root 1 of a one-rank job succeeded";
  } catch (const DistError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("rank 0"), std::string::npos) << what;
    EXPECT_NE(what.find("broadcast"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace dist
}  // namespace lasynth
