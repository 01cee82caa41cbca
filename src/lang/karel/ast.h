// The abstract syntax of Karel programs:
//
//   program   := DEF run m( stmt* m)
//   stmt      := action
//              | IF c( cond c) i( stmt* i)
//              | IFELSE c( cond c) i( stmt* i) ELSE e( stmt* e)
//              | WHILE c( cond c) w( stmt* w)
//              | REPEAT R=k r( stmt* r)
//   cond      := frontIsClear | leftIsClear | rightIsClear | markersPresent | noMarkersPresent
//              | not c( cond c)
#ifndef LASYNTH_LANG_KAREL_AST_H_
#define LASYNTH_LANG_KAREL_AST_H_

#include <cstdint>
#include <vector>

namespace lasynth {
namespace karel {

enum class Action : uint8_t { kMove, kTurnLeft, kTurnRight, kPickMarker, kPutMarker };
enum class Sensor : uint8_t {
  kFrontIsClear,
  kLeftIsClear,
  kRightIsClear,
  kMarkersPresent,
  kNoMarkersPresent
};

struct Cond {
  Sensor sensor = Sensor::kFrontIsClear;
  int negations = 0;  // how many `not c( ... c)` wrap the sensor
  bool operator==(const Cond& o) const { return sensor == o.sensor && negations == o.negations; }
};

struct Stmt {
  enum class Kind : uint8_t { kAction, kIf, kIfElse, kWhile, kRepeat };
  Kind kind = Kind::kAction;
  Action action = Action::kMove;  // kAction
  Cond cond;                      // kIf, kIfElse, kWhile
  int times = 0;                  // kRepeat
  std::vector<Stmt> body, else_body;
  bool operator==(const Stmt& o) const {
    return kind == o.kind && action == o.action && cond == o.cond && times == o.times &&
           body == o.body && else_body == o.else_body;
  }
};

struct Program {
  std::vector<Stmt> body;
  bool operator==(const Program& o) const { return body == o.body; }
  bool operator!=(const Program& o) const { return !(*this == o); }
};

// Nesting depth of control statements (0 for a straight line of actions) and number of
// statements, nested ones included; loops are while and repeat, branches if and ifelse.
int nesting_depth(const std::vector<Stmt>& body);
int statement_count(const std::vector<Stmt>& body);
int loop_count(const std::vector<Stmt>& body);
int branch_count(const std::vector<Stmt>& body);

}  // namespace karel
}  // namespace lasynth

#endif  // LASYNTH_LANG_KAREL_AST_H_
