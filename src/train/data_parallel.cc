#include "train/data_parallel.h"

#include <fmt/format.h>
#include <torch/csrc/autograd/utils/lambda_post_hook.h>
#include <torch/csrc/autograd/variable.h>

#include <algorithm>
#include <sstream>

#include "core/error.h"

namespace lasynth {
namespace train {
namespace {

// The first line where two texts differ, for a message a user can act on.
std::string first_difference(const std::string& a, const std::string& b) {
  std::istringstream sa(a), sb(b);
  std::string la, lb;
  for (int line = 1;; ++line) {
    const bool more_a = static_cast<bool>(std::getline(sa, la));
    const bool more_b = static_cast<bool>(std::getline(sb, lb));
    if (!more_a && !more_b) return "(none)";
    if (!more_a || !more_b || la != lb) {
      return fmt::format("line {}: rank 0 has '{}', this rank '{}'", line, more_a ? la : "",
                         more_b ? lb : "");
    }
  }
}

// NCCL's buckets are on the GPU, where converting them to bfloat16 and back takes kernels: torch's,
// queued on its stream, which the all-reduce waits for.
void set_device_converters(torch::Device device, dist::ReducerOptions* options) {
  const auto on = [device](void* data, size_t count, torch::ScalarType type) {
    return torch::from_blob(data, {static_cast<int64_t>(count)},
                            torch::TensorOptions().dtype(type).device(device));
  };
  options->encode = [on](const float* from, uint16_t* to, size_t count) {
    torch::NoGradGuard no_grad;
    on(to, count, torch::kBFloat16).copy_(on(const_cast<float*>(from), count, torch::kFloat));
  };
  options->decode = [on](const uint16_t* from, float* to, size_t count) {
    torch::NoGradGuard no_grad;
    on(to, count, torch::kFloat).copy_(on(const_cast<uint16_t*>(from), count, torch::kBFloat16));
  };
}

}  // namespace

DataParallel::DataParallel(dist::Communicator& comm, torch::nn::Module& model,
                           const std::string& signature, dist::ReducerOptions options,
                           bool gradient_as_bucket_view)
    : comm_(comm), params_(model.parameters()) {
  std::string layout = signature + "\n";
  for (const auto& p : model.named_parameters()) {
    layout += fmt::format("{} {}\n", p.key(), fmt::join(p.value().sizes(), "x"));
  }
  const std::vector<std::string> all = comm_.allgather_strings(layout);
  for (size_t r = 1; r < all.size(); ++r) {
    if (all[r] != all[0]) {
      throw DistError(fmt::format(
          "rank {} runs another model or config than rank 0 ({}): every rank must get the same "
          "flags and config",
          r, first_difference(all[0], all[r])));
    }
  }
  {
    torch::NoGradGuard no_grad;
    // Communicators take host memory: a GPU tensor goes through a host copy.
    auto broadcast = [&](torch::Tensor t) {
      torch::Tensor host = t.is_cpu() ? t : t.cpu();
      comm_.broadcast(host.data_ptr(), static_cast<size_t>(host.numel() * host.element_size()), 0);
      if (!t.is_cpu()) t.copy_(host);
    };
    for (const torch::Tensor& t : model.parameters()) broadcast(t);
    for (const torch::Tensor& t : model.buffers()) broadcast(t);
  }
  std::vector<size_t> sizes;
  for (const torch::Tensor& p : params_) sizes.push_back(static_cast<size_t>(p.numel()));
  if (options.wire == dist::WireType::kBFloat16 && comm_.backend() == "nccl" &&
      !params_.empty()) {
    set_device_converters(params_[0].device(), &options);
  }
  reducer_ = std::make_unique<dist::GradientReducer>(comm_, sizes, options);
  views_ = gradient_as_bucket_view;
  for (const torch::Tensor& p : params_) {
    const int device = p.is_cuda() ? p.device().index() : -1;
    views_ = views_ && device == reducer_->device() && p.scalar_type() == torch::kFloat &&
             p.is_contiguous();
  }
  for (size_t i = 0; i < params_.size(); ++i) {
    if (views_) {
      view_slot(i);
      // After AccumulateGrad, not before: only then does .grad (the slot) hold the gradient.
      std::shared_ptr<torch::autograd::Node> accumulator =
          torch::autograd::impl::grad_accumulator(params_[i]);
      post_hooks_.push_back(
          accumulator->add_post_hook(std::make_unique<torch::autograd::utils::LambdaPostHook>(
              [this, i](const torch::autograd::variable_list& outputs,
                        const torch::autograd::variable_list&) {
                on_accumulated(i);
                return outputs;
              })));
      accumulators_.push_back(std::move(accumulator));
    } else {
      hooks_.push_back(
          params_[i].register_hook([this, i](torch::Tensor grad) { on_gradient(i, grad); }));
    }
  }
}

DataParallel::~DataParallel() {
  for (size_t i = 0; i < accumulators_.size(); ++i) {
    accumulators_[i]->del_post_hook(post_hooks_[i]);
  }
  for (size_t i = 0; i < hooks_.size(); ++i) params_[i].remove_hook(hooks_[i]);
  // The slots go with the reducer: gradients that live on keep their values in memory of their own.
  if (views_) {
    torch::NoGradGuard no_grad;
    for (torch::Tensor& p : params_) {
      if (p.grad().defined()) p.mutable_grad() = p.grad().clone();
    }
  }
}

torch::Tensor DataParallel::slot(size_t index) const {
  const torch::Tensor& p = params_[index];
  return torch::from_blob(reducer_->slot(index), p.sizes(),
                          torch::TensorOptions().dtype(torch::kFloat).device(p.device()));
}

bool DataParallel::in_slot(size_t index) const {
  const torch::Tensor& grad = params_[index].grad();
  return grad.defined() && grad.data_ptr() == reducer_->slot(index);
}

void DataParallel::view_slot(size_t index) {
  torch::NoGradGuard no_grad;
  torch::Tensor view = slot(index);
  torch::Tensor& grad = params_[index].mutable_grad();
  if (grad.defined()) {
    view.copy_(grad);
  } else {
    view.zero_();
  }
  grad = view;
}

void DataParallel::zero_grad() {
  if (!views_) {
    for (torch::Tensor& p : params_) {
      if (p.grad().defined()) p.mutable_grad().zero_();
    }
    return;
  }
  reducer_->zero();
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!in_slot(i)) params_[i].mutable_grad() = slot(i);
  }
}

void DataParallel::on_accumulated(size_t index) {
  if (!sync_) return;
  // Something replaced .grad (an optimizer's zero_grad that drops gradients): back into the slot.
  if (!in_slot(index)) view_slot(index);
  reducer_->mark_ready(index);
}

void DataParallel::on_gradient(size_t index, const torch::Tensor& grad) {
  if (!sync_) return;
  // The hook runs before autograd adds `grad` to .grad: what the step reduces is both.
  const torch::Tensor& p = params_[index];
  torch::Tensor slot = torch::from_blob(reducer_->slot(index), p.sizes(), torch::kFloat);
  if (!grad.is_cpu()) {
    slot.copy_(p.grad().defined() ? p.grad() + grad : grad);  // summed on the device
  } else if (p.grad().defined()) {
    torch::add_out(slot, p.grad(), grad);
  } else {
    slot.copy_(grad);
  }
  reducer_->mark_ready(index);
}

void DataParallel::finish() {
  // A parameter whose hook did not run in this backward (an empty last micro-batch, or a
  // parameter the last micro-batch did not use) may still hold the earlier micro-steps'
  // gradients: they join the sum instead of the reducer's zeros.
  for (size_t i = 0; i < params_.size(); ++i) {
    if (reducer_->ready(i)) continue;
    const torch::Tensor& p = params_[i];
    if (views_) {
      if (!in_slot(i)) view_slot(i);
    } else if (p.grad().defined()) {
      torch::from_blob(reducer_->slot(i), p.sizes(), torch::kFloat).copy_(p.grad());
    } else {
      std::fill_n(reducer_->slot(i), p.numel(), 0.0f);
    }
    reducer_->mark_ready(i);
  }
  reducer_->finish();
  if (views_) return;
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    torch::Tensor& p = params_[i];
    const torch::Tensor sum = torch::from_blob(reducer_->slot(i), p.sizes(), torch::kFloat);
    if (!p.grad().defined()) p.mutable_grad() = torch::empty_like(p);
    p.mutable_grad().copy_(sum);
  }
}

}  // namespace train
}  // namespace lasynth
