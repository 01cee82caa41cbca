#include "lang/karel/interpreter.h"

#include <gtest/gtest.h>

#include "lang/karel/parser.h"
#include "lang/karel/tokens.h"

namespace lasynth {
namespace karel {
namespace {

// A 5 x 5 world: the hero at 2:2 facing north; a wall at 4:2; 3 markers at 2:2, 10 at 1:2.
World world() {
  World w;
  w.rows = w.cols = 5;
  w.cells.assign(25, 0);
  w.hero_row = w.hero_col = 2;
  w.hero_dir = kNorth;
  w.at(4, 2) = kWall;
  w.at(2, 2) = 3;
  w.at(1, 2) = 10;
  return w;
}

struct Outcome {
  ExecStatus status;
  World world;
  std::vector<Action> trace;
};

Outcome run_text(const std::string& body, World w = world(), int64_t steps = 1000) {
  const Program p = parse(vocabulary().encode(tokenize("DEF run m( " + body + " m)")));
  Outcome o{ExecStatus::kOk, {}, {}};
  o.status = run(p, &w, steps, &o.trace);
  o.world = w;
  return o;
}

TEST(KarelInterpreter, Actions) {
  Outcome o = run_text("move");
  EXPECT_EQ(o.status, ExecStatus::kOk);
  EXPECT_EQ(o.world.hero_row, 3);  // north is row + 1
  o = run_text("turnRight move");
  EXPECT_EQ(o.world.hero_dir, kEast);
  EXPECT_EQ(o.world.hero_col, 3);
  o = run_text("turnLeft move");
  EXPECT_EQ(o.world.hero_dir, kWest);
  EXPECT_EQ(o.world.hero_col, 1);
  o = run_text("turnLeft turnLeft move");
  EXPECT_EQ(o.world.hero_row, 1);
  o = run_text("pickMarker pickMarker putMarker");
  EXPECT_EQ(o.world.at(2, 2), 2);
  EXPECT_EQ(o.trace.size(), 3u);
  EXPECT_EQ(o.trace[2], Action::kPutMarker);
}

TEST(KarelInterpreter, Conditions) {
  // Facing north from 2:2: front 3:2 free, left 2:1 free, right 2:3 free; markers here.
  EXPECT_EQ(run_text("IF c( frontIsClear c) i( putMarker i)").world.at(2, 2), 4);
  EXPECT_EQ(run_text("IF c( markersPresent c) i( putMarker i)").world.at(2, 2), 4);
  EXPECT_EQ(run_text("IF c( noMarkersPresent c) i( putMarker i)").world.at(2, 2), 3);
  EXPECT_EQ(run_text("IF c( not c( markersPresent c) c) i( putMarker i)").world.at(2, 2), 3);
  EXPECT_EQ(run_text("IF c( not c( not c( markersPresent c) c) c) i( putMarker i)").world.at(2, 2),
            4);
  // After one move north the front (4:2) is a wall; left and right still clear.
  EXPECT_EQ(
      run_text("move IFELSE c( frontIsClear c) i( turnLeft i) ELSE e( turnRight e)").world.hero_dir,
      kEast);
  EXPECT_EQ(run_text("move IF c( leftIsClear c) i( turnLeft i)").world.hero_dir, kWest);
  EXPECT_EQ(run_text("move IF c( rightIsClear c) i( turnRight i)").world.hero_dir, kEast);
  // Facing west at the west edge: the front is off the grid.
  World edge = world();
  edge.hero_col = 0;
  edge.hero_dir = kWest;
  EXPECT_EQ(
      run_text("IFELSE c( frontIsClear c) i( move i) ELSE e( putMarker e)", edge).world.at(2, 0),
      1);
  EXPECT_EQ(run_text("IF c( rightIsClear c) i( putMarker i)", edge).world.at(2, 0), 1);
}

TEST(KarelInterpreter, Loops) {
  Outcome o = run_text("turnRight WHILE c( frontIsClear c) w( move putMarker w)");
  EXPECT_EQ(o.status, ExecStatus::kOk);
  EXPECT_EQ(o.world.hero_col, 4);
  EXPECT_EQ(o.world.at(2, 3), 1);
  EXPECT_EQ(o.world.at(2, 4), 1);
  o = run_text("REPEAT R=3 r( putMarker r)");
  EXPECT_EQ(o.world.at(2, 2), 6);
  o = run_text("REPEAT R=2 r( REPEAT R=3 r( pickMarker putMarker r) turnLeft r)");
  EXPECT_EQ(o.trace.size(), 2u * (3 * 2 + 1));
  EXPECT_EQ(o.world.hero_dir, kSouth);
}

TEST(KarelInterpreter, EveryFailureIsTyped) {
  EXPECT_EQ(run_text("move move").status, ExecStatus::kCrash);  // into the wall at 4:2
  EXPECT_EQ(run_text("turnLeft move move move").status, ExecStatus::kCrash);  // off the grid
  EXPECT_EQ(run_text("pickMarker pickMarker pickMarker pickMarker").status, ExecStatus::kCrash);
  EXPECT_EQ(run_text("turnLeft turnLeft move putMarker").status, ExecStatus::kCrash);  // 10 there
  EXPECT_EQ(run_text("WHILE c( markersPresent c) w( turnLeft w)").status, ExecStatus::kStepLimit);
  EXPECT_EQ(run_text("WHILE c( noMarkersPresent c) w( w)").status, ExecStatus::kOk);
  // Step counting: 2 actions + 3 condition tests + 2 actions in the loop = 7 steps.
  const std::string prog = "putMarker turnRight WHILE c( frontIsClear c) w( move w)";
  EXPECT_EQ(run_text(prog, world(), 7).status, ExecStatus::kOk);
  EXPECT_EQ(run_text(prog, world(), 6).status, ExecStatus::kStepLimit);
}

TEST(KarelInterpreter, RepeatsAroundNothingEndAtOnce) {
  std::string body = "putMarker";
  for (int i = 0; i < 40; ++i) body = "REPEAT R=10 r( " + std::string(i == 0 ? "" : body) + " r)";
  const Outcome o = run_text(body);
  EXPECT_EQ(o.status, ExecStatus::kOk);
  EXPECT_TRUE(o.trace.empty());
}

}  // namespace
}  // namespace karel
}  // namespace lasynth
