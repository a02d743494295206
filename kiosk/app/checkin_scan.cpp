// A scan through Checkin: verified offline, placed by the presence rule over every door's scans
// this kiosk knows of, recorded durably before the outcome says so; the "Leaving early?" and "I
// am leaving" answers, and the survey after a leave.
#include "kiosk/app/checkin.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <utility>

#include <nlohmann/json.hpp>

#include "kiosk/app/checkin_support.hpp"
#include "shared/credit.hpp"
#include "shared/presence.hpp"
#include "shared/time.hpp"

namespace muster::kiosk {

namespace {

struct ReasonText {
  CheckinReason reason;
  std::string_view code;
  std::string_view words;
};

constexpr std::array<ReasonText, 13> kReasons{{
    {CheckinReason::none, "none", ""},
    {CheckinReason::unknown_badge, "unknown_badge", "unknown badge"},
    {CheckinReason::forged, "forged", "forged badge"},
    {CheckinReason::revoked, "revoked", "revoked badge"},
    {CheckinReason::other_event, "other_event", "other event"},
    {CheckinReason::outdated_kiosk, "outdated_kiosk", "newer badge format"},
    {CheckinReason::no_session, "no_session", "no session now at this door"},
    {CheckinReason::not_recorded, "not_recorded", "not recorded"},
    {CheckinReason::invalid_correction, "invalid_correction", "invalid correction"},
    {CheckinReason::duplicate, "duplicate", "duplicate scan"},
    {CheckinReason::empty_scan, "empty_scan", "empty scan"},
    {CheckinReason::leave_cancelled, "leave_cancelled", "leave cancelled"},
    {CheckinReason::nothing_to_confirm, "nothing_to_confirm", "nothing to confirm"},
}};

std::string detail_for(BadgeError error) {
  switch (error) {
  case BadgeError::malformed:
    return "This is not a Muster badge. Please see the registration desk.";
  case BadgeError::unsupported_version:
    return "This badge uses a newer format than this kiosk knows. Please tell staff.";
  case BadgeError::other_league:
    return "This badge is for another League's event.";
  case BadgeError::unknown_key:
    return "This badge was signed by a key this kiosk does not trust. Please see the "
           "registration desk.";
  case BadgeError::bad_signature:
    return "This badge's signature does not match: it was altered or forged.";
  case BadgeError::revoked_serial:
    return "This badge was replaced or cancelled. Please use your new badge or see the "
           "registration desk.";
  }
  return "This badge cannot be read.";
}

} // namespace

namespace checkin_support {

std::string_view trim(std::string_view text) {
  const auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!text.empty() && is_space(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_space(text.back()))
    text.remove_suffix(1);
  return text;
}

void set_reason(CheckinOutcome& outcome, CheckinResult result, CheckinReason reason,
                std::string detail) {
  outcome.result = result;
  outcome.code = reason;
  outcome.reason = std::string(reason_words(reason));
  outcome.detail = std::move(detail);
}

} // namespace checkin_support

using checkin_support::set_reason;
using checkin_support::trim;

std::string_view to_string(CheckinResult result) {
  switch (result) {
  case CheckinResult::arrived:
    return "arrived";
  case CheckinResult::left:
    return "left";
  case CheckinResult::rejected:
    return "rejected";
  case CheckinResult::ignored:
    return "ignored";
  case CheckinResult::confirm_leave:
    return "confirm_leave";
  case CheckinResult::corrected:
    return "corrected";
  }
  return "ignored";
}

std::string_view to_string(CheckinReason reason) {
  for (const auto& entry : kReasons) {
    if (entry.reason == reason) return entry.code;
  }
  return "none";
}

std::string_view reason_words(CheckinReason reason) {
  for (const auto& entry : kReasons) {
    if (entry.reason == reason) return entry.words;
  }
  return "";
}

CheckinReason reason_for(BadgeError error) {
  switch (error) {
  case BadgeError::malformed:
    return CheckinReason::unknown_badge;
  case BadgeError::unsupported_version:
    return CheckinReason::outdated_kiosk;
  case BadgeError::other_league:
    return CheckinReason::other_event;
  case BadgeError::unknown_key:
    return CheckinReason::unknown_badge;
  case BadgeError::bad_signature:
    return CheckinReason::forged;
  case BadgeError::revoked_serial:
    return CheckinReason::revoked;
  }
  return CheckinReason::unknown_badge;
}

CheckinOutcome Checkin::base_outcome(Instant at) const {
  CheckinOutcome outcome;
  outcome.at = at;
  const auto& zone = event_.timezone.empty() ? std::string("UTC") : event_.timezone;
  outcome.local_time = format_local(at, zone, "%H:%M");
  outcome.local_date_time = format_local(at, zone);
  return outcome;
}

void Checkin::describe_attendee(CheckinOutcome& outcome, std::string_view attendee_id) const {
  outcome.attendee_id = std::string(attendee_id);
  auto attendee = store_->attendee(attendee_id);
  if (attendee) {
    outcome.display_name = full_name(*attendee);
    outcome.credit_eligible = grants_credit(event_, attendee->role); // the event's programs
    outcome.attendee = std::move(*attendee);
  } else {
    // The badge verified, so the League issued it: someone registered after the last sync.
    outcome.display_name = "Attendee " + std::string(attendee_id);
    outcome.credit_eligible = false;
  }
}

void Checkin::describe_session(CheckinOutcome& outcome, const Session& session) const {
  outcome.session_id = session.id;
  outcome.session_title = session.title;
  outcome.room = session.room;
}

void Checkin::add_credit(CheckinOutcome& outcome, const Session& session,
                         std::span<const Scan> scans) const {
  const Role role = outcome.attendee ? outcome.attendee->role : Role::guest;
  const bool eligible = grants_credit(event_, role);
  outcome.early = false;
  outcome.credit_hours = 0;
  // The same rule the server credits by: every door's scans this kiosk knows of.
  for (const auto& item : compute_event_attendance(
           event_, [eligible](const Session&) { return eligible; }, scans, zone())) {
    if (item.session.id != session.id) continue;
    outcome.early = item.attendance.early_leave;
    outcome.credit_hours = item.attendance.credit_hours;
    outcome.credit_eligible = item.attendance.eligible;
  }
}

Scan Checkin::draft_scan(const RawScan& scan, const Badge& badge, const Session& session,
                         ScanKind kind, std::string_view details) const {
  Scan draft;
  draft.device_id = device_id_;
  draft.attendee_id = badge.attendee_id;
  draft.badge_serial = badge.serial;
  draft.badge_payload = std::string(trim(scan.text));
  draft.session_id = session.id;
  draft.kind = kind;
  draft.wall_time = scan.at;
  draft.monotonic_ms = scan.monotonic.count();
  // The kiosk's best estimate: exact from this boot's clock sample, else the last measured one.
  draft.clock_offset_ms = clock_view(scan.at, scan.monotonic).offset_ms;
  draft.boot_id = boot_id_;
  draft.details = std::string(details);
  return draft;
}

CheckinOutcome Checkin::record(const RawScan& scan, const Badge& badge, const Session& session,
                               ScanKind kind, std::string_view details) {
  auto outcome = base_outcome(scan.at);
  describe_attendee(outcome, badge.attendee_id);
  describe_session(outcome, session);
  auto stored = store_->append_scan(draft_scan(scan, badge, session, kind, details));
  if (!stored) {
    set_reason(outcome, CheckinResult::rejected, CheckinReason::not_recorded,
               "This scan was NOT recorded: " + stored.message() + ". Please tell staff.");
    return outcome;
  }
  outcome.result = kind == ScanKind::leave ? CheckinResult::left : CheckinResult::arrived;
  outcome.recorded = *stored;
  if (kind == ScanKind::leave) {
    auto history = store_->known_scans_for_attendee(badge.attendee_id);
    if (history) {
      add_credit(outcome, session, *history);
    } else {
      add_credit(outcome, session, std::span<const Scan>(&*stored, 1));
    }
  }
  return outcome;
}

CheckinOutcome Checkin::accept(const RawScan& scan) {
  pending_leave_.reset();
  pending_break_.reset();
  auto outcome = base_outcome(scan.at);
  const auto text = trim(scan.text);
  if (text.empty()) {
    set_reason(outcome, CheckinResult::ignored, CheckinReason::empty_scan, "Nothing was read.");
    return outcome;
  }
  auto verified = trust_->verify(text, scan.at);
  if (!verified) {
    const auto reason = reason_for(verified.code());
    set_reason(outcome, CheckinResult::rejected, reason, detail_for(verified.code()));
    if (const auto session = door_session(scan.at)) describe_session(outcome, *session);
    return outcome;
  }
  const Badge& badge = *verified;
  describe_attendee(outcome, badge.attendee_id);
  const ClockView clock = clock_view(scan.at, scan.monotonic);
  // A wall clock this boot's sample proves wrong does not choose the session; true time does.
  auto session = door_session(clock.verified ? clock.estimate(scan.at) : scan.at);
  // A kiosk that synced before but whose clock since a reboot shows a day outside the event
  // cannot tell the session: the door keeps recording (in the room's first session; the server
  // places it by room and corrected time once a sample of this boot arrives, or flags it).
  const bool clock_lost =
      !clock.verified && clock.suspect && clock.synced_before && boot_id_ != kSimulatedBootId;
  if (!session && clock_lost) session = room_fallback_session();
  if (session) describe_session(outcome, *session);

  auto revoked = store_->is_revoked(badge.serial);
  if (!revoked) {
    set_reason(outcome, CheckinResult::rejected, CheckinReason::not_recorded,
               "This scan was NOT recorded: " + revoked.message() + ". Please tell staff.");
    return outcome;
  }
  if (*revoked) {
    set_reason(outcome, CheckinResult::rejected, CheckinReason::revoked,
               detail_for(BadgeError::revoked_serial));
    return outcome;
  }
  auto history = store_->known_scans_for_attendee(badge.attendee_id);
  if (!history) {
    set_reason(outcome, CheckinResult::rejected, CheckinReason::not_recorded,
               "This scan was NOT recorded: " + history.message() + ". Please tell staff.");
    return outcome;
  }
  if (!session) {
    set_reason(outcome, CheckinResult::rejected, CheckinReason::no_session,
               "There is no session now at this door" +
                   (room_.empty() ? std::string(".") : " (" + room_ + ").") +
                   " Please check the schedule.");
    return outcome;
  }
  return place(scan, badge, *session, *history, clock_lost, std::move(outcome));
}

CheckinOutcome Checkin::place(const RawScan& scan, const Badge& badge, const Session& session,
                              std::vector<Scan>& history, bool clock_lost, CheckinOutcome outcome) {
  // What this scan is, by the presence rule over every door's scans this kiosk knows of: the
  // same rule the server credits by (shared/presence.hpp).
  const Presence before = resolve_presence(event_, history, rules(), zone());
  Scan candidate = draft_scan(scan, badge, session, ScanKind::arrive);
  candidate.sequence = std::numeric_limits<std::uint64_t>::max(); // after all of this door's
  history.push_back(candidate);
  const Presence after = resolve_presence(event_, history, rules(), zone());
  const auto placed =
      std::find_if(after.placed.begin(), after.placed.end(),
                   [&](const PlacedScan& p) { return p.index == history.size() - 1; });
  if ((placed == after.placed.end() || placed->action == PresenceAction::unplaced) && clock_lost) {
    return record(scan, badge, session, ScanKind::arrive);
  }
  if (placed == after.placed.end() || placed->action == PresenceAction::unplaced) {
    set_reason(outcome, CheckinResult::rejected, CheckinReason::no_session,
               "There is no session now at this door. Please check the schedule.");
    return outcome;
  }
  if (placed->action == PresenceAction::duplicate) {
    set_reason(outcome, CheckinResult::ignored, CheckinReason::duplicate,
               "Already scanned; scans within " +
                   std::to_string(event_.credit_policy.debounce.count()) +
                   " s at any door of this room count once.");
    return outcome;
  }
  const Session* target = find_session(placed->session_id);
  if (target == nullptr) target = &session;
  describe_session(outcome, *target);

  if (placed->action != PresenceAction::leave) {
    auto arrived = record(scan, badge, *target, ScanKind::arrive);
    // The break: inside the room's last session until it ended, this scan is an arrival for the
    // next one; the window offers "I am leaving" to an official who meant to go home.
    const Session* ended = before.inside ? find_session(*before.inside) : nullptr;
    if (arrived.result == CheckinResult::arrived && ended != nullptr && ended->id != target->id &&
        same_room(ended->room, target->room) && placed->time >= ended->end) {
      arrived.ended_session_title = ended->title;
      pending_break_ = PendingLeave{scan, badge, *target};
    }
    return arrived;
  }
  if (!options_.confirm_leaves) return record(scan, badge, *target, ScanKind::leave);

  // UI: ask "Leaving early?" first, showing what leaving now would mean.
  history.back().kind = ScanKind::leave;
  history.back().session_id = target->id;
  add_credit(outcome, *target, history);
  outcome.result = CheckinResult::confirm_leave;
  outcome.detail = "Leaving early? Credit is only for the time you attend.";
  pending_leave_ = PendingLeave{scan, badge, *target};
  return outcome;
}

CheckinOutcome Checkin::confirm_leave(bool yes) {
  if (!pending_leave_) {
    return nothing_to_confirm("There is no leave waiting for confirmation.");
  }
  auto pending = std::move(*pending_leave_);
  pending_leave_.reset();
  if (!yes) {
    // "No, I am staying" is a fact too: it outranks the alternation, on every door and the
    // server, so the official stays inside (design.md, "Presence across doors").
    auto outcome =
        record(pending.scan, pending.badge, pending.session, ScanKind::arrive, kStayingDetails);
    if (outcome.result == CheckinResult::rejected) return outcome;
    set_reason(outcome, CheckinResult::ignored, CheckinReason::leave_cancelled,
               "Not leaving: you are still checked in.");
    return outcome;
  }
  // The official answered "Leaving early?" at this kiosk: the leave says so (credit forms show
  // "confirmed at kiosk"); headless leaves and staff corrections carry no such details.
  return record(pending.scan, pending.badge, pending.session, ScanKind::leave,
                kConfirmedAtKioskDetails);
}

CheckinOutcome Checkin::nothing_to_confirm(std::string detail) const {
  auto outcome = base_outcome(wall_clock_now());
  set_reason(outcome, CheckinResult::ignored, CheckinReason::nothing_to_confirm, std::move(detail));
  return outcome;
}

CheckinOutcome Checkin::record_unanswered_leave() {
  if (!pending_leave_) {
    return nothing_to_confirm("There is no leave waiting for confirmation.");
  }
  auto pending = std::move(*pending_leave_);
  pending_leave_.reset();
  return record(pending.scan, pending.badge, pending.session, ScanKind::leave);
}

CheckinOutcome Checkin::leave_instead() {
  if (!pending_break_) {
    return nothing_to_confirm("There is no arrival to turn into a leave.");
  }
  auto pending = std::move(*pending_break_);
  pending_break_.reset();
  // At the same moment as the arrival: the next session gets no time, the last one keeps its
  // credit to its end. Recorded as the official's own answer, which outranks the rule.
  return record(pending.scan, pending.badge, pending.session, ScanKind::leave,
                kConfirmedAtKioskDetails);
}

Result<Scan, StoreError> Checkin::record_survey(const SurveyAnswers& answers) {
  if (answers.answers.empty()) return fail(StoreError::invalid, "no survey answers to record");
  nlohmann::json by_id = nlohmann::json::object();
  for (const auto& [id, choice] : answers.answers) {
    const auto question = std::find_if(event_.survey.begin(), event_.survey.end(),
                                       [&](const SurveyQuestion& q) { return q.id == id; });
    if (question == event_.survey.end() ||
        std::find(question->choices.begin(), question->choices.end(), choice) ==
            question->choices.end()) {
      return fail(StoreError::invalid,
                  "'" + choice + "' is not a choice of survey question '" + id + "'");
    }
    by_id[id] = choice;
  }
  Scan draft;
  draft.device_id = device_id_;
  draft.attendee_id = answers.attendee_id;
  draft.session_id = answers.session_id;
  draft.kind = ScanKind::survey;
  draft.wall_time = answers.at;
  draft.monotonic_ms = answers.monotonic.count();
  draft.clock_offset_ms = clock_view(answers.at, answers.monotonic).offset_ms;
  draft.boot_id = boot_id_;
  draft.details = nlohmann::json{{"answers", std::move(by_id)}}.dump();
  return store_->append_scan(std::move(draft));
}

} // namespace muster::kiosk
