// Staff mode's left panel: the door's session and room, who is inside, sync status, export.
#include <imgui.h>
#include <imgui_stdlib.h>

#include <string>

#include "kiosk/ui/staff_panels.hpp"
#include "kiosk/ui/view_style.hpp"
#include "shared/hours.hpp"

namespace muster::kiosk::ui {

namespace {

// Who scanned at this door in its session: name, in, out (or "inside"), credit.
void draw_door_table(const KioskState& state) {
  if (ImGui::BeginTable("today", 4, ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY)) {
    ImGui::TableSetupColumn("Name", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableSetupColumn("In", ImGuiTableColumnFlags_WidthFixed, 90.0F);
    ImGui::TableSetupColumn("Out", ImGuiTableColumnFlags_WidthFixed, 110.0F);
    ImGui::TableSetupColumn("Credit", ImGuiTableColumnFlags_WidthFixed, 120.0F);
    ImGui::TableHeadersRow();
    for (const auto& row : state.door_rows) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      if (row.provisional) {
        ImGui::TextColored(kAmber, "%s (walk-in)", row.name.c_str()); // provisional
      } else {
        ImGui::TextUnformatted(row.name.c_str());
      }
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(row.arrival.c_str());
      ImGui::TableNextColumn();
      ImGui::TextColored(row.early_leave ? kAmber : kWhite, "%s",
                         row.inside ? "inside" : row.leave.c_str());
      ImGui::TableNextColumn();
      if (row.eligible) {
        ImGui::Text("%s h", format_hours(row.credit_hours, HoursStyle::two_decimals).c_str());
      } else {
        ImGui::TextColored(kDim, "\u2014"); // attendance only: no CMO credit
      }
    }
    ImGui::EndTable();
  }
}

} // namespace

std::optional<Intent> draw_door_panel(const ViewContext& context, StaffViewState& view, ImVec2 at,
                                      ImVec2 size) {
  const auto& app = context.app;
  const auto& state = app.state();
  const float column = size.x;
  std::optional<Intent> intent;
  ImGui::SetCursorPos(at);
  ImGui::BeginChild("door", size, true);
  ImGui::TextColored(kDim, "Session at this door");
  const std::string current =
      state.staff_session_title.empty() ? std::string("(none now)") : state.staff_session_title;
  ImGui::SetNextItemWidth(column - 40.0F);
  if (ImGui::BeginCombo("##session", current.c_str())) {
    if (ImGui::Selectable("Automatic (from the schedule)", !app.checkin().session_override())) {
      intent = StaffPickSession{std::nullopt};
    }
    for (const auto& session : app.door_sessions()) {
      const std::string label = local_hm(app, session.start) + "  " + session.title + " (" +
                                session.room + ")##" + session.id;
      if (ImGui::Selectable(label.c_str(), session.id == state.staff_session_id)) {
        intent = StaffPickSession{session.id};
      }
    }
    ImGui::EndCombo();
  }
  ImGui::TextColored(kDim, "Room of this door");
  const std::string room =
      app.checkin().room().empty() ? std::string("All rooms") : app.checkin().room();
  ImGui::SetNextItemWidth(column - 40.0F);
  if (ImGui::BeginCombo("##room", room.c_str())) {
    if (ImGui::Selectable("All rooms", app.checkin().room().empty())) intent = StaffSetRoom{""};
    for (const auto& name : app.rooms()) {
      if (ImGui::Selectable(name.c_str(), name == app.checkin().room())) {
        intent = StaffSetRoom{name};
      }
    }
    ImGui::EndCombo();
  }
  ImGui::Text("Inside now: %zu   Scanned in this session: %zu", state.inside_count,
              state.door_rows.size());
  ImGui::Text("Sync: %llu scans queued", static_cast<unsigned long long>(state.sync.queued));
  ImGui::Text("Last sync: %s",
              state.sync.last_success.empty() ? "never" : state.sync.last_success.c_str());
  if (!state.sync.last_error.empty()) {
    ImGui::TextColored(kRedText, "Last error: %s", state.sync.last_error.c_str());
  }
  ImGui::Text("Device %s  key %s", state.sync.device_id.c_str(),
              state.sync.key_fingerprint.empty() ? "-" : state.sync.key_fingerprint.c_str());
  if (!state.sync.branch_note.empty()) {
    ImGui::PushTextWrapPos(kMargin + column);
    ImGui::TextColored(kAmber, "%s", state.sync.branch_note.c_str());
    ImGui::PopTextWrapPos();
  }
  if (!state.clock_warning.empty()) {
    ImGui::PushTextWrapPos(kMargin + column);
    ImGui::TextColored(kAmber, "%s", state.clock_warning.c_str());
    ImGui::PopTextWrapPos();
  }
  ImGui::Separator();
  ImGui::TextUnformatted("Export attendance CSV to folder:");
  ImGui::SetNextItemWidth(column - 40.0F);
  ImGui::InputText("##export", &view.export_folder);
  if (ImGui::Button("Export CSV", ImVec2{260.0F, 56.0F})) intent = StaffExport{view.export_folder};
  ImGui::Separator();
  draw_door_table(state);
  ImGui::EndChild();
  return intent;
}

} // namespace muster::kiosk::ui
