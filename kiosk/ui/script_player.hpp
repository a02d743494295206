#pragma once
// Plays an --input-script (input_script.hpp) into the running window: one due event per frame,
// keys and text at a scanner's or a person's pace, clicks over three frames.
#include <imgui.h>

#include <chrono>
#include <deque>
#include <optional>
#include <vector>

#include "kiosk/app/kiosk_app.hpp"
#include "kiosk/ui/input_script.hpp"
#include "kiosk/ui/window_input.hpp"

namespace muster::kiosk::ui {

class ScriptPlayer {
public:
  ScriptPlayer(std::vector<ScriptEvent> script, std::chrono::milliseconds start);

  [[nodiscard]] bool done() const { return pending_.empty(); }
  // When the next event is due on the monotonic clock; nothing when the script is done.
  [[nodiscard]] std::optional<std::chrono::milliseconds> next_due() const;
  // Script times count from the first frame on screen (fonts and shaders are built by then).
  void restart(std::chrono::milliseconds start) { start_ = start; }
  // After a screen change: let ImGui lay out (and focus) the new screen first.
  void hold(int frames) { hold_ = frames; }

  // Called once a frame. Plays the next event if it is due and nothing holds it back (a click
  // or, `busy`, a screenshot in progress); wedge, text, key and click go to the app and ImGui
  // here, and the event is returned so the window can take the screenshot or quit.
  std::optional<ScriptEvent> play_due(KioskApp& app, Loop& loop, ImGuiIO& io,
                                      std::chrono::milliseconds now, bool busy);

private:
  std::deque<ScriptEvent> pending_;
  std::chrono::milliseconds start_;
  int hold_ = 0;
};

} // namespace muster::kiosk::ui
