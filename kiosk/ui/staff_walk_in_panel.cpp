// Staff mode's walk-in registration form (kiosk/app/walk_in.hpp records it).
#include <imgui.h>
#include <imgui_stdlib.h>

#include <string>
#include <string_view>

#include "kiosk/ui/staff_panels.hpp"
#include "kiosk/ui/view_style.hpp"

namespace muster::kiosk::ui {

// Walk-in registration: Tab moves through the fields, Enter in the last one registers.
std::optional<Intent> draw_walk_in_form(StaffViewState& view, float column) {
  std::optional<Intent> intent;
  auto& form = view.walk_in;
  ImGui::TextColored(kDim, "New walk-in (provisional until confirmed)");
  const auto field = [&](const char* label, const char* id, std::string& value) {
    ImGui::TextUnformatted(label);
    ImGui::SetNextItemWidth(column - 40.0F);
    return ImGui::InputText(id, &value, ImGuiInputTextFlags_EnterReturnsTrue);
  };
  if (view.focus_walk_in) {
    ImGui::SetKeyboardFocusHere(); // the first name (its label takes no focus)
    view.focus_walk_in = false;
  }
  (void)field("First name", "##walkin_first", form.first_name);
  (void)field("Last name", "##walkin_last", form.last_name);
  (void)field("Municipality", "##walkin_municipality", form.municipality);
  const bool submit =
      field("Reason (recorded with the registration)", "##walkin_reason", form.reason);
  ImGui::TextUnformatted("Role");
  for (const char* role : {"mayor", "councilmember", "clerk", "staff", "guest"}) {
    if (ImGui::RadioButton(role, form.role == role)) form.role = role;
    if (std::string_view(role) != "clerk") ImGui::SameLine();
  }
  ImGui::NewLine();
  ImGui::Spacing();
  if (ImGui::Button("Register walk-in", ImVec2{320.0F, 64.0F}) || submit) intent = form;
  ImGui::TextColored(kDim, "They are recorded as arrived in this door's session now.");
  return intent;
}

} // namespace muster::kiosk::ui
