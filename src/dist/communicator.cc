#include "dist/communicator.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "dist/mpi_communicator.h"
#ifdef LASYNTH_WITH_NCCL
#include "dist/nccl_communicator.h"
#endif

namespace lasynth {
namespace dist {
namespace {

class DoneWork : public Work {
 public:
  bool done() override { return true; }
  void wait() override {}
};

class HostBuffer : public Buffer {
 public:
  HostBuffer(std::vector<float> floats, size_t bytes)
      : Buffer(floats.data(), bytes, -1), floats_(std::move(floats)) {}
  void zero(size_t offset, size_t bytes) override {
    std::memset(static_cast<char*>(data()) + offset, 0, bytes);
  }
  void write(size_t offset, const void* from, size_t bytes) override {
    std::memcpy(static_cast<char*>(data()) + offset, from, bytes);
  }
  void read(size_t offset, void* to, size_t bytes) const override {
    std::memcpy(to, static_cast<const char*>(data()) + offset, bytes);
  }

 private:
  std::vector<float> floats_;  // float-aligned, whatever the data
};

// One process, no launcher: every collective is the identity, and no MPI is started.
class LocalCommunicator : public Communicator {
 public:
  explicit LocalCommunicator(const World& world) : world_(world) {}
  const World& world() const override { return world_; }
  std::string backend() const override { return "local"; }
  std::unique_ptr<Work> allreduce_async(float*, size_t, ReduceOp) override {
    return std::make_unique<DoneWork>();
  }
  std::unique_ptr<Work> allreduce_bf16_async(uint16_t*, size_t, ReduceOp) override {
    return std::make_unique<DoneWork>();
  }
  void allreduce_doubles(double*, size_t, ReduceOp) override {}
  void broadcast(void*, size_t, int) override {}
  void allgather(const void* data, size_t bytes, void* received) override {
    std::memcpy(received, data, bytes);
  }
  void gather(const void* data, size_t bytes, void* received, int) override {
    std::memcpy(received, data, bytes);
  }
  void barrier() override {}

 private:
  World world_;
};

// Every rank's string, padded to the longest so that one fixed-size collective carries them all:
// to every rank (root < 0) or to `root` alone, the others getting an empty vector. The lengths go
// to every rank (8 bytes each) so that all agree on the padded size.
std::vector<std::string> exchange_strings(Communicator& comm, const std::string& text, int root) {
  const uint64_t length = text.size();
  std::vector<uint64_t> lengths(static_cast<size_t>(comm.size()));
  comm.allgather(&length, sizeof(length), lengths.data());
  const uint64_t longest = *std::max_element(lengths.begin(), lengths.end());
  std::string padded = text;
  padded.resize(longest);
  const bool receives = root < 0 || comm.rank() == root;
  std::string all(receives ? longest * lengths.size() : 0, '\0');
  if (root < 0) {
    comm.allgather(padded.data(), longest, all.data());
  } else {
    comm.gather(padded.data(), longest, receives ? all.data() : nullptr, root);
  }
  std::vector<std::string> texts;
  if (!receives) return texts;
  for (size_t r = 0; r < lengths.size(); ++r) texts.push_back(all.substr(r * longest, lengths[r]));
  return texts;
}

}  // namespace

std::unique_ptr<Buffer> Communicator::allocate(size_t bytes) {
  return std::make_unique<HostBuffer>(
      std::vector<float>((bytes + sizeof(float) - 1) / sizeof(float)), bytes);
}

std::vector<std::string> Communicator::allgather_strings(const std::string& text) {
  return exchange_strings(*this, text, -1);
}

std::vector<std::string> Communicator::gather_strings(const std::string& text, int root) {
  return exchange_strings(*this, text, root);
}

std::string job_layout(Communicator& comm) {
  const World& w = comm.world();
  const std::vector<std::string> all =
      comm.allgather_strings(fmt::format("{} {}", w.host, w.local_rank));
  std::vector<std::string> hosts;
  std::vector<std::vector<std::string>> ranks, locals;
  for (size_t r = 0; r < all.size(); ++r) {
    const size_t space = all[r].rfind(' ');
    const std::string host = all[r].substr(0, space);
    auto it = std::find(hosts.begin(), hosts.end(), host);
    if (it == hosts.end()) {
      hosts.push_back(host);
      ranks.emplace_back();
      locals.emplace_back();
      it = hosts.end() - 1;
    }
    const size_t node = static_cast<size_t>(it - hosts.begin());
    ranks[node].push_back(std::to_string(r));
    locals[node].push_back(all[r].substr(space + 1));
  }
  std::string text =
      fmt::format("{} rank{} ({}) on {} node{}:", all.size(), all.size() == 1 ? "" : "s",
                  comm.backend(), hosts.size(), hosts.size() == 1 ? "" : "s");
  for (size_t n = 0; n < hosts.size(); ++n) {
    text += fmt::format("{} {} ranks {} local {}", n ? ";" : "", hosts[n], fmt::join(ranks[n], ","),
                        fmt::join(locals[n], ","));
  }
  return text;
}

std::unique_ptr<Communicator> make_communicator(const std::string& backend, const World& world) {
  if (backend == "mpi") {
    if (!world.needs_mpi()) return std::make_unique<LocalCommunicator>(world);
    return make_mpi_communicator(world);
  }
  if (backend == "nccl") {
#ifdef LASYNTH_WITH_NCCL
    return make_nccl_communicator(world);
#else
    throw ConfigError(
        "--backend nccl: this build has no NCCL (CUDA and NCCL were not found when it was "
        "configured); use --backend mpi, or rebuild where /usr/local/cuda has NCCL");
#endif
  }
  throw ConfigError(fmt::format("--backend {}: unknown; use mpi (CPU) or nccl (CUDA)", backend));
}

}  // namespace dist
}  // namespace lasynth
