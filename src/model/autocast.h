// The forward pass in bfloat16 (--precision bf16): while an Autocast lives, LibTorch runs matrix
// products and the layers built on them in bfloat16 on the given device and keeps precision-
// sensitive operations (softmax, losses, reductions) in float32. The weights stay float32, so
// their gradients and the optimizer do too. As Python's `torch.autocast(device, bfloat16)`.
#ifndef LASYNTH_MODEL_AUTOCAST_H_
#define LASYNTH_MODEL_AUTOCAST_H_

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

namespace lasynth {
namespace model {

// Whether autocast is on for the device type (an Autocast lives, or the caller's own).
bool autocast_enabled(c10::DeviceType type);

class Autocast {
 public:
  // Does nothing unless `enabled`.
  Autocast(c10::Device device, bool enabled);
  ~Autocast();
  Autocast(const Autocast&) = delete;
  Autocast& operator=(const Autocast&) = delete;

 private:
  c10::DeviceType type_;
  bool active_ = false;
  bool was_enabled_ = false;
  c10::ScalarType was_dtype_ = c10::kFloat;
};

}  // namespace model
}  // namespace lasynth

#endif  // LASYNTH_MODEL_AUTOCAST_H_
