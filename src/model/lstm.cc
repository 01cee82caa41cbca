#include "model/lstm.h"

#include <string>
#include <vector>

#include "model/autocast.h"

namespace lasynth {
namespace model {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// One layer, one direction, time-major: x [T, N / r, E] (each row the input of r consecutive
// rows of the state), h0 and c0 [N, H] -> every step's h and c, [T, N, H] each. Gates in
// LibTorch's order i, f, g, o.
struct LstmLayer : public torch::autograd::Function<LstmLayer> {
  static variable_list forward(AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& h0, const torch::Tensor& c0,
                               const torch::Tensor& w_ih, const torch::Tensor& w_hh,
                               const torch::Tensor& b_ih, const torch::Tensor& b_hh) {
    const int64_t t_len = x.size(0), m = x.size(1), n = h0.size(0), h = h0.size(1);
    // The input's share of every step's gates in one product, on the distinct input rows; each
    // step adds h's share to it in place, then the activations overwrite it, so `gates` ends up
    // holding i, f, g, o.
    torch::Tensor gates =
        torch::addmm(b_ih + b_hh, x.reshape({t_len * m, -1}), w_ih.t()).view({t_len, m, 4 * h});
    if (m != n) gates = gates.repeat_interleave(n / m, 1);
    torch::Tensor hs = torch::empty({t_len, n, h}, x.options());
    torch::Tensor cs = torch::empty({t_len, n, h}, x.options());
    torch::Tensor tanh_cs = torch::empty({t_len, n, h}, x.options());
    const torch::Tensor w_hh_t = w_hh.t();
    torch::Tensor h_prev = h0, c_prev = c0;
    for (int64_t t = 0; t < t_len; ++t) {
      torch::Tensor g = gates[t];
      g.addmm_(h_prev, w_hh_t);
      g.narrow(1, 0, 2 * h).sigmoid_();
      g.narrow(1, 2 * h, h).tanh_();
      g.narrow(1, 3 * h, h).sigmoid_();
      torch::Tensor c = cs[t], tanh_c = tanh_cs[t], hidden = hs[t];
      torch::mul_out(c, g.narrow(1, h, h), c_prev);
      c.addcmul_(g.narrow(1, 0, h), g.narrow(1, 2 * h, h));
      torch::tanh_out(tanh_c, c);
      torch::mul_out(hidden, tanh_c, g.narrow(1, 3 * h, h));
      h_prev = hidden;
      c_prev = c;
    }
    ctx->save_for_backward({x, h0, c0, w_ih, w_hh, gates, hs, cs, tanh_cs});
    return {hs, cs};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list saved = ctx->get_saved_variables();
    const torch::Tensor &x = saved[0], &h0 = saved[1], &c0 = saved[2], &w_ih = saved[3],
                        &w_hh = saved[4], &gates = saved[5], &hs = saved[6], &cs = saved[7],
                        &tanh_c = saved[8];
    const int64_t t_len = x.size(0), m = x.size(1), n = h0.size(0), h = h0.size(1);
    const torch::Tensor i = gates.narrow(2, 0, h), f = gates.narrow(2, h, h),
                        g = gates.narrow(2, 2 * h, h), o = gates.narrow(2, 3 * h, h);
    // What every step needs that does not depend on the gradient, for all steps at once.
    const torch::Tensor c_through_h = o * (1 - tanh_c * tanh_c);  // dc/dh at fixed c_prev
    torch::Tensor slope = torch::empty_like(gates);               // each gate's derivative
    slope.narrow(2, 0, 2 * h).copy_(gates.narrow(2, 0, 2 * h) * (1 - gates.narrow(2, 0, 2 * h)));
    slope.narrow(2, 2 * h, h).copy_(1 - g * g);
    slope.narrow(2, 3 * h, h).copy_(o * (1 - o));
    const torch::Tensor c_before = torch::cat({c0.unsqueeze(0), cs.narrow(0, 0, t_len - 1)});
    const torch::Tensor h_before = torch::cat({h0.unsqueeze(0), hs.narrow(0, 0, t_len - 1)});

    const torch::Tensor dhs = grads[0].defined() ? grads[0] : torch::zeros_like(hs);
    const torch::Tensor dcs = grads[1].defined() ? grads[1] : torch::zeros_like(cs);
    torch::Tensor d_gates = torch::empty_like(gates);
    torch::Tensor dh = torch::zeros_like(h0), dc = torch::zeros_like(c0);
    for (int64_t t = t_len - 1; t >= 0; --t) {
      dh.add_(dhs[t]);
      dc.add_(dcs[t]).addcmul_(dh, c_through_h[t]);
      torch::Tensor d = d_gates[t];
      torch::Tensor d_i = d.narrow(1, 0, h), d_f = d.narrow(1, h, h), d_g = d.narrow(1, 2 * h, h),
                    d_o = d.narrow(1, 3 * h, h);
      torch::mul_out(d_i, dc, g[t]);
      torch::mul_out(d_f, dc, c_before[t]);
      torch::mul_out(d_g, dc, i[t]);
      torch::mul_out(d_o, dh, tanh_c[t]);
      d.mul_(slope[t]);
      dc.mul_(f[t]);
      dh = torch::mm(d, w_hh);
    }
    const torch::Tensor d_hh =
        torch::mm(d_gates.view({t_len * n, 4 * h}).t(), h_before.reshape({t_len * n, h}));
    // The input's rows stood for n / m state rows each: their gradients add up.
    const torch::Tensor d_in =
        m == n ? d_gates.view({t_len * m, 4 * h}) : d_gates.view({t_len * m, n / m, 4 * h}).sum(1);
    const torch::Tensor d_bias = d_in.sum(0);
    return {torch::mm(d_in, w_ih).view({t_len, m, -1}), dh, dc,
            torch::mm(d_in.t(), x.reshape({t_len * m, -1})), d_hh, d_bias,
            // Its own tensor: autograd may keep an incoming gradient as a parameter's .grad.
            d_bias.clone()};
  }
};

}  // namespace

bool runs_fused(const torch::nn::LSTM& lstm, const torch::Tensor& input) {
  const auto& o = lstm->options;
  return input.device().is_cpu() && !autocast_enabled(input.device().type()) &&
         (input.scalar_type() == torch::kFloat || input.scalar_type() == torch::kDouble) &&
         o.batch_first() && o.bias() && o.proj_size() == 0 && input.size(1) > 0;
}

LstmRun run_lstm(torch::nn::LSTM& lstm, const torch::Tensor& input, const LstmState& state,
                 bool want_steps, int64_t repeats) {
  const auto& o = lstm->options;
  const bool given = std::get<0>(state).defined();
  if (!runs_fused(lstm, input)) {
    TORCH_CHECK(!want_steps, "run_lstm: every step's state is kept on the CPU in float only");
    const torch::Tensor rows = repeats == 1 ? input : input.repeat_interleave(repeats, 0);
    auto [output, last] = given ? lstm->forward(rows, state) : lstm->forward(rows);
    return {output, last, {}};
  }
  const int64_t layers = o.num_layers(), directions = o.bidirectional() ? 2 : 1;
  const int64_t n = input.size(0) * repeats, h = o.hidden_size();
  TORCH_CHECK(!want_steps || directions == 1,
              "run_lstm: every step's state is kept for unidirectional LSTMs only");
  const torch::Tensor zeros = torch::zeros({layers * directions, n, h}, input.options());
  const torch::Tensor h0 = given ? std::get<0>(state) : zeros;
  const torch::Tensor c0 = given ? std::get<1>(state) : zeros;
  torch::Tensor x = input.transpose(0, 1).contiguous();  // [T, N / repeats, E]
  std::vector<torch::Tensor> h_last, c_last;
  std::vector<torch::Tensor> step_h, step_c;
  // Looked up once: a decoding step calls run_lstm for every token.
  const auto params = lstm->named_parameters(/*recurse=*/false);
  for (int64_t layer = 0; layer < layers; ++layer) {
    if (layer > 0 && o.dropout() > 0) x = torch::dropout(x, o.dropout(), lstm->is_training());
    std::vector<torch::Tensor> outputs;
    for (int64_t d = 0; d < directions; ++d) {
      const std::string suffix = std::to_string(layer) + (d == 1 ? "_reverse" : "");
      const int64_t k = layer * directions + d;
      const torch::Tensor in = d == 1 ? x.flip(0) : x;
      variable_list run = LstmLayer::apply(
          in, h0[k], c0[k], params["weight_ih_l" + suffix], params["weight_hh_l" + suffix],
          params["bias_ih_l" + suffix], params["bias_hh_l" + suffix]);
      h_last.push_back(run[0][-1]);
      c_last.push_back(run[1][-1]);
      outputs.push_back(d == 1 ? run[0].flip(0) : run[0]);
      if (want_steps) {
        step_h.push_back(run[0].transpose(0, 1));
        step_c.push_back(run[1].transpose(0, 1));
      }
    }
    x = directions == 1 ? outputs[0] : torch::cat(outputs, 2);  // [T, N, directions * H]
  }
  LstmRun result{x.transpose(0, 1), {torch::stack(h_last), torch::stack(c_last)}, {}};
  if (want_steps) result.steps = {torch::stack(step_h), torch::stack(step_c)};
  return result;
}

}  // namespace model
}  // namespace lasynth
