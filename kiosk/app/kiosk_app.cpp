#include "kiosk/app/kiosk_app.hpp"

#include <nlohmann/json.hpp>

#include <utility>

#include "kiosk/app/package_import.hpp"
#include "shared/clock_correction.hpp"

namespace muster::kiosk {

namespace {

using std::chrono::milliseconds;

} // namespace

KioskApp::KioskApp(KioskStore& store, Checkin& checkin, StaffPin& pin, KioskAppOptions options)
    : store_(&store), checkin_(&checkin), pin_(&pin), options_(std::move(options)),
      staff_(store, checkin, options_, state_) {
  if (!options_.wall_clock) options_.wall_clock = wall_clock_now;
  if (auto cursor = store_->cursor(kPackageCursor); cursor) package_cursor_seen_ = *cursor;
}

void KioskApp::reload_if_package_changed(milliseconds now) {
  if (now < next_package_check_) return;
  next_package_check_ = now + options_.package_check_interval;
  auto cursor = store_->cursor(kPackageCursor);
  if (!cursor || *cursor == package_cursor_seen_) return; // unreadable: try again later
  // Revoked serials are read from the store at every scan; keys, certificates and the event
  // are loaded by reload().
  if (!checkin_->reload()) return;
  if (options_.desk != nullptr) (void)options_.desk->reload();
  package_cursor_seen_ = *cursor;
  changed();
}

void KioskApp::check_clock(milliseconds now) {
  next_clock_check_ = now + options_.package_check_interval;
  const Checkin::ClockView view = checkin_->clock_view(options_.wall_clock(), now);
  std::string warning;
  if (view.wall_jumped) {
    warning = "Clock warning: this kiosk's clock is off by " +
              describe_clock_change(-view.offset_ms) +
              " since the last sync. Scans are still recorded; the server corrects their times.";
  } else if (view.outside_event) {
    warning = "Clock warning: this kiosk's clock shows a date outside the event. Scans are still "
              "recorded; sync to let the server verify the clock.";
  }
  if (warning != state_.clock_warning) {
    state_.clock_warning = std::move(warning);
    changed();
  }
}

void KioskApp::go(Screen screen, milliseconds now) {
  if (state_.screen != screen) {
    // Leaving the PIN pad forgets what was typed; leaving staff forgets the search.
    if (state_.screen == Screen::staff_pin) pin_entry_.clear(), state_.pin_length = 0;
    if (state_.screen == Screen::staff) {
      state_.staff_query.clear();
      state_.search_results.clear();
      state_.staff_message.clear();
    }
    if (screen == Screen::attract) state_.outcome.reset(), state_.desk_outcome.reset();
    // The flash belongs to a result (and to the leave the survey follows); other screens show
    // at once in their own colours.
    if (screen != Screen::result && screen != Screen::survey) state_.flash = Flash::none;
  }
  state_.screen = screen;
  screen_since_ = now;
  changed();
}

bool KioskApp::wants_keys() const { return state_.screen != Screen::staff; }

std::optional<Session> KioskApp::door_session() const {
  return checkin_->door_session(options_.wall_clock());
}

void KioskApp::show_outcome(CheckinOutcome outcome, milliseconds now) {
  switch (outcome.result) {
  case CheckinResult::arrived:
  case CheckinResult::left:
  case CheckinResult::corrected:
    state_.flash = Flash::success;
    break;
  case CheckinResult::rejected:
    state_.flash = Flash::failure;
    break;
  case CheckinResult::ignored:
  case CheckinResult::confirm_leave:
    state_.flash = Flash::none;
    break;
  }
  state_.flash_until =
      state_.flash == Flash::none ? milliseconds{0} : now + options_.flash_duration;
  // The sound follows the flash: one cue per recorded or refused scan.
  if (state_.flash != Flash::none) {
    state_.sound = state_.flash == Flash::success ? Sound::success : Sound::failure;
    ++state_.sound_serial;
  }
  const bool confirm = outcome.result == CheckinResult::confirm_leave;
  state_.survey_message.clear();
  state_.outcome = std::move(outcome);
  go(confirm ? Screen::confirm_leave : Screen::result, now);
}

void KioskApp::scan(const RawScan& scan, milliseconds now) {
  if (state_.screen == Screen::staff_pin || state_.screen == Screen::staff) {
    staff_.note("A badge scan is not recorded in staff mode: leave staff mode first.", true);
    return;
  }
  // The next official scanning ends the survey: the answers so far are kept.
  if (state_.screen == Screen::survey) finish_survey(now);
  if (options_.desk != nullptr) { // the registration desk greets instead of a door's result
    auto greeting = options_.desk->scan(scan);
    state_.flash = greeting.result == DeskResult::checked_in ? Flash::success
                   : greeting.result == DeskResult::rejected ? Flash::failure
                                                             : Flash::none;
    state_.flash_until =
        state_.flash == Flash::none ? milliseconds{0} : now + options_.flash_duration;
    if (state_.flash != Flash::none) {
      state_.sound = state_.flash == Flash::success ? Sound::success : Sound::failure;
      ++state_.sound_serial;
    }
    state_.outcome.reset();
    state_.desk_outcome = std::move(greeting);
    go(Screen::result, now);
    return;
  }
  show_outcome(checkin_->accept(scan), now);
}

void KioskApp::key(const KeyEvent& key, milliseconds now) {
  if (state_.screen == Screen::staff) return; // the widgets get keys in staff mode
  if (state_.screen == Screen::staff_pin) {
    // Nobody scans at the PIN pad; keys act at once.
    typed(key, now);
    return;
  }
  act_on(wedge_.feed(key), now);
}

void KioskApp::act_on(WedgeOutput out, milliseconds now) {
  for (auto& burst : out.bursts) {
    auto raw = raw_scan_now(std::move(burst), ScanSource::wedge);
    raw.at = options_.wall_clock();
    raw.monotonic = now;
    scan(raw, now);
  }
  for (const auto& person : out.typed)
    typed(person, now);
}

void KioskApp::typed(const KeyEvent& key, milliseconds now) {
  const bool enter = key.kind == KeyKind::enter;
  const char32_t c = key.kind == KeyKind::character ? key.character : 0;
  switch (state_.screen) {
  case Screen::attract:
    break; // a person typing at the door: nothing to do
  case Screen::result:
    if (enter) handle(DismissResult{}, now);
    if (c == U'l' || c == U'L') handle(LeaveInstead{}, now);
    break;
  case Screen::confirm_leave:
    if (enter || c == U'y' || c == U'Y') handle(AnswerLeave{true}, now);
    if (c == U'n' || c == U'N') handle(AnswerLeave{false}, now);
    break;
  case Screen::staff_pin:
    if (enter) handle(PinSubmit{}, now);
    if (c == U'\b') handle(PinBackspace{}, now);
    if (c >= U'0' && c <= U'9') handle(PinDigit{static_cast<char>(c)}, now);
    break;
  case Screen::staff:
    break;
  case Screen::survey: // 1..6 pick a choice; Esc (the window sends U+001B) skips
    if (c >= U'1' && c <= U'9') handle(AnswerSurvey{static_cast<std::size_t>(c - U'1')}, now);
    if (c == U'\x1b') handle(SkipSurvey{}, now);
    break;
  }
}

bool KioskApp::start_survey(milliseconds now) {
  if (checkin_->event().survey.empty() || !state_.outcome) return false;
  survey_answers_.clear();
  state_.survey_question = 0;
  state_.survey_answered = 0;
  state_.survey_message.clear();
  go(Screen::survey, now);
  return true;
}

void KioskApp::next_question(milliseconds now) {
  ++state_.survey_question;
  screen_since_ = now;
  if (state_.survey_question >= checkin_->event().survey.size()) {
    finish_survey(now);
    go(Screen::attract, now);
    return;
  }
  changed();
}

void KioskApp::finish_survey(milliseconds now) {
  if (survey_answers_.empty() || !state_.outcome) {
    survey_answers_.clear();
    return;
  }
  SurveyAnswers answers;
  answers.attendee_id = state_.outcome->attendee_id;
  answers.session_id = state_.outcome->session_id;
  answers.answers = std::move(survey_answers_);
  answers.at = options_.wall_clock();
  answers.monotonic = now;
  survey_answers_.clear();
  auto recorded = checkin_->record_survey(answers);
  state_.survey_message = recorded ? "Thank you: your answers were saved."
                                   : "Your answers were NOT saved: " + recorded.message();
  changed();
}

void KioskApp::submit_pin(milliseconds now) {
  auto checked = pin_->check(pin_entry_, options_.wall_clock());
  pin_entry_.clear();
  state_.pin_length = 0;
  if (!checked) {
    state_.pin_message = checked.message();
    changed();
    return;
  }
  switch (checked->verdict) {
  case PinVerdict::accepted:
    state_.pin_message.clear();
    go(Screen::staff, now);
    staff_.refresh();
    return;
  case PinVerdict::wrong:
    state_.pin_message = "Wrong PIN. " + std::to_string(checked->attempts_left) +
                         (checked->attempts_left == 1 ? " attempt" : " attempts") +
                         " left before a lockout.";
    break;
  case PinVerdict::locked:
    state_.pin_message =
        "Too many wrong PINs. Locked for " + std::to_string(checked->locked_for.count()) + " s.";
    break;
  case PinVerdict::not_set:
    state_.pin_message =
        "No staff PIN is set on this kiosk: set one with 'muster-kiosk set-staff-pin'.";
    break;
  }
  screen_since_ = now;
  changed();
}

void KioskApp::handle(const Intent& intent, milliseconds now) {
  std::visit([&](const auto& i) { handle(i, now); }, intent);
}

void KioskApp::handle(const DismissResult& /*intent*/, milliseconds now) {
  if (state_.screen == Screen::result) go(Screen::attract, now);
}

void KioskApp::handle(const AnswerLeave& intent, milliseconds now) {
  if (state_.screen != Screen::confirm_leave) return;
  auto outcome = checkin_->confirm_leave(intent.yes);
  if (!intent.yes) {
    go(Screen::attract, now);
    return;
  }
  const bool left = outcome.result == CheckinResult::left;
  show_outcome(std::move(outcome), now);
  // A recorded leave: the event's survey, if it has one (else the result screen stays).
  if (left) start_survey(now);
}

void KioskApp::handle(const LeaveInstead& /*intent*/, milliseconds now) {
  if (state_.screen != Screen::result || !checkin_->leave_instead_offered()) return;
  auto outcome = checkin_->leave_instead();
  const bool left = outcome.result == CheckinResult::left;
  show_outcome(std::move(outcome), now);
  if (left) start_survey(now);
}

void KioskApp::handle(const AnswerSurvey& intent, milliseconds now) {
  if (state_.screen != Screen::survey) return;
  const auto& survey = checkin_->event().survey;
  if (state_.survey_question >= survey.size()) return;
  const auto& question = survey[state_.survey_question];
  if (intent.choice >= question.choices.size()) return;
  survey_answers_.emplace_back(question.id, question.choices[intent.choice]);
  ++state_.survey_answered;
  next_question(now);
}

void KioskApp::handle(const SkipSurvey& /*intent*/, milliseconds now) {
  if (state_.screen == Screen::survey) next_question(now);
}

void KioskApp::handle(const OpenStaff& /*intent*/, milliseconds now) {
  if (state_.screen == Screen::staff || state_.screen == Screen::staff_pin) return;
  if (checkin_->leave_pending()) (void)checkin_->confirm_leave(false);
  if (state_.screen == Screen::survey) finish_survey(now);
  state_.pin_message.clear();
  if (const auto locked = pin_->locked_for(options_.wall_clock()); locked.count() > 0) {
    state_.pin_message =
        "Too many wrong PINs. Locked for " + std::to_string(locked.count()) + " s.";
  }
  go(Screen::staff_pin, now);
}

void KioskApp::handle(const PinDigit& intent, milliseconds now) {
  if (state_.screen != Screen::staff_pin || pin_entry_.size() >= 12) return;
  if (intent.digit < '0' || intent.digit > '9') return;
  pin_entry_ += intent.digit;
  state_.pin_length = pin_entry_.size();
  screen_since_ = now;
  changed();
}

void KioskApp::handle(const PinBackspace& /*intent*/, milliseconds now) {
  if (state_.screen != Screen::staff_pin || pin_entry_.empty()) return;
  pin_entry_.pop_back();
  state_.pin_length = pin_entry_.size();
  screen_since_ = now;
  changed();
}

void KioskApp::handle(const PinSubmit& /*intent*/, milliseconds now) {
  if (state_.screen == Screen::staff_pin) submit_pin(now);
}

void KioskApp::handle(const CloseStaff& /*intent*/, milliseconds now) {
  if (state_.screen == Screen::staff || state_.screen == Screen::staff_pin) {
    go(Screen::attract, now);
  }
}

bool KioskApp::staff_acts(milliseconds now) {
  if (state_.screen != Screen::staff) return false;
  screen_since_ = now;
  return true;
}

void KioskApp::handle(const StaffSearch& intent, milliseconds now) {
  if (staff_acts(now)) staff_.handle(intent);
}

void KioskApp::handle(const StaffPickSession& intent, milliseconds now) {
  if (staff_acts(now)) staff_.handle(intent);
}

void KioskApp::handle(const StaffManual& intent, milliseconds now) {
  if (staff_acts(now)) staff_.handle(intent, now);
}

void KioskApp::handle(const StaffExport& intent, milliseconds now) {
  if (staff_acts(now)) staff_.handle(intent);
}

void KioskApp::handle(const StaffWalkIn& intent, milliseconds now) {
  if (staff_acts(now)) staff_.handle(intent, now);
}

void KioskApp::handle(const StaffSetRoom& intent, milliseconds now) {
  if (staff_acts(now)) staff_.handle(intent);
}

void KioskApp::handle(const StaffDeskCheckIn& intent, milliseconds now) {
  if (staff_acts(now)) staff_.handle(intent, now);
}

void KioskApp::handle(const StaffDeskReprint& intent, milliseconds now) {
  if (staff_acts(now)) staff_.handle(intent, now);
}

void KioskApp::tick(milliseconds now) {
  if (state_.flash != Flash::none && now >= state_.flash_until) {
    state_.flash = Flash::none;
    changed();
  }
  if (wedge_.pending()) act_on(wedge_.poll(now), now);
  if (now >= next_clock_check_) check_clock(now);
  if (state_.screen == Screen::attract) {
    reload_if_package_changed(now);
    return;
  }
  const auto timeout = idle_timeout();
  if (!timeout || now - screen_since_ < *timeout) return;
  if (state_.screen == Screen::confirm_leave) {
    // The official scanned and walked away: the scan is kept as a leave nobody confirmed
    // (never dropped; the credit form says "not confirmed by the official").
    (void)checkin_->record_unanswered_leave();
  }
  // Walked away from the survey: the questions answered so far are kept.
  if (state_.screen == Screen::survey) finish_survey(now);
  go(Screen::attract, now);
}

std::optional<milliseconds> KioskApp::idle_timeout() const {
  switch (state_.screen) {
  case Screen::attract:
    return std::nullopt;
  case Screen::result:
    return options_.result_timeout;
  case Screen::confirm_leave:
    return options_.confirm_timeout;
  case Screen::staff_pin:
    return options_.pin_timeout;
  case Screen::staff:
    return options_.staff_timeout;
  case Screen::survey:
    return options_.survey_timeout;
  }
  return std::nullopt;
}

std::optional<milliseconds> KioskApp::next_deadline() const {
  std::optional<milliseconds> next;
  const auto consider = [&](milliseconds at) {
    if (!next || at < *next) next = at;
  };
  if (state_.flash != Flash::none) consider(state_.flash_until);
  if (wedge_.pending()) consider(milliseconds{0}); // poll soon: the caller clamps the wait
  if (state_.screen == Screen::attract) consider(next_package_check_);
  if (const auto timeout = idle_timeout()) consider(screen_since_ + *timeout);
  return next;
}

std::string KioskApp::state_json() const {
  nlohmann::ordered_json json;
  json["screen"] = to_string(state_.screen);
  json["revision"] = state_.revision;
  json["flash"] = to_string(state_.flash);
  json["sound"] = to_string(state_.sound);
  json["sound_serial"] = state_.sound_serial;
  // The survey screen follows a leave: its outcome (the leave) is described too.
  if (state_.outcome &&
      (state_.screen == Screen::result || state_.screen == Screen::confirm_leave ||
       state_.screen == Screen::survey)) {
    const auto& o = *state_.outcome;
    json["result"] = to_string(o.result);
    json["attendee"] =
        o.attendee_id.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(o.attendee_id);
    json["name"] = o.display_name;
    json["session"] =
        o.session_id.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(o.session_id);
    json["time"] = o.local_time;
    json["credit_eligible"] = o.credit_eligible;
    json["early"] = o.early;
    json["credit_hours"] = o.credit_hours;
    json["reason"] = o.reason;
    if (leave_instead_offered()) json["leave_instead"] = o.ended_session_title;
  }
  if (state_.screen == Screen::survey && state_.outcome) {
    const auto& survey = checkin_->event().survey;
    json["question"] = state_.survey_question < survey.size()
                           ? nlohmann::ordered_json(survey[state_.survey_question].id)
                           : nlohmann::ordered_json();
    json["answered"] = state_.survey_answered;
  }
  if (!state_.survey_message.empty() &&
      (state_.screen == Screen::survey || state_.screen == Screen::attract)) {
    json["survey_message"] = state_.survey_message;
  }
  if (state_.desk_outcome && state_.screen == Screen::result) {
    const auto& d = *state_.desk_outcome;
    json["desk_result"] = to_string(d.result);
    json["attendee"] =
        d.attendee_id.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(d.attendee_id);
    json["name"] = d.display_name;
    json["checked_in_at"] = d.checked_in_local;
    json["sessions"] = d.sessions.size();
    json["reason"] = d.reason;
  }
  if (!state_.clock_warning.empty()) json["clock_warning"] = state_.clock_warning;
  if (state_.screen == Screen::staff_pin) {
    json["pin_length"] = state_.pin_length;
    json["pin_message"] = state_.pin_message;
  }
  if (state_.screen == Screen::staff) {
    json["session"] = state_.staff_session_id;
    json["query"] = state_.staff_query;
    auto results = nlohmann::ordered_json::array();
    for (const auto& a : state_.search_results)
      results.push_back(a.id);
    json["search_results"] = results;
    json["rows"] = state_.door_rows.size();
    json["inside"] = state_.inside_count;
    json["queued"] = state_.sync.queued;
    json["device_id"] = state_.sync.device_id;
    json["key_fingerprint"] = state_.sync.key_fingerprint;
    json["room"] = checkin_->room();
    json["last_walk_in"] = state_.last_walk_in;
    json["message"] = state_.staff_message;
  }
  return json.dump();
}

} // namespace muster::kiosk
