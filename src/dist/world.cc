#include "dist/world.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>

#include "core/error.h"

namespace lasynth {
namespace dist {
namespace {

class Env {
 public:
  explicit Env(std::function<const char*(const char*)> getenv) : getenv_(std::move(getenv)) {}
  bool has(const char* name) const { return getenv_(name) != nullptr; }
  int number(const char* name) const {
    const char* value = getenv_(name);
    if (value == nullptr) throw ConfigError(fmt::format("environment: {} is not set", name));
    char* end = nullptr;
    const long n = std::strtol(value, &end, 10);
    if (end == value || *end != '\0' || n < 0 || n > (1 << 24)) {
      throw ConfigError(fmt::format("environment: {}='{}' is not a rank or count", name, value));
    }
    return static_cast<int>(n);
  }
  int number_or(const char* name, int fallback) const {
    return has(name) ? number(name) : fallback;
  }

 private:
  std::function<const char*(const char*)> getenv_;
};

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown-host";
  return name;
}

}  // namespace

World world_from_environment(const std::function<const char*(const char*)>& getenv) {
  const Env env(getenv ? getenv
                       : [](const char* name) -> const char* { return std::getenv(name); });
  World w;
  w.host = host_name();
  if (env.has("OMPI_COMM_WORLD_SIZE")) {
    w.launcher = "openmpi";
    w.rank = env.number("OMPI_COMM_WORLD_RANK");
    w.size = env.number("OMPI_COMM_WORLD_SIZE");
    w.local_rank = env.number_or("OMPI_COMM_WORLD_LOCAL_RANK", 0);
    w.local_size = env.number_or("OMPI_COMM_WORLD_LOCAL_SIZE", 1);
    w.node = env.number_or("OMPI_COMM_WORLD_NODE_RANK", 0);
  } else if (env.has("PMIX_RANK")) {
    // srun --mpi=pmix: PMIx carries the rank, SLURM the rest of the layout.
    w.launcher = "pmix";
    w.rank = env.number("PMIX_RANK");
    w.size = env.number_or("SLURM_STEP_NUM_TASKS", env.number_or("SLURM_NTASKS", 1));
    w.local_rank = env.number_or("SLURM_LOCALID", 0);
    w.node = env.number_or("SLURM_NODEID", 0);
    w.local_size = w.size;  // refined by the communicator, which sees every rank's host
  } else if (env.has("SLURM_STEP_NUM_TASKS") && env.number("SLURM_STEP_NUM_TASKS") > 1) {
    throw ConfigError(fmt::format(
        "srun started {} tasks without PMIx, so each would train alone: run `srun --mpi=pmix "
        "...` (or set MpiDefault=pmix in slurm.conf)",
        env.number("SLURM_STEP_NUM_TASKS")));
  } else if (env.has("WORLD_SIZE") && env.number("WORLD_SIZE") > 1) {
    throw ConfigError(fmt::format(
        "torchrun variables name {} ranks (RANK={}), but lasynth's ranks connect through MPI: "
        "launch with `mpirun -np N lasynth ...`, `srun --mpi=pmix` or lasynth-launch",
        env.number("WORLD_SIZE"), env.number_or("RANK", 0)));
  } else if (env.has("WORLD_SIZE")) {
    w.launcher = "torchrun";
    w.local_rank = env.number_or("LOCAL_RANK", 0);
  }
  if (w.size < 1 || w.rank >= w.size || w.local_rank >= std::max(w.local_size, w.size)) {
    throw ConfigError(
        fmt::format("environment ({}): rank {} local rank {} do not fit a world of {}", w.launcher,
                    w.rank, w.local_rank, w.size));
  }
  return w;
}

}  // namespace dist
}  // namespace lasynth
