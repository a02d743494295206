#include "kiosk/app/checkin.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

#include <nlohmann/json.hpp>

#include "shared/credit.hpp"
#include "shared/presence.hpp"
#include "shared/text.hpp"
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

// Scanned and typed text: any whitespace goes (a wedge scanner may send a line end).
std::string_view trim(std::string_view text) { return muster::trim(text, kWhitespace); }

} // namespace

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

namespace {

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

void set_reason(CheckinOutcome& outcome, CheckinResult result, CheckinReason reason,
                std::string detail) {
  outcome.result = result;
  outcome.code = reason;
  outcome.reason = std::string(reason_words(reason));
  outcome.detail = std::move(detail);
}

} // namespace

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

Result<Checkin, CheckinError> Checkin::open(KioskStore& store, CheckinOptions options) {
  Checkin checkin(store, std::move(options));
  if (auto loaded = checkin.reload(); !loaded) return loaded.error();
  return checkin;
}

Result<KioskSetup, CheckinError> load_kiosk_setup(KioskStore& store) {
  auto event = store.event();
  if (!event) {
    if (event.code() == StoreError::not_found) {
      return fail(CheckinError::not_set_up,
                  "this kiosk has no event yet: import an event package (or run --demo)");
    }
    return fail(CheckinError::store, event.message());
  }
  auto trust = load_trust(store);
  if (!trust) {
    return fail(trust.code() == SettingsError::not_set_up ? CheckinError::not_set_up
                                                          : CheckinError::invalid,
                trust.message());
  }
  auto device = ensure_device_id(store);
  if (!device) return fail(CheckinError::store, device.message());
  load_event_programs(store, *event); // who earns credit: the event's programs
  return KioskSetup{std::move(*event), std::move(*trust), std::move(*device)};
}

Result<Ok, CheckinError> Checkin::reload() {
  auto setup = load_kiosk_setup(*store_);
  if (!setup) return setup.error();

  event_ = std::move(setup->event);
  trust_.emplace(std::move(setup->trust));
  device_id_ = std::move(setup->device_id);
  room_ = options_.room.empty() ? setting_or(*store_, kSettingRoom, "") : options_.room;
  lead_time_ = event_.credit_policy.lead_time; // the event's, unless staff chose one here
  if (options_.lead_time) {
    lead_time_ = *options_.lead_time;
  } else {
    const auto text = setting_or(*store_, kSettingLeadTimeMin, "");
    int minutes = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), minutes);
    if (!text.empty() && ec == std::errc{} && end == text.data() + text.size() && minutes >= 0) {
      lead_time_ = std::chrono::minutes{minutes};
    }
  }
  const auto chosen = setting_or(*store_, kSettingSessionOverride, "");
  override_ = chosen.empty() ? std::nullopt : std::optional<std::string>(chosen);
  return Ok{};
}

std::optional<Session> Checkin::room_fallback_session() const {
  const auto room = fold_room(room_);
  const Session* first = nullptr;
  for (const auto& session : event_.sessions) {
    if (!room.empty() && fold_room(session.room) != room) continue;
    if (first == nullptr || session.start < first->start) first = &session;
  }
  if (first == nullptr) return std::nullopt;
  return *first;
}

std::optional<Session> Checkin::door_session(Instant now) const {
  if (override_) {
    for (const auto& session : event_.sessions) {
      if (session.id == *override_) return session;
    }
  }
  const auto room = fold_room(room_);
  std::vector<const Session*> in_progress;
  std::vector<const Session*> upcoming;
  for (const auto& session : event_.sessions) {
    if (!room.empty() && fold_room(session.room) != room) continue;
    if (session.start <= now && now < session.end) {
      in_progress.push_back(&session);
    } else if (session.start > now && session.start - now <= lead_time_) {
      upcoming.push_back(&session);
    }
  }
  // Without a room, only an unambiguous pick is safe: two rooms' sessions would mix.
  const auto pick = [&](std::vector<const Session*>& list, auto better) -> std::optional<Session> {
    if (list.empty()) return std::nullopt;
    if (room.empty() && list.size() > 1) return std::nullopt;
    return **std::max_element(list.begin(), list.end(), better);
  };
  // In progress: the latest started (a session running over is superseded by the next one).
  if (!in_progress.empty()) {
    return pick(in_progress,
                [](const Session* a, const Session* b) { return a->start < b->start; });
  }
  return pick(upcoming, [](const Session* a, const Session* b) { return a->start > b->start; });
}

PresenceRules Checkin::rules() const {
  auto rules = presence_rules(event_.credit_policy);
  rules.lead_time = lead_time_; // the door's own choice, when staff set one
  return rules;
}

std::string_view Checkin::zone() const {
  return event_.timezone.empty() ? std::string_view("UTC") : std::string_view(event_.timezone);
}

const Session* Checkin::find_session(std::string_view session_id) const {
  for (const auto& session : event_.sessions) {
    if (session.id == session_id) return &session;
  }
  return nullptr;
}

Checkin::ClockView Checkin::clock_view(Instant wall, std::chrono::milliseconds monotonic) const {
  ClockView view;
  view.offset_ms = clock_offset_ms(*store_);
  auto any = store_->latest_clock_sample();
  view.synced_before = any && any->has_value();
  auto own = boot_id_.empty() ? decltype(any){std::optional<ClockSample>{}}
                              : store_->latest_clock_sample(boot_id_);
  if (own && own->has_value()) {
    // The monotonic clock cannot jump within a boot: the sample places this moment exactly,
    // however the wall clock moved since (sync/PROTOCOL.md "Clock").
    const ClockSample& sample = **own;
    const std::int64_t elapsed = saturating_sub(monotonic.count(), sample.monotonic_ms);
    const std::int64_t wall_ms = clamp_plausible_ms(wall.time_since_epoch().count());
    const std::int64_t truth =
        clamp_plausible_ms(saturating_add(sample.server_time.time_since_epoch().count(), elapsed));
    view.offset_ms = truth - wall_ms;
    view.verified = true;
    const std::int64_t wall_moved =
        saturating_sub(wall_ms, clamp_plausible_ms(sample.device_wall.time_since_epoch().count()));
    constexpr std::int64_t kMinuteMs = 60'000;
    if (std::abs(saturating_sub(wall_moved, elapsed)) > kMinuteMs) {
      view.suspect = true;
      view.wall_jumped = true;
    }
  }
  if (!event_.sessions.empty()) {
    const auto first =
        std::min_element(event_.sessions.begin(), event_.sessions.end(),
                         [](const Session& a, const Session& b) { return a.start < b.start; });
    Instant latest_end = first->end;
    for (const Session& s : event_.sessions)
      latest_end = std::max(latest_end, s.end);
    const std::string today = format_local(view.estimate(wall), zone(), "%Y-%m-%d");
    if (today < format_local(first->start, zone(), "%Y-%m-%d") ||
        today > format_local(latest_end, zone(), "%Y-%m-%d")) {
      view.suspect = true;
      view.outside_event = true;
    }
  }
  return view;
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

Result<Ok, CheckinError>
Checkin::set_session_override(const std::optional<std::string>& session_id) {
  if (session_id) {
    const bool known = std::any_of(event_.sessions.begin(), event_.sessions.end(),
                                   [&](const Session& s) { return s.id == *session_id; });
    if (!known)
      return fail(CheckinError::invalid, "no session '" + *session_id + "' in this event");
  }
  if (auto saved = store_->set_setting(kSettingSessionOverride, session_id.value_or("")); !saved) {
    return fail(CheckinError::store, saved.message());
  }
  override_ = session_id;
  return Ok{};
}

Result<Ok, CheckinError> Checkin::set_room(std::string_view room) {
  if (auto saved = store_->set_setting(kSettingRoom, trim(room)); !saved) {
    return fail(CheckinError::store, saved.message());
  }
  room_ = std::string(trim(room));
  options_.room = room_;
  return Ok{};
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
    outcome.display_name = attendee->first_name + " " + attendee->last_name;
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

  // What this scan is, by the presence rule over every door's scans this kiosk knows of: the
  // same rule the server credits by (shared/presence.hpp).
  const Presence before = resolve_presence(event_, *history, rules(), zone());
  Scan candidate = draft_scan(scan, badge, *session, ScanKind::arrive);
  candidate.sequence = std::numeric_limits<std::uint64_t>::max(); // after all of this door's
  history->push_back(candidate);
  const Presence after = resolve_presence(event_, *history, rules(), zone());
  const auto placed =
      std::find_if(after.placed.begin(), after.placed.end(),
                   [&](const PlacedScan& p) { return p.index == history->size() - 1; });
  if ((placed == after.placed.end() || placed->action == PresenceAction::unplaced) && clock_lost) {
    return record(scan, badge, *session, ScanKind::arrive);
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
  if (target == nullptr) target = &*session;
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
  history->back().kind = ScanKind::leave;
  history->back().session_id = target->id;
  add_credit(outcome, *target, *history);
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

CheckinOutcome Checkin::correct(const StaffCorrection& correction) {
  auto outcome = base_outcome(correction.at);
  const auto refuse = [&](std::string detail) {
    set_reason(outcome, CheckinResult::rejected, CheckinReason::invalid_correction,
               std::move(detail));
    return outcome;
  };
  if (!is_valid_badge_id(correction.attendee_id)) return refuse("Choose an attendee.");
  if (trim(correction.staff_id).empty()) return refuse("A correction needs the staff member's id.");
  if (trim(correction.reason).empty()) return refuse("A correction needs a reason.");
  if (correction.kind == Correction::none) return refuse("Choose arrival, leave or void.");
  if (correction.kind == Correction::void_scan &&
      (correction.voids_device_id.empty() || correction.voids_sequence == 0)) {
    return refuse("Choose the scan to void.");
  }
  // The server refuses a void of another door's scan (authority follows the fact): recording
  // one here would stop this kiosk's sync.
  if (correction.kind == Correction::void_scan && correction.voids_device_id != device_id_) {
    return refuse("Only the door that recorded a scan can void it.");
  }
  describe_attendee(outcome, correction.attendee_id);

  std::optional<Session> session;
  if (!correction.session_id.empty()) {
    for (const auto& s : event_.sessions) {
      if (s.id == correction.session_id) session = s;
    }
    if (!session) return refuse("No session '" + correction.session_id + "' in this event.");
  } else {
    session = door_session(correction.effective_time);
    if (!session) return refuse("No session at this door at that time: choose one.");
  }
  describe_session(outcome, *session);

  Scan draft;
  draft.device_id = device_id_;
  draft.attendee_id = correction.attendee_id;
  draft.session_id = session->id;
  draft.kind = ScanKind::correction;
  draft.wall_time = correction.at;
  draft.monotonic_ms = correction.monotonic.count();
  draft.clock_offset_ms = clock_view(correction.at, correction.monotonic).offset_ms;
  draft.boot_id = boot_id_;
  draft.correction = correction.kind;
  draft.effective_time = correction.effective_time;
  draft.staff_id = std::string(trim(correction.staff_id));
  draft.reason = std::string(trim(correction.reason));
  draft.voids_device_id = correction.voids_device_id;
  draft.voids_sequence = correction.voids_sequence;
  auto stored = store_->append_scan(std::move(draft));
  if (!stored) {
    set_reason(outcome, CheckinResult::rejected, CheckinReason::not_recorded,
               "The correction was NOT recorded: " + stored.message() + ".");
    return outcome;
  }
  outcome.recorded = *stored;
  switch (correction.kind) {
  case Correction::arrive:
    outcome.result = CheckinResult::arrived;
    break;
  case Correction::leave:
    outcome.result = CheckinResult::left;
    break;
  default:
    outcome.result = CheckinResult::corrected;
    break;
  }
  auto history = store_->known_scans_for_attendee(correction.attendee_id);
  if (history && correction.kind != Correction::arrive) add_credit(outcome, *session, *history);
  return outcome;
}

} // namespace muster::kiosk
