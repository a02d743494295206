#pragma once
// Staff mode's screen and its panels, one file each: staff_screen.cpp (the header row and the
// layout), staff_door_panel.cpp (the door's session and room, who is inside, sync, export),
// staff_people_panel.cpp (find an attendee, manual arrival and leave, the desk's buttons),
// staff_walk_in_panel.cpp (walk-in registration). Thin views: they return Intents.
#include <imgui.h>

#include <optional>

#include "kiosk/app/kiosk_app.hpp"
#include "kiosk/ui/screens.hpp"

namespace muster::kiosk::ui {

std::optional<Intent> draw_staff(const ViewContext& context, StaffViewState& view);
// Each panel is an ImGui child window of `size` at `at`.
std::optional<Intent> draw_door_panel(const ViewContext& context, StaffViewState& view, ImVec2 at,
                                      ImVec2 size);
std::optional<Intent> draw_people_panel(const ViewContext& context, StaffViewState& view, ImVec2 at,
                                        ImVec2 size);
// Inside the people panel while the walk-in form is open; `column`: the panel's width.
std::optional<Intent> draw_walk_in_form(StaffViewState& view, float column);

} // namespace muster::kiosk::ui
