// What a rank's heartbeat says of its progress: the counter, collectives and work time.
#include "dist/progress.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "dist/monitor_protocol.h"

namespace lasynth {
namespace dist {
namespace {

// Busy for `seconds` of wall time: the work a collective is not.
void work_for(double seconds) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
  }
}

TEST(Progress, TheCounterGrowsByOnePerNote) {
  const int64_t before = progress_snapshot().progress;
  note_progress();
  note_progress();
  EXPECT_EQ(progress_snapshot().progress, before + 2);
}

TEST(Progress, ACollectiveScopeSaysSinceWhenAndItsTimeIsNotWork) {
  EXPECT_EQ(progress_snapshot().in_collective_s, 0);
  EXPECT_EQ(progress_snapshot().in_collective_since, 0);
  const double unix_now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const ProgressSnapshot start = progress_snapshot();
  {
    const CollectiveScope outer;
    work_for(0.05);
    const ProgressSnapshot inside = progress_snapshot();
    {
      const CollectiveScope nested;  // counts once, from the outer scope
      work_for(0.05);
    }
    const ProgressSnapshot after_nested = progress_snapshot();
    EXPECT_GE(inside.in_collective_s, 0.05);
    EXPECT_NEAR(inside.in_collective_since, unix_now, 1.0);
    EXPECT_EQ(after_nested.in_collective_since, inside.in_collective_since);
    EXPECT_GE(after_nested.in_collective_s, 0.1);
    EXPECT_LT(after_nested.work_s - start.work_s, 0.05);
  }
  const ProgressSnapshot out = progress_snapshot();
  EXPECT_EQ(out.in_collective_s, 0);
  EXPECT_EQ(out.in_collective_since, 0);
  work_for(0.1);
  EXPECT_GE(progress_snapshot().work_s - out.work_s, 0.1);
  EXPECT_LT(out.work_s - start.work_s, 0.05);
}

TEST(Progress, ABeatCarriesItAndOldBeatsReadZero) {
  Heartbeat b;
  b.step = 7;
  b.progress = 42;
  b.work_s = 3.5;
  b.in_collective_s = 1.25;
  b.in_collective_since = 1764662400.5;
  const MonitorMessage m = parse_monitor_line(monitor_line(b));
  ASSERT_EQ(m.kind, MessageKind::kBeat);
  EXPECT_EQ(m.beat.progress, 42);
  EXPECT_EQ(m.beat.work_s, 3.5);
  EXPECT_EQ(m.beat.in_collective_s, 1.25);
  EXPECT_EQ(m.beat.in_collective_since, 1764662400.5);
  const MonitorMessage old =
      parse_monitor_line(R"({"type":"beat","step":3,"loss":1,"examples_per_s":2})");
  ASSERT_EQ(old.kind, MessageKind::kBeat);
  EXPECT_EQ(old.beat.progress, 0);
  EXPECT_EQ(old.beat.in_collective_s, 0);
}

}  // namespace
}  // namespace dist
}  // namespace lasynth
