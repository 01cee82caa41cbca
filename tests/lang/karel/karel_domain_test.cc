#include "lang/karel/karel_domain.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "lang/domains.h"
#include "lang/karel/tokens.h"
#include "lang/prefixes.h"

namespace lasynth {
namespace {

TEST(KarelDomain, RegisteredByName) {
  const auto d = make_domain("karel");
  EXPECT_EQ(d->name(), "karel");
  EXPECT_EQ(d->value_shape(), std::vector<int64_t>{3 + 18 * 18});
  EXPECT_EQ(d->io_pairs(), 6);
  EXPECT_EQ(d->num_spec(), 5);
  EXPECT_EQ(d->vocabulary().domain(), "karel");
  EXPECT_NE(d->vocabulary().hash(), make_domain("c")->vocabulary().hash());
}

TEST(KarelDomain, ItsValuesAreGridsOfTheStandardChannels) {
  const ValueLayout layout = make_domain("karel", {{"rows", "8"}, {"cols", "6"}})->value_layout();
  EXPECT_EQ(layout.kind, ValueLayout::Kind::kGrid);
  EXPECT_EQ(layout.channels, 16);  // 4 hero directions, a wall, 0..10 markers
  EXPECT_EQ(layout.rows, 8);
  EXPECT_EQ(layout.cols, 6);
  EXPECT_FALSE(layout.operation_table);
}

TEST(KarelDomain, OptionsAreValidated) {
  EXPECT_THROW(make_domain("karel", {{"array_len", "5"}}), ConfigError);
  EXPECT_THROW(make_domain("karel", {{"wall_density", "0.95"}}), ConfigError);
  EXPECT_THROW(make_domain("karel", {{"rows", "2.5"}}), ConfigError);
  EXPECT_THROW(make_domain("karel", {{"num_spec", "7"}}), ConfigError);
  const auto d = make_domain("karel", {{"rows", "8"}, {"cols", "6"}, {"wall_density", "0.25"}});
  EXPECT_EQ(d->value_shape(), std::vector<int64_t>{3 + 48});
  EXPECT_EQ(d->options().at("wall_density"), "0.25");
}

TEST(KarelDomain, ParsesExecutesAndPrefixes) {
  const auto d = make_domain("karel", {{"rows", "4"}, {"cols", "4"}});
  const auto p = d->parse_source("DEF run m( putMarker move putMarker m)");
  EXPECT_EQ(p->source(), "DEF run m( putMarker move putMarker m)");
  const Value in = d->value_from_json(nlohmann::json::parse(
      R"({"rows": 4, "cols": 4, "hero": "0:0:north", "blocked": "", "markers": ""})"));
  const ExecResult r = p->execute(in);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(d->value_to_json(r.output).at("markers"), "1:0:1 0:0:1");
  EXPECT_EQ(d->value_to_json(r.output).at("hero"), "1:0:north");
  EXPECT_EQ(d->value_to_json(d->execute_prefix(p->tokens(), 4, in).output).at("markers"), "0:0:1");
  EXPECT_EQ(d->execute_prefix(p->tokens(), 0, in).output, in);
  const Value walled = d->value_from_json(nlohmann::json::parse(
      R"({"rows": 4, "cols": 4, "hero": "0:0:north", "blocked": "1:0", "markers": ""})"));
  EXPECT_EQ(p->execute(walled).status, ExecStatus::kCrash);
  EXPECT_THROW(p->execute(Value(5, 0)), ParseError);
  EXPECT_THROW(d->parse({"DEF", "run"}), ParseError);
}

// As C's: after an action or a whole loop or branch in `m( ... m)`, never inside a block or a
// condition, nor after `DEF run m(` or the closing `m)`.
TEST(KarelDomain, StatementsEndOnlyAtTheTopLevel) {
  const auto d = make_domain("karel");
  const std::vector<std::string> pieces = {"DEF run m(",
                                           "move",
                                           "WHILE c( frontIsClear c) w( move turnLeft w)",
                                           "IFELSE c( markersPresent c) i( pickMarker i)",
                                           "ELSE e( putMarker e)",
                                           "REPEAT R=3 r( turnRight r)",
                                           "m)"};
  const testing::PiecedProgram program = testing::pieced_program(pieces, karel::tokenize);
  ASSERT_NO_THROW(d->parse(program.tokens));
  EXPECT_EQ(program.statement_ends(*d), program.inner_ends);
  for (size_t n = 0; n <= program.tokens.size(); ++n) {
    EXPECT_NO_THROW(d->check_prefix(program.prefix(n)));
  }
  EXPECT_THROW(d->check_prefix(karel::tokenize("DEF run m( move c(")), ParseError);
}

}  // namespace
}  // namespace lasynth
