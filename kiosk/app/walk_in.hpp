#pragma once
// Walk-in registration in staff mode: someone not in the roster (and without a badge) is
// registered by staff as a provisional attendee the League confirms later
// (`muster-server walk-ins` / `confirm-walk-in`).
//
// One registration records, in order: ONE ScanKind::registration scan (session empty; details
// {"first_name","last_name","role","municipality"}; staff id; reason), the attendee in the
// local roster (so the door greets them, search finds them, the CSV export lists them), and,
// when the door has a session now, a staff arrival correction for it (the walk-in is inside).
// Invalid input records nothing.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kiosk/app/checkin.hpp"
#include "shared/domain.hpp"
#include "shared/kiosk_store.hpp"
#include "shared/result.hpp"
#include "shared/text.hpp"

namespace muster::kiosk {

// Provisional ids: "WALKIN-<device id>-<n>", n = 1, 2, ... per kiosk: unique across kiosks
// (device ids are) and valid badge-id characters.
using muster::kWalkInPrefix; // shared/text.hpp: the server checks the same rule
inline constexpr std::string_view kSettingWalkInNext = "walkin.next"; // the next n
using muster::kMaxWalkInField;

// True for an id made by register_walk_in: staff's lists mark these "provisional".
bool is_walk_in_id(std::string_view attendee_id);

struct WalkInForm {
  std::string first_name;
  std::string last_name;
  std::string municipality;
  std::string role = "guest"; // mayor, councilmember, clerk, staff, guest
  std::string reason;         // why staff registered them here ("not in roster, ID shown")
};

enum class WalkInError : std::uint8_t {
  invalid, // the form is incomplete or has bad characters: nothing recorded
  store,   // the store refused the registration: nothing recorded
};

// A form's first problem in words ("Enter a first name."), or nullopt when it is valid.
std::optional<std::string> walk_in_problem(const WalkInForm& form);

struct WalkInResult {
  Attendee attendee;                     // as added to the roster
  Scan registration;                     // the recorded registration scan
  std::optional<CheckinOutcome> arrival; // the arrival correction's outcome, when a session is on
};

Result<WalkInResult, WalkInError> register_walk_in(KioskStore& store, Checkin& checkin,
                                                   const WalkInForm& form,
                                                   std::string_view staff_id, Instant at,
                                                   std::chrono::milliseconds monotonic);

} // namespace muster::kiosk
