// The idle window's sleep: until the minute turns, at most 5 s, sooner for a deadline or a
// scripted event.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>

#include "kiosk/app/idle_wait.hpp"

namespace muster::kiosk {
namespace {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

// 09:00:00 plus `into_minute`, on some day.
Instant wall_at(milliseconds into_minute) {
  return Instant{std::chrono::sys_days{std::chrono::year{2026} / 12 / 3}.time_since_epoch() + 9h +
                 into_minute};
}

TEST(IdleWait, SleepsAtMostFiveSecondsEarlyInTheMinute) {
  EXPECT_DOUBLE_EQ(idle_wait_seconds(wall_at(0ms), 1000ms, std::nullopt, std::nullopt), 5.0);
}

TEST(IdleWait, WakesJustAfterTheMinuteTurns) {
  // 58 s into the minute: 2 s to go, plus 50 ms so the clock has turned when it draws.
  EXPECT_DOUBLE_EQ(idle_wait_seconds(wall_at(58000ms), 1000ms, std::nullopt, std::nullopt), 2.05);
}

TEST(IdleWait, AnAppDeadlineComesFirstButNotSoonerThanTwentyMilliseconds) {
  EXPECT_DOUBLE_EQ(idle_wait_seconds(wall_at(0ms), 1000ms, 1700ms, std::nullopt), 0.7);
  EXPECT_DOUBLE_EQ(idle_wait_seconds(wall_at(0ms), 1000ms, 1005ms, std::nullopt), 0.02);
  EXPECT_DOUBLE_EQ(idle_wait_seconds(wall_at(0ms), 1000ms, 900ms, std::nullopt), 0.02);
}

TEST(IdleWait, AScriptEventDueNowDoesNotWait) {
  EXPECT_DOUBLE_EQ(idle_wait_seconds(wall_at(0ms), 1000ms, std::nullopt, 1250ms), 0.25);
  EXPECT_DOUBLE_EQ(idle_wait_seconds(wall_at(0ms), 1000ms, std::nullopt, 400ms), 0.0);
  EXPECT_DOUBLE_EQ(idle_wait_seconds(wall_at(0ms), 1000ms, 1300ms, 1200ms), 0.2);
}

} // namespace
} // namespace muster::kiosk
