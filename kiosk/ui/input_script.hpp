#pragma once
// --input-script: timed input for tests and demos, played into the real window.
// One event per line, `@<ms> <verb> <argument>`, ms counted from the first frame; blank lines
// and lines starting with '#' are skipped:
//   @500 wedge MU1.DEMO...      a payload typed with scanner timing (5 ms/key) and Enter
//   @900 text 1234              characters typed by a person (120 ms apart)
//   @1200 key Enter             Enter, Tab, Escape, Backspace, F2 (opens the staff PIN pad)
//   @1500 click 640 400         a left click at window pixel (x, y)
//   @2000 screenshot FILE.png   saves what the window shows now
//   @9000 quit                  closes the window (exit 0)
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "shared/result.hpp"

namespace muster::kiosk::ui {

enum class ScriptVerb : std::uint8_t { wedge, text, key, click, screenshot, quit };

struct ScriptEvent {
  std::chrono::milliseconds at{0};
  ScriptVerb verb = ScriptVerb::key;
  std::string argument; // payload, text, key name or file
  int x = 0;            // click
  int y = 0;
};

enum class ScriptError : std::uint8_t { io, syntax };

// Events sorted by time (stable for equal times). Errors name the line.
Result<std::vector<ScriptEvent>, ScriptError> parse_input_script(std::string_view text);
Result<std::vector<ScriptEvent>, ScriptError> read_input_script(const std::filesystem::path& file);

} // namespace muster::kiosk::ui
