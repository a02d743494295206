#pragma once
// The registration desk's views (--desk, kiosk/app/desk.hpp): the greeting after a scan (name,
// municipality, "checked in at HH:MM", the day's sessions with times and rooms, or the reason
// for a refusal) and the desk's staff buttons (check in without a badge, reprint a lost badge).
// Thin: they return Intents; KioskApp and Desk decide and record.
#include <optional>

#include "kiosk/app/kiosk_app.hpp"

namespace muster::kiosk::ui {

struct ViewContext;
struct StaffViewState;

// Screen::result when KioskState::desk_outcome is set.
std::optional<Intent> draw_desk_result(const ViewContext& context);
// Inside staff mode's "find an attendee" panel, below the door's buttons, in desk mode.
std::optional<Intent> draw_desk_staff(const ViewContext& context, StaffViewState& view);

} // namespace muster::kiosk::ui
