// Clock skew: a kiosk whose clock is 3 hours slow measures the offset when it reaches the server
// (round-trip aware), records scans offline with its wrong clock plus that estimate, and syncs
// later. The server's credits use the corrected times; the device's original times are kept.
#include <gtest/gtest.h>

#include "tests/fault/sync_world.hpp"

namespace muster::test {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kSkewMs = 3LL * 3600 * 1000; // the kiosk's clock is 3 h behind

std::int64_t skewed_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count() -
         kSkewMs;
}

TEST(SyncClock, AKioskThreeHoursWrongIsCorrectedAndKeepsItsOriginalTimes) {
  SyncWorld world;
  ASSERT_NO_FATAL_FAILURE(world.setup(4));
  auto kiosk = world.provision_kiosk("door-a");
  ASSERT_TRUE(kiosk);
  sync::HttpClient http;
  sync::SyncPassOptions pass;
  pass.device_clock = skewed_clock_ms;
  auto measured = sync::run_sync_pass(*kiosk, http, pass, kiosk::package_applier());
  ASSERT_TRUE(measured.ok) << (measured.error ? measured.error->message : "");
  ASSERT_TRUE(measured.clock);
  EXPECT_NEAR(static_cast<double>(measured.clock->offset_ms), static_cast<double>(kSkewMs), 1000.0);
  EXPECT_EQ(kiosk::clock_offset_ms(*kiosk), measured.clock->offset_ms); // what new scans carry

  // Offline now: the scans carry the device's (wrong) times and the estimate.
  const Instant arrive_device = at("2026-03-02T12:02:00Z"); // really 15:02
  const Instant leave_device = at("2026-03-02T13:37:00Z");  // really 16:37
  const Scan arrive = world.record(*kiosk, "A1", "S1", ScanKind::arrive, arrive_device);
  const Scan leave = world.record(*kiosk, "A1", "S1", ScanKind::leave, leave_device);
  EXPECT_EQ(arrive.clock_offset_ms, measured.clock->offset_ms);

  auto synced = sync::run_sync_pass(*kiosk, http, pass, kiosk::package_applier());
  ASSERT_TRUE(synced.ok) << (synced.error ? synced.error->message : "");
  ASSERT_NO_FATAL_FAILURE(world.expect_server_holds_exactly(*kiosk));

  // The server keeps what the device said...
  auto stored = world.store().scans_for_device(SyncWorld::device_id(*kiosk));
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 2U);
  EXPECT_EQ((*stored)[0].wall_time, arrive_device);
  EXPECT_EQ((*stored)[1].wall_time, leave_device);
  EXPECT_EQ((*stored)[0].clock_offset_ms, measured.clock->offset_ms);
  EXPECT_EQ((*stored)[0].monotonic_ms, arrive.monotonic_ms);

  // ...and credits the corrected times: 15:02 (within grace: from 15:00) to 16:37 = 97 min of
  // the 2-hour session = 1.617 h -> 1.5 h. Uncorrected, both scans fall before the session: 0 h.
  // (The estimate is good to a few ms, so no boundary is chosen within that of a rounding step.)
  auto event = world.store().event(SyncWorld::kEvent);
  ASSERT_TRUE(event.ok());
  auto rows = server::compute_credits(world.store(), *event);
  ASSERT_TRUE(rows.ok()) << rows.message();
  ASSERT_EQ(rows->size(), 1U);
  const Attendance& attendance = rows->front().attendance;
  EXPECT_DOUBLE_EQ(attendance.credit_hours, 1.5);
  ASSERT_TRUE(attendance.first_arrival);
  ASSERT_TRUE(attendance.final_leave);
  EXPECT_LT(std::chrono::abs(*attendance.first_arrival - at("2026-03-02T15:02:00Z")), 2s);
  EXPECT_LT(std::chrono::abs(*attendance.final_leave - at("2026-03-02T16:37:00Z")), 2s);
  EXPECT_TRUE(attendance.early_leave);
  (void)leave;
}

} // namespace
} // namespace muster::test
