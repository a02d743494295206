#pragma once
// What the GLFW input callbacks, the input-script player and the frame loop share: the frames
// still to draw at full speed, a scripted click in progress, scripted keys to release.
#include <GLFW/glfw3.h>
#include <imgui.h>

#include <optional>
#include <vector>

#include "kiosk/app/kiosk_app.hpp"
#include "kiosk/scan/raw_scan.hpp"

namespace muster::kiosk::ui {

inline constexpr int kFastFramesAfterInput = 8; // full speed briefly, then back to waiting

// A scripted left click: hover, press, release over three frames, as a hand would.
struct ScriptedClick {
  ImVec2 position;
  int phase = 0;
};

// The window's user pointer: the callbacks reach the app through it.
struct Loop {
  KioskApp* app = nullptr;
  int fast_frames = kFastFramesAfterInput;
  std::optional<ScriptedClick> click;
  std::vector<int> release_keys; // scripted ImGui keys to release next frame

  void bump() { fast_frames = kFastFramesAfterInput; }

  void on_char(char32_t c) {
    bump();
    if (app->wants_keys())
      app->key(KeyEvent{KeyKind::character, c, monotonic_now()}, monotonic_now());
  }

  // Keys that are not text. Scanners send Enter/Tab only: they go through the wedge detector;
  // Escape and F2 are never part of a scan.
  void on_key(int key) {
    bump();
    const auto now = monotonic_now();
    const auto screen = app->state().screen;
    switch (key) {
    case GLFW_KEY_ENTER:
    case GLFW_KEY_KP_ENTER:
      if (app->wants_keys()) app->key(KeyEvent{KeyKind::enter, 0, now}, now);
      break;
    case GLFW_KEY_TAB:
      if (app->wants_keys()) app->key(KeyEvent{KeyKind::tab, 0, now}, now);
      break;
    case GLFW_KEY_BACKSPACE:
      if (screen == Screen::staff_pin) app->key(KeyEvent{KeyKind::character, U'\b', now}, now);
      break;
    case GLFW_KEY_ESCAPE:
      if (screen == Screen::result) app->handle(DismissResult{}, now);
      if (screen == Screen::confirm_leave) app->handle(AnswerLeave{false}, now);
      if (screen == Screen::survey) app->handle(SkipSurvey{}, now);
      if (screen == Screen::staff_pin || screen == Screen::staff) app->handle(CloseStaff{}, now);
      break;
    case GLFW_KEY_F2:
      app->handle(OpenStaff{}, now);
      break;
    default:
      break;
    }
  }
};

} // namespace muster::kiosk::ui
