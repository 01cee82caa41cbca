#include "dist/reducer.h"

#include <fmt/format.h>

#include <chrono>

#include "core/error.h"
#include "dist/bfloat16.h"

namespace lasynth {
namespace dist {

GradientReducer::GradientReducer(Communicator& comm, std::vector<size_t> sizes,
                                 ReducerOptions options)
    : comm_(comm), options_(options), slots_(sizes.size()) {
  size_t limit = options_.first_bucket_bytes;
  for (size_t k = sizes.size(); k-- > 0;) {
    if (buckets_.empty() || (buckets_.back().floats > 0 &&
                             (buckets_.back().floats + sizes[k]) * sizeof(float) > limit)) {
      if (!buckets_.empty()) limit = options_.bucket_bytes;
      buckets_.emplace_back();
    }
    Bucket& b = buckets_.back();
    slots_[k] = {buckets_.size() - 1, b.floats, sizes[k], false};
    b.gradients.push_back(k);
    b.floats += sizes[k];
  }
  if (options_.control_floats > 0) {
    if (buckets_.empty()) buckets_.emplace_back();  // no parameters: the control values alone
    control_offset_ = buckets_.back().floats;
    buckets_.back().floats += options_.control_floats;
  }
  for (Bucket& b : buckets_) {
    b.buffer = comm_.allocate(b.floats * sizeof(float));
    b.pending = b.gradients.size();
    device_ = b.buffer->device();
    if (options_.wire == WireType::kBFloat16) b.wire = comm_.allocate(b.floats * sizeof(uint16_t));
  }
  if (options_.wire == WireType::kBFloat16 && !(options_.encode && options_.decode)) {
    if (device_ >= 0) {
      throw ConfigError(fmt::format(
          "rank {}: --grad_dtype bf16 over buckets on GPU {} needs the caller's conversion "
          "kernels (a reducer made outside src/train): use --grad_dtype fp32",
          comm_.rank(), device_));
    }
    options_.encode = encode_bfloat16;
    options_.decode = decode_bfloat16;
  }
}

GradientReducer::~GradientReducer() = default;

float* GradientReducer::slot(size_t i) {
  Slot& s = slots_.at(i);
  return static_cast<float*>(buckets_[s.bucket].buffer->data()) + s.offset;
}

void GradientReducer::zero() {
  for (Bucket& b : buckets_) b.buffer->zero(0, b.buffer->bytes());
}

void GradientReducer::set_control(const std::vector<float>& values) {
  if (values.size() != options_.control_floats) {
    throw DistError(fmt::format("rank {}: {} control values for a reducer made for {}",
                                comm_.rank(), values.size(), options_.control_floats));
  }
  if (values.empty()) return;
  buckets_.back().buffer->write(control_offset_ * sizeof(float), values.data(),
                                values.size() * sizeof(float));
}

std::vector<float> GradientReducer::control() const {
  std::vector<float> values(options_.control_floats);
  if (values.empty()) return values;
  buckets_.back().buffer->read(control_offset_ * sizeof(float), values.data(),
                               values.size() * sizeof(float));
  return values;
}

void GradientReducer::mark_ready(size_t i) {
  Slot& s = slots_.at(i);
  if (s.ready) {
    throw DistError(fmt::format(
        "rank {}: gradient {} became ready twice in one step (a parameter used by two backward "
        "passes needs --grad_accum)",
        comm_.rank(), i));
  }
  s.ready = true;
  if (--buckets_[s.bucket].pending == 0) launch_ready();
  // Letting MPI progress the buckets already in flight keeps them moving during backward.
  for (size_t b = 0; b < next_launch_; ++b) {
    if (buckets_[b].work) buckets_[b].work->done();
  }
}

void GradientReducer::launch_ready() {
  while (next_launch_ < buckets_.size() && buckets_[next_launch_].pending == 0) {
    launch(buckets_[next_launch_++]);
    ++stats_.buckets_launched_early;
  }
}

void GradientReducer::launch(Bucket& b) {
  float* floats = static_cast<float*>(b.buffer->data());
  if (b.wire) {
    auto* wire = static_cast<uint16_t*>(b.wire->data());
    options_.encode(floats, wire, b.floats);
    b.work = comm_.allreduce_bf16_async(wire, b.floats, options_.op);
    stats_.bytes_reduced += static_cast<int64_t>(b.floats * sizeof(uint16_t));
  } else {
    b.work = comm_.allreduce_async(floats, b.floats, options_.op);
    stats_.bytes_reduced += static_cast<int64_t>(b.floats * sizeof(float));
  }
  ++stats_.buckets_launched;
}

void GradientReducer::finish() {
  const auto start = std::chrono::steady_clock::now();
  for (Slot& s : slots_) {
    if (s.ready) continue;
    Bucket& b = buckets_[s.bucket];
    b.buffer->zero(s.offset * sizeof(float), s.size * sizeof(float));
    s.ready = true;
    --b.pending;
  }
  while (next_launch_ < buckets_.size()) launch(buckets_[next_launch_++]);
  for (Bucket& b : buckets_) {
    if (b.work) b.work->wait();
    b.work.reset();
    if (b.wire) {
      options_.decode(static_cast<const uint16_t*>(b.wire->data()),
                      static_cast<float*>(b.buffer->data()), b.floats);
    }
    b.pending = b.gradients.size();
  }
  for (Slot& s : slots_) s.ready = false;
  next_launch_ = 0;
  ++stats_.steps;
  stats_.finish_wait_s +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace dist
}  // namespace lasynth
