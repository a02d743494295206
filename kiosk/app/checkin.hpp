#pragma once
// The kiosk's application state machine: every scan, from any scanner, enters through
// Checkin::accept and leaves as a CheckinOutcome the screen (or headless JSON) shows.
//
// For each scan: verify the badge offline (League keys, certified device keys, revoked
// serials), pick the door's session (staff override, else the session in progress in this
// room, else the next one starting within the lead time), then:
// the presence rule (shared/presence.hpp) over every door's scans this kiosk knows of (its own
// and the other doors' that sync relayed) decides, exactly as the server's credit does:
//   not inside the room's session -> arrival (recorded), in the session the rule places it;
//   inside -> leave: recorded at once in headless mode; in UI mode accept() returns
//     confirm_leave; confirm_leave(yes) records it, confirm_leave(no) records "staying";
//   the same badge within the event's debounce of its last scan at any door of the room ->
//     ignored.
// A scan in the break after a session the official stayed in to its end is an arrival for the
// next session (nobody scans out at a normal end); the outcome names the ended session and
// leave_instead() records "I am leaving" for an official who meant to go home.
// A scan is recorded through KioskStore::append_scan, durably, before the outcome is returned;
// an outcome never claims "arrived" or "left" for a scan that is not on disk.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kiosk/app/kiosk_settings.hpp"
#include "kiosk/scan/raw_scan.hpp"
#include "shared/badge.hpp"
#include "shared/boot_id.hpp"
#include "shared/domain.hpp"
#include "shared/kiosk_store.hpp"
#include "shared/presence.hpp"
#include "shared/result.hpp"

namespace muster::kiosk {

// corrected: a staff correction that voids an earlier scan was recorded (manual arrivals and
// leaves report arrived / left).
enum class CheckinResult : std::uint8_t {
  arrived,
  left,
  rejected,
  ignored,
  confirm_leave,
  corrected
};
std::string_view to_string(CheckinResult result); // "arrived", "left", ...

// Why a scan was rejected or ignored; the outcome's `reason` says it in words.
enum class CheckinReason : std::uint8_t {
  none,
  unknown_badge,      // not a Muster badge, or signed by a key this kiosk does not trust
  forged,             // signature does not match
  revoked,            // the serial was revoked (lost badge, reprint)
  other_event,        // a badge of another League
  outdated_kiosk,     // a newer badge format
  no_session,         // no session now at this door
  not_recorded,       // the store refused the write (disk full, ...): nothing was recorded
  invalid_correction, // a staff correction without staff id, reason, known session, ...
  duplicate,          // ignored: same badge within the debounce window
  empty_scan,         // ignored: nothing was read
  leave_cancelled,    // ignored: "Leaving early?" answered no
  nothing_to_confirm, // ignored: confirm_leave without a pending leave
};
std::string_view to_string(CheckinReason reason);    // "unknown_badge", ...
std::string_view reason_words(CheckinReason reason); // "unknown badge", "forged badge", ...
// Why a badge that did not verify is refused (the desk says it the same way).
CheckinReason reason_for(BadgeError error);

struct CheckinOutcome {
  CheckinResult result = CheckinResult::ignored;
  CheckinReason code = CheckinReason::none;
  std::string attendee_id;          // verified badges only; empty when unknown
  std::optional<Attendee> attendee; // nothing: not in this kiosk's roster (registered later)
  std::string display_name;         // "Loretta Haynes", or a stand-in for an unknown name
  std::string session_id;           // the door's session at the scan; empty when none
  std::string session_title;
  std::string room;
  bool early = false;           // leave (or confirm_leave): before the end, after grace
  double credit_hours = 0;      // leave (or confirm_leave): credit earned in the session
  bool credit_eligible = false; // the role earns CMO credit (false when not in roster)
  std::string reason;           // rejected/ignored: short words, "forged badge"
  std::string detail;           // a sentence for the screen
  Instant at;                   // the scan's time on the device clock
  std::string local_time;       // "09:02" in the event's time zone
  std::string local_date_time;  // "2026-12-03 09:02 CST"
  std::optional<Scan> recorded; // the scan as stored, when one was recorded
  // An arrival right after a session this official stayed in to its end (the break): that
  // session's title. The window offers "I am leaving" (Checkin::leave_instead).
  std::string ended_session_title;
};

struct CheckinOptions {
  // The door's room; empty: the one in settings; still empty: any room, if only one session
  // is candidate.
  std::string room;
  // Lead time to welcome early arrivals; nullopt: from settings, else 15 minutes.
  std::optional<std::chrono::minutes> lead_time;
  // UI mode: a second scan asks "Leaving early?" (confirm_leave) instead of recording at once.
  bool confirm_leaves = false;
};

// A manual arrival or leave by staff, or the voiding of a mistaken scan, recorded as a fact
// with ScanKind::correction (never an edit).
struct StaffCorrection {
  std::string attendee_id;
  std::string session_id; // empty: the door's session at `effective_time`
  Correction kind = Correction::arrive;
  Instant effective_time; // the time the correction asserts (device clock)
  std::string staff_id;
  std::string reason;
  std::string voids_device_id; // Correction::void_scan only
  std::uint64_t voids_sequence = 0;
  Instant at; // when staff entered it (device clock)
  std::chrono::milliseconds monotonic{0};
};

// An official's answers to the event's survey after a leave (kiosk/README.md "Survey"), in the
// order asked: question id -> the chosen choice's text. Unanswered questions are absent.
struct SurveyAnswers {
  std::string attendee_id;
  std::string session_id; // the session of the leave
  std::vector<std::pair<std::string, std::string>> answers;
  Instant at; // when the survey ended (device clock)
  std::chrono::milliseconds monotonic{0};
};

// details of a leave the official confirmed at the kiosk ("Leaving early?" -> yes).
inline constexpr std::string_view kConfirmedAtKioskDetails = kConfirmedLeaveDetails;

enum class CheckinError : std::uint8_t {
  store,      // the store could not be read
  not_set_up, // no event or no League keys: import an event package (or run --demo)
  invalid,    // a stored setting is not valid
};

// What every scanning mode loads from the store before it can take a scan: the event, the
// League keys and certified device keys, and this kiosk's device id (created on first use).
struct KioskSetup {
  Event event;
  TrustStore trust;
  std::string device_id;
};
Result<KioskSetup, CheckinError> load_kiosk_setup(KioskStore& store);

class Checkin {
public:
  // The store must outlive the Checkin and stay on this thread.
  static Result<Checkin, CheckinError> open(KioskStore& store, CheckinOptions options = {});

  // Re-reads the event, trust and settings (after an import or a sync).
  Result<Ok, CheckinError> reload();

  // The one way in for a scan. Any pending "Leaving early?" question is dropped first.
  CheckinOutcome accept(const RawScan& scan);
  // The answer to confirm_leave: yes records the leave at the time of the scan that asked.
  CheckinOutcome confirm_leave(bool yes);
  [[nodiscard]] bool leave_pending() const { return pending_leave_.has_value(); }
  // "Leaving early?" left unanswered: the scan is recorded as a plain leave (no answer), so a
  // scan is never dropped; nothing_to_confirm without a pending leave.
  CheckinOutcome record_unanswered_leave();
  // "I am leaving" after a break arrival (outcome.ended_session_title): records a leave of the
  // new session at the arrival's moment, as the official's answer. Any other scan drops it.
  CheckinOutcome leave_instead();
  [[nodiscard]] bool leave_instead_offered() const { return pending_break_.has_value(); }

  // The answers as ONE ScanKind::survey scan, details {"answers": {id: choice, ...}}, through the
  // same durable store call. Refused (StoreError::invalid) with no answers or an answer that is
  // not one of the event's questions and choices.
  Result<Scan, StoreError> record_survey(const SurveyAnswers& answers);

  // Staff corrections go through the same store call, with ScanKind::correction.
  CheckinOutcome correct(const StaffCorrection& correction);

  // What the kiosk knows of its clock at a scan (sync/PROTOCOL.md "Clock").
  struct ClockView {
    std::int64_t offset_ms = 0; // server - device: what the scan carries
    bool verified = false;      // from a clock sample of this boot (monotonic: exact)
    bool synced_before = false; // the kiosk has a clock sample of some boot
    // The wall clock moved more than a minute against the monotonic clock since this boot's
    // last sample, or the estimated date lies outside the event's days: staff should look.
    bool suspect = false;
    bool wall_jumped = false;   // the first reason above
    bool outside_event = false; // the second
    [[nodiscard]] Instant estimate(Instant wall) const {
      return wall + std::chrono::milliseconds(offset_ms);
    }
  };
  [[nodiscard]] ClockView clock_view(Instant wall, std::chrono::milliseconds monotonic) const;

  // The door's session at `now` (override, in progress, or next within the lead time).
  [[nodiscard]] std::optional<Session> door_session(Instant now) const;
  // Staff override of the door's session (kept in settings); nullopt clears it.
  Result<Ok, CheckinError> set_session_override(const std::optional<std::string>& session_id);
  [[nodiscard]] const std::optional<std::string>& session_override() const { return override_; }
  Result<Ok, CheckinError> set_room(std::string_view room);

  [[nodiscard]] const Event& event() const { return event_; }
  [[nodiscard]] const std::string& device_id() const { return device_id_; }
  // The boot id recorded with every scan (shared/boot_id.hpp); the simulated clock replaces it.
  [[nodiscard]] const std::string& boot_id() const { return boot_id_; }
  void set_boot_id(std::string boot_id) { boot_id_ = std::move(boot_id); }
  [[nodiscard]] const std::string& room() const { return room_; }
  [[nodiscard]] std::chrono::minutes lead_time() const { return lead_time_; }

private:
  struct PendingLeave {
    RawScan scan;
    Badge badge;
    Session session;
  };

  Checkin(KioskStore& store, CheckinOptions options)
      : store_(&store), options_(std::move(options)) {}

  CheckinOutcome base_outcome(Instant at) const;
  // "Ignored: nothing to confirm", for an answer that comes with no question pending.
  CheckinOutcome nothing_to_confirm(std::string detail) const;
  [[nodiscard]] std::optional<Session> room_fallback_session() const;
  [[nodiscard]] PresenceRules rules() const;
  [[nodiscard]] std::string_view zone() const;
  [[nodiscard]] const Session* find_session(std::string_view session_id) const;
  [[nodiscard]] Scan draft_scan(const RawScan& scan, const Badge& badge, const Session& session,
                                ScanKind kind, std::string_view details = {}) const;
  void describe_attendee(CheckinOutcome& outcome, std::string_view attendee_id) const;
  void describe_session(CheckinOutcome& outcome, const Session& session) const;
  CheckinOutcome record(const RawScan& scan, const Badge& badge, const Session& session,
                        ScanKind kind, std::string_view details = {});
  // accept()'s second half: the verified, unrevoked scan at the door's `session`, placed by the
  // presence rule over `history` (every door's scans of the official this kiosk knows of).
  CheckinOutcome place(const RawScan& scan, const Badge& badge, const Session& session,
                       std::vector<Scan>& history, bool clock_lost, CheckinOutcome outcome);
  void add_credit(CheckinOutcome& outcome, const Session& session,
                  std::span<const Scan> scans) const;

  KioskStore* store_;
  CheckinOptions options_;
  Event event_;
  std::optional<TrustStore> trust_;
  std::string device_id_;
  std::string boot_id_ = current_boot_id();
  std::string room_;
  std::chrono::minutes lead_time_{15};
  std::optional<std::string> override_;
  std::optional<PendingLeave> pending_leave_;
  std::optional<PendingLeave> pending_break_; // the arrival leave_instead() may turn around
};

} // namespace muster::kiosk
