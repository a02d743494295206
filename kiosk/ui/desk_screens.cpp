#include "kiosk/ui/desk_screens.hpp"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <string>
#include <vector>

#include "kiosk/ui/screens.hpp"
#include "kiosk/ui/view_style.hpp"
#include "shared/time.hpp"

namespace muster::kiosk::ui {

namespace {

const ImVec4 kButton{0.22F, 0.26F, 0.36F, 1.0F};
constexpr std::size_t kMaxRows = 4; // with the OK button, what fits at 1280x800

// The result screen's colours give way to white while the green/red flash shows.
ImVec4 tint(bool flashing, const ImVec4& colour) { return flashing ? kWhite : colour; }

// Sessions still to come (or running) at the check-in, as many as fit.
void draw_desk_sessions(const ViewContext& context, const DeskOutcome& outcome, bool flashing) {
  const auto& fonts = context.fonts;
  const std::string& zone = context.app.checkin().event().timezone;
  if (outcome.sessions.empty()) {
    centered(fonts.body, "No sessions today.", tint(flashing, kDim));
    return;
  }
  std::vector<const Session*> shown;
  std::size_t more = 0;
  for (const auto& session : outcome.sessions) {
    if (outcome.checked_in_at && session.end <= *outcome.checked_in_at) continue;
    if (shown.size() < kMaxRows) {
      shown.push_back(&session);
    } else {
      ++more;
    }
  }
  if (shown.empty()) {
    centered(fonts.body, "Today's sessions have ended.", tint(flashing, kDim));
    return;
  }
  centered(fonts.body, "Today's sessions", tint(flashing, kDim));
  const float table_w = std::min(ImGui::GetWindowWidth() * 0.9F, 1300.0F);
  ImGui::SetCursorPosX((ImGui::GetWindowWidth() - table_w) / 2.0F);
  ImGui::PushFont(fonts.body);
  if (ImGui::BeginTable("desk_sessions", 3, ImGuiTableFlags_RowBg, ImVec2{table_w, 0.0F})) {
    ImGui::TableSetupColumn("time", ImGuiTableColumnFlags_WidthFixed, table_w * 0.2F);
    ImGui::TableSetupColumn("title", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableSetupColumn("room", ImGuiTableColumnFlags_WidthFixed, table_w * 0.18F);
    for (const Session* entry : shown) {
      const Session& session = *entry;
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      const std::string times = format_local(session.start, zone, "%H:%M") + "-" +
                                format_local(session.end, zone, "%H:%M");
      ImGui::TextUnformatted(times.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(session.title.c_str());
      ImGui::TableNextColumn();
      ImGui::TextColored(tint(flashing, kDim), "%s", session.room.c_str());
    }
    ImGui::EndTable();
  }
  ImGui::PopFont();
  if (more > 0) {
    centered(fonts.small, "+ " + std::to_string(more) + " more later today", tint(flashing, kDim));
  }
}

void draw_desk_welcome(const ViewContext& context, const DeskOutcome& outcome, bool flashing) {
  const auto& fonts = context.fonts;
  const bool first = outcome.result == DeskResult::checked_in;
  centered(fonts.huge, first ? "Welcome" : "Welcome back", kWhite);
  centered(fonts.large, outcome.display_name, kWhite);
  if (outcome.attendee) centered(fonts.body, outcome.attendee->municipality, tint(flashing, kDim));
  ImGui::Dummy(ImVec2{1.0F, 12.0F});
  centered(fonts.body,
           first ? "Checked in at " + outcome.checked_in_local
                 : "Already checked in at " + outcome.checked_in_local,
           tint(flashing, first ? kGreenText : kAmber));
  ImGui::Dummy(ImVec2{1.0F, 16.0F});
  draw_desk_sessions(context, outcome, flashing);
}

void draw_desk_refusal(const ViewContext& context, const DeskOutcome& outcome) {
  const auto& fonts = context.fonts;
  centered(fonts.huge, "Not checked in", kWhite);
  centered(fonts.large, outcome.reason, kWhite);
  if (!outcome.display_name.empty()) centered(fonts.body, outcome.display_name, kWhite);
  ImGui::Dummy(ImVec2{1.0F, 16.0F});
  ImGui::PushFont(fonts.body);
  const float wrap = ImGui::GetWindowWidth() * 0.8F;
  ImGui::SetCursorPosX((ImGui::GetWindowWidth() - wrap) / 2.0F);
  ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + wrap);
  ImGui::TextUnformatted(outcome.detail.c_str());
  ImGui::PopTextWrapPos();
  ImGui::PopFont();
}

} // namespace

std::optional<Intent> draw_desk_result(const ViewContext& context) {
  const auto& app = context.app;
  const auto& outcome = *app.state().desk_outcome;
  const bool flashing = app.state().flash != Flash::none;
  ImGui::SetCursorPosY(ImGui::GetWindowHeight() * 0.05F);
  switch (outcome.result) {
  case DeskResult::checked_in:
  case DeskResult::already_checked_in:
    draw_desk_welcome(context, outcome, flashing);
    break;
  case DeskResult::rejected:
    draw_desk_refusal(context, outcome);
    break;
  }
  const ImVec2 size{320.0F, 110.0F};
  ImGui::SetCursorPos(
      ImVec2{(ImGui::GetWindowWidth() - size.x) / 2.0F, ImGui::GetWindowHeight() - size.y - 40.0F});
  ImGui::PushFont(context.fonts.large);
  const bool ok = coloured_button("OK", size, kButton);
  ImGui::PopFont();
  if (ok) return DismissResult{};
  return std::nullopt;
}

std::optional<Intent> draw_desk_staff(const ViewContext& context, StaffViewState& view) {
  std::optional<Intent> intent;
  const Desk* desk = context.app.options().desk;
  if (desk == nullptr) return intent;
  ImGui::Separator();
  ImGui::TextColored(kDim, "Registration desk");
  const bool chosen = !view.selected_attendee.empty() && !view.reason.empty();
  if (!chosen) ImGui::BeginDisabled();
  if (ImGui::Button("Check in (no badge)", ImVec2{260.0F, 64.0F})) {
    intent = StaffDeskCheckIn{view.selected_attendee, view.reason};
  }
  ImGui::SameLine();
  if (ImGui::Button("Reprint badge", ImVec2{260.0F, 64.0F})) {
    intent = StaffDeskReprint{view.selected_attendee, view.reason, ""};
  }
  if (!chosen) ImGui::EndDisabled();
  ImGui::TextColored(kDim, "Reprints go to %s", desk->print_dir().string().c_str());
  return intent;
}

} // namespace muster::kiosk::ui
