#include "lang/karel/generator.h"

#include <gtest/gtest.h>

#include <set>

#include "lang/karel/interpreter.h"
#include "lang/karel/parser.h"
#include "lang/karel/tokens.h"

namespace lasynth {
namespace karel {
namespace {

TEST(KarelGenerator, ProgramsStayWithinTheLimits) {
  Limits limits;
  limits.max_statements = 5;
  limits.max_depth = 1;
  Generator gen(limits);
  Rng rng(2);
  int loops = 0;
  for (int i = 0; i < 3000; ++i) {
    const Program p = gen.sample_program(rng);
    ASSERT_LE(statement_count(p.body), 5);
    ASSERT_LE(nesting_depth(p.body), 1);
    for (const Stmt& s : p.body)
      loops += s.kind == Stmt::Kind::kWhile || s.kind == Stmt::Kind::kRepeat;
  }
  EXPECT_GT(loops, 200);
}

TEST(KarelGenerator, WorldsFollowTheDensities) {
  Limits limits;
  limits.wall_density = 0.3;
  limits.marker_density = 0.5;
  Generator gen(limits);
  Rng rng(3);
  int walls = 0, marked = 0, cells = 0;
  for (int i = 0; i < 50; ++i) {
    const World w = gen.sample_world(rng);
    ASSERT_EQ(w.rows, 18);
    ASSERT_TRUE(w.clear(w.hero_row, w.hero_col));
    for (int8_t x : w.cells) {
      ASSERT_GE(x, kWall);
      ASSERT_LE(x, kMaxMarkers);
      walls += x == kWall;
      marked += x > 0;
      ++cells;
    }
  }
  EXPECT_NEAR(static_cast<double>(walls) / cells, 0.3, 0.03);
  EXPECT_NEAR(static_cast<double>(marked) / cells, 0.7 * 0.5, 0.03);
}

TEST(KarelSampler, AcceptedExamplesRunToTheirOutputsAndAreUnique) {
  Limits limits;
  Sampler sampler(limits, 21);
  std::set<std::vector<std::string>> seen;
  for (int i = 0; i < 300; ++i) {
    const Example ex = sampler.next();
    ASSERT_TRUE(seen.insert(ex.tokens).second);
    ASSERT_EQ(ex.io.size(), 6u);
    const Program p = parse(vocabulary().encode(ex.tokens));
    bool changes = false;
    for (const IoPair& pair : ex.io) {
      World w = world_from_value(pair.input, 18, 18);
      ASSERT_EQ(run(p, &w, limits.step_limit), ExecStatus::kOk) << ex.source;
      ASSERT_EQ(world_to_value(w), pair.output);
      changes = changes || pair.output != pair.input;
    }
    EXPECT_TRUE(changes);
  }
  const auto counters = sampler.counters();
  for (const char* reason : {"crash", "step_limit", "duplicate", "no_effect"}) {
    EXPECT_GT(counters.count(reason) ? counters.at(reason) : 0, 0) << reason;
  }
}

TEST(KarelSampler, SameSeedSameExamples) {
  Sampler a(Limits{}, 5), b(Limits{}, 5);
  for (int i = 0; i < 30; ++i) {
    const Example x = a.next(), y = b.next();
    EXPECT_EQ(x.tokens, y.tokens);
    EXPECT_EQ(x.io.back().output, y.io.back().output);
  }
}

}  // namespace
}  // namespace karel
}  // namespace lasynth
