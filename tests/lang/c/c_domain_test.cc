#include "lang/c/c_domain.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "lang/c/tokens.h"
#include "lang/domains.h"
#include "lang/prefixes.h"

namespace lasynth {
namespace {

TEST(CDomain, RegisteredByName) {
  const auto d = make_domain("c");
  EXPECT_EQ(d->name(), "c");
  EXPECT_EQ(d->value_shape(), std::vector<int64_t>{5});
  EXPECT_EQ(d->io_pairs(), 10);
  EXPECT_EQ(d->num_spec(), 5);
  EXPECT_EQ(d->options().at("step_limit"), "10000");
  EXPECT_EQ(d->vocabulary().domain(), "c");
}

TEST(CDomain, ItsValuesAreArraysWithTheOperationTable) {
  const ValueLayout layout =
      make_domain("c", {{"array_len", "7"}, {"value_range", "3"}})->value_layout();
  EXPECT_EQ(layout.kind, ValueLayout::Kind::kArray);
  EXPECT_EQ(layout.length, 7);
  EXPECT_EQ(layout.range, 3);
  EXPECT_EQ(layout.output_range, 4);  // the original's [-4, 4] by default
  EXPECT_TRUE(layout.operation_table);
  EXPECT_EQ(make_domain("c", {{"output_range", "9"}})->value_layout().output_range, 9);
}

TEST(CDomain, OptionsAreValidatedWithClearErrors) {
  auto error_of = [](const DomainOptions& o) {
    try {
      make_domain("c", o);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of({{"max_local", "3"}}).find("no option 'max_local'"), std::string::npos);
  EXPECT_NE(error_of({{"array_len", "0"}}).find("array_len = '0' is not an integer in [1, 17]"),
            std::string::npos);
  EXPECT_NE(error_of({{"io_pairs", "x"}}).find("not an integer"), std::string::npos);
  EXPECT_NE(error_of({{"io_pairs", "4"}}).find("num_spec (5) is above io_pairs (4)"),
            std::string::npos);
  EXPECT_NE(error_of({{"const_min", "3"}, {"const_max", "2"}}).find("const_min"),
            std::string::npos);
  EXPECT_NE(error_of({{"value_range", "2"}, {"output_range", "9"}})
                .find("output_range (9) is above 4 * value_range (8)"),
            std::string::npos);
  EXPECT_THROW(make_domain("cobol"), ConfigError);
  const auto d = make_domain("c", {{"array_len", "7"}, {"io_pairs", "6"}, {"num_spec", "3"}});
  EXPECT_EQ(d->value_shape(), std::vector<int64_t>{7});
  EXPECT_EQ(d->num_spec(), 3);
}

TEST(CDomain, ParsesExecutesAndPrints) {
  const auto d = make_domain("c");
  const auto p = d->parse_source("int * func_1(int a[]) { a[0] = a[1] + 2; return a; }");
  const ExecResult r = p->execute({1, 2, 3, 4, 5});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.output, (Value{4, 2, 3, 4, 5}));
  EXPECT_EQ(d->parse(p->tokens())->source(), p->source());
  const ExecResult bad = d->parse_source("int * func_1(int a[]) { a[0] = 1 / a[4]; return a; }")
                             ->execute({1, 2, 3, 4, 0});
  EXPECT_EQ(bad.status, ExecStatus::kDivisionByZero);
  EXPECT_STREQ(exec_status_name(bad.status), "division_by_zero");
  EXPECT_THROW(p->execute({1, 2}), ConfigError);
  EXPECT_THROW(d->parse({"int", "*", "main"}), ParseError);
}

TEST(CDomain, ExecutesPrefixes) {
  const auto d = make_domain("c");
  const auto tokens =
      d->parse_source("int * func_1(int a[]) { a[0] = 9; a[1] = 8; return a; }")->tokens();
  const Value in = {0, 0, 0, 0, 0};
  EXPECT_EQ(d->execute_prefix(tokens, 0, in).output, in);
  EXPECT_EQ(d->execute_prefix(tokens, 16, in).output, in);
  EXPECT_EQ(d->execute_prefix(tokens, 17, in).output, (Value{9, 0, 0, 0, 0}));
  EXPECT_EQ(d->execute_prefix(tokens, 20, in).output, (Value{9, 0, 0, 0, 0}));
  EXPECT_EQ(d->execute_prefix(tokens, tokens.size(), in).output, (Value{9, 8, 0, 0, 0}));
  EXPECT_THROW(d->execute_prefix(tokens, tokens.size() + 1, in), ConfigError);
}

// A statement ends outside every loop and branch after a declaration, a top-level assignment, a
// whole loop, a then-block (an `else` may follow) and `return a;`: never inside a `for` header
// or a block, nor before the body or after the function's `}`.
TEST(CDomain, StatementsEndOnlyAtTheTopLevel) {
  const auto d = make_domain("c");
  const std::vector<std::string> pieces = {
      "int * func_1(int a[]) {",
      "int l_0 = 0;",
      "a[0] = 2;",
      "for (l_0 = 0; l_0 < 5; l_0++) { a[l_0] += 1; if (a[l_0] > 2) { a[l_0] = 0; } }",
      "if (a[1] == 0) { a[2] = 1; }",
      "else { a[2] = 2; }",
      "return a;",
      "}"};
  const testing::PiecedProgram program = testing::pieced_program(pieces, c::tokenize);
  ASSERT_NO_THROW(d->parse(program.tokens));
  EXPECT_EQ(program.statement_ends(*d), program.inner_ends);
  for (size_t n = 0; n <= program.tokens.size(); ++n) {
    EXPECT_NO_THROW(d->check_prefix(program.prefix(n)));
  }
  EXPECT_THROW(d->check_prefix(c::tokenize("int * func_1(int a[]) { a[0] = 1; int")), ParseError);
  EXPECT_THROW(d->check_prefix(c::tokenize("int * func_1(int a[]) { return a; } a")), ParseError);
}

TEST(CDomain, ValuesToAndFromJson) {
  const auto d = make_domain("c");
  EXPECT_EQ(d->value_to_json({1, -2, 3, 0, 4}).dump(), "[1,-2,3,0,4]");
  EXPECT_EQ(d->value_from_json(nlohmann::json::parse("[1,-2,3,0,4]")), (Value{1, -2, 3, 0, 4}));
  EXPECT_THROW(d->value_from_json(nlohmann::json::parse("[1,2]")), ParseError);
  EXPECT_THROW(d->value_from_json(nlohmann::json::parse("[1,2,3,4,\"x\"]")), ParseError);
  EXPECT_THROW(d->value_from_json(nlohmann::json::parse("[1,2,3,4,5000000000]")), ParseError);
  EXPECT_THROW(d->value_from_json(nlohmann::json::parse("{}")), ParseError);
}

TEST(CDomain, ExampleJsonLayout) {
  const auto d = make_domain("c");
  const Example ex = d->make_sampler(1)->next();
  const nlohmann::json j = example_to_json(*d, ex);
  EXPECT_EQ(j.at("source"), ex.source);
  EXPECT_EQ(j.at("tokens").size(), ex.tokens.size());
  ASSERT_EQ(j.at("io").size(), 10u);
  EXPECT_EQ(j.at("io")[0].at("input").size(), 5u);
  EXPECT_EQ(j.at("io")[0].at("output").size(), 5u);
}

}  // namespace
}  // namespace lasynth
