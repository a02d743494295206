// The survey after a leave in the real muster-kiosk window under Xvfb: an official (arrived two
// minutes earlier through the headless mode) scans again, confirms "Leaving early?" with Enter,
// answers the demo survey's first question with key 2 and skips the second with Escape.
// Checked through --state-log and the kiosk's store; the screenshot of the first question is
// docs/screenshots/survey.png (set MUSTER_SCREENSHOT_DIR=docs/screenshots to refresh it).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "kiosk/scan/raw_scan.hpp"
#include "shared/kiosk_store.hpp"
#include "shared/time.hpp"
#include "tests/support/kiosk_window.hpp"
#include "tests/support/test_support.hpp"

namespace muster::kiosk {
namespace {

namespace fs = std::filesystem;

TEST(KioskUiSurvey, LeaveThenSurveyRecordsTheAnswers) {
  test::TempDir dir;
  const auto data = dir / "data";
  const auto made = test::make_demo_data(data);
  ASSERT_EQ(made.exit_code, 0) << made.out;
  std::string payload;
  for (const auto& fields : test::demo_badge_rows(data)) {
    ASSERT_EQ(fields.size(), 4U);
    if (fields[0] == "DEMO-005") payload = fields[3];
  }
  ASSERT_FALSE(payload.empty());
  // Arrived two minutes ago (past the 60 s debounce): the window's scan is a leave.
  const auto earlier = format_utc(wall_clock_now() - std::chrono::minutes{2});
  const auto arrived = test::run_headless(dir.path(), data, "@" + earlier + " " + payload + "\n");
  ASSERT_EQ(arrived.exit_code, 0) << arrived.out;
  ASSERT_NE(arrived.out.find("\"arrived\""), std::string::npos) << arrived.out;

  const auto png = (dir / "survey.png").string();
  const std::string script = "@300 wedge " + payload + "\n@1300 key Enter\n@2300 screenshot " +
                             png + "\n@2900 text 2\n@3900 key Escape\n@4600 quit\n";
  const auto run = test::run_kiosk_window(dir.path(), data, script, "--demo --no-sound");
  ASSERT_EQ(run.status, 0) << run.output;

  std::vector<std::string> questions; // the question ids shown, in order
  std::string last_screen;
  std::string survey_message;
  for (const auto& entry : run.log) {
    if (!entry.contains("screen")) continue;
    last_screen = entry["screen"];
    if (entry.contains("survey_message")) survey_message = entry["survey_message"];
    if (last_screen != "survey") continue;
    EXPECT_EQ(entry["result"], "left");
    EXPECT_EQ(entry["attendee"], "DEMO-005");
    const std::string question = entry.value("question", "");
    if (questions.empty() || questions.back() != question) questions.push_back(question);
  }
  EXPECT_EQ(questions, (std::vector<std::string>{"useful", "pace"})) << run.output;
  EXPECT_EQ(last_screen, "attract");
  EXPECT_EQ(survey_message, "Thank you: your answers were saved.");

  auto store = KioskStore::open(data / "kiosk.db");
  ASSERT_TRUE(store) << store.message();
  auto scans = store->scans_for_attendee("DEMO-005");
  ASSERT_TRUE(scans);
  ASSERT_EQ(scans->size(), 3U);
  EXPECT_EQ((*scans)[1].kind, ScanKind::leave);
  EXPECT_EQ((*scans)[1].details, R"({"confirmed":"kiosk"})");
  EXPECT_EQ((*scans)[2].kind, ScanKind::survey);
  EXPECT_EQ((*scans)[2].session_id, (*scans)[1].session_id);
  EXPECT_EQ((*scans)[2].details, R"({"answers":{"useful":"Somewhat"}})");

  test::expect_window_size(png);
  test::keep_screenshot(png, "survey.png");
}

} // namespace
} // namespace muster::kiosk
