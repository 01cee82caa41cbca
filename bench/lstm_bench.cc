// run_lstm (src/model/lstm.h) against torch::nn::LSTM's own forward on the same module, side by
// side in one run: one forward and backward (training) and one forward without gradients
// (decoding), at the shapes the quickstart's LaSynth runs (configs/quickstart.yaml: embedding 64,
// hidden 64 per direction, batch 8 per rank, 5 pairs, execution every 16 tokens). The two are
// timed alternately, --reps times each; the table shows the medians and module / run_lstm.
//
//   bench/lstm_bench [--reps 50] [--threads 1]
#include <fmt/format.h>
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "model/lstm.h"

namespace {

using lasynth::model::LstmRun;
using lasynth::model::run_lstm;
using Clock = std::chrono::steady_clock;

struct Case {
  std::string name;
  int64_t rows, steps, input, hidden;
  bool bidirectional;
  int64_t repeats;  // state rows per input row (run_lstm only; the module gets them repeated)
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 50, threads = 1;
  CLI::App app{"run_lstm vs torch::nn::LSTM, side by side"};
  app.add_option("--reps", reps, "timed runs of each")->capture_default_str();
  app.add_option("--threads", threads, "torch::set_num_threads")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  torch::set_num_threads(threads);
  torch::manual_seed(1);
  const std::vector<Case> cases = {
      {"decoder, 16 tokens", 40, 16, 64, 128, false, 1},
      {"decoder, 16 tokens, input once per example", 40, 16, 64, 128, false, 5},
      {"value encoder, 5 cells, bidirectional", 40, 5, 64, 64, true, 1},
      {"decoder, 1 token (a beam-64 step)", 320, 1, 64, 128, false, 5},
  };
  fmt::print("| case | mode | module ms | run_lstm ms | module / run_lstm |\n");
  fmt::print("| --- | --- | --- | --- | --- |\n");
  for (const Case& c : cases) {
    torch::nn::LSTM lstm(
        torch::nn::LSTMOptions(c.input, c.hidden).bidirectional(c.bidirectional).batch_first(true));
    const int64_t states = c.bidirectional ? 2 : 1;
    const torch::Tensor x = torch::randn({c.rows / c.repeats, c.steps, c.input});
    const lasynth::model::LstmState state{torch::randn({states, c.rows, c.hidden}),
                                          torch::randn({states, c.rows, c.hidden})};
    for (bool train : {true, false}) {
      auto module = [&] {
        const torch::Tensor in = x.repeat_interleave(c.repeats, 0).requires_grad_(train);
        torch::AutoGradMode grad(train);
        auto [out, last] = lstm->forward(in, state);
        if (train) (out.sum() + std::get<1>(last).sum()).backward();
      };
      auto fused = [&] {
        const torch::Tensor in = x.clone().requires_grad_(train);
        torch::AutoGradMode grad(train);
        const LstmRun run = run_lstm(lstm, in, state, false, c.repeats);
        if (train) (run.output.sum() + std::get<1>(run.state).sum()).backward();
      };
      for (int i = 0; i < 3; ++i) module(), fused();
      std::vector<double> a, b;
      for (int i = 0; i < reps; ++i) {
        auto t0 = Clock::now();
        module();
        auto t1 = Clock::now();
        fused();
        auto t2 = Clock::now();
        a.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        b.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
      }
      fmt::print("| {} | {} | {:.2f} | {:.2f} | {:.2f} |\n", c.name,
                 train ? "forward + backward" : "forward, no gradients", median(a), median(b),
                 median(a) / median(b));
    }
  }
}
