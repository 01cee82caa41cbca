// Keeps the model replicas of a data-parallel job in step: the thin torch side of
// dist::GradientReducer. At construction every rank checks that it runs the same model (config
// and parameter shapes) as rank 0 and takes rank 0's parameters and buffers; during backward
// each parameter's gradient is copied into its reducer slot as soon as autograd produces it,
// so buckets all-reduce while backward goes on; finish() waits and writes the sums back.
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
               dist::ReducerOptions options = {});
  ~DataParallel();

  // Whether the next backward communicates: false on the first K-1 micro-steps of --grad_accum
  // K, whose gradients only accumulate locally.
  void set_sync(bool sync) { sync_ = sync; }
  // All ranks, same order; blocks. After the last micro-step's backward (or instead of it, on a
  // rank without examples): every parameter's .grad is the sum over ranks of its .grad there,
  // every micro-step included.
  void finish();

  const dist::ReducerStats& stats() const { return reducer_->stats(); }

 private:
  void on_gradient(size_t index, const torch::Tensor& grad);

  dist::Communicator& comm_;
  std::vector<torch::Tensor> params_;
  std::vector<unsigned> hooks_;  // params_[i]'s gradient hook, removed with this object
  std::unique_ptr<dist::GradientReducer> reducer_;
  bool sync_ = true;
};

}  // namespace train
}  // namespace lasynth

#endif  // LASYNTH_TRAIN_DATA_PARALLEL_H_
