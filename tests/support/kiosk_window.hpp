#pragma once
// The real muster-kiosk window under Xvfb, for the UI tests (tests/ui): a demo data folder made
// by the program itself, one windowed run driven by an --input-script under xvfb-run (its own
// X authority file, a 1280x800x24 screen, `timeout 120`), the --state-log it wrote, and checks of
// the screenshots it saved. The program and xvfb-run are the ones CMake found
// (MUSTER_KIOSK_PROGRAM, MUSTER_XVFB_RUN).
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/process.hpp"

namespace muster::test {

// What a windowed run left behind.
struct WindowRun {
  int status = -1;                 // the program's exit code; -1: killed (the timeout's too)
  std::vector<nlohmann::json> log; // one object per state change (and per screenshot)
  std::string output;              // stdout and stderr together
};

// `muster-kiosk --data DATA --demo headless`: a League key, an event today, 40 badges.
Ran make_demo_data(const std::filesystem::path& data);
// The rows of DATA/demo/badges.tsv split at tabs (attendee id, name, ..., payload last).
std::vector<std::vector<std::string>> demo_badge_rows(const std::filesystem::path& data);
// `muster-kiosk --data DATA headless --simulated-clock` with `input` (lines "@<ISO time>
// <payload>") as standard input, written to DIR/in.txt.
Ran run_headless(const std::filesystem::path& dir, const std::filesystem::path& data,
                 const std::string& input);

// Runs the window on `data` with `options` (e.g. "--demo --no-sound", quoted already) and
// `script` as the --input-script (written to DIR/script.txt); the --state-log is DIR/state.jsonl.
WindowRun run_kiosk_window(const std::filesystem::path& dir, const std::filesystem::path& data,
                           const std::string& script, const std::string& options);

// The screen of the last logged state (notes of screenshots and quit have none); "" when none.
std::string last_screen(const WindowRun& run);
// The first logged state on `screen`, or null.
nlohmann::json first_on(const WindowRun& run, const std::string& screen);

// The PNG is the window's size, 1280x800.
void expect_window_size(const std::filesystem::path& png);
// ... and shows something (pixel variance well above a flat fill).
void expect_real_screenshot(const std::filesystem::path& png);
// Copies the PNG to $MUSTER_SCREENSHOT_DIR/NAME when that is set (MUSTER_SCREENSHOT_DIR=
// docs/screenshots refreshes the documentation's pictures).
void keep_screenshot(const std::filesystem::path& png, const std::string& name);

} // namespace muster::test
