#include "kiosk/ui/script_player.hpp"

#include <GLFW/glfw3.h>

#include <string>

namespace muster::kiosk::ui {

namespace {

using std::chrono::milliseconds;

constexpr milliseconds kScannerKeyGap{5};  // script "wedge": a USB scanner's pace
constexpr milliseconds kPersonKeyGap{120}; // script "text": a person's pace

int glfw_key_named(const std::string& name) {
  if (name == "Enter") return GLFW_KEY_ENTER;
  if (name == "Tab") return GLFW_KEY_TAB;
  if (name == "Escape") return GLFW_KEY_ESCAPE;
  if (name == "Backspace") return GLFW_KEY_BACKSPACE;
  if (name == "F2") return GLFW_KEY_F2;
  return GLFW_KEY_UNKNOWN;
}

void type_wedge(KioskApp& app, const std::string& payload, milliseconds now) {
  auto at = now;
  for (const char c : payload) {
    app.key(KeyEvent{KeyKind::character, static_cast<unsigned char>(c), at}, now);
    at += kScannerKeyGap;
  }
  app.key(KeyEvent{KeyKind::enter, 0, at}, now);
}

void type_text(KioskApp& app, ImGuiIO& io, const std::string& text, milliseconds now) {
  auto at = now;
  for (const char c : text) {
    const auto code = static_cast<char32_t>(static_cast<unsigned char>(c));
    if (app.wants_keys()) {
      app.key(KeyEvent{KeyKind::character, code, at}, now);
    } else {
      io.AddInputCharacter(static_cast<unsigned int>(code));
    }
    at += kPersonKeyGap;
  }
}

} // namespace

ScriptPlayer::ScriptPlayer(std::vector<ScriptEvent> script, milliseconds start)
    : pending_(script.begin(), script.end()), start_(start) {}

std::optional<milliseconds> ScriptPlayer::next_due() const {
  if (pending_.empty()) return std::nullopt;
  return start_ + pending_.front().at;
}

std::optional<ScriptEvent> ScriptPlayer::play_due(KioskApp& app, Loop& loop, ImGuiIO& io,
                                                  milliseconds now, bool busy) {
  // One event per frame, and quiet frames after a screen change, so ImGui has laid out (and
  // focused) the screen before the next event reaches it.
  if (hold_ > 0) --hold_;
  if (hold_ != 0 || pending_.empty() || loop.click || busy || start_ + pending_.front().at > now) {
    return std::nullopt;
  }
  hold_ = 1;
  const auto event = pending_.front();
  pending_.pop_front();
  loop.bump();
  switch (event.verb) {
  case ScriptVerb::wedge:
    type_wedge(app, event.argument, now);
    break;
  case ScriptVerb::text:
    type_text(app, io, event.argument, now);
    break;
  case ScriptVerb::key: {
    const int key = glfw_key_named(event.argument);
    if (app.state().screen == Screen::staff) {
      io.KeysDown[key] = true; // ImGui 1.86: keys by GLFW code
      loop.release_keys.push_back(key);
    }
    loop.on_key(key);
    break;
  }
  case ScriptVerb::click:
    loop.click = ScriptedClick{ImVec2{static_cast<float>(event.x), static_cast<float>(event.y)}, 0};
    break;
  case ScriptVerb::screenshot:
  case ScriptVerb::quit:
    break; // the window's
  }
  return event;
}

} // namespace muster::kiosk::ui
