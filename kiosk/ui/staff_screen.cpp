// Staff mode: the header row (walk-in, leave staff mode, the last message) over two panels.
#include <imgui.h>

#include "kiosk/ui/staff_panels.hpp"
#include "kiosk/ui/view_style.hpp"

namespace muster::kiosk::ui {

std::optional<Intent> draw_staff(const ViewContext& context, StaffViewState& view) {
  const auto& app = context.app;
  const auto& fonts = context.fonts;
  const auto& state = app.state();
  std::optional<Intent> intent;
  ImGui::PushFont(fonts.small);
  ImGui::SetCursorPos(ImVec2{kMargin, kMargin * 0.5F});
  ImGui::PushFont(fonts.body);
  ImGui::TextUnformatted("Staff mode");
  ImGui::PopFont();
  ImGui::SameLine(width() - 720.0F);
  // Fixed place (the UI test clicks it): 340x60 at x = width - 720, y = 16.
  if (coloured_button(view.walk_in_open ? "Close walk-in form" : "Walk-in registration",
                      ImVec2{340.0F, 60.0F}, ImVec4{0.20F, 0.30F, 0.45F, 1.0F})) {
    view.walk_in_open = !view.walk_in_open;
    view.focus_walk_in = view.walk_in_open;
    view.focus_search = !view.walk_in_open;
  }
  if (state.last_walk_in != view.walk_in_seen) {
    // Registered: clear the form for the next person (a refused form keeps what was typed).
    view.walk_in_seen = state.last_walk_in;
    view.walk_in = StaffWalkIn{};
    view.walk_in_open = false;
    view.focus_search = true;
  }
  ImGui::SameLine(width() - 360.0F);
  if (coloured_button("Leave staff mode", ImVec2{320.0F, 60.0F},
                      ImVec4{0.45F, 0.20F, 0.20F, 1.0F})) {
    intent = CloseStaff{};
  }
  if (!state.staff_message.empty()) {
    ImGui::SetCursorPosX(kMargin);
    ImGui::TextColored(state.staff_message_error ? kRedText : kGreenText, "%s",
                       state.staff_message.c_str());
  }

  const float column = (width() - 3 * kMargin) / 2.0F;
  const float top = ImGui::GetCursorPosY() + 8.0F;
  const float list_h = ImGui::GetWindowHeight() - top - kMargin;
  if (auto door = draw_door_panel(context, view, ImVec2{kMargin, top}, ImVec2{column, list_h})) {
    intent = std::move(door);
  }
  if (auto people = draw_people_panel(context, view, ImVec2{2 * kMargin + column, top},
                                      ImVec2{column, list_h})) {
    intent = std::move(people);
  }
  ImGui::PopFont();
  return intent;
}

} // namespace muster::kiosk::ui
