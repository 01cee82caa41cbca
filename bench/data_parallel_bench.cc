// What DataParallel costs a CPU training step, gradients as bucket views (the default) against
// copying each gradient into its bucket and back (the path before issue 19), side by side in one
// run under mpirun: every repetition times one step (zero_grad, forward, loss, backward, finish)
// of each of three replicas of LaSynth (the same parameters and batch of the `small` preset):
// alone (no communication), with copies, with views. Prints a table of median ms per step and
// what each adds to the step alone. The paper's sizes by default: 40 MB of gradients.
//
//   mpirun -np 2 bench/data_parallel_bench [--embedding_size 1024 --hidden_size 512]
//       [--batch_size 8] [--reps 10] [--threads 1]
#include <fmt/format.h>
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "data/batch.h"
#include "dist/communicator.h"
#include "dist/world.h"
#include "lang/domains.h"
#include "lang/presets.h"
#include "model/synthesizer.h"
#include "train/data_parallel.h"

namespace {

using namespace lasynth;
using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"DataParallel per step: gradients as bucket views vs copies (run under mpirun)"};
  int64_t embedding = 1024, hidden = 512, batch = 8;
  int reps = 10, threads = 1;
  app.add_option("--embedding_size", embedding)->capture_default_str();
  app.add_option("--hidden_size", hidden, "LSTM hidden size; the MLP's too")->capture_default_str();
  app.add_option("--batch_size", batch, "examples per rank")->capture_default_str();
  app.add_option("--reps", reps, "timed repetitions (median kept)")->capture_default_str();
  app.add_option("--threads", threads, "torch threads per rank")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    torch::set_num_threads(threads);
    auto comm = dist::make_communicator("mpi", dist::world_from_environment());
    const Preset& preset = find_preset("small");
    const auto domain = make_domain(preset.domain, preset.options);
    model::ModelOptions o;
    o.latent_execution = o.operation_predictor = o.decoder_self_attention = true;
    o.embedding_size = embedding;
    o.hidden_size = hidden;
    o.mlp_hidden_size = hidden;
    model::set_domain(o, *domain, domain->vocabulary().size());

    const auto sampler = domain->make_sampler(static_cast<uint64_t>(7 + comm->rank()));
    std::vector<data::StoredExample> examples;
    for (int64_t i = 0; i < batch; ++i) {
      const Example ex = sampler->next();
      std::vector<IoPair> spec(ex.io.begin(), ex.io.begin() + domain->num_spec());
      examples.push_back({domain->vocabulary().encode(ex.tokens), spec});
    }
    std::vector<int64_t> indices(examples.size());
    for (size_t i = 0; i < indices.size(); ++i) indices[i] = static_cast<int64_t>(i);
    int64_t v = 1;
    for (int64_t s : domain->value_shape()) v *= s;
    data::Batch b = data::make_batch(examples, indices, domain->num_spec(), static_cast<int>(v),
                                     domain->fixed_prefix_ids());
    const torch::Tensor tokens =
        torch::from_blob(b.tokens.data(), {b.size, b.max_len}, torch::kInt32).clone();
    const torch::Tensor inputs =
        torch::from_blob(b.inputs.data(), {b.size, b.io_pairs, v}, torch::kInt32).clone();
    const torch::Tensor outputs =
        torch::from_blob(b.outputs.data(), {b.size, b.io_pairs, v}, torch::kInt32).clone();

    const char* names[] = {"alone", "copies", "views"};
    std::vector<model::Synthesizer> nets;
    for (int m = 0; m < 3; ++m) {
      torch::manual_seed(1);
      nets.emplace_back(o);
    }
    train::DataParallel copies(*comm, *nets[1], "bench", {}, false);
    train::DataParallel views(*comm, *nets[2], "bench", {}, true);
    train::DataParallel* replicas[] = {nullptr, &copies, &views};
    int64_t parameters = 0;
    for (const auto& p : nets[0]->parameters()) parameters += p.numel();

    std::vector<std::vector<double>> ms(3);
    for (int rep = -1; rep < reps; ++rep) {  // rep -1: warm-up
      for (int m = 0; m < 3; ++m) {
        comm->barrier();
        const auto start = Clock::now();
        if (replicas[m]) {
          replicas[m]->zero_grad();
        } else {
          for (auto& p : nets[m]->parameters()) {
            if (p.grad().defined()) p.mutable_grad().zero_();
          }
        }
        nets[m]->loss(nets[m](tokens, inputs, outputs), tokens, model::LossScale::of(tokens))
            .backward();
        if (replicas[m]) replicas[m]->finish();
        double elapsed = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        comm->allreduce_doubles(&elapsed, 1, dist::ReduceOp::kMax);  // the slowest rank's step
        if (rep >= 0) ms[m].push_back(elapsed);
      }
    }
    if (comm->rank() == 0) {
      std::printf("data_parallel_bench: %d ranks, LaSynth embedding %lld hidden %lld, %.1f MB of "
                  "gradients, batch %lld per rank (small preset), %d threads, median of %d steps\n",
                  comm->size(), static_cast<long long>(embedding), static_cast<long long>(hidden),
                  parameters * 4.0 / 1e6, static_cast<long long>(batch), threads, reps);
      std::printf("| gradients | ms per step | ms over the step alone |\n|---|---|---|\n");
      for (int m = 0; m < 3; ++m) {
        std::printf("| %s | %.1f | %.1f |\n", names[m], median(ms[m]),
                    median(ms[m]) - median(ms[0]));
      }
      std::printf("copies / views, ms per step: %.3f\n", median(ms[1]) / median(ms[2]));
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "data_parallel_bench: %s\n", e.what());
    return 1;
  }
}
