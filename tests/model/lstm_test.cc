// run_lstm against torch::nn::LSTM on the same parameters, in double precision: outputs, final
// states, every step's cell state, and the gradients of the input, the initial state and every
// parameter.
#include "model/lstm.h"

#include <gtest/gtest.h>

#include <string>

namespace lasynth {
namespace model {
namespace {

struct Shape {
  int64_t layers;
  bool bidirectional;
  bool with_state;
  int64_t steps;
  int64_t repeats = 1;  // state rows per input row
};

void PrintTo(const Shape& s, std::ostream* os) {
  *os << s.layers << " layers, " << (s.bidirectional ? "bi" : "uni") << ", "
      << (s.with_state ? "state given" : "zero state") << ", " << s.steps << " steps, input rows x"
      << s.repeats;
}

class LstmTest : public ::testing::TestWithParam<Shape> {};

void expect_close(const torch::Tensor& ours, const torch::Tensor& module, const std::string& what) {
  ASSERT_TRUE(ours.defined()) << what;
  ASSERT_TRUE(module.defined()) << what;
  ASSERT_EQ(ours.sizes(), module.sizes()) << what;
  const double diff = (ours - module).abs().max().item<double>();
  EXPECT_LT(diff, 1e-10) << what << " differs by " << diff;
  EXPECT_GT(module.abs().max().item<double>(), 1e-3) << what << " is all (near) zero";
}

TEST_P(LstmTest, MatchesTheModuleForwardAndBackward) {
  const Shape s = GetParam();
  const int64_t n = 6, e = 5, h = 4, directions = s.bidirectional ? 2 : 1;
  torch::manual_seed(7);
  torch::nn::LSTM lstm(torch::nn::LSTMOptions(e, h)
                           .num_layers(s.layers)
                           .bidirectional(s.bidirectional)
                           .batch_first(true));
  lstm->to(torch::kDouble);
  const auto dopt = torch::TensorOptions().dtype(torch::kDouble);
  const torch::Tensor input = torch::randn({n / s.repeats, s.steps, e}, dopt);
  const torch::Tensor h0 = torch::randn({s.layers * directions, n, h}, dopt);
  const torch::Tensor c0 = torch::randn({s.layers * directions, n, h}, dopt);
  // Weights for a loss that reads every output and both final states.
  const torch::Tensor w_out = torch::randn({n, s.steps, directions * h}, dopt);
  const torch::Tensor w_h = torch::randn({s.layers * directions, n, h}, dopt);
  const torch::Tensor w_c = torch::randn({s.layers * directions, n, h}, dopt);

  struct Result {
    torch::Tensor output, h, c, d_input, d_h0, d_c0;
    std::vector<torch::Tensor> d_params;
  };
  auto run = [&](bool fused) {
    Result r;
    const torch::Tensor x = input.clone().requires_grad_();
    const torch::Tensor hx = h0.clone().requires_grad_(), cx = c0.clone().requires_grad_();
    lstm->zero_grad();
    LstmRun out;
    if (fused) {
      EXPECT_TRUE(runs_fused(lstm, x));
      out = run_lstm(lstm, x, s.with_state ? LstmState{hx, cx} : LstmState{}, false, s.repeats);
    } else {
      const torch::Tensor rows = x.repeat_interleave(s.repeats, 0);
      auto [seq, last] =
          s.with_state ? lstm->forward(rows, std::make_tuple(hx, cx)) : lstm->forward(rows);
      out = {seq, last, {}};
    }
    ((out.output * w_out).sum() + (std::get<0>(out.state) * w_h).sum() +
     (std::get<1>(out.state) * w_c).sum())
        .backward();
    r.output = out.output.detach();
    r.h = std::get<0>(out.state).detach();
    r.c = std::get<1>(out.state).detach();
    r.d_input = x.grad();
    r.d_h0 = hx.grad();
    r.d_c0 = cx.grad();
    for (const auto& p : lstm->parameters()) r.d_params.push_back(p.grad().clone());
    return r;
  };
  const Result ours = run(true), module = run(false);
  expect_close(ours.output, module.output, "output");
  expect_close(ours.h, module.h, "final h");
  expect_close(ours.c, module.c, "final c");
  expect_close(ours.d_input, module.d_input, "input's gradient");
  if (s.with_state) {
    expect_close(ours.d_h0, module.d_h0, "h0's gradient");
    expect_close(ours.d_c0, module.d_c0, "c0's gradient");
  }
  const auto names = lstm->named_parameters().keys();
  ASSERT_EQ(ours.d_params.size(), module.d_params.size());
  for (size_t i = 0; i < names.size(); ++i) {
    expect_close(ours.d_params[i], module.d_params[i], names[i] + "'s gradient");
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, LstmTest,
                         ::testing::Values(Shape{1, false, true, 6}, Shape{1, false, true, 1},
                                           Shape{1, false, false, 2}, Shape{1, true, true, 5},
                                           Shape{2, true, false, 4}, Shape{2, false, true, 3},
                                           Shape{1, false, true, 4, 3},
                                           Shape{2, true, true, 3, 2}));

TEST(Lstm, KeepsEveryStepsState) {
  torch::manual_seed(3);
  torch::nn::LSTM lstm(torch::nn::LSTMOptions(5, 4).num_layers(2).batch_first(true));
  lstm->to(torch::kDouble);
  const auto dopt = torch::TensorOptions().dtype(torch::kDouble);
  const torch::Tensor input = torch::randn({2, 6, 5}, dopt);
  const LstmState state{torch::randn({2, 2, 4}, dopt), torch::randn({2, 2, 4}, dopt)};
  torch::NoGradGuard no_grad;
  const LstmRun run = run_lstm(lstm, input, state, /*want_steps=*/true);
  ASSERT_EQ(std::get<0>(run.steps).sizes(), (std::vector<int64_t>{2, 2, 6, 4}));
  ASSERT_EQ(std::get<1>(run.steps).sizes(), (std::vector<int64_t>{2, 2, 6, 4}));
  for (int64_t t = 0; t < 6; ++t) {
    // The module's final state after the first t + 1 steps, every layer.
    const LstmState last = std::get<1>(lstm->forward(input.narrow(1, 0, t + 1), state));
    for (int i = 0; i < 2; ++i) {
      const torch::Tensor ours = i == 0 ? std::get<0>(run.steps) : std::get<1>(run.steps);
      const torch::Tensor module = i == 0 ? std::get<0>(last) : std::get<1>(last);
      EXPECT_LT((ours.select(2, t) - module).abs().max().item<double>(), 1e-12)
          << (i == 0 ? "h" : "c") << " after step " << t;
    }
  }
}

TEST(Lstm, CallsTheModuleWhereItCannotFuseAndRefusesCellsThere) {
  torch::nn::LSTM lstm(torch::nn::LSTMOptions(5, 4).batch_first(true));
  const torch::Tensor input = torch::randn({2, 3, 5});
  EXPECT_TRUE(runs_fused(lstm, input));
  EXPECT_FALSE(runs_fused(lstm, input.to(torch::kBFloat16)));
  torch::nn::LSTM time_major(torch::nn::LSTMOptions(5, 4));
  EXPECT_FALSE(runs_fused(time_major, input));
  EXPECT_THROW(run_lstm(time_major, input, {}, /*want_steps=*/true), c10::Error);
}

}  // namespace
}  // namespace model
}  // namespace lasynth
