// The staff screen's walk-in form in the real muster-kiosk window under Xvfb: staff open staff
// mode with the demo PIN, click "Walk-in registration", type the names (Tab between fields) and
// the reason (Enter registers). Checked through --state-log and the kiosk's store; the
// screenshot of the filled form is the one in docs/screenshots/walkin.png (set
// MUSTER_SCREENSHOT_DIR=docs/screenshots to refresh it).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "shared/kiosk_store.hpp"
#include "tests/support/kiosk_window.hpp"
#include "tests/support/test_support.hpp"

namespace muster::kiosk {
namespace {

namespace fs = std::filesystem;

TEST(KioskUiWalkIn, FormRegistersAProvisionalAttendee) {
  test::TempDir dir;
  const auto data = dir / "data";
  const auto made = test::make_demo_data(data);
  ASSERT_EQ(made.exit_code, 0) << made.out;

  const auto png = (dir / "walkin.png").string();
  // The "Walk-in registration" button: 340x60 at x = 1280 - 720, y = 16 (kiosk/ui/screens.cpp).
  const std::string script = "@300 key F2\n@800 text 1234\n@1500 key Enter\n"
                             "@3500 click 730 46\n"
                             "@4500 text Ana\n@5200 key Tab\n@5600 text Ruiz\n@6400 key Tab\n"
                             "@6800 text Springfield\n@8400 key Tab\n@8800 text walk-in\n"
                             "@10000 screenshot " +
                             png +
                             "\n"
                             "@10600 key Enter\n@12000 quit\n";
  const auto run = test::run_kiosk_window(dir.path(), data, script, "--demo --no-sound");
  ASSERT_EQ(run.status, 0) << run.output;

  std::string walk_in;
  std::string message;
  for (const auto& entry : run.log) {
    if (entry.value("screen", "") != "staff") continue;
    if (!entry.value("last_walk_in", "").empty()) walk_in = entry["last_walk_in"];
    message = entry.value("message", "");
  }
  ASSERT_EQ(walk_in.rfind("WALKIN-", 0), 0U) << message << "\n" << run.output;
  EXPECT_NE(message.find("Registered walk-in Ana Ruiz"), std::string::npos) << message;

  auto store = KioskStore::open(data / "kiosk.db");
  ASSERT_TRUE(store) << store.message();
  auto attendee = store->attendee(walk_in);
  ASSERT_TRUE(attendee) << attendee.message();
  EXPECT_EQ(attendee->first_name, "Ana");
  EXPECT_EQ(attendee->last_name, "Ruiz");
  EXPECT_EQ(attendee->municipality, "Springfield");
  auto scans = store->scans_for_attendee(walk_in);
  ASSERT_TRUE(scans);
  ASSERT_GE(scans->size(), 1U);
  EXPECT_EQ((*scans)[0].kind, ScanKind::registration);
  EXPECT_EQ((*scans)[0].reason, "walk-in");

  test::expect_window_size(png);
  test::keep_screenshot(png, "walkin.png");
}

} // namespace
} // namespace muster::kiosk
