#include "lang/c/parser.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/rng.h"
#include "lang/c/generator.h"
#include "lang/c/printer.h"
#include "test_util.h"

namespace lasynth {
namespace c {
namespace {

using testing::function;
using testing::parse_text;

std::string error_of(const std::string& text) {
  try {
    parse_text(text);
  } catch (const ParseError& e) {
    return e.what();
  }
  return "no error";
}

TEST(CParser, ParsesEveryConstruct) {
  const Program p =
      parse_text(function("int l_0 = 3; int p_0 = 0; int l_1 = -2;"
                          "a[0] = l_0 + a[1] * 2;"
                          "l_1 += 1; l_1 -= a[2]; a[3] *= -1; l_0++; a[l_0 - 3]--;"
                          "if (l_0 > 1 && !(a[0] == 2) || l_1 != 0) { a[1] = 1; }"
                          "if (a[0] <= 0) { a[1] = 1 / l_0; } else { a[2] = l_0 % 2; }"
                          "for (p_0 = 0; p_0 < 5; p_0++) { a[p_0] += 1; }"
                          "for (p_0 = 4; p_0 >= 0; p_0--) { a[p_0] -= 1; }"
                          "while (l_0 < 8) { l_0++; }"));
  ASSERT_EQ(p.decls.size(), 3u);
  EXPECT_EQ(p.decls[2].init, -2);
  ASSERT_EQ(p.body.size(), 11u);
  EXPECT_EQ(p.body[6].kind, Stmt::Kind::kIf);
  EXPECT_FALSE(p.body[6].has_else);
  EXPECT_TRUE(p.body[7].has_else);
  EXPECT_EQ(p.body[8].kind, Stmt::Kind::kFor);
  EXPECT_EQ(p.body[10].kind, Stmt::Kind::kWhile);
  EXPECT_EQ(nesting_depth(p), 1);
  EXPECT_EQ(statement_count(p), 17);
  EXPECT_EQ(loop_count(p), 3);
  EXPECT_EQ(branch_count(p), 2);
}

TEST(CParser, FollowsCPrecedenceAndAssociativity) {
  // 1 - 2 - 3 is (1 - 2) - 3; 2 + 3 * 4 is 2 + (3 * 4); && binds tighter than ||.
  const Program p = parse_text(function("a[0] = 1 - 2 - 3; a[1] = 2 + 3 * 4; a[2] = 1 || 0 && 0;"));
  const Expr& sub = *p.body[0].value;
  ASSERT_EQ(sub.kind, Expr::Kind::kBinary);
  EXPECT_EQ(sub.op, BinOp::kSub);
  EXPECT_EQ(sub.lhs->kind, Expr::Kind::kBinary);
  EXPECT_EQ(sub.rhs->value, 3);
  EXPECT_EQ(p.body[1].value->op, BinOp::kAdd);
  EXPECT_EQ(p.body[1].value->rhs->op, BinOp::kMul);
  EXPECT_EQ(p.body[2].value->op, BinOp::kOr);
  EXPECT_EQ(p.body[2].value->rhs->op, BinOp::kAnd);
}

TEST(CParser, PrintParseRoundTripOnGeneratedPrograms) {
  Generator gen(Limits{});
  Rng rng(5);
  for (int i = 0; i < 2000; ++i) {
    const Program p = gen.sample_program(rng);
    const std::vector<int32_t> ids = to_tokens(p);
    const Program back = parse(ids);
    ASSERT_TRUE(back == p) << to_source(p);
    ASSERT_EQ(to_tokens(back), ids);
  }
}

TEST(CParser, PrinterAddsOnlyTheParenthesesPrecedenceNeeds) {
  const std::string src = function(
      "a[0] = (1 - 2) - 3; a[1] = 1 - (2 - 3); a[2] = (1 + 2) * 3; a[3] = !(a[0] < 1);"
      "a[4] = (a[0] || 1) && 0; a[0] = a[1] * -3 - -1;");
  EXPECT_EQ(to_source(parse_text(src)),
            "int * func_1(int a[]) {\n"
            "  a[0] = 1 - 2 - 3;\n"
            "  a[1] = 1 - (2 - 3);\n"
            "  a[2] = (1 + 2) * 3;\n"
            "  a[3] = !(a[0] < 1);\n"
            "  a[4] = (a[0] || 1) && 0;\n"
            "  a[0] = a[1] * -3 - -1;\n"
            "  return a;\n"
            "}\n");
}

TEST(CParser, ErrorsNameTheTokenAndTheReason) {
  EXPECT_NE(error_of(function("a[0] = l_0;")).find("variable l_0 is used but not declared"),
            std::string::npos);
  EXPECT_NE(error_of(function("int l_0 = 1; int l_0 = 2;")).find("declared twice"),
            std::string::npos);
  EXPECT_NE(error_of(function("a[0] = 1; int l_0 = 1;"))
                .find("declarations must come before every statement"),
            std::string::npos);
  EXPECT_NE(error_of(function("if (a[0]) a[1] = 1;")).find("blocks need braces"),
            std::string::npos);
  EXPECT_NE(error_of(function("a[0] = 1")).find("token 16 'return': expected `;`"),
            std::string::npos)
      << error_of(function("a[0] = 1"));
  EXPECT_NE(error_of(function("a[0] = - l_0;")).find("unary `-` is only allowed before"),
            std::string::npos);
  EXPECT_NE(error_of(function("a = 1;")).find("expected `[` after `a`"), std::string::npos);
  EXPECT_NE(error_of("int * func_1(int a[]) { return a; } }").find("nothing after"),
            std::string::npos);
  EXPECT_NE(error_of("int * func_1(int a[]) { a[0] = 1;").find("end of input after"),
            std::string::npos);
  EXPECT_NE(error_of("int * func_1(int a[]) { if (a[0]) { a[0] = 1; return a; }")
                .find("expected a statement"),
            std::string::npos);
  EXPECT_NE(error_of(function("{ a[0] = 1; }")).find("expected a statement"), std::string::npos);
  EXPECT_NE(error_of("int * func_1(int a) { return a; }").find("the header"), std::string::npos);
}

TEST(CParser, RefusesAbsurdInputWithoutCrashing) {
  std::vector<int32_t> long_input(kMaxProgramTokens + 1, kSemi);
  EXPECT_THROW(parse(long_input), ParseError);
  std::string deep = "a[0] = ";
  for (int i = 0; i < 1000; ++i) deep += "(";
  deep += "1";
  for (int i = 0; i < 1000; ++i) deep += ")";
  EXPECT_NE(error_of(function(deep + ";")).find("nested deeper than"), std::string::npos);
  std::string blocks;
  for (int i = 0; i < 200; ++i) blocks += "if (1) {";
  EXPECT_NE(error_of(function(blocks)).find("nested deeper than"), std::string::npos);
  EXPECT_THROW(parse({kPad}), ParseError);
  EXPECT_THROW(parse({kNumTokens}), ParseError);
  EXPECT_THROW(parse({}), ParseError);
}

TEST(CParsePrefix, DropsTheUnfinishedStatementAndClosesBlocks) {
  const std::vector<int32_t> ids = vocabulary().encode(tokenize(
      function("int l_0 = 2; a[0] = 1; for (l_0 = 0; l_0 < 2; l_0++) { a[l_0] += 5; a[4] = 3 }")));
  auto prefix = [&](const std::string& last_tokens) {
    // The prefix that ends with `last_tokens`.
    const auto want = vocabulary().encode(tokenize(last_tokens));
    for (size_t n = want.size(); n <= ids.size(); ++n) {
      if (std::equal(want.begin(), want.end(), ids.begin() + static_cast<long>(n - want.size()))) {
        return parse_prefix(std::vector<int32_t>(ids.begin(), ids.begin() + static_cast<long>(n)));
      }
    }
    ADD_FAILURE() << "no prefix ends with " << last_tokens;
    return Program{};
  };
  EXPECT_TRUE(parse_prefix({}) == Program{});
  EXPECT_TRUE(parse_prefix({kInt, kStar}) == Program{});
  EXPECT_EQ(prefix("int l_0 =").decls.size(), 0u);
  EXPECT_EQ(prefix("int l_0 = 2;").decls.size(), 1u);
  EXPECT_EQ(prefix("a[0] = 1").body.size(), 0u);
  EXPECT_EQ(prefix("a[0] = 1;").body.size(), 1u);
  EXPECT_EQ(prefix("for (l_0 = 0; l_0 < 2;").body.size(), 1u);
  const Program open_loop = prefix("a[l_0] += 5;");
  ASSERT_EQ(open_loop.body.size(), 2u);
  EXPECT_EQ(open_loop.body[1].kind, Stmt::Kind::kFor);
  EXPECT_EQ(open_loop.body[1].body.size(), 1u);
  EXPECT_EQ(prefix("a[4] = 3").body[1].body.size(), 1u);
}

TEST(CParsePrefix, KeepsAnIfWhoseThenBlockJustClosed) {
  const auto ids =
      vocabulary().encode(tokenize(function("if (a[0] > 0) { a[1] = 2; } else { a[1] = 3; }")));
  // The header's 10 tokens, then `if ( a [ 0 ] > 0 ) {` `a [ 1 ] = 2 ;` `}`.
  const size_t then_end = 10 + 10 + 7 + 1;
  ASSERT_EQ(ids[then_end - 1], kRBrace);
  const Program p = parse_prefix({ids.begin(), ids.begin() + then_end});
  ASSERT_EQ(p.body.size(), 1u);
  EXPECT_FALSE(p.body[0].has_else);
  const Program q = parse_prefix({ids.begin(), ids.begin() + then_end + 2});
  ASSERT_EQ(q.body.size(), 1u);
  EXPECT_TRUE(q.body[0].has_else);
  EXPECT_TRUE(q.body[0].else_body.empty());
}

TEST(CParsePrefix, EveryPrefixOfAValidProgramParses) {
  Generator gen(Limits{});
  Rng rng(9);
  for (int i = 0; i < 200; ++i) {
    const std::vector<int32_t> ids = to_tokens(gen.sample_program(rng));
    for (size_t n = 0; n <= ids.size(); ++n) {
      ASSERT_NO_THROW(parse_prefix({ids.begin(), ids.begin() + static_cast<long>(n)}))
          << format(ids) << " prefix " << n;
    }
    EXPECT_TRUE(parse_prefix(ids) == parse(ids));
  }
}

TEST(CParsePrefix, StillRejectsWhatNoProgramStartsWith) {
  EXPECT_THROW(parse_prefix(vocabulary().encode(tokenize("int * func_1(int a[]) { }"))),
               ParseError);
  EXPECT_THROW(parse_prefix(vocabulary().encode(tokenize("int * func_1(int a[]) { a[0] = ;"))),
               ParseError);
}

}  // namespace
}  // namespace c
}  // namespace lasynth
