#include "shared/time.hpp"

#include <gtest/gtest.h>

namespace muster {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

TEST(Time, ParsesOffsetsToTheSameUtcInstant) {
  const auto central = parse_iso8601("2026-03-02T09:00:00-06:00");
  const auto utc = parse_iso8601("2026-03-02T15:00:00Z");
  const auto compact_offset = parse_iso8601("2026-03-02T20:30:00+0530");
  ASSERT_TRUE(central && utc && compact_offset);
  EXPECT_EQ(*central, *utc);
  EXPECT_EQ(*compact_offset, *utc);
  EXPECT_EQ(format_utc(*central), "2026-03-02T15:00:00Z");
}

TEST(Time, KeepsMillisecondsAndMinutePrecision) {
  const auto with_millis = parse_iso8601("2026-03-02T15:00:00.25Z");
  ASSERT_TRUE(with_millis);
  EXPECT_EQ(format_utc(*with_millis), "2026-03-02T15:00:00.250Z");
  const auto no_seconds = parse_iso8601("2026-03-02T15:00Z");
  ASSERT_TRUE(no_seconds);
  EXPECT_EQ(format_utc(*no_seconds), "2026-03-02T15:00:00Z");
}

TEST(Time, RefusesAmbiguousOrMalformedTimes) {
  for (const char* bad :
       {"", "2026-03-02T15:00:00", "2026-03-02", "2026-13-02T15:00:00Z", "2026-02-30T15:00:00Z",
        "2026-03-02T25:00:00Z", "2026-03-02T15:00:00+5", "2026-03-02T15:00:00Zjunk",
        "tomorrow at nine", "2026-03-02T15:00:00.Z"}) {
    EXPECT_FALSE(parse_iso8601(bad).has_value()) << bad;
  }
}

TEST(Time, ShowsLocalTimeOfTheEventZoneAcrossDaylightSaving) {
  ASSERT_TRUE(is_known_time_zone("America/Chicago"));
  EXPECT_FALSE(is_known_time_zone("Mars/Olympus_Mons"));
  const auto winter = *parse_iso8601("2026-03-02T15:00:00Z");
  const auto summer = *parse_iso8601("2026-07-02T15:00:00Z");
  EXPECT_EQ(format_local(winter, "America/Chicago", "%H:%M %Z"), "09:00 CST");
  EXPECT_EQ(format_local(summer, "America/Chicago", "%H:%M %Z"), "10:00 CDT");
  EXPECT_EQ(local_date(*parse_iso8601("2026-03-03T03:00:00Z"), "America/Chicago"), "2026-03-02");
}

TEST(Time, UnknownZoneFallsBackToUtc) {
  const auto instant = *parse_iso8601("2026-03-02T15:00:00Z");
  EXPECT_EQ(format_local(instant, "Nowhere/Atall", "%H:%M"), "15:00");
}

} // namespace
} // namespace muster
