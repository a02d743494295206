#include "sync/server/web/staff_correction.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <charconv>
#include <exception>

#include "shared/badge.hpp"
#include "shared/scan_log.hpp"
#include "shared/text.hpp"
#include "shared/time.hpp"
#include "sync/server/scan_ingest.hpp"

namespace muster::server {

namespace {

constexpr std::string_view kConsolePrefix = "console-";
constexpr std::size_t kMaxReasonBytes = 500;
// Two staff members correcting the same event at the same moment: the loser's batch no longer
// continues the chain and is built again on the new head.
constexpr int kChainAttempts = 4;

Error<CorrectionError> invalid(std::string message) {
  return fail(CorrectionError::invalid, std::move(message));
}

Error<CorrectionError> store_error(const Error<DbError>& error) {
  return fail(error.code == DbError::not_found ? CorrectionError::not_found
                                               : CorrectionError::store,
              error.message);
}

// The event's console device, registered on first use.
DbResult<DeviceRecord> console_device(ServerStore& store, const Event& event, Instant now) {
  const std::string id = console_device_id(event.id);
  auto found = store.device(id);
  if (found || found.code() != DbError::not_found) return found;
  // A device record needs a key; nobody needs its secret (the console's scans never leave the
  // server as an export), so it is dropped here.
  auto key = SigningKey::generate("console");
  if (!key) return fail(DbError::io, "could not make the console device's key");
  DeviceRecord wanted;
  wanted.id = id;
  wanted.name = "Web console (staff corrections)";
  wanted.event_id = event.id;
  wanted.public_key = to_text(key->public_key());
  auto registered = store.register_device(wanted, now);
  // Another request registered it in between (with its own key): use that one.
  if (!registered && registered.code() == DbError::conflict) return store.device(id);
  return registered;
}

Scan correction_scan(const StaffCorrectionRequest& request, Correction kind, Instant effective,
                     Instant now) {
  Scan scan;
  scan.attendee_id = request.attendee_id;
  scan.session_id = request.session_id;
  scan.kind = ScanKind::correction;
  scan.correction = kind;
  // The server's own clock is the reference: offset 0, and no boot id (no clock samples).
  scan.wall_time = now;
  scan.effective_time = effective;
  scan.staff_id = request.staff;
  scan.reason = request.reason;
  return scan;
}

std::string local(Instant at, const Event& event) {
  return format_local(at, event.timezone, "%H:%M:%S %Z");
}

std::optional<std::string> reason_problem(const std::string& reason) {
  if (std::all_of(reason.begin(), reason.end(),
                  [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; })) {
    return "a correction needs a reason";
  }
  if (reason.size() > kMaxReasonBytes || !is_printable_utf8(reason)) {
    return "the reason must be at most 500 bytes of printable text (no control characters)";
  }
  return std::nullopt;
}

// Seals `drafts` onto the console device's chain and stores them through ingest_scans in one
// batch (all or nothing).
Result<StaffCorrectionOutcome, CorrectionError> append_to_console(ServerStore& store,
                                                                  const DeviceRecord& device,
                                                                  std::vector<Scan> drafts,
                                                                  Instant now) {
  std::string last_refusal;
  for (int attempt = 0; attempt < kChainAttempts; ++attempt) {
    auto head = store.chain_head(device.id);
    if (!head) return store_error(head.error());
    ScanBatch batch;
    batch.event_id = device.event_id;
    batch.scans = drafts;
    Digest previous = head->hash;
    std::uint64_t sequence = head->sequence;
    StaffCorrectionOutcome outcome{device.id, {}};
    for (auto& scan : batch.scans) {
      scan.device_id = device.id;
      scan.sequence = ++sequence;
      seal(scan, previous);
      previous = scan.hash;
      outcome.sequences.push_back(scan.sequence);
    }
    const IngestAnswer answer = ingest_scans(store, device, std::move(batch), now);
    if (answer.store_error) return store_error(*answer.store_error);
    if (answer.ok()) return outcome;
    last_refusal = answer.message;
    // Only a chain that moved on is worth another try; any other refusal is final.
    if (answer.error_code != "chain_break") break;
  }
  return fail(CorrectionError::store, "the correction was not stored: " + last_refusal);
}

} // namespace

std::string console_device_id(std::string_view event_id) {
  return std::string(kConsolePrefix) + std::string(event_id);
}

bool is_console_device(std::string_view device_id) {
  return device_id.size() > kConsolePrefix.size() &&
         device_id.substr(0, kConsolePrefix.size()) == kConsolePrefix;
}

std::optional<Instant> local_time_on_day(std::string_view text, Instant day_of,
                                         std::string_view zone) {
  int hour = 0;
  int minute = 0;
  int second = 0;
  const auto two = [&text](std::size_t pos, int& out, int max) {
    if (pos + 2 > text.size() || text[pos] < '0' || text[pos] > '9' || text[pos + 1] < '0' ||
        text[pos + 1] > '9') {
      return false;
    }
    std::from_chars(text.data() + pos, text.data() + pos + 2, out);
    return out <= max;
  };
  if (!(text.size() == 5 || (text.size() == 8 && text[5] == ':')) || text[2] != ':' ||
      !two(0, hour, 23) || !two(3, minute, 59) || (text.size() == 8 && !two(6, second, 59))) {
    return std::nullopt;
  }
  const date::time_zone* tz = nullptr;
  try {
    tz = date::locate_zone(zone);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  const auto local_day =
      date::floor<date::days>(tz->to_local(std::chrono::floor<std::chrono::seconds>(day_of)));
  const date::local_seconds at = local_day + std::chrono::hours(hour) +
                                 std::chrono::minutes(minute) + std::chrono::seconds(second);
  return std::chrono::time_point_cast<std::chrono::milliseconds>(
      tz->to_sys(at, date::choose::earliest));
}

Result<StaffCorrectionOutcome, CorrectionError>
record_staff_correction(ServerStore& store, const StaffCorrectionRequest& request, Instant now) {
  if (!request.arrival && !request.leave) {
    return invalid("give an arrival time, a leave time or both");
  }
  if (auto bad = reason_problem(request.reason)) return invalid(*bad);
  if (request.staff.empty()) return invalid("a correction must name the staff member");
  auto event = store.event(request.event_id);
  if (!event) return store_error(event.error());
  const auto session = std::find_if(event->sessions.begin(), event->sessions.end(),
                                    [&](const Session& s) { return s.id == request.session_id; });
  if (session == event->sessions.end()) {
    return fail(CorrectionError::not_found,
                "session '" + request.session_id + "' is not a session of event " + event->id);
  }
  if (auto attendee = store.attendee(request.attendee_id); !attendee) {
    return store_error(attendee.error());
  }
  const Instant from = session->start - event->credit_policy.lead_time;
  for (const auto& [what, at] :
       {std::pair{"arrival", request.arrival}, std::pair{"leave", request.leave}}) {
    if (!at) continue;
    if (*at < from || *at > session->end) {
      return invalid(std::string("the ") + what + " time " + local(*at, *event) +
                     " is outside the session (" + local(from, *event) + " to " +
                     local(session->end, *event) + ")");
    }
    if (*at > now) {
      return invalid(std::string("the ") + what + " time " + local(*at, *event) +
                     " is in the future: a correction records what happened");
    }
  }
  if (request.arrival && request.leave && *request.leave <= *request.arrival) {
    return invalid("the leave time must be after the arrival time");
  }

  auto device = console_device(store, *event, now);
  if (!device) return store_error(device.error());
  std::vector<Scan> drafts;
  if (request.arrival) {
    drafts.push_back(correction_scan(request, Correction::arrive, *request.arrival, now));
  }
  if (request.leave) {
    drafts.push_back(correction_scan(request, Correction::leave, *request.leave, now));
  }
  return append_to_console(store, *device, std::move(drafts), now);
}

Result<StaffCorrectionOutcome, CorrectionError>
void_console_correction(ServerStore& store, const ConsoleVoidRequest& request, Instant now) {
  if (auto bad = reason_problem(request.reason)) return invalid(*bad);
  if (request.staff.empty()) return invalid("a correction must name the staff member");
  auto event = store.event(request.event_id);
  if (!event) return store_error(event.error());
  const std::string id = console_device_id(event->id);
  auto device = store.device(id);
  if (!device) {
    if (device.code() == DbError::not_found) {
      return fail(CorrectionError::not_found, "no console correction was made at " + event->id);
    }
    return store_error(device.error());
  }
  auto chain = store.scans_for_device(id);
  if (!chain) return store_error(chain.error());
  const Scan* target = nullptr;
  bool already = false;
  for (const Scan& scan : *chain) {
    if (scan.sequence == request.sequence) target = &scan;
    if (scan.correction == Correction::void_scan && scan.voids_sequence == request.sequence) {
      already = true;
    }
  }
  if (target == nullptr || target->attendee_id != request.attendee_id ||
      target->correction == Correction::void_scan) {
    return fail(CorrectionError::not_found, "no console correction " + id + " #" +
                                                std::to_string(request.sequence) + " of " +
                                                request.attendee_id);
  }
  if (already) return invalid(id + " #" + std::to_string(request.sequence) + " is voided already");
  // The same fact as a kiosk's void of its own mistaken scan: it names the scan and its session.
  Scan draft;
  draft.attendee_id = target->attendee_id;
  draft.session_id = target->session_id;
  draft.kind = ScanKind::correction;
  draft.correction = Correction::void_scan;
  draft.wall_time = now;
  draft.effective_time = now;
  draft.staff_id = request.staff;
  draft.reason = request.reason;
  draft.voids_device_id = id;
  draft.voids_sequence = target->sequence;
  return append_to_console(store, *device, {std::move(draft)}, now);
}

} // namespace muster::server
