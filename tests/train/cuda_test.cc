// The model and its checkpoints on a GPU: skipped where LibTorch sees none (Debian's LibTorch is
// CPU-only); run on a GPU machine by scripts/device-check.sh cuda.
#include <execinfo.h>
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "lang/domains.h"
#include "model/synthesizer.h"
#include "train/checkpoint.h"
#include "train/device.h"

namespace lasynth {
namespace train {
namespace {

// This test runs only on lent GPU machines, with minutes to spare: a crash there prints its stack
// (symbols need -rdynamic) instead of a bare "Segmentation fault".
void print_stack(int sig) {
  void* frames[64];
  const int n = backtrace(frames, 64);
  backtrace_symbols_fd(frames, n, STDERR_FILENO);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}
const bool stack_on_crash = (std::signal(SIGSEGV, print_stack), std::signal(SIGABRT, print_stack),
                             std::signal(SIGBUS, print_stack), true);

// A tiny full LaSynth on restricted C.
model::ModelOptions tiny_lasynth() {
  model::ModelOptions o;
  o.latent_execution = o.operation_predictor = o.decoder_self_attention = true;
  o.exec_period = 4;
  o.embedding_size = 24;
  o.hidden_size = 16;
  o.mlp_hidden_size = 32;
  o.num_layers = 1;
  o.num_attention_layers = 1;
  const auto domain = make_domain("c", {});
  model::set_domain(o, *domain, domain->vocabulary().size());
  return o;
}

struct Batch {
  torch::Tensor tokens, inputs, outputs;
};

// Random programs and values of the right shapes: <s> tokens </s> <pad>..., values in range.
Batch random_batch(const model::ModelOptions& o, torch::Device device) {
  torch::manual_seed(11);
  const int64_t b = 6, t = 14, k = 5, v = o.values.length;
  torch::Tensor tokens = torch::randint(3, o.vocab_size, {b, t}, torch::kInt32);
  tokens.select(1, 0).fill_(1);  // <s>
  for (int64_t i = 0; i < b; ++i) {
    const int64_t end = 4 + i;
    tokens[i][end] = 2;  // </s>
    tokens[i].slice(0, end + 1).fill_(0);
  }
  const torch::Tensor inputs = torch::randint(-4, 5, {b, k, v}, torch::kInt32);
  const torch::Tensor outputs = torch::randint(-16, 17, {b, k, v}, torch::kInt32);
  return {tokens.to(device), inputs.to(device), outputs.to(device)};
}

void train_steps(model::Synthesizer& net, torch::optim::Optimizer& opt, const Batch& b, int n) {
  for (int i = 0; i < n; ++i) {
    opt.zero_grad();
    net->loss(net(b.tokens, b.inputs, b.outputs), b.tokens, model::LossScale::of(b.tokens))
        .backward();
    opt.step();
  }
}

TEST(Cuda, TrainsResumesAndDecodesOnTheGpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "LibTorch sees no GPU here";
  // As `lasynth train --deterministic`: without it, kernels that sum through atomics end a
  // resumed run a few ulps away from the uninterrupted one.
  use_deterministic_algorithms();
  const torch::Device gpu(torch::kCUDA, 0);
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("lasynth-cuda-" + std::to_string(getpid())))
          .string();
  const model::ModelOptions o = tiny_lasynth();
  const Batch b = random_batch(o, gpu);

  torch::manual_seed(3);
  model::Synthesizer straight(o);
  straight->to(gpu);
  torch::optim::Adam adam(straight->parameters(), torch::optim::AdamOptions(1e-2));
  train_steps(straight, adam, b, 3);
  TrainingState state;
  state.step = 3;
  state.config = "{}";
  const std::string path = save_checkpoint(dir, *straight, adam, state);
  train_steps(straight, adam, b, 3);

  // The checkpoint holds CPU tensors, whatever device trained: torch.load opens it anywhere.
  std::ifstream in(path, std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  const auto weights = torch::pickle_load(bytes).toGenericDict().at("model").toGenericDict();
  for (const auto& w : weights) EXPECT_TRUE(w.value().toTensor().is_cpu()) << w.key();

  model::Synthesizer resumed(o);
  resumed->to(gpu);
  torch::optim::Adam adam2(resumed->parameters(), torch::optim::AdamOptions(1e-2));
  EXPECT_EQ(load_checkpoint(path, *resumed, &adam2).step, 3);
  train_steps(resumed, adam2, b, 3);
  const auto p = straight->named_parameters(), q = resumed->named_parameters();
  for (const auto& x : p) {
    EXPECT_TRUE(x.value().is_cuda()) << x.key();
    EXPECT_TRUE(torch::equal(x.value(), q[x.key()]))
        << x.key() << ": largest difference " << (x.value() - q[x.key()]).abs().max().item<float>();
  }
  resumed->eval();
  const auto beams = resumed->beam_search(b.inputs, b.outputs, 4, 10);
  ASSERT_EQ(beams.size(), 6u);
  for (const auto& candidates : beams) EXPECT_FALSE(candidates.empty());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace train
}  // namespace lasynth
