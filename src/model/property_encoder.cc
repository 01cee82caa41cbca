#include "model/property_encoder.h"

#include "model/io_encoder.h"
#include "model/lstm.h"

namespace lasynth {
namespace model {
namespace {

constexpr int64_t kKarelProperties = 20;

// holds [B, K, Q] bool -> [B, Q]: 1 on all pairs, 0 on none, 2 on some.
torch::Tensor ternary(const torch::Tensor& holds) {
  const auto as_long = holds.options().dtype(torch::kLong);
  return torch::where(
      holds.all(1), torch::ones({}, as_long),
      torch::where(holds.any(1), torch::full({}, 2, as_long), torch::zeros({}, as_long)));
}

struct Hero {
  torch::Tensor row, col, dir;  // [N]
};

}  // namespace

torch::Tensor c_properties(const torch::Tensor& inputs, const torch::Tensor& outputs,
                           int64_t value_range) {
  const torch::Tensor deltas =
      torch::arange(-value_range, value_range + 1, inputs.options().dtype(torch::kInt));
  const torch::Tensor holds = outputs.unsqueeze(-1) == inputs.unsqueeze(-1) + deltas;  // [B,K,L,D]
  return ternary(holds.flatten(2));
}

torch::Tensor karel_properties(const torch::Tensor& inputs, const torch::Tensor& outputs,
                               int64_t rows, int64_t cols) {
  const int64_t b = inputs.size(0), k = inputs.size(1), n = b * k;
  const torch::Tensor in = inputs.reshape({n, -1}).to(torch::kLong);
  const torch::Tensor out = outputs.reshape({n, -1}).to(torch::kLong);
  auto hero = [](const torch::Tensor& v) {
    return Hero{v.select(1, 0), v.select(1, 1), v.select(1, 2)};
  };
  const Hero hi = hero(in), ho = hero(out);
  const torch::Tensor cells_in = in.slice(1, 3), cells_out = out.slice(1, 3);  // [N, P]
  auto markers = [](const torch::Tensor& cells) { return cells.clamp_min(0); };
  auto at = [](const torch::Tensor& cells, const torch::Tensor& index) {
    return cells.gather(1, index.unsqueeze(1)).squeeze(1);
  };
  const torch::Tensor index_in = hi.row * cols + hi.col, index_out = ho.row * cols + ho.col;
  // Facing a wall: the next cell in the hero's direction (north = row + 1) is a wall or outside.
  auto facing_wall = [&](const Hero& h, const torch::Tensor& cells) {
    const auto on = h.dir.options().dtype(torch::kLong);
    const torch::Tensor dr = torch::tensor({1, 0, -1, 0}, on).index_select(0, h.dir);
    const torch::Tensor dc = torch::tensor({0, 1, 0, -1}, on).index_select(0, h.dir);
    const torch::Tensor r = h.row + dr, c = h.col + dc;
    const torch::Tensor inside = (r >= 0) & (r < rows) & (c >= 0) & (c < cols);
    const torch::Tensor next = at(cells, (r.clamp(0, rows - 1) * cols + c.clamp(0, cols - 1)));
    return ~inside | (next == -1);
  };
  const torch::Tensor total_in = markers(cells_in).sum(1), total_out = markers(cells_out).sum(1);
  const torch::Tensor under_in = markers(at(cells_in, index_in));
  const torch::Tensor under_in_after = markers(at(cells_out, index_in));
  torch::Tensor changed = cells_in != cells_out;
  changed =
      changed.scatter(1, index_in.unsqueeze(1), false).scatter(1, index_out.unsqueeze(1), false);
  const torch::Tensor moved = (hi.row != ho.row) | (hi.col != ho.col);
  const torch::Tensor turned = hi.dir != ho.dir;
  const std::vector<torch::Tensor> holds = {
      moved,
      turned,
      ho.dir == (hi.dir + 3) % 4,
      ho.dir == (hi.dir + 1) % 4,
      ho.dir == (hi.dir + 2) % 4,
      ho.row > hi.row,
      ho.row<hi.row, ho.col> hi.col,
      ho.col<hi.col, total_out> total_in,
      total_out<total_in, total_out == total_in, under_in_after>
          under_in,
      under_in_after<under_in, markers(at(cells_out, index_out))> 0,
      under_in > 0,
      facing_wall(hi, cells_in),
      facing_wall(ho, cells_out),
      changed.any(1),
      (in == out).all(1)};
  return ternary(torch::stack(holds, 1).view({b, k, kKarelProperties}));
}

int64_t num_properties(const ModelOptions& o) {
  return o.values.kind == ValueLayout::Kind::kGrid ? kKarelProperties
                                                   : o.values.length * (2 * o.values.range + 1);
}

PropertyEncoderImpl::PropertyEncoderImpl(const ModelOptions& o) : options_(o) {
  embedding_ =
      register_module("embedding", torch::nn::Embedding(3 * num_properties(o), o.embedding_size));
  lstm_ = register_module("lstm", embedding_encoder(o));
}

PropertyEncoding PropertyEncoderImpl::forward(const torch::Tensor& inputs,
                                              const torch::Tensor& outputs) {
  const torch::Tensor values =
      options_.values.kind == ValueLayout::Kind::kGrid
          ? karel_properties(inputs, outputs, options_.values.rows, options_.values.cols)
          : c_properties(inputs, outputs, options_.values.range);
  const int64_t q = values.size(1);
  const torch::Tensor ids = torch::arange(q, values.options()).unsqueeze(0) * 3 + values;
  const LstmRun run = run_lstm(lstm_, embedding_(ids));
  return {run.output, join_directions(std::get<0>(run.state), options_.num_layers),
          join_directions(std::get<1>(run.state), options_.num_layers)};
}

}  // namespace model
}  // namespace lasynth
