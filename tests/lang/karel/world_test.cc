#include "lang/karel/world.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace lasynth {
namespace karel {
namespace {

World small() {
  World w;
  w.rows = 3;
  w.cols = 4;
  w.cells.assign(12, 0);
  w.hero_row = 1;
  w.hero_col = 2;
  w.hero_dir = kWest;
  w.at(0, 0) = kWall;
  w.at(2, 3) = 5;
  w.at(1, 1) = 10;
  return w;
}

TEST(KarelWorld, JsonLayoutOfTheBenchmark) {
  const auto j = world_to_json(small());
  EXPECT_EQ(j.dump(),
            R"({"rows":3,"cols":4,"hero":"1:2:west","blocked":"0:0","markers":"2:3:5 1:1:10",)"
            R"("crashed":false})");
  EXPECT_EQ(world_from_json(nlohmann::json(j)), small());
  EXPECT_EQ(world_from_json(nlohmann::json(j.dump())), small());  // a string holding the object
}

TEST(KarelWorld, ValueRoundTrip) {
  const Value v = world_to_value(small());
  ASSERT_EQ(v.size(), 15u);
  EXPECT_EQ(v[0], 1);
  EXPECT_EQ(v[2], kWest);
  EXPECT_EQ(v[3], -1);
  EXPECT_EQ(world_from_value(v, 3, 4), small());
  EXPECT_THROW(world_from_value(v, 4, 4), ParseError);
  Value bad = v;
  bad[3 + 6] = 11;
  EXPECT_THROW(world_from_value(bad, 3, 4), ParseError);
  bad = v;
  bad[1] = 0;
  bad[0] = 0;  // the hero on the wall at 0:0
  EXPECT_THROW(world_from_value(bad, 3, 4), ParseError);
}

TEST(KarelWorld, SixteenChannelEncoding) {
  const World w = small();
  const std::vector<int64_t> on = world_channels(w);
  const int64_t plane = 12;
  // One hero channel, and one channel per cell.
  ASSERT_EQ(on.size(), 13u);
  EXPECT_EQ(on[0], kWest * plane + 1 * 4 + 2);
  auto has = [&](int64_t i) { return std::find(on.begin(), on.end(), i) != on.end(); };
  EXPECT_TRUE(has(4 * plane + 0));                 // the wall at 0:0
  EXPECT_TRUE(has((5 + 5) * plane + 2 * 4 + 3));   // 5 markers at 2:3
  EXPECT_TRUE(has((5 + 10) * plane + 1 * 4 + 1));  // 10 markers at 1:1
  EXPECT_TRUE(has(5 * plane + 1 * 4 + 2));         // the hero's cell has 0 markers
  EXPECT_EQ(world_tensor_text(w).substr(0, 6), std::to_string(on[0]) + ":1.0");
}

TEST(KarelWorld, Picture) { EXPECT_EQ(world_to_text(small()), "...5\n.X<.\n#...\n"); }

TEST(KarelWorld, MalformedGridsNameTheField) {
  auto error_of = [](const std::string& text) {
    try {
      world_from_json(nlohmann::json::parse(text));
    } catch (const ParseError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of(R"({"rows": 3, "cols": 3, "hero": "0:0"})").find("'hero'"), std::string::npos);
  EXPECT_NE(error_of(R"({"rows": 3, "cols": 3, "hero": "0:0:up"})").find("direction 'up'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"rows": 3, "cols": 3, "hero": "5:0:north"})").find("outside"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"rows": 3, "cols": 3, "hero": "0:0:north", "blocked": "0:0"})")
                .find("on a wall"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"rows": 3, "cols": 3, "hero": "0:0:north", "markers": "1:1:11"})")
                .find("0..10 markers"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"rows": 3, "cols": 3, "hero": "0:0:north", "markers": "1:x:1"})")
                .find("not an integer"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"cols": 3, "hero": "0:0:north"})").find("'rows' is missing"),
            std::string::npos);
  EXPECT_NE(
      error_of(R"({"rows": 3, "cols": 3, "hero": "0:0:north", "crashed": true})").find("crashed"),
      std::string::npos);
  EXPECT_NE(error_of(R"([1, 2])").find("expected a JSON object"), std::string::npos);
}

}  // namespace
}  // namespace karel
}  // namespace lasynth
