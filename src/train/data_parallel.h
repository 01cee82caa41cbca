// Keeps the model replicas of a data-parallel job in step: the thin torch side of
// dist::GradientReducer. At construction every rank checks that it runs the same model (config
// and parameter shapes) as rank 0 and takes rank 0's parameters and buffers. Each parameter's
// .grad is a view of its reducer slot (DDP's gradient_as_bucket_view), so backward accumulates
// straight into the buckets and a hook after each accumulation marks the gradient ready: buckets
// all-reduce while backward goes on, and finish() leaves the sums where .grad reads them, with no
// copy. Where the communicator's memory is not the parameters' (CUDA parameters over MPI), or
// with gradient_as_bucket_view false, each gradient is copied into its slot and back instead.
// Thread-safety: none; the training thread uses it.
#ifndef LASYNTH_TRAIN_DATA_PARALLEL_H_
#define LASYNTH_TRAIN_DATA_PARALLEL_H_

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "dist/communicator.h"
#include "dist/reducer.h"

namespace lasynth {
namespace train {

class DataParallel {
 public:
  // All ranks, same order; blocks. `signature` describes what must agree across ranks (the
  // run's config without per-rank paths). Throws DistError naming the first rank that differs
  // from rank 0 and how. `comm` and `model` must outlive this object.
  DataParallel(dist::Communicator& comm, torch::nn::Module& model, const std::string& signature,
               dist::ReducerOptions options = {}, bool gradient_as_bucket_view = true);
  ~DataParallel();

  // Whether the next backward communicates: false on the first K-1 micro-steps of --grad_accum
  // K, whose gradients only accumulate locally.
  void set_sync(bool sync) { sync_ = sync; }
  // Zero-fills every gradient (instead of the optimizer's zero_grad, which may drop them).
  void zero_grad();
  // The step's control values (ReducerOptions::control_floats), summed over ranks in the last
  // bucket: set after zero_grad() and before backward; read after finish().
  void set_control(const std::vector<float>& values) { reducer_->set_control(values); }
  std::vector<float> control() const { return reducer_->control(); }
  // Whether each .grad is its bucket slot.
  bool gradients_are_views() const { return views_; }
  // All ranks, same order; blocks. After the last micro-step's backward (or instead of it, on a
  // rank without examples): every parameter's .grad is the sum over ranks of its .grad there,
  // every micro-step included.
  void finish();

  const dist::ReducerStats& stats() const { return reducer_->stats(); }
  // Where the gradients are reduced: parameter i's slot is reducer().slot(i).
  dist::GradientReducer& reducer() { return *reducer_; }

 private:
  // Views: after autograd accumulated parameter `index`'s gradient into .grad.
  void on_accumulated(size_t index);
  // Copies: before autograd adds `grad` to .grad.
  void on_gradient(size_t index, const torch::Tensor& grad);
  torch::Tensor slot(size_t index) const;
  // Whether .grad of parameter `index` is its slot (nothing replaced it).
  bool in_slot(size_t index) const;
  // Points .grad of parameter `index` at its slot, keeping what .grad held.
  void view_slot(size_t index);

  dist::Communicator& comm_;
  std::vector<torch::Tensor> params_;
  std::unique_ptr<dist::GradientReducer> reducer_;
  bool views_ = false;
  // The hooks call into this object and are removed with it: the model may train on after.
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators_;  // views: kept alive,
  std::vector<uintptr_t> post_hooks_;  // since a parameter holds its accumulator weakly
  std::vector<unsigned> hooks_;        // copies
  bool sync_ = true;
};

}  // namespace train
}  // namespace lasynth

#endif  // LASYNTH_TRAIN_DATA_PARALLEL_H_
