#pragma once
// The survey screen (Screen::survey): after a leave confirmed in the window, the event's
// questions one at a time, big choice buttons (keys 1..6) and "Skip" (Esc). A thin view: it
// returns AnswerSurvey / SkipSurvey and KioskApp records the answers (kiosk/README.md "Survey").
#include <optional>

#include "kiosk/app/kiosk_app.hpp"

namespace muster::kiosk::ui {

struct ViewContext;

std::optional<Intent> draw_survey(const ViewContext& context);

} // namespace muster::kiosk::ui
