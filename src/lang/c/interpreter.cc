#include "lang/c/interpreter.h"

#include <fmt/format.h>

#include <climits>
#include <cstring>
#include <map>

#include "core/error.h"
#include "lang/c/tokens.h"

namespace lasynth {
namespace c {
namespace {

enum Op : uint8_t {
  kOpHalt,
  kOpStep,  // count a step; fail past the limit
  kOpMov,   // d = a
  kOpAdd,
  kOpSub,
  kOpMul,
  kOpDiv,
  kOpMod,  // d = a op b
  kOpLt,
  kOpLe,
  kOpGt,
  kOpGe,
  kOpEq,
  kOpNe,     // d = (a op b)
  kOpNot,    // d = !a
  kOpBool,   // d = (a != 0)
  kOpLoad,   // d = arr[a]
  kOpStore,  // arr[a] = b
  kOpJmp,    // goto d
  kOpJz,
  kOpJnz,  // if (a == 0) / (a != 0) goto d
  kOpJlt,
  kOpJle,
  kOpJgt,
  kOpJge,
  kOpJeq,
  kOpJne,  // if (a op b) goto d
};

inline int32_t wrap(uint32_t v) { return static_cast<int32_t>(v); }

class Compiler {
 public:
  Compiler(std::vector<Executable::Instr>* code, std::vector<int32_t>* frame)
      : code_(*code), frame_(*frame) {}

  void compile(const Program& p) {
    frame_.assign(kNumVars, 0);
    for (const Decl& d : p.decls) frame_[d.var] = d.init;
    // Temporaries live after the constants, so constants are collected first.
    collect_constants(p.body);
    temp_base_ = frame_.size();
    stmts(p.body);
    emit(kOpHalt, 0, 0, 0);
    frame_.resize(temp_base_ + max_temps_, 0);
    if (frame_.size() > UINT16_MAX || code_.size() > UINT16_MAX) {
      throw ParseError(fmt::format("program too large to compile ({} slots, {} instructions)",
                                   frame_.size(), code_.size()));
    }
  }

 private:
  struct Label {
    std::vector<size_t> fixups;
  };

  void constants_of(const Expr* e) {
    if (!e) return;
    if (e->kind == Expr::Kind::kConst) constant(e->value);
    constants_of(e->lhs.get());
    constants_of(e->rhs.get());
  }

  void collect_constants(const std::vector<Stmt>& body) {
    constant(1);  // for ++ and --
    for (const Stmt& s : body) {
      constants_of(s.target.get());
      constants_of(s.value.get());
      if (s.init) collect_constants_stmt(*s.init);
      if (s.step) collect_constants_stmt(*s.step);
      collect_constants(s.body);
      collect_constants(s.else_body);
    }
  }
  void collect_constants_stmt(const Stmt& s) {
    constants_of(s.target.get());
    constants_of(s.value.get());
  }

  uint16_t constant(int32_t v) {
    auto it = constants_.find(v);
    if (it != constants_.end()) return it->second;
    if (temp_base_ != 0) throw Error("restricted-C compiler: constant missed by the first pass");
    const auto slot = static_cast<uint16_t>(frame_.size());
    frame_.push_back(v);
    constants_.emplace(v, slot);
    return slot;
  }

  uint16_t temp() {
    const size_t t = next_temp_++;
    if (next_temp_ > max_temps_) max_temps_ = next_temp_;
    return static_cast<uint16_t>(temp_base_ + t);
  }

  size_t emit(Op op, size_t d, size_t a, size_t b) {
    code_.push_back(
        {op, static_cast<uint16_t>(d), static_cast<uint16_t>(a), static_cast<uint16_t>(b)});
    return code_.size() - 1;
  }
  void jump_to(Label* label, Op op, size_t a, size_t b) {
    label->fixups.push_back(emit(op, 0, a, b));
  }
  void bind(Label* label) {
    for (size_t i : label->fixups) code_[i].d = static_cast<uint16_t>(code_.size());
  }

  static Op arith_op(BinOp op) {
    switch (op) {
      case BinOp::kAdd:
        return kOpAdd;
      case BinOp::kSub:
        return kOpSub;
      case BinOp::kMul:
        return kOpMul;
      case BinOp::kDiv:
        return kOpDiv;
      case BinOp::kMod:
        return kOpMod;
      case BinOp::kLt:
        return kOpLt;
      case BinOp::kLe:
        return kOpLe;
      case BinOp::kGt:
        return kOpGt;
      case BinOp::kGe:
        return kOpGe;
      case BinOp::kEq:
        return kOpEq;
      case BinOp::kNe:
        return kOpNe;
      default:
        return kOpHalt;
    }
  }

  // Jump taken when `a op b` holds; `negate` gives the jump for its complement.
  static Op compare_jump(BinOp op, bool negate) {
    switch (op) {
      case BinOp::kLt:
        return negate ? kOpJge : kOpJlt;
      case BinOp::kLe:
        return negate ? kOpJgt : kOpJle;
      case BinOp::kGt:
        return negate ? kOpJle : kOpJgt;
      case BinOp::kGe:
        return negate ? kOpJlt : kOpJge;
      case BinOp::kEq:
        return negate ? kOpJne : kOpJeq;
      case BinOp::kNe:
        return negate ? kOpJeq : kOpJne;
      default:
        return kOpHalt;
    }
  }

  // Returns the slot that holds the value of `e`.
  uint16_t expr(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::kConst:
        return constant(e.value);
      case Expr::Kind::kVar:
        return static_cast<uint16_t>(e.value);
      case Expr::Kind::kIndex: {
        const uint16_t i = expr(*e.lhs);
        const uint16_t t = temp();
        emit(kOpLoad, t, i, 0);
        return t;
      }
      case Expr::Kind::kNot: {
        const uint16_t x = expr(*e.lhs);
        const uint16_t t = temp();
        emit(kOpNot, t, x, 0);
        return t;
      }
      case Expr::Kind::kBinary: {
        if (e.op == BinOp::kAnd || e.op == BinOp::kOr) {
          // Short-circuit: the right operand must not run (and fail) when the left decides.
          const uint16_t t = temp();
          Label done;
          emit(kOpBool, t, expr(*e.lhs), 0);
          jump_to(&done, e.op == BinOp::kAnd ? kOpJz : kOpJnz, t, 0);
          emit(kOpBool, t, expr(*e.rhs), 0);
          bind(&done);
          return t;
        }
        const uint16_t l = expr(*e.lhs);
        const uint16_t r = expr(*e.rhs);
        const uint16_t t = temp();
        emit(arith_op(e.op), t, l, r);
        return t;
      }
    }
    return 0;
  }

  // Emits a jump to `target` taken exactly when the truth of `e` equals `when`.
  void branch(const Expr& e, bool when, Label* target) {
    if (e.kind == Expr::Kind::kNot) {
      branch(*e.lhs, !when, target);
      return;
    }
    if (e.kind == Expr::Kind::kBinary) {
      if (e.op == BinOp::kAnd || e.op == BinOp::kOr) {
        const bool is_and = e.op == BinOp::kAnd;
        if (when != is_and) {
          // (&& when false) or (|| when true): either operand alone decides.
          branch(*e.lhs, when, target);
          branch(*e.rhs, when, target);
        } else {
          Label skip;
          branch(*e.lhs, !when, &skip);
          branch(*e.rhs, when, target);
          bind(&skip);
        }
        return;
      }
      const Op jump = compare_jump(e.op, !when);
      if (jump != kOpHalt) {
        const uint16_t l = expr(*e.lhs);
        const uint16_t r = expr(*e.rhs);
        jump_to(target, jump, l, r);
        return;
      }
    }
    jump_to(target, when ? kOpJnz : kOpJz, expr(e), 0);
  }

  void assign(const Stmt& s) {
    const uint16_t one = constant(1);
    const bool incdec = s.op == AssignOp::kInc || s.op == AssignOp::kDec;
    Op op = kOpMov;
    switch (s.op) {
      case AssignOp::kSet:
        op = kOpMov;
        break;
      case AssignOp::kAdd:
      case AssignOp::kInc:
        op = kOpAdd;
        break;
      case AssignOp::kSub:
      case AssignOp::kDec:
        op = kOpSub;
        break;
      case AssignOp::kMul:
        op = kOpMul;
        break;
    }
    if (s.target->kind == Expr::Kind::kVar) {
      const auto v = static_cast<uint16_t>(s.target->value);
      const uint16_t x = incdec ? one : expr(*s.value);
      emit(op, v, op == kOpMov ? x : v, x);
      return;
    }
    const uint16_t i = expr(*s.target->lhs);
    const uint16_t x = incdec ? one : expr(*s.value);
    if (op == kOpMov) {
      emit(kOpStore, 0, i, x);
      return;
    }
    const uint16_t t = temp();
    emit(kOpLoad, t, i, 0);
    emit(op, t, t, x);
    emit(kOpStore, 0, i, t);
  }

  void stmts(const std::vector<Stmt>& body) {
    for (const Stmt& s : body) stmt(s);
  }

  void stmt(const Stmt& s) {
    next_temp_ = 0;
    switch (s.kind) {
      case Stmt::Kind::kAssign:
        emit(kOpStep, 0, 0, 0);
        assign(s);
        break;
      case Stmt::Kind::kIf: {
        emit(kOpStep, 0, 0, 0);
        Label otherwise, done;
        branch(*s.value, false, &otherwise);
        stmts(s.body);
        if (s.has_else) jump_to(&done, kOpJmp, 0, 0);
        bind(&otherwise);
        stmts(s.else_body);
        bind(&done);
        break;
      }
      case Stmt::Kind::kFor: {
        next_temp_ = 0;
        emit(kOpStep, 0, 0, 0);
        assign(*s.init);
        Label exit;
        const size_t top = code_.size();
        next_temp_ = 0;
        emit(kOpStep, 0, 0, 0);
        branch(*s.value, false, &exit);
        stmts(s.body);
        next_temp_ = 0;
        assign(*s.step);
        emit(kOpJmp, top, 0, 0);
        bind(&exit);
        break;
      }
      case Stmt::Kind::kWhile: {
        Label exit;
        const size_t top = code_.size();
        emit(kOpStep, 0, 0, 0);
        branch(*s.value, false, &exit);
        stmts(s.body);
        emit(kOpJmp, top, 0, 0);
        bind(&exit);
        break;
      }
    }
  }

  std::vector<Executable::Instr>& code_;
  std::vector<int32_t>& frame_;
  std::map<int32_t, uint16_t> constants_;
  size_t temp_base_ = 0;
  size_t next_temp_ = 0;
  size_t max_temps_ = 0;
};

}  // namespace

Executable::Executable(const Program& program, int array_len) : array_len_(array_len) {
  Compiler(&code_, &frame_).compile(program);
}

ExecStatus Executable::run(const int32_t* input, int32_t* output, int64_t step_limit) const {
  constexpr size_t kStackSlots = 256;
  int32_t stack_frame[kStackSlots];
  std::vector<int32_t> heap_frame;
  int32_t* r = stack_frame;
  if (frame_.size() > kStackSlots) {
    heap_frame.resize(frame_.size());
    r = heap_frame.data();
  }
  std::memcpy(r, frame_.data(), frame_.size() * sizeof(int32_t));
  std::memcpy(output, input, static_cast<size_t>(array_len_) * sizeof(int32_t));
  int32_t* const arr = output;
  const auto n = static_cast<uint32_t>(array_len_);
  int64_t budget = step_limit;
  const Instr* const code = code_.data();
  const Instr* pc = code;
  while (true) {
    const Instr in = *pc++;
    switch (in.op) {
      case kOpHalt:
        return ExecStatus::kOk;
      case kOpStep:
        if (--budget < 0) return ExecStatus::kStepLimit;
        break;
      case kOpMov:
        r[in.d] = r[in.a];
        break;
      case kOpAdd:
        r[in.d] = wrap(static_cast<uint32_t>(r[in.a]) + static_cast<uint32_t>(r[in.b]));
        break;
      case kOpSub:
        r[in.d] = wrap(static_cast<uint32_t>(r[in.a]) - static_cast<uint32_t>(r[in.b]));
        break;
      case kOpMul:
        r[in.d] = wrap(static_cast<uint32_t>(r[in.a]) * static_cast<uint32_t>(r[in.b]));
        break;
      case kOpDiv:
      case kOpMod: {
        const int32_t x = r[in.a], y = r[in.b];
        if (y == 0) return ExecStatus::kDivisionByZero;
        if (x == INT32_MIN && y == -1) return ExecStatus::kOverflow;
        r[in.d] = in.op == kOpDiv ? x / y : x % y;
        break;
      }
      case kOpLt:
        r[in.d] = r[in.a] < r[in.b];
        break;
      case kOpLe:
        r[in.d] = r[in.a] <= r[in.b];
        break;
      case kOpGt:
        r[in.d] = r[in.a] > r[in.b];
        break;
      case kOpGe:
        r[in.d] = r[in.a] >= r[in.b];
        break;
      case kOpEq:
        r[in.d] = r[in.a] == r[in.b];
        break;
      case kOpNe:
        r[in.d] = r[in.a] != r[in.b];
        break;
      case kOpNot:
        r[in.d] = !r[in.a];
        break;
      case kOpBool:
        r[in.d] = r[in.a] != 0;
        break;
      case kOpLoad: {
        const int32_t i = r[in.a];
        if (static_cast<uint32_t>(i) >= n) return ExecStatus::kIndexOutOfRange;
        r[in.d] = arr[i];
        break;
      }
      case kOpStore: {
        const int32_t i = r[in.a];
        if (static_cast<uint32_t>(i) >= n) return ExecStatus::kIndexOutOfRange;
        arr[i] = r[in.b];
        break;
      }
      case kOpJmp:
        pc = code + in.d;
        break;
      case kOpJz:
        if (r[in.a] == 0) pc = code + in.d;
        break;
      case kOpJnz:
        if (r[in.a] != 0) pc = code + in.d;
        break;
      case kOpJlt:
        if (r[in.a] < r[in.b]) pc = code + in.d;
        break;
      case kOpJle:
        if (r[in.a] <= r[in.b]) pc = code + in.d;
        break;
      case kOpJgt:
        if (r[in.a] > r[in.b]) pc = code + in.d;
        break;
      case kOpJge:
        if (r[in.a] >= r[in.b]) pc = code + in.d;
        break;
      case kOpJeq:
        if (r[in.a] == r[in.b]) pc = code + in.d;
        break;
      case kOpJne:
        if (r[in.a] != r[in.b]) pc = code + in.d;
        break;
    }
  }
}

}  // namespace c
}  // namespace lasynth
