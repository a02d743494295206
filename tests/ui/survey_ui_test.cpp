// The survey after a leave in the real muster-kiosk window under Xvfb: an official (arrived two
// minutes earlier through the headless mode) scans again, confirms "Leaving early?" with Enter,
// answers the demo survey's first question with key 2 and skips the second with Escape.
// Checked through --state-log and the kiosk's store; the screenshot of the first question is
// docs/screenshots/survey.png (set MUSTER_SCREENSHOT_DIR=docs/screenshots to refresh it).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "kiosk/scan/gray_image.hpp"
#include "kiosk/scan/raw_scan.hpp"
#include "shared/kiosk_store.hpp"
#include "shared/time.hpp"
#include "tests/support/test_support.hpp"

namespace muster::kiosk {
namespace {

namespace fs = std::filesystem;

std::string quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::pair<int, std::string> shell(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen((command + " 2>&1").c_str(), "r"), &pclose);
  if (!pipe) return {-1, "popen failed"};
  std::string out;
  char buffer[4096];
  while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe.get()))
    out.append(buffer, n);
  const int raw = pclose(pipe.release());
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, out};
}

TEST(KioskUiSurvey, LeaveThenSurveyRecordsTheAnswers) {
  test::TempDir dir;
  const auto data = dir / "data";
  const auto program = std::string(MUSTER_KIOSK_PROGRAM);
  const auto made =
      shell(program + " --data " + quote(data.string()) + " --demo headless < /dev/null");
  ASSERT_EQ(made.first, 0) << made.second;
  std::ifstream tsv(data / "demo" / "badges.tsv");
  std::string payload;
  for (std::string line; std::getline(tsv, line);) {
    std::vector<std::string> fields;
    std::stringstream split(line);
    for (std::string field; std::getline(split, field, '\t');)
      fields.push_back(field);
    ASSERT_EQ(fields.size(), 4U) << line;
    if (fields[0] == "DEMO-005") payload = fields[3];
  }
  ASSERT_FALSE(payload.empty());
  // Arrived two minutes ago (past the 60 s debounce): the window's scan is a leave.
  const auto earlier = format_utc(wall_clock_now() - std::chrono::minutes{2});
  test::write_file(dir / "in.txt", "@" + earlier + " " + payload + "\n");
  const auto arrived = shell(program + " --data " + quote(data.string()) +
                             " headless --simulated-clock < " + quote((dir / "in.txt").string()));
  ASSERT_EQ(arrived.first, 0) << arrived.second;
  ASSERT_NE(arrived.second.find("\"arrived\""), std::string::npos) << arrived.second;

  const auto png = (dir / "survey.png").string();
  const std::string script = "@300 wedge " + payload + "\n@1300 key Enter\n@2300 screenshot " +
                             png + "\n@2900 text 2\n@3900 key Escape\n@4600 quit\n";
  const auto script_file = dir / "script.txt";
  test::write_file(script_file, script);
  const auto log_file = dir / "state.jsonl";
  const auto run = shell("timeout 120 " + std::string(MUSTER_XVFB_RUN) + " -a -f " +
                         quote((dir / "Xauthority").string()) + " -s '-screen 0 1280x800x24' " +
                         program + " --data " + quote(data.string()) +
                         " --demo --no-sound --input-script " + quote(script_file.string()) +
                         " --state-log " + quote(log_file.string()) + " < /dev/null");
  ASSERT_EQ(run.first, 0) << run.second;

  std::vector<std::string> questions; // the question ids shown, in order
  std::string last_screen;
  std::string survey_message;
  std::ifstream log(log_file);
  for (std::string line; std::getline(log, line);) {
    const auto entry = nlohmann::json::parse(line);
    if (!entry.contains("screen")) continue;
    last_screen = entry["screen"];
    if (entry.contains("survey_message")) survey_message = entry["survey_message"];
    if (last_screen != "survey") continue;
    EXPECT_EQ(entry["result"], "left");
    EXPECT_EQ(entry["attendee"], "DEMO-005");
    const std::string question = entry.value("question", "");
    if (questions.empty() || questions.back() != question) questions.push_back(question);
  }
  EXPECT_EQ(questions, (std::vector<std::string>{"useful", "pace"})) << run.second;
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

  auto image = load_gray_image(png);
  ASSERT_TRUE(image) << image.message();
  EXPECT_EQ(image->width, 1280);
  EXPECT_EQ(image->height, 800);
  if (const char* keep = std::getenv("MUSTER_SCREENSHOT_DIR")) {
    fs::copy_file(png, fs::path(keep) / "survey.png", fs::copy_options::overwrite_existing);
  }
}

} // namespace
} // namespace muster::kiosk
