#include "lang/karel/parser.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/rng.h"
#include "lang/karel/generator.h"
#include "lang/karel/tokens.h"

namespace lasynth {
namespace karel {
namespace {

std::vector<int32_t> ids(const std::string& text) { return vocabulary().encode(tokenize(text)); }

std::string error_of(const std::string& text) {
  try {
    parse(ids(text));
  } catch (const ParseError& e) {
    return e.what();
  }
  return "no error";
}

TEST(KarelTokens, VocabularyAndTokenize) {
  EXPECT_EQ(vocabulary().token(kDef), "DEF");
  EXPECT_EQ(vocabulary().token(kRepeat0 + 7), "R=7");
  EXPECT_EQ(vocabulary().token(kNumTokens - 1), "R=10");
  EXPECT_NE(vocabulary().hash(), 0u);
  EXPECT_EQ(tokenize("  DEF run\tm(\nmove m) "),
            (std::vector<std::string>{"DEF", "run", "m(", "move", "m)"}));
  EXPECT_THROW(tokenize("DEF run m( jump m)"), ParseError);
  EXPECT_THROW(tokenize("DEF run m( REPEAT R=1 r( move r) m)"), ParseError);
  EXPECT_THROW(tokenize("DEF run m( REPEAT R=11 r( move r) m)"), ParseError);
  EXPECT_THROW(tokenize("<pad>"), ParseError);
}

TEST(KarelParser, ParsesEveryConstruct) {
  const Program p =
      parse(ids("DEF run m( move turnLeft turnRight pickMarker putMarker "
                "IF c( frontIsClear c) i( move i) "
                "IFELSE c( not c( leftIsClear c) c) i( turnLeft i) ELSE e( turnRight e) "
                "WHILE c( rightIsClear c) w( move w) "
                "REPEAT R=4 r( IF c( markersPresent c) i( pickMarker i) r) "
                "IF c( noMarkersPresent c) i( i) m)"));
  ASSERT_EQ(p.body.size(), 10u);
  EXPECT_EQ(p.body[3].action, Action::kPickMarker);
  EXPECT_EQ(p.body[6].kind, Stmt::Kind::kIfElse);
  EXPECT_EQ(p.body[6].cond.sensor, Sensor::kLeftIsClear);
  EXPECT_EQ(p.body[6].cond.negations, 1);
  EXPECT_EQ(p.body[6].else_body.size(), 1u);
  EXPECT_EQ(p.body[8].times, 4);
  EXPECT_EQ(p.body[8].body[0].cond.sensor, Sensor::kMarkersPresent);
  EXPECT_TRUE(p.body[9].body.empty());
  EXPECT_EQ(nesting_depth(p.body), 2);
  EXPECT_EQ(statement_count(p.body), 16);
  EXPECT_EQ(loop_count(p.body), 2);
  EXPECT_EQ(branch_count(p.body), 4);
}

TEST(KarelParser, RoundTripsGeneratedPrograms) {
  Generator gen(Limits{});
  Rng rng(4);
  for (int i = 0; i < 3000; ++i) {
    const Program p = gen.sample_program(rng);
    const auto t = to_tokens(p);
    ASSERT_TRUE(parse(t) == p);
    ASSERT_EQ(vocabulary().encode(tokenize([&] {
      std::string s;
      for (int32_t id : t) s += vocabulary().token(id) + " ";
      return s;
    }())),
              t);
  }
}

TEST(KarelParser, ErrorsNameTheTokenAndTheReason) {
  EXPECT_NE(error_of("run m( move m)").find("token 0 'run': expected `DEF`"), std::string::npos);
  EXPECT_NE(error_of("DEF run m( move").find("end of input after 4 tokens"), std::string::npos);
  EXPECT_NE(error_of("DEF run m( IF c( move c) i( i) m)").find("expected a condition"),
            std::string::npos);
  EXPECT_NE(error_of("DEF run m( IF c( frontIsClear c) w( move w) m)").find("expected `i(`"),
            std::string::npos);
  EXPECT_NE(error_of("DEF run m( IFELSE c( frontIsClear c) i( move i) m)").find("`ELSE`"),
            std::string::npos);
  EXPECT_NE(error_of("DEF run m( REPEAT r( move r) m)").find("repeat count"), std::string::npos);
  EXPECT_NE(error_of("DEF run m( move m) move").find("nothing may follow"), std::string::npos);
  EXPECT_NE(error_of("DEF run m( move i) m)").find("expected a statement"), std::string::npos);
  EXPECT_NE(error_of("DEF run m( c( m)").find("expected a statement"), std::string::npos);
  std::string deep = "DEF run m( ";
  for (int i = 0; i < 100; ++i) deep += "REPEAT R=2 r( ";
  for (int i = 0; i < 100; ++i) deep += "r) ";
  EXPECT_NE(error_of(deep + "m)").find("nested deeper"), std::string::npos);
  EXPECT_THROW(parse(std::vector<int32_t>(kMaxProgramTokens + 1, kMove)), ParseError);
  EXPECT_THROW(parse({kPad}), ParseError);
  EXPECT_THROW(parse({kRepeat0}), ParseError);
}

TEST(KarelParsePrefix, DropsTheUnfinishedStatementAndClosesBlocks) {
  const auto all =
      ids("DEF run m( move WHILE c( frontIsClear c) w( move putMarker w) "
          "IFELSE c( markersPresent c) i( pickMarker i) ELSE e( turnLeft e) m)");
  auto prefix = [&](size_t n) {
    return parse_prefix({all.begin(), all.begin() + static_cast<long>(n)});
  };
  EXPECT_TRUE(prefix(0) == Program{});
  EXPECT_EQ(prefix(4).body.size(), 1u);   // DEF run m( move
  EXPECT_EQ(prefix(7).body.size(), 1u);   // ... WHILE c( frontIsClear: header unfinished
  EXPECT_EQ(prefix(10).body.size(), 2u);  // ... w( move: the loop with its body so far
  EXPECT_EQ(prefix(10).body[1].body.size(), 1u);
  EXPECT_EQ(prefix(20).body.size(), 3u);  // ... i( pickMarker i): IFELSE, else empty
  EXPECT_TRUE(prefix(20).body[2].else_body.empty());
  EXPECT_EQ(prefix(21).body.size(), 3u);  // ... ELSE
  EXPECT_EQ(prefix(23).body[2].else_body.size(), 1u);
  EXPECT_TRUE(prefix(all.size()) == parse(all));
  Generator gen(Limits{});
  Rng rng(8);
  for (int i = 0; i < 300; ++i) {
    const auto t = to_tokens(gen.sample_program(rng));
    for (size_t n = 0; n <= t.size(); ++n) {
      ASSERT_NO_THROW(parse_prefix({t.begin(), t.begin() + static_cast<long>(n)}));
    }
  }
  EXPECT_THROW(parse_prefix(ids("DEF run m( m) move")), ParseError);
  EXPECT_THROW(parse_prefix(ids("DEF run m( i)")), ParseError);
}

}  // namespace
}  // namespace karel
}  // namespace lasynth
