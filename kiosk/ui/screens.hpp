#pragma once
// The kiosk's screens as thin Dear ImGui views: each draws the KioskApp's state and returns
// what the person asked for (an Intent); KioskApp decides what happens. Called between
// ImGui::NewFrame and ImGui::Render, inside one full-screen window.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "kiosk/app/kiosk_app.hpp"
#include "kiosk/ui/fonts.hpp"

namespace muster::kiosk::ui {

// What the staff screen keeps between frames (text being typed, the selected attendee).
struct StaffViewState {
  std::string query;
  std::string reason = "forgot badge";
  std::string selected_attendee;
  std::string export_folder;
  bool focus_search = true;
  // The walk-in form (right column, instead of the search while open).
  bool walk_in_open = false;
  bool focus_walk_in = false;
  StaffWalkIn walk_in;
  std::string walk_in_seen; // KioskState::last_walk_in when the form was last cleared
};

struct CameraPreview {
  std::uintptr_t texture = 0; // GL texture name (0: no camera)
  int width = 0;
  int height = 0;
};

struct ViewContext {
  const KioskApp& app;
  const Fonts& fonts;
  CameraPreview preview;
  std::string clock_text; // "14:05", from the UI's clock
  bool desk = false;
};

// The full-screen window's background for the state (flash colours included).
void background_colour(const KioskState& state, float rgba[4]);

std::optional<Intent> draw_screen(const ViewContext& context, StaffViewState& staff);

} // namespace muster::kiosk::ui
