#include "lang/c/generator.h"

#include <algorithm>
#include <string_view>

#include "core/hash.h"
#include "lang/c/interpreter.h"
#include "lang/c/printer.h"
#include "lang/c/tokens.h"

namespace lasynth {
namespace c {
namespace {

// One program being drawn. The weights below shape the distribution: mostly writes to the array
// (so the output depends on the program), loops that walk the array, and small expressions.
class Draw {
 public:
  Draw(const Limits& limits, Rng& rng) : lim_(limits), rng_(rng) {}

  Program program() {
    const int ordinary = static_cast<int>(rng_.uniform_int(0, std::min(2, lim_.max_locals)));
    for (int k = 0; k < ordinary; ++k) declare(k);
    budget_ = lim_.max_statements;
    const int top = static_cast<int>(rng_.uniform_int(1, std::max(1, std::min(5, budget_))));
    Program p;
    for (int i = 0; i < top && budget_ > 0; ++i) p.body.push_back(stmt(0));
    std::sort(decls_.begin(), decls_.end(),
              [](const Decl& x, const Decl& y) { return x.var < y.var; });
    p.decls = std::move(decls_);
    return p;
  }

 private:
  int32_t constant() {
    return static_cast<int32_t>(rng_.uniform_int(lim_.const_min, lim_.const_max));
  }

  // Loop counters start at 0: their initialiser is dead anyway, and a constant one keeps
  // programs that differ only there from looking distinct.
  void declare(int var) { decls_.push_back({var, var >= kNumLocalNames ? 0 : constant()}); }

  bool is_declared(int var) const {
    return std::any_of(decls_.begin(), decls_.end(), [&](const Decl& d) { return d.var == var; });
  }
  bool is_active_counter(int var) const {
    return std::find(counters_.begin(), counters_.end(), var) != counters_.end();
  }

  // A declared local that no enclosing loop counts with, or -1.
  int pick_writable_local() {
    std::vector<int> vars;
    for (const Decl& d : decls_) {
      if (!is_active_counter(d.var)) vars.push_back(d.var);
    }
    if (vars.empty()) return -1;
    return vars[rng_.below(vars.size())];
  }

  // A new local named with `prefix_base` (0: l_, kNumLocalNames: p_) if the limit allows, else -1.
  int new_local(int prefix_base) {
    if (static_cast<int>(decls_.size()) >= lim_.max_locals) return -1;
    for (int k = prefix_base; k < prefix_base + kNumLocalNames; ++k) {
      if (!is_declared(k)) {
        declare(k);
        return k;
      }
    }
    return -1;
  }

  std::unique_ptr<Expr> index() {
    if (!counters_.empty() && rng_.bernoulli(0.6)) {
      auto counter = Expr::var(counters_[rng_.below(counters_.size())]);
      if (rng_.bernoulli(0.1)) {
        return Expr::binary(rng_.bernoulli(0.5) ? BinOp::kAdd : BinOp::kSub, std::move(counter),
                            Expr::constant(1));
      }
      return counter;
    }
    if (rng_.bernoulli(0.04)) return expr(1);
    return Expr::constant(static_cast<int32_t>(rng_.uniform_int(0, lim_.array_len - 1)));
  }

  std::unique_ptr<Expr> leaf() {
    const double u = rng_.uniform01();
    if (u < 0.3) return Expr::constant(constant());
    if (u < 0.55 && !decls_.empty()) return Expr::var(decls_[rng_.below(decls_.size())].var);
    return Expr::index(index());
  }

  std::unique_ptr<Expr> expr(int depth) {
    if (depth <= 0 || !rng_.bernoulli(0.35)) return leaf();
    static constexpr BinOp kOps[] = {
        BinOp::kAdd, BinOp::kAdd, BinOp::kAdd, BinOp::kAdd, BinOp::kSub, BinOp::kSub, BinOp::kSub,
        BinOp::kSub, BinOp::kMul, BinOp::kMul, BinOp::kMul, BinOp::kDiv, BinOp::kMod};
    const BinOp op = kOps[rng_.below(sizeof(kOps) / sizeof(kOps[0]))];
    auto lhs = expr(depth - 1);
    return Expr::binary(op, std::move(lhs), expr(depth - 1));
  }

  std::unique_ptr<Expr> condition() {
    static constexpr BinOp kCmp[] = {BinOp::kLt, BinOp::kLe, BinOp::kGt,
                                     BinOp::kGe, BinOp::kEq, BinOp::kNe};
    auto compare = [&] {
      auto lhs = expr(1);
      return Expr::binary(kCmp[rng_.below(6)], std::move(lhs), expr(0));
    };
    auto c = compare();
    if (rng_.bernoulli(0.12)) {
      c = Expr::binary(rng_.bernoulli(0.5) ? BinOp::kAnd : BinOp::kOr, std::move(c), compare());
    }
    if (rng_.bernoulli(0.05)) c = Expr::negation(std::move(c));
    return c;
  }

  Stmt assignment(std::unique_ptr<Expr> target) {
    Stmt s;
    s.kind = Stmt::Kind::kAssign;
    const double u = rng_.uniform01();
    s.op = u < 0.4    ? AssignOp::kSet
           : u < 0.65 ? AssignOp::kAdd
           : u < 0.85 ? AssignOp::kSub
                      : AssignOp::kMul;
    s.target = std::move(target);
    s.value = expr(2);
    // `x = x` does nothing; draw another right-hand side.
    while (s.op == AssignOp::kSet && *s.value == *s.target) s.value = expr(2);
    return s;
  }

  Stmt incdec(std::unique_ptr<Expr> target, bool up) {
    Stmt s;
    s.kind = Stmt::Kind::kAssign;
    s.op = up ? AssignOp::kInc : AssignOp::kDec;
    s.target = std::move(target);
    return s;
  }

  std::vector<Stmt> body(int depth) {
    std::vector<Stmt> out;
    const int n = static_cast<int>(rng_.uniform_int(1, 3));
    for (int i = 0; i < n && budget_ > 0; ++i) out.push_back(stmt(depth));
    return out;
  }

  Stmt array_write() { return assignment(Expr::index(index())); }

  Stmt stmt(int depth) {
    --budget_;
    const bool compound = depth < lim_.max_depth && budget_ >= 1;
    const double u = rng_.uniform01();
    if (u < 0.12) {
      const int v = pick_writable_local();
      if (v >= 0) return assignment(Expr::var(v));
    } else if (u < 0.20) {
      const int v = pick_writable_local();
      auto target = v >= 0 && rng_.bernoulli(0.5) ? Expr::var(v) : Expr::index(index());
      return incdec(std::move(target), rng_.bernoulli(0.5));
    } else if (u < 0.33 && compound) {
      Stmt s;
      s.kind = Stmt::Kind::kIf;
      s.value = condition();
      s.body = body(depth + 1);
      if (budget_ > 0 && rng_.bernoulli(0.4)) {
        s.has_else = true;
        s.else_body = body(depth + 1);
      }
      return s;
    } else if (u < 0.50 && compound) {
      if (auto s = for_loop(depth)) return std::move(*s);
    } else if (u < 0.57 && compound) {
      if (auto s = while_loop(depth)) return std::move(*s);
    }
    return array_write();
  }

  std::unique_ptr<Stmt> for_loop(int depth) {
    int p = -1;
    for (const Decl& d : decls_) {
      if (d.var >= kNumLocalNames && !is_active_counter(d.var)) p = d.var;
    }
    if (p < 0) p = new_local(kNumLocalNames);
    if (p < 0) return nullptr;
    auto s = std::make_unique<Stmt>();
    s->kind = Stmt::Kind::kFor;
    const int n = lim_.array_len;
    const bool up = rng_.bernoulli(0.7);
    int32_t start = up ? 0 : n - 1;
    int32_t end = up ? n : 0;
    if (!rng_.bernoulli(lim_.whole_loops)) {
      start = static_cast<int32_t>(rng_.uniform_int(0, n - 1));
      end = static_cast<int32_t>(up ? rng_.uniform_int(start + 1, n) : rng_.uniform_int(0, start));
    }
    s->init = std::make_unique<Stmt>();
    s->init->kind = Stmt::Kind::kAssign;
    s->init->op = AssignOp::kSet;
    s->init->target = Expr::var(p);
    s->init->value = Expr::constant(start);
    s->value = Expr::binary(up ? BinOp::kLt : BinOp::kGe, Expr::var(p), Expr::constant(end));
    s->step = std::make_unique<Stmt>(incdec(Expr::var(p), up));
    counters_.push_back(p);
    s->body = body(depth + 1);
    counters_.pop_back();
    return s;
  }

  std::unique_ptr<Stmt> while_loop(int depth) {
    int v = pick_writable_local();
    if (v < 0) v = new_local(0);
    if (v < 0) return nullptr;
    auto s = std::make_unique<Stmt>();
    s->kind = Stmt::Kind::kWhile;
    const bool up = rng_.bernoulli(0.5);
    s->value = Expr::binary(up ? BinOp::kLt : BinOp::kGt, Expr::var(v), Expr::constant(constant()));
    counters_.push_back(v);
    if (budget_ > 1) s->body = body(depth + 1);
    counters_.pop_back();
    s->body.push_back(incdec(Expr::var(v), up));
    --budget_;
    return s;
  }

  const Limits& lim_;
  Rng& rng_;
  std::vector<Decl> decls_;
  std::vector<int> counters_;  // locals that enclosing loops count with
  int budget_ = 0;             // statements left
};

bool mentions(const Expr* e, int var) {
  if (!e) return false;
  if (e->kind == Expr::Kind::kVar && e->value == var) return true;
  return mentions(e->lhs.get(), var) || mentions(e->rhs.get(), var);
}

bool mentions(const Stmt* s, int var) {
  if (!s) return false;
  if (mentions(s->target.get(), var) || mentions(s->value.get(), var) ||
      mentions(s->init.get(), var) || mentions(s->step.get(), var)) {
    return true;
  }
  for (const Stmt& b : s->body) {
    if (mentions(&b, var)) return true;
  }
  for (const Stmt& b : s->else_body) {
    if (mentions(&b, var)) return true;
  }
  return false;
}

// Limits::dead_code 0: "unused_local" when a declared local appears in no statement,
// "dead_statement" when some top-level statement can go with every output as it is (each is
// taken out in turn and put back, so `program` ends as it began), else "".
const char* dead_code(Program& program, const std::vector<Value>& inputs,
                      const std::vector<Value>& outputs, const Limits& limits) {
  for (const Decl& d : program.decls) {
    const bool used = std::any_of(program.body.begin(), program.body.end(),
                                  [&](const Stmt& s) { return mentions(&s, d.var); });
    if (!used) return "unused_local";
  }
  Value out(static_cast<size_t>(limits.array_len));
  for (size_t i = 0; i < program.body.size(); ++i) {
    Stmt removed = std::move(program.body[i]);
    program.body.erase(program.body.begin() + static_cast<std::ptrdiff_t>(i));
    bool same = true;
    {
      const Executable without(program, limits.array_len);
      for (size_t k = 0; k < inputs.size() && same; ++k) {
        same = without.run(inputs[k].data(), out.data(), limits.step_limit) == ExecStatus::kOk &&
               out == outputs[k];
      }
    }
    program.body.insert(program.body.begin() + static_cast<std::ptrdiff_t>(i), std::move(removed));
    if (same) return "dead_statement";
  }
  return "";
}

}  // namespace

Program Generator::sample_program(Rng& rng) const { return Draw(limits_, rng).program(); }

std::vector<Value> Generator::sample_inputs(Rng& rng) const {
  std::vector<Value> inputs;
  inputs.reserve(limits_.io_pairs);
  const int r = limits_.value_range;
  int redraws = 0;
  while (static_cast<int>(inputs.size()) < limits_.io_pairs) {
    Value v(limits_.array_len);
    for (int32_t& x : v) x = static_cast<int32_t>(rng.uniform_int(-r, r));
    // Distinct inputs, unless the input space is too small to have enough of them.
    const bool duplicate = std::find(inputs.begin(), inputs.end(), v) != inputs.end();
    if (!duplicate || ++redraws > 100) inputs.push_back(std::move(v));
  }
  return inputs;
}

Sampler::Sampler(const Limits& limits, uint64_t seed)
    : limits_(limits), generator_(limits), rng_(seed) {}

const char* Sampler::check(const Program& program, const std::vector<Value>& inputs,
                           std::vector<Value>* outputs) const {
  const Executable exe(program, limits_.array_len);
  const int bound = limits_.output_range;
  outputs->assign(inputs.size(), Value(limits_.array_len));
  bool changes_some = false, depends = false;
  for (size_t i = 0; i < inputs.size(); ++i) {
    Value& out = (*outputs)[i];
    const ExecStatus status = exe.run(inputs[i].data(), out.data(), limits_.step_limit);
    if (status != ExecStatus::kOk) return exec_status_name(status);
    for (int32_t x : out) {
      if (x < -bound || x > bound) return "out_of_range";
    }
    changes_some = changes_some || out != inputs[i];
    depends = depends || out != (*outputs)[0];
  }
  if (!changes_some) return "no_effect";
  if (!depends && inputs.size() > 1) return "ignores_input";
  return "";
}

Example Sampler::next() {
  const Vocabulary& vocab = vocabulary();
  std::vector<Value> outputs;
  while (true) {
    Program program = generator_.sample_program(rng_);
    std::vector<Value> inputs = generator_.sample_inputs(rng_);
    std::vector<int32_t> ids = to_tokens(program);
    const char* reason = "";
    const uint64_t key = hash_ids(ids);
    if (static_cast<int>(ids.size()) > limits_.max_tokens) {
      reason = "too_long";
    } else if (seen_.count(key)) {
      reason = "duplicate";
    } else {
      reason = check(program, inputs, &outputs);
      if (*reason == '\0' && limits_.dead_code == 0) {
        reason = dead_code(program, inputs, outputs, limits_);
      }
    }
    if (*reason != '\0') {
      guard_.rejected(reason);
      continue;
    }
    seen_.insert(key);
    guard_.accepted();
    Example ex;
    ex.source = format(ids);
    ex.tokens = vocab.decode(ids);
    ex.io.reserve(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      ex.io.push_back({std::move(inputs[i]), std::move(outputs[i])});
    }
    return ex;
  }
}

}  // namespace c
}  // namespace lasynth
