// The registration desk's greeting in the real muster-kiosk window under Xvfb: a demo kiosk
// started with --desk, a badge scanned through the keyboard wedge. Checked through --state-log
// (desk_result, name, check-in time, the day's sessions), the kiosk's store (one checkin scan,
// no session) and the screenshot, which is docs/screenshots/desk.png (set
// MUSTER_SCREENSHOT_DIR=docs/screenshots to refresh it).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "kiosk/scan/gray_image.hpp"
#include "shared/kiosk_store.hpp"
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

std::vector<nlohmann::json> run_desk_window(const test::TempDir& dir, const fs::path& data,
                                            const std::string& script, std::string& output) {
  const auto script_file = dir / "script.txt";
  test::write_file(script_file, script);
  const auto log_file = dir / "state.jsonl";
  const auto run = shell("timeout 120 " + std::string(MUSTER_XVFB_RUN) + " -a -f " +
                         quote((dir / "Xauthority").string()) + " -s '-screen 0 1280x800x24' " +
                         MUSTER_KIOSK_PROGRAM + " --data " + quote(data.string()) +
                         " --demo --desk --no-sound --input-script " + quote(script_file.string()) +
                         " --state-log " + quote(log_file.string()) + " < /dev/null");
  output = run.second;
  EXPECT_EQ(run.first, 0) << run.second;
  std::vector<nlohmann::json> log;
  std::ifstream in(log_file);
  for (std::string line; std::getline(in, line);)
    log.push_back(nlohmann::json::parse(line));
  return log;
}

nlohmann::json first_desk_result(const std::vector<nlohmann::json>& log) {
  for (const auto& entry : log) {
    if (entry.value("screen", "") == "result" && entry.contains("desk_result")) return entry;
  }
  return nullptr;
}

TEST(KioskUiDesk, ScanGreetsWithCheckInTimeAndSessionsThenAlreadyCheckedIn) {
  test::TempDir dir;
  const auto data = dir / "data";
  const auto made = shell(std::string(MUSTER_KIOSK_PROGRAM) + " --data " + quote(data.string()) +
                          " --demo headless < /dev/null");
  ASSERT_EQ(made.first, 0) << made.second;
  std::ifstream tsv(data / "demo" / "badges.tsv");
  std::string line;
  std::getline(tsv, line);
  std::vector<std::string> fields;
  std::stringstream split(line);
  for (std::string field; std::getline(split, field, '\t');)
    fields.push_back(field);
  ASSERT_EQ(fields.size(), 4U) << line;
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

  auto image = load_gray_image(png);
  ASSERT_TRUE(image) << image.message();
  EXPECT_EQ(image->width, 1280);
  EXPECT_EQ(image->height, 800);
  double sum = 0;
  double squares = 0;
  for (const auto p : image->pixels) {
    sum += p;
    squares += static_cast<double>(p) * p;
  }
  const double n = static_cast<double>(image->pixels.size());
  EXPECT_GT(squares / n - (sum / n) * (sum / n), 50.0) << "the screenshot looks blank";
  if (const char* keep = std::getenv("MUSTER_SCREENSHOT_DIR")) {
    fs::copy_file(png, fs::path(keep) / "desk.png", fs::copy_options::overwrite_existing);
  }

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
TEST(KioskUiDesk, StaffReprintALostBadgeFromTheStaffScreen) {
  test::TempDir dir;
  const auto data = dir / "data";
  const auto made = shell(std::string(MUSTER_KIOSK_PROGRAM) + " --data " + quote(data.string()) +
                          " --demo headless < /dev/null");
  ASSERT_EQ(made.first, 0) << made.second;
  std::ifstream tsv(data / "demo" / "badges.tsv");
  std::string line;
  std::getline(tsv, line);
  const std::string payload = line.substr(line.rfind('\t') + 1);
  const std::string attendee = line.substr(0, line.find('\t')); // DEMO-001, Loretta Haynes

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
