#include "kiosk/ui/screens.hpp"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>

#include "kiosk/ui/desk_screens.hpp"
#include "kiosk/ui/staff_panels.hpp"
#include "kiosk/ui/survey_screen.hpp"
#include "kiosk/ui/view_style.hpp"
#include "shared/hours.hpp"
#include "shared/time.hpp"

namespace muster::kiosk::ui {

namespace {

// The League's credit form, quoted on the "Leaving early?" screen.
constexpr const char* kEthicsReminder =
    "Claiming credit for time not attended could be an ethics violation. Your credit form "
    "must accurately reflect the time you are requesting based on the time you attended "
    "each session.";

std::optional<Session> find_session(const KioskApp& app, const std::string& id) {
  for (const auto& session : app.checkin().event().sessions) {
    if (session.id == id) return session;
  }
  return std::nullopt;
}

// Bottom-right corner: opens the PIN pad (touch), F2 does the same from a keyboard.
bool staff_corner_button() {
  const ImVec2 size{180.0F, 80.0F};
  ImGui::SetCursorPos(ImVec2{width() - size.x - 20.0F, ImGui::GetWindowHeight() - size.y - 20.0F});
  return coloured_button("Staff", size, ImVec4{0.22F, 0.26F, 0.36F, 1.0F});
}

std::optional<Intent> draw_attract(const ViewContext& context) {
  const auto& app = context.app;
  const auto& fonts = context.fonts;
  ImGui::SetCursorPos(ImVec2{kMargin, kMargin});
  ImGui::PushFont(fonts.body);
  ImGui::TextColored(kDim, "%s", app.checkin().event().name.c_str());
  ImGui::PopFont();
  // The clock, top right.
  ImGui::PushFont(fonts.large);
  const float clock_w = ImGui::CalcTextSize(context.clock_text.c_str()).x;
  ImGui::SetCursorPos(ImVec2{width() - clock_w - kMargin, kMargin});
  ImGui::TextUnformatted(context.clock_text.c_str());
  ImGui::PopFont();

  ImGui::SetCursorPosY(ImGui::GetWindowHeight() * 0.28F);
  centered(fonts.huge, context.desk ? "Welcome! Scan your badge" : "Scan your badge", kWhite);
  ImGui::Dummy(ImVec2{1.0F, 24.0F});
  if (const auto session = app.door_session()) {
    centered(fonts.large, session->title, kAmber);
    centered(fonts.body,
             session->room + "   " + local_hm(app, session->start) + " - " +
                 local_hm(app, session->end),
             kDim);
  } else {
    centered(fonts.large, "No session at this door now", kRedText);
    centered(fonts.body, "Staff can pick the session in staff mode.", kDim);
  }
  // A small marker only: officials need not worry, staff mode says what is wrong.
  if (!app.state().clock_warning.empty()) {
    ImGui::PushFont(fonts.body);
    const char* marker = "clock?";
    ImGui::SetCursorPos(ImVec2{width() - ImGui::CalcTextSize(marker).x - kMargin,
                               ImGui::GetWindowHeight() - ImGui::GetTextLineHeight() - kMargin});
    ImGui::TextColored(kAmber, "%s", marker);
    ImGui::PopFont();
  }
  if (context.preview.texture != 0) {
    const float h = 180.0F;
    const float w = h * static_cast<float>(context.preview.width) /
                    static_cast<float>(std::max(1, context.preview.height));
    ImGui::SetCursorPos(ImVec2{kMargin, ImGui::GetWindowHeight() - h - 20.0F});
    ImGui::Image(reinterpret_cast<ImTextureID>(context.preview.texture), ImVec2{w, h});
  }
  if (staff_corner_button()) return OpenStaff{};
  return std::nullopt;
}

std::optional<Intent> draw_result(const ViewContext& context) {
  const auto& app = context.app;
  const auto& fonts = context.fonts;
  const auto& outcome = *app.state().outcome;
  // During the green/red flash every line is white: amber or green on the flash is hard to read.
  const bool flashing = app.state().flash != Flash::none;
  const auto tint = [flashing](const ImVec4& colour) { return flashing ? kWhite : colour; };
  ImGui::SetCursorPosY(ImGui::GetWindowHeight() * 0.14F);
  switch (outcome.result) {
  case CheckinResult::arrived:
  case CheckinResult::corrected:
    centered(fonts.huge, "Welcome", kWhite);
    centered(fonts.large, outcome.display_name, kWhite);
    if (outcome.attendee) centered(fonts.body, outcome.attendee->municipality, tint(kDim));
    ImGui::Dummy(ImVec2{1.0F, 16.0F});
    centered(fonts.body, outcome.session_title + " - arrived " + outcome.local_time, kWhite);
    centered(fonts.body,
             outcome.credit_eligible ? "Credit-eligible (CMO credit hours)"
                                     : "Attendance only: recorded for a verification letter",
             tint(outcome.credit_eligible ? kGreenText : kAmber));
    if (!outcome.ended_session_title.empty()) {
      centered(fonts.body, "\"" + outcome.ended_session_title + "\" ended: credited to its end.",
               tint(kDim));
    }
    break;
  case CheckinResult::left: {
    centered(fonts.huge, "Goodbye", kWhite);
    centered(fonts.large, outcome.display_name, kWhite);
    ImGui::Dummy(ImVec2{1.0F, 16.0F});
    centered(fonts.body, outcome.session_title + " - left " + outcome.local_time, kWhite);
    const std::string hours = format_hours(outcome.credit_hours, HoursStyle::two_decimals);
    centered(fonts.body,
             outcome.credit_eligible ? std::string("Credit so far: ") + hours + " h"
                                     : std::string("Attendance recorded"),
             tint(kGreenText));
    if (outcome.early) {
      centered(fonts.body, "Early leave recorded on your credit form", tint(kAmber));
    }
    break;
  }
  case CheckinResult::rejected:
    centered(fonts.huge, "Not checked in", kWhite);
    centered(fonts.large, outcome.reason, kWhite);
    ImGui::Dummy(ImVec2{1.0F, 16.0F});
    centered_wrapped(fonts.body, outcome.detail, kWhite, width() * 0.8F);
    break;
  case CheckinResult::ignored:
  case CheckinResult::confirm_leave:
    centered(fonts.large,
             outcome.code == CheckinReason::duplicate ? "Already scanned" : "Nothing recorded",
             kAmber);
    if (!outcome.display_name.empty()) centered(fonts.body, outcome.display_name, kWhite);
    centered_wrapped(fonts.body, outcome.detail, kDim, width() * 0.8F);
    break;
  }
  const ImVec2 size{320.0F, 110.0F};
  const float y = ImGui::GetWindowHeight() - size.y - 40.0F;
  // After a break arrival the official who meant to go home says so (design.md).
  const bool offer_leave = app.leave_instead_offered();
  ImGui::SetCursorPos(ImVec2{offer_leave ? width() * 0.54F : (width() - size.x) / 2.0F, y});
  ImGui::PushFont(fonts.large);
  const bool ok = coloured_button("OK", size, ImVec4{0.22F, 0.26F, 0.36F, 1.0F});
  ImGui::PopFont();
  bool leave = false;
  if (offer_leave) {
    ImGui::SetCursorPos(ImVec2{width() * 0.1F, y});
    ImGui::PushFont(fonts.body);
    leave = coloured_button("I am leaving", ImVec2{width() * 0.36F, size.y}, kGreen);
    ImGui::PopFont();
  }
  if (leave) return LeaveInstead{};
  if (ok) return DismissResult{};
  return std::nullopt;
}

std::optional<Intent> draw_confirm(const ViewContext& context) {
  const auto& app = context.app;
  const auto& fonts = context.fonts;
  const auto& outcome = *app.state().outcome;
  ImGui::SetCursorPosY(ImGui::GetWindowHeight() * 0.08F);
  centered(fonts.huge, "Leaving early?", kAmber);
  centered(fonts.large, outcome.display_name, kWhite);
  std::string when = "It is " + outcome.local_time;
  if (const auto session = find_session(app, outcome.session_id)) {
    when += ". " + session->title + " ends at " + local_hm(app, session->end) + ".";
  }
  centered(fonts.body, when, kWhite);
  ImGui::Dummy(ImVec2{1.0F, 12.0F});
  centered_wrapped(fonts.body, kEthicsReminder, kAmber, width() * 0.8F);
  const ImVec2 size{width() * 0.36F, 120.0F};
  const float y = ImGui::GetWindowHeight() - size.y - 40.0F;
  ImGui::PushFont(fonts.body);
  ImGui::SetCursorPos(ImVec2{width() * 0.1F, y});
  const bool yes = coloured_button("Yes, I am leaving", size, kGreen);
  ImGui::SetCursorPos(ImVec2{width() * 0.54F, y});
  const bool no = coloured_button("No, I am staying", size, ImVec4{0.30F, 0.33F, 0.40F, 1.0F});
  ImGui::PopFont();
  if (yes) return AnswerLeave{true};
  if (no) return AnswerLeave{false};
  return std::nullopt;
}

std::optional<Intent> draw_pin(const ViewContext& context) {
  const auto& app = context.app;
  const auto& fonts = context.fonts;
  const auto& state = app.state();
  std::optional<Intent> intent;
  ImGui::SetCursorPosY(kMargin);
  centered(fonts.large, "Staff PIN", kWhite);
  std::string dots;
  for (std::size_t i = 0; i < state.pin_length; ++i)
    dots += "* ";
  centered(fonts.large, dots.empty() ? "-" : dots, kAmber);
  if (!state.pin_message.empty()) centered(fonts.body, state.pin_message, kRedText);
  if (app.options().demo) {
    centered(fonts.body, "Demo mode: the PIN is " + std::string(kDemoStaffPin), kGreenText);
  }
  // A 3x4 keypad with big touch targets.
  const float key = std::min(ImGui::GetWindowHeight() * 0.11F, 110.0F);
  const float gap = 14.0F;
  const float pad_w = 3 * key + 2 * gap;
  const float x0 = (width() - pad_w) / 2.0F;
  const float y0 = ImGui::GetCursorPosY() + 10.0F;
  static constexpr const char* kKeys[12] = {"1", "2", "3", "4",   "5", "6",
                                            "7", "8", "9", "Del", "0", "OK"};
  ImGui::PushFont(fonts.body);
  for (int i = 0; i < 12; ++i) {
    const auto row = static_cast<float>(i / 3);
    const auto col = static_cast<float>(i % 3);
    ImGui::SetCursorPos(ImVec2{x0 + col * (key + gap), y0 + row * (key + gap)});
    const std::string label = kKeys[i];
    const ImVec4 colour = label == "OK" ? kGreen : ImVec4{0.25F, 0.29F, 0.38F, 1.0F};
    if (coloured_button(kKeys[i], ImVec2{key, key}, colour)) {
      if (label == "OK") {
        intent = PinSubmit{};
      } else if (label == "Del") {
        intent = PinBackspace{};
      } else {
        intent = PinDigit{label[0]};
      }
    }
  }
  ImGui::SetCursorPos(ImVec2{x0 + pad_w + 3 * gap, y0 + 3 * (key + gap)});
  if (coloured_button("Cancel", ImVec2{key * 1.6F, key}, ImVec4{0.45F, 0.20F, 0.20F, 1.0F})) {
    intent = CloseStaff{};
  }
  ImGui::PopFont();
  return intent;
}

} // namespace

void background_colour(const KioskState& state, float rgba[4]) {
  ImVec4 colour{0.05F, 0.07F, 0.14F, 1.0F}; // deep navy: high contrast with white type
  if (state.flash == Flash::success) colour = kGreen;
  if (state.flash == Flash::failure) colour = kRed;
  if (state.flash == Flash::none && state.screen == Screen::result && state.outcome &&
      state.outcome->result == CheckinResult::rejected) {
    colour = ImVec4{0.35F, 0.05F, 0.05F, 1.0F}; // stays reddish after the flash
  }
  if (state.flash == Flash::none && state.screen == Screen::result && state.desk_outcome &&
      state.desk_outcome->result == DeskResult::rejected) {
    colour = ImVec4{0.35F, 0.05F, 0.05F, 1.0F}; // the desk's refusals too
  }
  rgba[0] = colour.x;
  rgba[1] = colour.y;
  rgba[2] = colour.z;
  rgba[3] = colour.w;
}

std::optional<Intent> draw_screen(const ViewContext& context, StaffViewState& staff) {
  switch (context.app.state().screen) {
  case Screen::attract:
    return draw_attract(context);
  case Screen::result:
    return context.app.state().desk_outcome ? draw_desk_result(context) : draw_result(context);
  case Screen::confirm_leave:
    return draw_confirm(context);
  case Screen::staff_pin:
    return draw_pin(context);
  case Screen::staff:
    return draw_staff(context, staff);
  case Screen::survey:
    return draw_survey(context);
  }
  return std::nullopt;
}

} // namespace muster::kiosk::ui
