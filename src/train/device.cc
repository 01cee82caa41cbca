#include "train/device.h"

#include <ATen/Context.h>
#include <fmt/format.h>
#include <torch/cuda.h>

#include <cstdlib>

#include "core/error.h"

namespace lasynth {
namespace train {

c10::Device resolve_device(const std::string& name, int local_rank) {
  if (name == "cpu") return c10::kCPU;
  if (name != "cuda") {
    throw ConfigError(fmt::format("--device {}: unknown; use cpu or cuda", name));
  }
  if (!torch::cuda::is_available()) {
    throw ConfigError(
        "--device cuda: LibTorch sees no GPU (no CUDA device, or a CPU-only LibTorch such as "
        "Debian's); use --device cpu");
  }
  return c10::Device(c10::kCUDA,
                     static_cast<c10::DeviceIndex>(local_rank % torch::cuda::device_count()));
}

void use_deterministic_algorithms() {
  // cuBLAS splits some products among streams in an order that varies unless its workspace is
  // fixed (CUDA's cuBLAS guide, "Results reproducibility"); it reads this when it starts. A
  // value the user set is kept.
  setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", 0);
  at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/true);
  at::globalContext().setDeterministicCuDNN(true);
  at::globalContext().setBenchmarkCuDNN(false);
}

}  // namespace train
}  // namespace lasynth
