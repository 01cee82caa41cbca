#include "lang/karel/generator.h"

#include <string_view>

#include "core/hash.h"
#include "lang/karel/interpreter.h"
#include "lang/karel/parser.h"
#include "lang/karel/tokens.h"

namespace lasynth {
namespace karel {
namespace {

class Draw {
 public:
  Draw(const Limits& limits, Rng& rng) : lim_(limits), rng_(rng), budget_(limits.max_statements) {}

  Program program() {
    Program p;
    const int top = static_cast<int>(rng_.uniform_int(1, std::min(6, lim_.max_statements)));
    for (int i = 0; i < top && budget_ > 0; ++i) p.body.push_back(stmt(0));
    return p;
  }

 private:
  Cond cond() {
    Cond c;
    c.sensor = static_cast<Sensor>(rng_.below(5));
    c.negations = rng_.bernoulli(0.2) ? 1 : 0;
    return c;
  }

  std::vector<Stmt> body(int depth) {
    std::vector<Stmt> out;
    const int n = static_cast<int>(rng_.uniform_int(1, 3));
    for (int i = 0; i < n && budget_ > 0; ++i) out.push_back(stmt(depth));
    return out;
  }

  Stmt stmt(int depth) {
    --budget_;
    Stmt s;
    const double u = rng_.uniform01();
    if (depth < lim_.max_depth && budget_ > 0 && u >= 0.6) {
      if (u < 0.69) {
        s.kind = Stmt::Kind::kIf;
      } else if (u < 0.77) {
        s.kind = Stmt::Kind::kIfElse;
      } else if (u < 0.88) {
        s.kind = Stmt::Kind::kWhile;
      } else {
        s.kind = Stmt::Kind::kRepeat;
        s.times = static_cast<int>(rng_.uniform_int(kMinRepeat, kMaxRepeat));
      }
      if (s.kind != Stmt::Kind::kRepeat) s.cond = cond();
      s.body = body(depth + 1);
      if (s.kind == Stmt::Kind::kIfElse) s.else_body = body(depth + 1);
      return s;
    }
    // Moves and marker actions dominate, as in the benchmark's programs.
    static constexpr Action kActions[] = {
        Action::kMove,      Action::kMove,       Action::kMove,      Action::kTurnLeft,
        Action::kTurnRight, Action::kPickMarker, Action::kPutMarker, Action::kPutMarker};
    s.kind = Stmt::Kind::kAction;
    s.action = kActions[rng_.below(sizeof(kActions) / sizeof(kActions[0]))];
    return s;
  }

  const Limits& lim_;
  Rng& rng_;
  int budget_;
};

}  // namespace

Program Generator::sample_program(Rng& rng) const { return Draw(limits_, rng).program(); }

World Generator::sample_world(Rng& rng) const {
  World w;
  w.rows = limits_.rows;
  w.cols = limits_.cols;
  w.cells.assign(static_cast<size_t>(w.rows * w.cols), 0);
  w.hero_row = static_cast<int>(rng.below(static_cast<uint64_t>(w.rows)));
  w.hero_col = static_cast<int>(rng.below(static_cast<uint64_t>(w.cols)));
  w.hero_dir = static_cast<int>(rng.below(4));
  for (int r = 0; r < w.rows; ++r) {
    for (int c = 0; c < w.cols; ++c) {
      const double u = rng.uniform01();
      if (u < limits_.wall_density) {
        if (r != w.hero_row || c != w.hero_col) w.at(r, c) = kWall;
      } else if (u < limits_.wall_density + (1 - limits_.wall_density) * limits_.marker_density) {
        // 1 marker half the time, otherwise 2..10 with small counts likelier.
        const int n = rng.bernoulli(0.5) ? 1 : static_cast<int>(2 + rng.below(rng.below(9) + 1));
        w.at(r, c) = static_cast<int8_t>(n);
      }
    }
  }
  return w;
}

Sampler::Sampler(const Limits& limits, uint64_t seed)
    : limits_(limits), generator_(limits), rng_(seed) {}

Example Sampler::next() {
  std::vector<World> inputs(static_cast<size_t>(limits_.io_pairs));
  std::vector<World> outputs(inputs.size());
  while (true) {
    const Program program = generator_.sample_program(rng_);
    const std::vector<int32_t> ids = to_tokens(program);
    const uint64_t key = hash_ids(ids);
    const char* reason = "";
    if (static_cast<int>(ids.size()) > limits_.max_tokens) {
      reason = "too_long";
    } else if (seen_.count(key)) {
      reason = "duplicate";
    } else {
      bool changes = false;
      // Worlds are drawn one at a time, so a program that crashes on the first costs one world.
      for (size_t i = 0; i < inputs.size() && *reason == '\0'; ++i) {
        inputs[i] = generator_.sample_world(rng_);
        outputs[i] = inputs[i];
        const ExecStatus status = run(program, &outputs[i], limits_.step_limit);
        if (status != ExecStatus::kOk) reason = exec_status_name(status);
        changes = changes || !(outputs[i] == inputs[i]);
      }
      if (*reason == '\0' && !changes) reason = "no_effect";
    }
    if (*reason != '\0') {
      guard_.rejected(reason);
      continue;
    }
    seen_.insert(key);
    guard_.accepted();
    Example ex;
    ex.tokens = vocabulary().decode(ids);
    for (const std::string& t : ex.tokens) ex.source += (ex.source.empty() ? "" : " ") + t;
    for (size_t i = 0; i < inputs.size(); ++i) {
      ex.io.push_back({world_to_value(inputs[i]), world_to_value(outputs[i])});
    }
    return ex;
  }
}

}  // namespace karel
}  // namespace lasynth
