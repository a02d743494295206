// Staff mode's right panel: find an attendee by name as you type, manual arrival and leave
// with a reason, and the desk's buttons; the walk-in form instead while it is open.
#include <imgui.h>
#include <imgui_stdlib.h>

#include <string>

#include "kiosk/app/walk_in.hpp"
#include "kiosk/ui/desk_screens.hpp"
#include "kiosk/ui/staff_panels.hpp"
#include "kiosk/ui/view_style.hpp"

namespace muster::kiosk::ui {

std::optional<Intent> draw_people_panel(const ViewContext& context, StaffViewState& view, ImVec2 at,
                                        ImVec2 size) {
  const auto& state = context.app.state();
  const float column = size.x;
  std::optional<Intent> intent;
  ImGui::SetCursorPos(at);
  ImGui::BeginChild("people", size, true);
  if (view.walk_in_open) {
    intent = draw_walk_in_form(view, column);
    ImGui::EndChild();
    return intent;
  }
  ImGui::TextColored(kDim, "Find an attendee by name");
  ImGui::SetNextItemWidth(column - 40.0F);
  if (view.focus_search) {
    ImGui::SetKeyboardFocusHere();
    view.focus_search = false;
  }
  if (ImGui::InputText("##search", &view.query)) intent = StaffSearch{view.query};
  const float results_h = size.y * (context.desk ? 0.3F : 0.5F); // desk: room for its buttons
  ImGui::BeginChild("results", ImVec2{0.0F, results_h}, false);
  for (const auto& attendee : state.search_results) {
    const std::string label = full_name(attendee) + "  -  " + attendee.municipality + "  (" +
                              std::string(to_string(attendee.role)) + ")" +
                              (is_walk_in_id(attendee.id) ? "  [walk-in, provisional]" : "") +
                              "##" + attendee.id;
    if (ImGui::Selectable(label.c_str(), attendee.id == view.selected_attendee, 0,
                          ImVec2{0.0F, 44.0F})) {
      view.selected_attendee = attendee.id;
    }
  }
  if (!state.staff_query.empty() && state.search_results.empty()) {
    ImGui::TextColored(kDim, "No one on the roster matches.");
  }
  ImGui::EndChild();
  ImGui::Separator();
  ImGui::TextUnformatted("Reason (recorded with the correction):");
  ImGui::SetNextItemWidth(column - 40.0F);
  ImGui::InputText("##reason", &view.reason);
  const bool can_correct =
      !view.selected_attendee.empty() && !view.reason.empty() && !state.staff_session_id.empty();
  if (!can_correct) ImGui::BeginDisabled();
  if (ImGui::Button("Manual arrival", ImVec2{260.0F, 64.0F})) {
    intent = StaffManual{view.selected_attendee, Correction::arrive, view.reason};
  }
  ImGui::SameLine();
  if (ImGui::Button("Manual leave", ImVec2{260.0F, 64.0F})) {
    intent = StaffManual{view.selected_attendee, Correction::leave, view.reason};
  }
  if (!can_correct) ImGui::EndDisabled();
  if (auto desk = draw_desk_staff(context, view)) intent = std::move(desk);
  ImGui::EndChild();
  return intent;
}

} // namespace muster::kiosk::ui
