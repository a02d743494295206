#include "kiosk/app/kiosk_app.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "kiosk/app/kiosk_settings.hpp"
#include "kiosk/app/package_import.hpp"
#include "kiosk/app/walk_in.hpp"
#include "shared/clock_correction.hpp"
#include "shared/credit.hpp"
#include "shared/csv.hpp"
#include "shared/hours.hpp"
#include "shared/presence.hpp"
#include "shared/scan_export.hpp"
#include "shared/time.hpp"

namespace muster::kiosk {

namespace {

using std::chrono::milliseconds;

std::string full_name(const Attendee& attendee) {
  return attendee.first_name + " " + attendee.last_name;
}

} // namespace

std::string_view to_string(Screen screen) {
  switch (screen) {
  case Screen::attract:
    return "attract";
  case Screen::result:
    return "result";
  case Screen::confirm_leave:
    return "confirm_leave";
  case Screen::staff_pin:
    return "staff_pin";
  case Screen::staff:
    return "staff";
  case Screen::survey:
    return "survey";
  }
  return "attract";
}

std::string_view to_string(Flash flash) {
  switch (flash) {
  case Flash::none:
    return "none";
  case Flash::success:
    return "success";
  case Flash::failure:
    return "failure";
  }
  return "none";
}

std::string_view to_string(Sound sound) {
  switch (sound) {
  case Sound::none:
    return "none";
  case Sound::success:
    return "success";
  case Sound::failure:
    return "failure";
  }
  return "none";
}

KioskApp::KioskApp(KioskStore& store, Checkin& checkin, StaffPin& pin, KioskAppOptions options)
    : store_(&store), checkin_(&checkin), pin_(&pin), options_(std::move(options)) {
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

std::vector<std::string> KioskApp::rooms() const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& session : checkin_->event().sessions) {
    if (session.room.empty()) continue;
    if (seen.insert(fold_for_search(session.room)).second) out.push_back(session.room);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Session> KioskApp::door_sessions() const {
  std::vector<Session> out;
  const auto folded_room = fold_for_search(checkin_->room());
  for (const auto& session : checkin_->event().sessions) {
    if (folded_room.empty() || fold_for_search(session.room) == folded_room) {
      out.push_back(session);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Session& a, const Session& b) { return a.start < b.start; });
  return out;
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
    staff_note("A badge scan is not recorded in staff mode: leave staff mode first.", true);
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
  auto out = wedge_.feed(key);
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
    refresh_staff();
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
  std::visit(
      [&](const auto& i) {
        using T = std::decay_t<decltype(i)>;
        if constexpr (std::is_same_v<T, DismissResult>) {
          if (state_.screen == Screen::result) go(Screen::attract, now);
        } else if constexpr (std::is_same_v<T, LeaveInstead>) {
          if (state_.screen != Screen::result || !checkin_->leave_instead_offered()) return;
          auto outcome = checkin_->leave_instead();
          const bool left = outcome.result == CheckinResult::left;
          show_outcome(std::move(outcome), now);
          if (left) start_survey(now);
        } else if constexpr (std::is_same_v<T, AnswerLeave>) {
          if (state_.screen != Screen::confirm_leave) return;
          auto outcome = checkin_->confirm_leave(i.yes);
          if (!i.yes) {
            go(Screen::attract, now);
            return;
          }
          const bool left = outcome.result == CheckinResult::left;
          show_outcome(std::move(outcome), now);
          // A recorded leave: the event's survey, if it has one (else the result screen stays).
          if (left) start_survey(now);
        } else if constexpr (std::is_same_v<T, AnswerSurvey>) {
          if (state_.screen != Screen::survey) return;
          const auto& survey = checkin_->event().survey;
          if (state_.survey_question >= survey.size()) return;
          const auto& question = survey[state_.survey_question];
          if (i.choice >= question.choices.size()) return;
          survey_answers_.emplace_back(question.id, question.choices[i.choice]);
          ++state_.survey_answered;
          next_question(now);
        } else if constexpr (std::is_same_v<T, SkipSurvey>) {
          if (state_.screen == Screen::survey) next_question(now);
        } else if constexpr (std::is_same_v<T, OpenStaff>) {
          if (state_.screen == Screen::staff || state_.screen == Screen::staff_pin) return;
          if (checkin_->leave_pending()) (void)checkin_->confirm_leave(false);
          if (state_.screen == Screen::survey) finish_survey(now);
          state_.pin_message.clear();
          if (const auto locked = pin_->locked_for(options_.wall_clock()); locked.count() > 0) {
            state_.pin_message =
                "Too many wrong PINs. Locked for " + std::to_string(locked.count()) + " s.";
          }
          go(Screen::staff_pin, now);
        } else if constexpr (std::is_same_v<T, PinDigit>) {
          if (state_.screen != Screen::staff_pin || pin_entry_.size() >= 12) return;
          if (i.digit < '0' || i.digit > '9') return;
          pin_entry_ += i.digit;
          state_.pin_length = pin_entry_.size();
          screen_since_ = now;
          changed();
        } else if constexpr (std::is_same_v<T, PinBackspace>) {
          if (state_.screen != Screen::staff_pin || pin_entry_.empty()) return;
          pin_entry_.pop_back();
          state_.pin_length = pin_entry_.size();
          screen_since_ = now;
          changed();
        } else if constexpr (std::is_same_v<T, PinSubmit>) {
          if (state_.screen == Screen::staff_pin) submit_pin(now);
        } else if constexpr (std::is_same_v<T, CloseStaff>) {
          if (state_.screen == Screen::staff || state_.screen == Screen::staff_pin) {
            go(Screen::attract, now);
          }
        } else if constexpr (std::is_same_v<T, StaffSearch>) {
          if (state_.screen != Screen::staff) return;
          screen_since_ = now;
          state_.staff_query = i.query;
          state_.search_results.clear();
          if (!i.query.empty()) {
            auto found = store_->search_roster(i.query, 20);
            if (found) {
              state_.search_results = std::move(*found);
            } else {
              staff_note("Search failed: " + found.message(), true);
            }
          }
          changed();
        } else if constexpr (std::is_same_v<T, StaffPickSession>) {
          if (state_.screen != Screen::staff) return;
          screen_since_ = now;
          if (auto set = checkin_->set_session_override(i.session_id); !set) {
            staff_note("Could not set the session: " + set.message(), true);
            return;
          }
          refresh_staff();
          staff_note(i.session_id ? "This door now records " + state_.staff_session_title + "."
                                  : "This door picks its session from the schedule again.",
                     false);
        } else if constexpr (std::is_same_v<T, StaffManual>) {
          if (state_.screen != Screen::staff) return;
          screen_since_ = now;
          StaffCorrection correction;
          correction.attendee_id = i.attendee_id;
          correction.session_id = state_.staff_session_id;
          correction.kind = i.kind;
          correction.effective_time = options_.wall_clock();
          correction.at = correction.effective_time;
          correction.monotonic = now;
          correction.staff_id = options_.staff_id;
          correction.reason = i.reason;
          const auto outcome = checkin_->correct(correction);
          const bool done = outcome.recorded.has_value();
          refresh_staff();
          staff_note(done ? "Recorded: " + outcome.display_name + " " +
                                std::string(i.kind == Correction::leave ? "left" : "arrived") +
                                " at " + outcome.local_time + " (staff correction)."
                          : "Not recorded: " + outcome.detail,
                     !done);
        } else if constexpr (std::is_same_v<T, StaffDeskCheckIn>) {
          if (state_.screen != Screen::staff) return;
          screen_since_ = now;
          if (options_.desk == nullptr)
            return staff_note("This kiosk is not a desk (--desk).", true);
          const auto done = options_.desk->check_in_by_staff(i.attendee_id, options_.staff_id,
                                                             i.reason, options_.wall_clock(), now);
          refresh_staff();
          staff_note(done.result == DeskResult::checked_in
                         ? "Checked in: " + done.display_name + " at " + done.checked_in_local +
                               " (by staff, no badge)."
                     : done.result == DeskResult::already_checked_in
                         ? done.display_name + " was already checked in at " +
                               done.checked_in_local + "."
                         : "Not checked in: " + done.detail,
                     done.result == DeskResult::rejected);
        } else if constexpr (std::is_same_v<T, StaffDeskReprint>) {
          if (state_.screen != Screen::staff) return;
          screen_since_ = now;
          if (options_.desk == nullptr)
            return staff_note("This kiosk is not a desk (--desk).", true);
          const auto reprint = options_.desk->reprint(i.attendee_id, options_.staff_id, i.reason,
                                                      options_.wall_clock(), now, i.old_serial);
          state_.desk_reprint_image = reprint.ok ? reprint.image.string() : std::string();
          refresh_staff();
          staff_note(reprint.message, !reprint.ok);
        } else if constexpr (std::is_same_v<T, StaffExport>) {
          if (state_.screen != Screen::staff) return;
          screen_since_ = now;
          auto written = export_csv(i.folder);
          staff_note(written ? "Exported " + written->string()
                             : "Export failed: " + written.message(),
                     !written);
        } else if constexpr (std::is_same_v<T, StaffWalkIn>) {
          if (state_.screen != Screen::staff) return;
          screen_since_ = now;
          const WalkInForm form{i.first_name, i.last_name, i.municipality, i.role, i.reason};
          auto registered = register_walk_in(*store_, *checkin_, form, options_.staff_id,
                                             options_.wall_clock(), now);
          if (!registered) {
            staff_note("Walk-in not registered: " + registered.message(), true);
            return;
          }
          state_.last_walk_in = registered->attendee.id;
          refresh_staff();
          const auto& who = registered->attendee;
          std::string note = "Registered walk-in " + who.first_name + " " + who.last_name + " (" +
                             who.id + ", provisional until the League confirms)";
          if (!registered->arrival) {
            note += "; no session at this door now, so no arrival was recorded.";
          } else if (registered->arrival->recorded) {
            note += "; arrived at " + registered->arrival->local_time + ".";
          } else {
            note += "; arrival NOT recorded: " + registered->arrival->detail;
          }
          staff_note(std::move(note),
                     registered->arrival && !registered->arrival->recorded.has_value());
        } else if constexpr (std::is_same_v<T, StaffSetRoom>) {
          if (state_.screen != Screen::staff) return;
          screen_since_ = now;
          const auto known = rooms();
          const auto folded = fold_for_search(i.room);
          if (!folded.empty() &&
              std::none_of(known.begin(), known.end(),
                           [&](const std::string& r) { return fold_for_search(r) == folded; })) {
            staff_note("No session of this event is in room '" + i.room + "'.", true);
            return;
          }
          // A door that moves records the sessions of its new room: a session pick would pin it
          // to the old one.
          if (auto cleared = checkin_->set_session_override(std::nullopt); !cleared) {
            staff_note("Could not change the room: " + cleared.message(), true);
            return;
          }
          if (auto set = checkin_->set_room(i.room); !set) {
            staff_note("Could not change the room: " + set.message(), true);
            return;
          }
          refresh_staff();
          staff_note(checkin_->room().empty() ? "This door now takes sessions of all rooms."
                                              : "This door is now in " + checkin_->room() + ".",
                     false);
        }
      },
      intent);
}

void KioskApp::tick(milliseconds now) {
  if (state_.flash != Flash::none && now >= state_.flash_until) {
    state_.flash = Flash::none;
    changed();
  }
  if (wedge_.pending()) {
    auto out = wedge_.poll(now);
    for (auto& burst : out.bursts) {
      auto raw = raw_scan_now(std::move(burst), ScanSource::wedge);
      raw.at = options_.wall_clock();
      raw.monotonic = now;
      scan(raw, now);
    }
    for (const auto& person : out.typed)
      typed(person, now);
  }
  if (now >= next_clock_check_) check_clock(now);
  const auto idle = now - screen_since_;
  switch (state_.screen) {
  case Screen::attract:
    reload_if_package_changed(now);
    break;
  case Screen::result:
    if (idle >= options_.result_timeout) go(Screen::attract, now);
    break;
  case Screen::confirm_leave:
    if (idle >= options_.confirm_timeout) {
      // The official scanned and walked away: the scan is kept as a leave nobody confirmed
      // (never dropped; the credit form says "not confirmed by the official").
      (void)checkin_->record_unanswered_leave();
      go(Screen::attract, now);
    }
    break;
  case Screen::staff_pin:
    if (idle >= options_.pin_timeout) go(Screen::attract, now);
    break;
  case Screen::staff:
    if (idle >= options_.staff_timeout) go(Screen::attract, now);
    break;
  case Screen::survey: // walked away: the questions answered so far are kept
    if (idle >= options_.survey_timeout) {
      finish_survey(now);
      go(Screen::attract, now);
    }
    break;
  }
}

std::optional<milliseconds> KioskApp::next_deadline() const {
  std::optional<milliseconds> next;
  const auto consider = [&](milliseconds at) {
    if (!next || at < *next) next = at;
  };
  if (state_.flash != Flash::none) consider(state_.flash_until);
  if (wedge_.pending()) consider(milliseconds{0}); // poll soon: the caller clamps the wait
  switch (state_.screen) {
  case Screen::attract:
    consider(next_package_check_);
    break;
  case Screen::result:
    consider(screen_since_ + options_.result_timeout);
    break;
  case Screen::confirm_leave:
    consider(screen_since_ + options_.confirm_timeout);
    break;
  case Screen::staff_pin:
    consider(screen_since_ + options_.pin_timeout);
    break;
  case Screen::staff:
    consider(screen_since_ + options_.staff_timeout);
    break;
  case Screen::survey:
    consider(screen_since_ + options_.survey_timeout);
    break;
  }
  return next;
}

void KioskApp::staff_note(std::string message, bool error) {
  state_.staff_message = std::move(message);
  state_.staff_message_error = error;
  changed();
}

void KioskApp::refresh_staff() {
  const auto session = door_session();
  state_.staff_session_id = session ? session->id : "";
  state_.staff_session_title = session ? session->title : "";
  state_.door_rows = session ? session_rows(*session) : std::vector<DoorRow>{};
  state_.inside_count = static_cast<std::size_t>(std::count_if(
      state_.door_rows.begin(), state_.door_rows.end(), [](const DoorRow& r) { return r.inside; }));
  state_.sync = {};
  if (auto queued = store_->unacked_count()) state_.sync.queued = *queued;
  state_.sync.last_success = setting_or(*store_, kSettingSyncLastSuccess, "");
  state_.sync.last_error = setting_or(*store_, kSettingSyncLastError, "");
  state_.sync.branch_note = setting_or(*store_, kSettingSyncBranchNote, "");
  state_.sync.device_id = checkin_->device_id();
  if (auto key = device_key(*store_); key && key->has_value()) {
    state_.sync.key_fingerprint = key_fingerprint((*key)->public_key());
  }
  changed();
}

std::vector<DoorRow> KioskApp::session_rows(const Session& session) const {
  std::vector<DoorRow> rows;
  const auto& event = checkin_->event();
  // Everyone this door or another door of the room saw: the rule may place a scan in this
  // session that a door recorded for the room's next or last one.
  std::vector<std::string> room_sessions;
  for (const auto& s : event.sessions) {
    if (same_room(s.room, session.room)) room_sessions.push_back(s.id);
  }
  auto people = store_->attendees_seen_in(room_sessions);
  if (!people) return rows;
  auto rules = presence_rules(event.credit_policy);
  rules.lead_time = checkin_->lead_time();
  const Instant now = options_.wall_clock() + std::chrono::milliseconds(clock_offset_ms(*store_));
  for (const auto& attendee_id : *people) {
    auto scans = store_->known_scans_for_attendee(attendee_id);
    if (!scans) continue;
    DoorRow row;
    row.session_id = session.id;
    row.attendee_id = attendee_id;
    row.provisional = is_walk_in_id(attendee_id);
    Role role = Role::guest;
    if (auto attendee = store_->attendee(attendee_id)) {
      row.name = full_name(*attendee);
      row.municipality = attendee->municipality;
      role = attendee->role;
      row.role = std::string(to_string(role));
    } else {
      row.name = attendee_id;
    }
    // The same rule as the server's credit (shared/presence.hpp), over every door's scans.
    const Presence presence = resolve_presence(event, *scans, rules, event.timezone);
    bool placed_here = false;
    for (const auto& [id, counted] : presence.by_session) {
      if (id != session.id) continue;
      placed_here = true;
      const auto attendance = compute_attendance(
          session, event.credit_policy, grants_credit(event, role), counted, event.timezone);
      row.eligible = attendance.eligible;
      row.credit_hours = attendance.credit_hours;
      row.early_leave = attendance.early_leave;
      row.inside = inside_at(event, presence, session.id, now);
      if (attendance.first_arrival) {
        row.arrival = format_local(*attendance.first_arrival, event.timezone, "%H:%M");
      }
      if (attendance.final_leave && !row.inside) {
        row.leave = format_local(*attendance.final_leave, event.timezone, "%H:%M");
      }
    }
    if (placed_here) rows.push_back(std::move(row));
  }
  std::sort(rows.begin(), rows.end(),
            [](const DoorRow& a, const DoorRow& b) { return a.name < b.name; });
  return rows;
}

Result<std::filesystem::path, StoreError>
KioskApp::export_csv(const std::filesystem::path& folder) const {
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) {
    return fail(StoreError::not_found, "no such folder: " + folder.string());
  }
  const auto& event = checkin_->event();
  const auto now = options_.wall_clock();
  const auto file = folder / ("muster-" + checkin_->device_id() + "-" +
                              format_local(now, event.timezone, "%Y%m%d-%H%M%S") + ".csv");
  std::ostringstream out;
  out << "event_id,session_id,session_title,room,attendee_id,name,municipality,role,arrival,"
         "leave,inside,early_leave,credit_eligible,credit_hours,provisional\n";
  for (const auto& session : event.sessions) {
    for (const auto& row : session_rows(session)) {
      out << csv_cell(event.id) << ',' << csv_cell(session.id) << ',' << csv_cell(session.title)
          << ',' << csv_cell(session.room) << ',' << csv_cell(row.attendee_id) << ','
          << csv_cell(row.name) << ',' << csv_cell(row.municipality) << ',' << csv_cell(row.role)
          << ',' << row.arrival << ',' << row.leave << ',' << (row.inside ? "yes" : "no") << ','
          << (row.early_leave ? "yes" : "no") << ',' << (row.eligible ? "yes" : "no") << ','
          << format_hours(row.credit_hours, HoursStyle::two_decimals) << ','
          << (row.provisional ? "yes" : "no") << '\n';
    }
  }
  const auto temporary = file.string() + ".part";
  {
    std::ofstream stream(temporary, std::ios::binary | std::ios::trunc);
    stream << out.str();
    stream.flush();
    if (!stream) return fail(StoreError::io, "cannot write " + temporary);
  }
  std::filesystem::rename(temporary, file, ec);
  if (ec) return fail(StoreError::io, "cannot write " + file.string() + ": " + ec.message());
  return file;
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
