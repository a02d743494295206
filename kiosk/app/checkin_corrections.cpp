// Staff corrections through Checkin: a manual arrival or leave, or the void of a mistaken scan,
// checked and recorded as a ScanKind::correction fact (never an edit).
#include "kiosk/app/checkin.hpp"

#include <optional>
#include <utility>

#include "kiosk/app/checkin_support.hpp"

namespace muster::kiosk {

using checkin_support::set_reason;
using checkin_support::trim;

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
