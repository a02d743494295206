// shared/clock_correction: a scan placed in true time from its device's clock samples.
#include "shared/clock_correction.hpp"

#include "shared/boot_id.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <vector>

namespace muster {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;

const Instant kTrue0 = Instant{milliseconds{1'790'000'000'000}}; // true time at monotonic 0
constexpr std::int64_t kTwoHoursMs = 2 * 3'600'000;
constexpr std::int64_t kThreeDaysMs = 3 * 24 * 3'600'000LL;

// A device whose wall clock is `wall_error_ms` off the truth; monotonic counts true ms.
Scan scan_at(std::string boot, std::int64_t monotonic_ms, std::int64_t wall_error_ms,
             std::int64_t carried_offset_ms = 20) {
  Scan scan;
  scan.device_id = "dev-1";
  scan.boot_id = std::move(boot);
  scan.monotonic_ms = monotonic_ms;
  scan.wall_time = kTrue0 + milliseconds{monotonic_ms + wall_error_ms};
  scan.clock_offset_ms = carried_offset_ms;
  return scan;
}

ClockSample sample_at(std::string boot, std::int64_t monotonic_ms, std::int64_t wall_error_ms) {
  ClockSample sample;
  sample.boot_id = std::move(boot);
  sample.monotonic_ms = monotonic_ms;
  sample.server_time = kTrue0 + milliseconds{monotonic_ms};
  sample.device_wall = sample.server_time + milliseconds{wall_error_ms};
  sample.uncertainty_ms = 3;
  return sample;
}

Instant true_time(std::int64_t monotonic_ms) { return kTrue0 + milliseconds{monotonic_ms}; }

Instant corrected(Scan scan, const ScanClock& clock) {
  scan.clock_offset_ms = clock.offset_ms;
  return corrected_time(scan);
}

TEST(ClockCorrection, SampleOnlyAfterTheScansPlacesThemExactly) {
  // The clock ran 2 h fast; the only sync came an hour after the scan.
  const std::vector<ClockSample> samples{sample_at("boot-a", 5'000'000, kTwoHoursMs)};
  const Scan scan = scan_at("boot-a", 1'400'000, kTwoHoursMs);
  const ScanClock clock = correct_scan_clock(scan, samples, true_time(6'000'000));
  EXPECT_TRUE(clock.verified);
  EXPECT_FALSE(clock.bounded);
  EXPECT_EQ(corrected(scan, clock), true_time(1'400'000));
  EXPECT_EQ(clock.carried_offset_ms, 20);
  EXPECT_EQ(clock.change_ms(), -kTwoHoursMs - 20);
  EXPECT_EQ(describe_clock_change(clock.change_ms()), "-2 h 00 min");
}

TEST(ClockCorrection, NearestSampleBeforeOrAfterWins) {
  // True at the first sync, 2 h fast by the second, 3 days slow by the third: each scan takes
  // the sample nearest it in monotonic time, whichever side it is on.
  const std::vector<ClockSample> samples{sample_at("boot-a", 1'000'000, 0),
                                         sample_at("boot-a", 9'000'000, kTwoHoursMs),
                                         sample_at("boot-a", 20'000'000, -kThreeDaysMs)};
  const Scan fast = scan_at("boot-a", 8'000'000, kTwoHoursMs);    // nearest: the one after
  const Scan slow = scan_at("boot-a", 21'000'000, -kThreeDaysMs); // nearest: the one before
  for (const Scan& scan : {fast, slow}) {
    const ScanClock clock = correct_scan_clock(scan, samples, true_time(30'000'000));
    EXPECT_TRUE(clock.verified);
    EXPECT_EQ(corrected(scan, clock), true_time(scan.monotonic_ms));
  }
  const ScanClock slow_clock = correct_scan_clock(slow, samples, std::nullopt);
  EXPECT_EQ(describe_clock_change(slow_clock.change_ms()), "+3 d 0 h 00 min");
}

TEST(ClockCorrection, TwoBootsUseOnlyTheirOwnSamples) {
  // Boot b's monotonic clock restarted at 0: a boot-a sample with a close monotonic reading
  // would place its scans days off.
  const std::vector<ClockSample> samples{sample_at("boot-a", 500'000, 0),
                                         sample_at("boot-b", 700'000, -kThreeDaysMs)};
  Scan in_b = scan_at("boot-b", 600'000, -kThreeDaysMs);
  // Boot b started 10 days after boot a: shift its truth (kTrue0 is boot a's).
  const std::int64_t boot_b_start = 10LL * 24 * 3'600'000;
  in_b.wall_time += milliseconds{boot_b_start};
  std::vector<ClockSample> with_b = samples;
  with_b[1].server_time += milliseconds{boot_b_start};
  with_b[1].device_wall += milliseconds{boot_b_start};
  const ScanClock clock = correct_scan_clock(in_b, with_b, std::nullopt);
  EXPECT_TRUE(clock.verified);
  EXPECT_EQ(corrected(in_b, clock), true_time(600'000 + boot_b_start));
}

TEST(ClockCorrection, BootWithoutSampleKeepsItsOffsetAndIsNotVerified) {
  const std::vector<ClockSample> samples{sample_at("boot-a", 500'000, 0)};
  const Scan rebooted = scan_at("boot-c", 400'000, kTwoHoursMs, /*carried_offset_ms=*/15);
  const ScanClock clock = correct_scan_clock(rebooted, samples, true_time(50'000'000));
  EXPECT_FALSE(clock.verified);
  EXPECT_EQ(clock.offset_ms, 15);
  EXPECT_FALSE(clock.bounded);
  // No boot id at all (scans from before boot ids): carried offset, not verified either.
  const Scan legacy = scan_at("", 400'000, 0, 15);
  EXPECT_FALSE(correct_scan_clock(legacy, samples, std::nullopt).verified);
}

TEST(ClockCorrection, NeverLaterThanTheServerReceivedIt) {
  // Unverified and 2 h fast: it would land after its receipt; bounded to it and flagged.
  const Scan fast = scan_at("boot-z", 1'000'000, kTwoHoursMs, 0);
  const Instant receipt = true_time(1'200'000);
  const ScanClock clock = correct_scan_clock(fast, {}, receipt);
  EXPECT_TRUE(clock.bounded);
  // As late as possible without counting (to the second) after the receipt.
  Scan placed = fast;
  placed.clock_offset_ms = clock.offset_ms;
  EXPECT_EQ(counted_time(placed), receipt);
  EXPECT_EQ(corrected_time(placed), receipt + milliseconds{499});
  // A verified scan a few ms past its receipt (the sample's uncertainty) is not flagged.
  const std::vector<ClockSample> samples{sample_at("boot-a", 1'000'300, 0)};
  const Scan early = scan_at("boot-a", 1'000'200, 0);
  const ScanClock noise = correct_scan_clock(early, samples, true_time(1'000'100));
  EXPECT_TRUE(noise.verified);
  EXPECT_FALSE(noise.bounded);
}

// `headless --simulated-clock` replays an event at the times the operator asserts (a drill for
// next week's event, a replay of last year's): neither corrected nor bounded by the receipt.
TEST(ClockCorrection, SimulatedClockScansKeepTheirAssertedTimes) {
  const Scan replayed = scan_at(std::string(kSimulatedBootId), 1'000'000, kThreeDaysMs, 7);
  const std::vector<ClockSample> samples{sample_at(std::string(kSimulatedBootId), 1'000'000, 0)};
  const ScanClock clock = correct_scan_clock(replayed, samples, true_time(10));
  EXPECT_FALSE(clock.verified);
  EXPECT_FALSE(clock.bounded);
  EXPECT_EQ(clock.offset_ms, 7);
}

TEST(ClockCorrection, OrderOfSamplesDoesNotMatter) {
  std::vector<ClockSample> samples{sample_at("boot-a", 1'000, 0), sample_at("boot-a", 3'000, 0),
                                   sample_at("boot-a", 5'000, 7)};
  samples[1].server_time += milliseconds{5}; // two equally near samples that disagree
  const Scan scan = scan_at("boot-a", 2'000, 0);
  const std::int64_t first = correct_scan_clock(scan, samples, std::nullopt).offset_ms;
  std::sort(samples.begin(), samples.end(), [](const ClockSample& a, const ClockSample& b) {
    return a.monotonic_ms > b.monotonic_ms;
  });
  EXPECT_EQ(correct_scan_clock(scan, samples, std::nullopt).offset_ms, first);
  std::rotate(samples.begin(), samples.begin() + 1, samples.end());
  EXPECT_EQ(correct_scan_clock(scan, samples, std::nullopt).offset_ms, first);
}

TEST(ClockCorrection, ExtremeValuesDoNotOverflow) {
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  // Built field by field: the helpers' own arithmetic would overflow on these values.
  Scan scan;
  scan.device_id = "dev-1";
  scan.boot_id = "boot-a";
  scan.monotonic_ms = kMax;
  scan.clock_offset_ms = kMin;
  scan.wall_time = Instant{milliseconds{kMin}};
  ClockSample extreme;
  extreme.boot_id = "boot-a";
  extreme.monotonic_ms = kMin;
  extreme.server_time = Instant{milliseconds{kMax}};
  extreme.device_wall = Instant{milliseconds{kMin}};
  std::vector<ClockSample> samples{extreme};
  const ScanClock clock = correct_scan_clock(scan, samples, Instant{milliseconds{kMax}});
  const Instant at = corrected(scan, clock);
  EXPECT_LE(at.time_since_epoch().count(), kPlausibleMaxMs);
  EXPECT_GE(at.time_since_epoch().count(), kPlausibleMinMs);
  Scan wild;
  wild.wall_time = Instant{milliseconds{kMax}};
  wild.clock_offset_ms = kMax;
  EXPECT_EQ(corrected_time(wild).time_since_epoch().count(), kPlausibleMaxMs);
  EXPECT_EQ(saturating_add(kMax, 1), kMax);
  EXPECT_EQ(saturating_sub(kMin, 1), kMin);
}

TEST(ClockCorrection, DescribesChangesForPeople) {
  EXPECT_EQ(describe_clock_change(kTwoHoursMs), "+2 h 00 min");
  EXPECT_EQ(describe_clock_change(-(kTwoHoursMs + 5 * 60'000)), "-2 h 05 min");
  EXPECT_EQ(describe_clock_change(kThreeDaysMs + 90 * 60'000), "+3 d 1 h 30 min");
}

} // namespace
} // namespace muster
