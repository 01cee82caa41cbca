// The device a process computes on. Only LibTorch's small Device header is included, so the
// `lasynth` command checks --device without compiling LibTorch's API.
#ifndef LASYNTH_TRAIN_DEVICE_H_
#define LASYNTH_TRAIN_DEVICE_H_

#include <c10/core/Device.h>

#include <string>

namespace lasynth {
namespace train {

// The torch device of `name` ("cpu", or "cuda": the GPU of this process's local rank among
// the visible ones). Throws ConfigError for another name, or for cuda where LibTorch sees no GPU.
c10::Device resolve_device(const std::string& name, int local_rank = 0);

// From here on, LibTorch picks deterministic kernels (a warning names any operation that has
// none) and cuBLAS a fixed workspace: the same inputs give the same bits on a GPU too. Call it
// before the first CUDA work.
void use_deterministic_algorithms();

}  // namespace train
}  // namespace lasynth

#endif  // LASYNTH_TRAIN_DEVICE_H_
