// The staff screen's walk-in form in the real muster-kiosk window under Xvfb: staff open staff
// mode with the demo PIN, click "Walk-in registration", type the names (Tab between fields) and
// the reason (Enter registers). Checked through --state-log and the kiosk's store; the
// screenshot of the filled form is the one in docs/screenshots/walkin.png (set
// MUSTER_SCREENSHOT_DIR=docs/screenshots to refresh it).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <tuple>
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

TEST(KioskUiWalkIn, FormRegistersAProvisionalAttendee) {
  test::TempDir dir;
  const auto data = dir / "data";
  const auto program = std::string(MUSTER_KIOSK_PROGRAM);
  const auto made =
      shell(program + " --data " + quote(data.string()) + " --demo headless < /dev/null");
  ASSERT_EQ(made.first, 0) << made.second;

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
  const auto script_file = dir / "script.txt";
  test::write_file(script_file, script);
  const auto log_file = dir / "state.jsonl";
  const auto run = shell("timeout 120 " + std::string(MUSTER_XVFB_RUN) + " -a -f " +
                         quote((dir / "Xauthority").string()) + " -s '-screen 0 1280x800x24' " +
                         program + " --data " + quote(data.string()) +
                         " --demo --no-sound --input-script " + quote(script_file.string()) +
                         " --state-log " + quote(log_file.string()) + " < /dev/null");
  ASSERT_EQ(run.first, 0) << run.second;

  std::string walk_in;
  std::string message;
  std::ifstream log(log_file);
  std::string line;
  while (std::getline(log, line)) {
    const auto entry = nlohmann::json::parse(line);
    if (entry.value("screen", "") != "staff") continue;
    if (!entry.value("last_walk_in", "").empty()) walk_in = entry["last_walk_in"];
    message = entry.value("message", "");
  }
  ASSERT_EQ(walk_in.rfind("WALKIN-", 0), 0U) << message << "\n" << run.second;
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

  auto image = load_gray_image(png);
  ASSERT_TRUE(image) << image.message();
  EXPECT_EQ(image->width, 1280);
  EXPECT_EQ(image->height, 800);
  if (const char* keep = std::getenv("MUSTER_SCREENSHOT_DIR")) {
    fs::copy_file(png, fs::path(keep) / "walkin.png", fs::copy_options::overwrite_existing);
  }
}

} // namespace
} // namespace muster::kiosk
