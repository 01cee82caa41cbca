#include "lang/karel/interpreter.h"

namespace lasynth {
namespace karel {
namespace {

constexpr int kRowStep[] = {1, 0, -1, 0};  // north, east, south, west
constexpr int kColStep[] = {0, 1, 0, -1};

bool takes_steps(const std::vector<Stmt>& body) {
  for (const Stmt& s : body) {
    if (s.kind != Stmt::Kind::kRepeat || takes_steps(s.body)) return true;
  }
  return false;
}

class Runner {
 public:
  Runner(World* w, int64_t budget, std::vector<Action>* trace)
      : w_(*w), budget_(budget), trace_(trace) {}

  ExecStatus block(const std::vector<Stmt>& body) {
    for (const Stmt& s : body) {
      const ExecStatus status = stmt(s);
      if (status != ExecStatus::kOk) return status;
    }
    return ExecStatus::kOk;
  }

 private:
  bool step() { return --budget_ >= 0; }

  bool clear_towards(int dir) const {
    return w_.clear(w_.hero_row + kRowStep[dir], w_.hero_col + kColStep[dir]);
  }

  bool sense(Sensor s) const {
    switch (s) {
      case Sensor::kFrontIsClear:
        return clear_towards(w_.hero_dir);
      case Sensor::kLeftIsClear:
        return clear_towards((w_.hero_dir + 3) % 4);
      case Sensor::kRightIsClear:
        return clear_towards((w_.hero_dir + 1) % 4);
      case Sensor::kMarkersPresent:
        return w_.at(w_.hero_row, w_.hero_col) > 0;
      case Sensor::kNoMarkersPresent:
        return w_.at(w_.hero_row, w_.hero_col) == 0;
    }
    return false;
  }

  // Returns kOk with the condition's value in *value, or kStepLimit.
  ExecStatus test(const Cond& c, bool* value) {
    if (!step()) return ExecStatus::kStepLimit;
    *value = sense(c.sensor) != (c.negations % 2 == 1);
    return ExecStatus::kOk;
  }

  ExecStatus act(Action a) {
    if (!step()) return ExecStatus::kStepLimit;
    if (trace_) trace_->push_back(a);
    int8_t& here = w_.at(w_.hero_row, w_.hero_col);
    switch (a) {
      case Action::kMove:
        if (!clear_towards(w_.hero_dir)) return ExecStatus::kCrash;
        w_.hero_row += kRowStep[w_.hero_dir];
        w_.hero_col += kColStep[w_.hero_dir];
        break;
      case Action::kTurnLeft:
        w_.hero_dir = (w_.hero_dir + 3) % 4;
        break;
      case Action::kTurnRight:
        w_.hero_dir = (w_.hero_dir + 1) % 4;
        break;
      case Action::kPickMarker:
        if (here == 0) return ExecStatus::kCrash;
        --here;
        break;
      case Action::kPutMarker:
        if (here >= kMaxMarkers) return ExecStatus::kCrash;
        ++here;
        break;
    }
    return ExecStatus::kOk;
  }

  ExecStatus stmt(const Stmt& s) {
    bool value = false;
    ExecStatus status = ExecStatus::kOk;
    switch (s.kind) {
      case Stmt::Kind::kAction:
        return act(s.action);
      case Stmt::Kind::kIf:
      case Stmt::Kind::kIfElse:
        if ((status = test(s.cond, &value)) != ExecStatus::kOk) return status;
        return block(value ? s.body : s.else_body);
      case Stmt::Kind::kWhile:
        while (true) {
          if ((status = test(s.cond, &value)) != ExecStatus::kOk) return status;
          if (!value) return ExecStatus::kOk;
          if ((status = block(s.body)) != ExecStatus::kOk) return status;
        }
      case Stmt::Kind::kRepeat:
        // Only actions and tests cost steps, so repeats nested around nothing else would loop
        // 10^depth times for free; they have no effect, so skip them.
        if (!takes_steps(s.body)) return ExecStatus::kOk;
        for (int i = 0; i < s.times; ++i) {
          if ((status = block(s.body)) != ExecStatus::kOk) return status;
        }
        return ExecStatus::kOk;
    }
    return ExecStatus::kOk;
  }

  World& w_;
  int64_t budget_;
  std::vector<Action>* trace_;
};

}  // namespace

ExecStatus run(const Program& program, World* world, int64_t step_limit,
               std::vector<Action>* trace) {
  return Runner(world, step_limit, trace).block(program.body);
}

const char* action_name(Action action) {
  static const char* kNames[] = {"move", "turnLeft", "turnRight", "pickMarker", "putMarker"};
  return kNames[static_cast<int>(action)];
}

}  // namespace karel
}  // namespace lasynth
