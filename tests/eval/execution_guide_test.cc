#include "eval/execution_guide.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "lang/c/tokens.h"
#include "lang/domains.h"

namespace lasynth {
namespace eval {
namespace {

// The ids a C model decodes for `body`: what follows the fixed header.
std::vector<int32_t> decoded(const Domain& d, const std::string& body) {
  return d.vocabulary().encode(c::tokenize(body));
}

class ExecutionGuideTest : public ::testing::Test {
 protected:
  // "add 1 to every element", on two arrays.
  ExecutionGuideTest()
      : domain_(make_domain("c")),
        guide_(*domain_,
               {{{{1, 2, 3, 4, 0}, {2, 3, 4, 5, 1}}, {{0, 0, -1, 2, 3}, {1, 1, 0, 3, 4}}}}) {}

  bool viable(const std::string& body, bool finished = false) {
    return guide_.viable(0, decoded(*domain_, body), finished);
  }

  std::unique_ptr<Domain> domain_;
  ExecutionGuide guide_;
};

TEST_F(ExecutionGuideTest, RefusesAPrefixThatFailsWhereItEndsAStatement) {
  EXPECT_FALSE(viable("{ a[0] = a[1] / a[4];"));       // division by zero on the first input
  EXPECT_FALSE(viable("{ int l_0 = 5; a[l_0] = 1;"));  // index 5 of 5
  EXPECT_FALSE(viable("{ int l_0 = 0; while (l_0 < 5) { a[0] = 1; }"));  // the step limit
  EXPECT_EQ(guide_.refused(), 3);
  EXPECT_EQ(guide_.executed(), 3);
}

TEST_F(ExecutionGuideTest, RefusesAPrefixNoProgramBeginsWith) {
  EXPECT_FALSE(viable(";"));                // the body opens with `{`
  EXPECT_FALSE(viable("{ a[0] = l_3"));     // a variable never declared, mid-statement
  EXPECT_FALSE(viable("{ a[0] = 1; int"));  // declarations come first
  EXPECT_TRUE(viable("{ int l_3 = 0; a[0] = l_3"));
  EXPECT_EQ(guide_.executed(), 0);
}

TEST_F(ExecutionGuideTest, NeverRefusesWhatACompletionCouldStillRun) {
  // Mid-statement and mid-loop, nothing runs: the `while` body below loops forever until its
  // counter's increment comes.
  EXPECT_TRUE(viable("{ a[0] = a[1] /"));
  EXPECT_TRUE(viable("{ int l_0 = 0; while (l_0 < 5) { a[l_0] += 1;"));
  EXPECT_EQ(guide_.executed(), 0);
  EXPECT_TRUE(viable("{ int l_0 = 0; while (l_0 < 5) { a[l_0] += 1; l_0++; }"));
  EXPECT_TRUE(viable("{ int l_0 = 0;"));
  EXPECT_EQ(guide_.executed(), 2);
  EXPECT_EQ(guide_.refused(), 0);
}

TEST_F(ExecutionGuideTest, KeepsAFinishedProgramOnlyWhenItReproducesTheSpecification) {
  const std::string loop = "{ int l_0 = 0; while (l_0 < 5) { a[l_0] += 1; l_0++; }";
  EXPECT_TRUE(viable(loop + " return a; }", true));
  EXPECT_FALSE(viable("{ a[0] += 1; return a; }", true));  // runs, but other outputs
  EXPECT_FALSE(viable(loop, true));                        // ends before `return a; }`
}

// A loop is an answer as soon as its body is: the program the candidate already determines, its
// blocks closed, reproduces every pair.
TEST_F(ExecutionGuideTest, CompletesACandidateWhoseClosedProgramReproducesTheSpecification) {
  const std::string head = "{ int p_0 = 0; for (p_0 = 0; p_0 < 5; p_0++) { a[p_0]";
  const std::vector<int32_t> done = guide_.completion(0, decoded(*domain_, head + "++;"));
  ASSERT_FALSE(done.empty());
  EXPECT_EQ(domain_->vocabulary().decode(done), c::tokenize(R"({
  int p_0 = 0;
  for (p_0 = 0; p_0 < 5; p_0++) {
    a[p_0]++;
  }
  return a;
})"));
  EXPECT_TRUE(guide_.viable(0, done, true));  // the check of a finished program agrees
  EXPECT_EQ(guide_.completed(), 1);
  const auto none = [&](const std::string& body) {
    return guide_.completion(0, decoded(*domain_, body)).empty();
  };
  EXPECT_TRUE(none(head + "++"));                                              // mid-statement
  EXPECT_TRUE(none(head + " += 2;"));                                          // other outputs
  EXPECT_TRUE(none("{ int p_0 = 0; for (p_0 = 0; p_0 < 6; p_0++) { a[p_0]++;"));  // index 5
  EXPECT_TRUE(none("{ int p_0 = 0; for (p_0 = 0;"));                  // a `for` header's `;`
  EXPECT_TRUE(none("{ a[0] = l_3;"));                                 // no program begins so
  EXPECT_TRUE(none("{ int p_0 = 0; for (p_0 = 0; p_0 < 5; p_0++) { a[p_0]++; } return a; }"));
  EXPECT_EQ(guide_.completed(), 1);
}

TEST(Search, ParsesItsNames) {
  EXPECT_EQ(parse_search("beam"), Search::kBeam);
  EXPECT_EQ(parse_search("execution_guided"), Search::kExecutionGuided);
  EXPECT_THROW(parse_search("exhaustive"), ConfigError);
}

}  // namespace
}  // namespace eval
}  // namespace lasynth
