#include "kiosk/ui/input_script.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

#include "shared/text.hpp"

namespace muster::kiosk::ui {

namespace {

bool parse_int(std::string_view text, long long& value) {
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc{} && ptr == text.data() + text.size();
}

// Blanks off both ends, and a CR LF file's CR off the end.
std::string_view trim_line(std::string_view text) { return trim_start(trim_end(text, " \t\r")); }

} // namespace

Result<std::vector<ScriptEvent>, ScriptError> parse_input_script(std::string_view text) {
  std::vector<ScriptEvent> events;
  std::size_t line_number = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    auto line = trim_line(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    const auto bad = [&](const std::string& why) {
      return fail(ScriptError::syntax,
                  "input script line " + std::to_string(line_number) + ": " + why);
    };
    if (line.front() != '@') return bad("expected '@<ms> <verb> ...'");
    const auto space = line.find(' ');
    long long ms = 0;
    if (space == std::string_view::npos || !parse_int(line.substr(1, space - 1), ms) || ms < 0) {
      return bad("expected a time in ms after '@'");
    }
    line = trim_line(line.substr(space + 1));
    const auto verb_end = line.find(' ');
    const auto verb = line.substr(0, verb_end);
    // Text and payloads keep their inner spaces; only the one separating space is dropped.
    const auto argument =
        verb_end == std::string_view::npos ? std::string_view{} : line.substr(verb_end + 1);
    ScriptEvent event;
    event.at = std::chrono::milliseconds{ms};
    event.argument = std::string(argument);
    if (verb == "wedge") {
      event.verb = ScriptVerb::wedge;
    } else if (verb == "text") {
      event.verb = ScriptVerb::text;
    } else if (verb == "key") {
      event.verb = ScriptVerb::key;
      static constexpr std::string_view kKeys[] = {"Enter", "Tab", "Escape", "Backspace", "F2"};
      if (std::find(std::begin(kKeys), std::end(kKeys), argument) == std::end(kKeys)) {
        return bad("unknown key '" + std::string(argument) +
                   "' (Enter, Tab, Escape, Backspace, F2)");
      }
    } else if (verb == "click") {
      event.verb = ScriptVerb::click;
      const auto middle = argument.find(' ');
      long long x = 0;
      long long y = 0;
      if (middle == std::string_view::npos || !parse_int(argument.substr(0, middle), x) ||
          !parse_int(trim_line(argument.substr(middle + 1)), y) || x < 0 || y < 0 || x > 100000 ||
          y > 100000) {
        return bad("expected 'click <x> <y>'");
      }
      event.x = static_cast<int>(x);
      event.y = static_cast<int>(y);
    } else if (verb == "screenshot") {
      event.verb = ScriptVerb::screenshot;
      if (argument.empty()) return bad("screenshot needs a file name");
    } else if (verb == "quit") {
      event.verb = ScriptVerb::quit;
    } else {
      return bad("unknown verb '" + std::string(verb) + "'");
    }
    if ((event.verb == ScriptVerb::wedge || event.verb == ScriptVerb::text) && argument.empty()) {
      return bad(std::string(verb) + " needs characters");
    }
    events.push_back(std::move(event));
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const ScriptEvent& a, const ScriptEvent& b) { return a.at < b.at; });
  return events;
}

Result<std::vector<ScriptEvent>, ScriptError> read_input_script(const std::filesystem::path& file) {
  std::ifstream stream(file, std::ios::binary);
  if (!stream) return fail(ScriptError::io, "cannot read the input script " + file.string());
  std::ostringstream text;
  text << stream.rdbuf();
  return parse_input_script(text.str());
}

} // namespace muster::kiosk::ui
