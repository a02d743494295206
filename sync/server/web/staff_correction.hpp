#pragma once
// A staff correction made in the web console: the same fact a kiosk's staff mode records
// (ScanKind::correction with Correction::arrive / ::leave, a staff member and a reason), appended
// to the chain of the event's console device and stored through ingest_scans, the one set of
// rules every pushed scan passes. No scan is ever edited: credit, review and close-event read the
// correction like a door's (shared/presence.hpp, shared/credit.hpp), and kiosks pull it as a
// peer scan. docs/console.md, "Staff corrections".
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/domain.hpp"
#include "shared/result.hpp"
#include "sync/server/server_store.hpp"

namespace muster::server {

// The console's own "door" for an event: "console-<event id>". It is registered on first use
// with a fresh device key whose secret is thrown away (no kiosk can provision or import as it),
// and it never syncs, so the doors table leaves it out.
std::string console_device_id(std::string_view event_id);
bool is_console_device(std::string_view device_id);

struct StaffCorrectionRequest {
  std::string event_id;
  std::string attendee_id;
  std::string session_id;
  std::optional<Instant> arrival; // a manual arrival at this time
  std::optional<Instant> leave;   // a manual leave at this time
  std::string staff;              // the console user: the correction's staff_id
  std::string reason;             // required
};

enum class CorrectionError : std::uint8_t {
  invalid,   // a rule of the request (message says which); nothing stored
  not_found, // no such event, session or attendee
  store,     // the database failed or refused the batch; nothing stored
};

struct StaffCorrectionOutcome {
  std::string device_id;
  std::vector<std::uint64_t> sequences; // of the stored corrections, arrival first
};

// Checks the request and appends its one or two corrections in one batch (all or nothing):
// at least one of arrival and leave; arrival before leave; both within the session (from its
// lead time before the start to its end) and not after `now` (a correction records what
// happened); the attendee on the roster or a walk-in; a reason of 1..500 printable characters.
// A concurrent correction of the same event moves the chain on: retried a few times.
Result<StaffCorrectionOutcome, CorrectionError>
record_staff_correction(ServerStore& store, const StaffCorrectionRequest& request, Instant now);

struct ConsoleVoidRequest {
  std::string event_id;
  std::string attendee_id;
  std::uint64_t sequence = 0; // of the console correction to void
  std::string staff;
  std::string reason; // required
};

// Undoes a console correction made by mistake the way a kiosk undoes its own: a
// Correction::void_scan naming it, appended to the same console device (a door may void only its
// own scans, so the console never voids a kiosk's). not_found unless `sequence` is a console
// correction of the attendee at the event; invalid when it is voided already or the reason is
// missing.
Result<StaffCorrectionOutcome, CorrectionError>
void_console_correction(ServerStore& store, const ConsoleVoidRequest& request, Instant now);

// "HH:MM" or "HH:MM:SS" on the local calendar day of `day_of` in the IANA `zone` (the session's
// start day in the event's zone); nullopt for a malformed time or unknown zone. A time that
// occurs twice (the autumn clock change) is the earlier one.
std::optional<Instant> local_time_on_day(std::string_view text, Instant day_of,
                                         std::string_view zone);

} // namespace muster::server
