#include "lang/c/interpreter.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace lasynth {
namespace c {
namespace {

using testing::run_text;

const Value kIn = {1, -2, 3, -4, 0};

// INT_MIN in l_0, built by doubling -1 thirty-one times (literals only go to 16).
const char* kIntMin =
    "int l_0 = -1; int p_0 = 0;"
    "for (p_0 = 0; p_0 < 16; p_0++) { l_0 *= 2; }"
    "for (p_0 = 0; p_0 < 15; p_0++) { l_0 *= 2; }";

TEST(CInterpreter, ArithmeticFollowsC) {
  EXPECT_EQ(run_text("a[0] = -7 / 2; a[1] = -7 % 2; a[2] = 7 % -2; a[3] = 2 + 3 * 4 - 1;"
                     "a[4] = (1 - 2) - 3;",
                     kIn)
                .output,
            (Value{-3, -1, 1, 13, -4}));
  EXPECT_EQ(
      run_text("a[0] = 3 < 4; a[1] = 4 <= 3; a[2] = !5; a[3] = !0 + (2 == 2); a[4] = 1 != 1;", kIn)
          .output,
      (Value{1, 0, 0, 2, 0}));
  EXPECT_EQ(
      run_text("a[0] = 2 && 3; a[1] = 0 || -1; a[2] = 0 && 1; a[3] = a[3] * a[1];", kIn).output,
      (Value{1, 1, 0, -4, 0}));
}

TEST(CInterpreter, AssignmentsAndLocals) {
  const auto r = run_text(
      "int l_0 = 3; int l_1 = -2;"
      "l_0 += a[0]; l_1 *= l_0; a[0] = l_1; a[1]++; a[2]--; a[3] -= l_0; a[4] *= 5; l_0--;"
      "a[4] = l_0;",
      kIn);
  EXPECT_EQ(r.status, ExecStatus::kOk);
  EXPECT_EQ(r.output, (Value{-8, -1, 2, -8, 3}));
}

TEST(CInterpreter, BranchesAndLoops) {
  EXPECT_EQ(run_text("int p_0 = 0; for (p_0 = 0; p_0 < 5; p_0++) { a[p_0] += p_0; }", kIn).output,
            (Value{1, -1, 5, -1, 4}));
  EXPECT_EQ(
      run_text("int p_0 = 0; for (p_0 = 4; p_0 >= 1; p_0--) { a[p_0] = a[p_0 - 1]; }", kIn).output,
      (Value{1, 1, -2, 3, -4}));
  EXPECT_EQ(run_text("int l_0 = 0; while (l_0 < 3) { a[l_0] = 9; l_0++; }", kIn).output,
            (Value{9, 9, 9, -4, 0}));
  EXPECT_EQ(run_text("if (a[0] > 0) { a[0] = 7; } else { a[0] = 8; }"
                     "if (a[1] > 0) { a[1] = 7; } else { a[1] = 8; }"
                     "if (a[2] == 3 && a[3] == -4 || a[4]) { a[2] = 0; }",
                     kIn)
                .output,
            (Value{7, 8, 0, -4, 0}));
}

TEST(CInterpreter, WrapsAroundLikeFwrapv) {
  const auto r = run_text(std::string(kIntMin) +
                              "a[0] = l_0 < 0; a[1] = l_0 * 2 == 0; l_0 -= 1; a[2] = l_0 > 0;"
                              "a[3] = l_0 + 1 < 0; a[4] = l_0 * 2 == -2;",
                          kIn);
  EXPECT_EQ(r.status, ExecStatus::kOk);
  EXPECT_EQ(r.output, (Value{1, 1, 1, 1, 1}));
}

TEST(CInterpreter, EveryFailureIsTyped) {
  EXPECT_EQ(run_text("a[0] = 1 / (a[4]);", kIn).status, ExecStatus::kDivisionByZero);
  EXPECT_EQ(run_text("a[0] = 1 % 0;", kIn).status, ExecStatus::kDivisionByZero);
  EXPECT_EQ(run_text(std::string(kIntMin) + "a[0] = l_0 / -1;", kIn).status, ExecStatus::kOverflow);
  EXPECT_EQ(run_text(std::string(kIntMin) + "a[0] = l_0 % -1;", kIn).status, ExecStatus::kOverflow);
  EXPECT_EQ(run_text(std::string(kIntMin) + "a[0] = l_0 / 1 + l_0 % 2;", kIn).status,
            ExecStatus::kOk);
  EXPECT_EQ(run_text("a[5] = 1;", kIn).status, ExecStatus::kIndexOutOfRange);
  EXPECT_EQ(run_text("a[0] = a[-1];", kIn).status, ExecStatus::kIndexOutOfRange);
  EXPECT_EQ(run_text("a[a[2] + 2] += 1;", kIn).status, ExecStatus::kIndexOutOfRange);
  EXPECT_EQ(run_text(std::string(kIntMin) + "a[l_0] = 1;", kIn).status,
            ExecStatus::kIndexOutOfRange);
  EXPECT_EQ(run_text("while (1) { }", kIn).status, ExecStatus::kStepLimit);
  EXPECT_EQ(run_text("int l_0 = 0; while (l_0 < 3) { l_0--; }", kIn).status,
            ExecStatus::kStepLimit);
}

TEST(CInterpreter, ShortCircuitSkipsTheFailingOperand) {
  EXPECT_EQ(run_text("a[0] = 0 && 1 / 0; a[1] = 1 || a[9]; if (0 && a[7]) { a[2] = 1; }"
                     "if (1 || 1 % 0) { a[3] = 1; } while (0 && 1 / 0) { }",
                     kIn)
                .output,
            (Value{0, 1, 3, 1, 0}));
  EXPECT_EQ(run_text("a[0] = 1 && 1 / 0;", kIn).status, ExecStatus::kDivisionByZero);
  EXPECT_EQ(run_text("if (!(0 || a[9])) { a[0] = 1; }", kIn).status, ExecStatus::kIndexOutOfRange);
}

TEST(CInterpreter, CountsStatementsAndLoopTests) {
  // 1 (for) + 4 loop tests + 3 body statements = 8 steps.
  const char* loop = "int p_0 = 0; for (p_0 = 0; p_0 < 3; p_0++) { a[0]++; }";
  EXPECT_EQ(run_text(loop, kIn, 8).status, ExecStatus::kOk);
  EXPECT_EQ(run_text(loop, kIn, 7).status, ExecStatus::kStepLimit);
  // 3 loop tests + 2 bodies of 2 statements.
  const char* w = "int l_0 = 0; while (l_0 < 2) { a[1] = 0; l_0++; }";
  EXPECT_EQ(run_text(w, kIn, 7).status, ExecStatus::kOk);
  EXPECT_EQ(run_text(w, kIn, 6).status, ExecStatus::kStepLimit);
}

TEST(CInterpreter, EmptyBodyReturnsTheInput) {
  const auto r = run_text("", kIn);
  EXPECT_EQ(r.status, ExecStatus::kOk);
  EXPECT_EQ(r.output, kIn);
}

TEST(CInterpreter, RunsOnAnyArrayLength) {
  const auto r =
      run_text("int p_0 = 0; for (p_0 = 0; p_0 < 7; p_0++) { a[p_0] = p_0; }", Value(7, 0));
  EXPECT_EQ(r.output, (Value{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(run_text("a[1] = 1;", Value{5}).status, ExecStatus::kIndexOutOfRange);
}

TEST(CInterpreter, ManyConstantsAndTemporariesUseTheHeapFrame) {
  std::string body = "a[0] = 0";
  for (int i = 0; i < 300; ++i) body += " + (a[1] * " + std::to_string(i % 17) + ")";
  body += ";";
  const auto r = run_text(body, kIn);
  EXPECT_EQ(r.status, ExecStatus::kOk);
  int sum = 0;
  for (int i = 0; i < 300; ++i) sum += -2 * (i % 17);
  EXPECT_EQ(r.output[0], sum);
}

}  // namespace
}  // namespace c
}  // namespace lasynth
