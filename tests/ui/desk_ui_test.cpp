// The registration desk's greeting in the real muster-kiosk window under Xvfb: a demo kiosk
// started with --desk, a badge scanned through the keyboard wedge. Checked through --state-log
// (desk_result, name, check-in time, the day's sessions), the kiosk's store (one checkin scan,
// no session) and the screenshot, which is docs/screenshots/desk.png (set
// MUSTER_SCREENSHOT_DIR=docs/screenshots to refresh it).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "shared/kiosk_store.hpp"
#include "tests/support/kiosk_window.hpp"
#include "tests/support/test_support.hpp"

namespace muster::kiosk {
namespace {

namespace fs = std::filesystem;

std::vector<nlohmann::json> run_desk_window(const test::TempDir& dir, const fs::path& data,
                                            const std::string& script, std::string& output) {
  auto run = test::run_kiosk_window(dir.path(), data, script, "--demo --desk --no-sound");
  output = run.output;
  EXPECT_EQ(run.status, 0) << run.output;
  return std::move(run.log);
}

nlohmann::json first_desk_result(const std::vector<nlohmann::json>& log) {
  for (const auto& entry : log) {
    if (entry.value("screen", "") == "result" && entry.contains("desk_result")) return entry;
  }
  return nullptr;
}

// A demo kiosk's data folder; `fields` is the first badge's row (DEMO-001, Loretta Haynes).
class KioskUiDesk : public ::testing::Test {
protected:
  void SetUp() override {
    const auto made = test::make_demo_data(data);
    ASSERT_EQ(made.exit_code, 0) << made.out;
    const auto rows = test::demo_badge_rows(data);
    ASSERT_FALSE(rows.empty());
    fields = rows.front();
  }

  test::TempDir dir;
  const fs::path data = dir / "data";
  std::vector<std::string> fields;
};

TEST_F(KioskUiDesk, ScanGreetsWithCheckInTimeAndSessionsThenAlreadyCheckedIn) {
  ASSERT_EQ(fields.size(), 4U);
  const std::string attendee = fields[0];
  const std::string payload = fields[3];

  const auto png = (dir / "desk.png").string();
  std::string output;
  // The screenshot after the flash (600 ms), while the greeting shows.
  auto log = run_desk_window(
      dir, data, "@300 wedge " + payload + "\n@1500 screenshot " + png + "\n@2000 quit\n", output);
  const auto greeting = first_desk_result(log);
  ASSERT_FALSE(greeting.is_null()) << output;
  EXPECT_EQ(greeting["desk_result"], "checked_in");
  EXPECT_EQ(greeting["attendee"], attendee);
  EXPECT_EQ(greeting["name"], fields[1]);
  EXPECT_EQ(greeting["flash"], "success");
  EXPECT_EQ(greeting["checked_in_at"].get<std::string>().size(), 5U); // "HH:MM"
  EXPECT_GT(greeting["sessions"].get<int>(), 0); // the demo's sessions are today

  {
    auto store = KioskStore::open(data / "kiosk.db");
    ASSERT_TRUE(store) << store.message();
    auto scans = store->scans_for_attendee(attendee);
    ASSERT_TRUE(scans);
    ASSERT_EQ(scans->size(), 1U);
    EXPECT_EQ((*scans)[0].kind, ScanKind::checkin);
    EXPECT_TRUE((*scans)[0].session_id.empty());
  }

  test::expect_real_screenshot(png);
  test::keep_screenshot(png, "desk.png");

  // The same badge again: "already checked in at HH:MM", no second record.
  log = run_desk_window(dir, data, "@300 wedge " + payload + "\n@1500 quit\n", output);
  const auto again = first_desk_result(log);
  ASSERT_FALSE(again.is_null()) << output;
  EXPECT_EQ(again["desk_result"], "already_checked_in");
  EXPECT_EQ(again["checked_in_at"], greeting["checked_in_at"]);
  auto store = KioskStore::open(data / "kiosk.db");
  ASSERT_TRUE(store);
  auto scans = store->scans_for_attendee(attendee);
  ASSERT_TRUE(scans);
  EXPECT_EQ(scans->size(), 1U);
}

// Staff at the desk: the badge checks in, then staff (demo PIN) find the official by name and
// reprint the lost badge: a PNG in DATA/reprints, a reprint scan, the old serial revoked at once.
// The --demo desk's key is certified by the demo League (certify_demo_desk).
TEST_F(KioskUiDesk, StaffReprintALostBadgeFromTheStaffScreen) {
  const std::string payload = fields.back();
  const std::string attendee = fields.front(); // DEMO-001, Loretta Haynes

  // The search result row and the "Reprint badge" button at 1280x800 (kiosk/ui/screens.cpp,
  // desk_screens.cpp): first result at y 218, the desk buttons below the door's.
  const std::string script =
      "@300 wedge " + payload +
      "\n@1300 key Enter\n@1800 key F2\n@2300 text 1234\n"
      "@3000 key Enter\n@4000 text hayn\n@4800 click 760 218\n@5600 click 1068 687\n"
      "@6600 quit\n";
  std::string output;
  const auto log = run_desk_window(dir, data, script, output);
  std::string message;
  for (const auto& entry : log) {
    if (entry.value("screen", "") == "staff" && entry.contains("message")) {
      message = entry["message"].get<std::string>();
    }
  }
  EXPECT_NE(message.find("New badge"), std::string::npos) << message << "\n" << output;

  auto store = KioskStore::open(data / "kiosk.db");
  ASSERT_TRUE(store) << store.message();
  auto scans = store->scans_for_attendee(attendee);
  ASSERT_TRUE(scans);
  ASSERT_EQ(scans->size(), 2U);
  EXPECT_EQ((*scans)[0].kind, ScanKind::checkin);
  EXPECT_EQ((*scans)[1].kind, ScanKind::reprint);
  const std::string old_serial = (*scans)[0].badge_serial;
  EXPECT_EQ((*scans)[1].badge_serial, old_serial + "-R1");
  EXPECT_EQ((*scans)[1].details, "{\"old_serial\":\"" + old_serial + "\"}");
  auto revoked = store->is_revoked(old_serial);
  ASSERT_TRUE(revoked);
  EXPECT_TRUE(*revoked);
  EXPECT_TRUE(fs::exists(data / "reprints" / (attendee + "-" + old_serial + "-R1.png")));
}

} // namespace
} // namespace muster::kiosk
