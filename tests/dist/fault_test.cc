// LASYNTH_FAULT's parsing, and the faults that return (a hang and a crash never do: the launcher's
// end-to-end tests drive them through lasynth-launch).
#include "dist/fault.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "core/error.h"

namespace lasynth {
namespace dist {
namespace {

TEST(Fault, ParsesEachKind) {
  const Fault hang = parse_fault("hang:rank=1:step=5");
  EXPECT_EQ(hang.kind, FaultKind::kHang);
  EXPECT_EQ(hang.rank, 1);
  EXPECT_EQ(hang.step, 5);
  const Fault crash = parse_fault("crash:rank=0:step=1");
  EXPECT_EQ(crash.kind, FaultKind::kCrash);
  EXPECT_EQ(crash.rank, 0);
  EXPECT_EQ(crash.step, 1);
  const Fault slow = parse_fault("slow:rank=12:step=300");
  EXPECT_EQ(slow.kind, FaultKind::kSlow);
  EXPECT_EQ(slow.rank, 12);
  EXPECT_EQ(slow.step, 300);
}

TEST(Fault, AMalformedValueIsOneLineNamingTheVariableAndTheValue) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"", "not three fields"},
      {"hang", "not three fields"},
      {"hang:rank=1", "not three fields"},
      {"hang:rank=1:step=5:extra", "not three fields"},
      {"freeze:rank=1:step=5", "unknown kind 'freeze'"},
      {"HANG:rank=1:step=5", "unknown kind 'HANG'"},
      {"hang:1:step=5", "'1' is not rank=R"},
      {"hang:rank=-1:step=5", "'rank=-1' is not rank=R"},
      {"hang:rank=:step=5", "'rank=' is not rank=R"},
      {"hang:rank=1:step=0", "'step=0' is not step=N with N >= 1"},
      {"hang:rank=1:step=5x", "'step=5x' is not step=N"},
      {"hang:step=5:rank=1", "'step=5' is not rank=R"},
      {"hang:rank=1:step=99999999999999999999", "is not step=N"},
  };
  for (const auto& [value, why] : bad) {
    try {
      parse_fault(value);
      ADD_FAILURE() << "accepted '" << value << "'";
    } catch (const ConfigError& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.rfind("LASYNTH_FAULT='" + value + "': ", 0), 0u) << message;
      EXPECT_NE(message.find(why), std::string::npos) << message;
      EXPECT_NE(message.find("expected KIND:rank=R:step=N"), std::string::npos) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
  }
}

TEST(Fault, UnsetOrEmptyIsNoFault) {
  unsetenv(kFaultEnv);
  EXPECT_FALSE(fault_from_environment());
  setenv(kFaultEnv, "", 1);
  EXPECT_FALSE(fault_from_environment());
  setenv(kFaultEnv, "crash:rank=3:step=7", 1);
  const std::optional<Fault> f = fault_from_environment();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, FaultKind::kCrash);
  EXPECT_EQ(f->rank, 3);
  setenv(kFaultEnv, "crash", 1);
  EXPECT_THROW(fault_from_environment(), ConfigError);
  unsetenv(kFaultEnv);
}

double seconds_of(const std::function<void()>& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(Fault, OtherRanksAndEarlierStepsAreUntouched) {
  // A crash that fired would end this test: returning is the assertion.
  const Fault crash = parse_fault("crash:rank=1:step=5");
  inject_fault(crash, 0, 5, 0.0);
  inject_fault(crash, 0, 6, 0.0);
  inject_fault(crash, 1, 4, 0.0);
  const Fault hang = parse_fault("hang:rank=1:step=5");
  inject_fault(hang, 0, 100, 0.0);
  inject_fault(hang, 1, 1, 0.0);
}

TEST(Fault, SlowSleepsTwiceTheStepFromItsStepOn) {
  const Fault slow = parse_fault("slow:rank=2:step=3");
  EXPECT_LT(seconds_of([&] { inject_fault(slow, 2, 2, 0.1); }), 0.05);
  EXPECT_LT(seconds_of([&] { inject_fault(slow, 1, 3, 0.1); }), 0.05);
  EXPECT_GE(seconds_of([&] { inject_fault(slow, 2, 3, 0.1); }), 0.2);
  EXPECT_GE(seconds_of([&] { inject_fault(slow, 2, 10, 0.05); }), 0.1);
}

TEST(FaultDeathTest, CrashAbortsAtItsStep) {
  const Fault crash = parse_fault("crash:rank=1:step=5");
  EXPECT_DEATH(inject_fault(crash, 1, 5, 0.0), "LASYNTH_FAULT aborts here at step 5");
}

}  // namespace
}  // namespace dist
}  // namespace lasynth
