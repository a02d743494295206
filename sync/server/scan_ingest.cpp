#include "sync/server/scan_ingest.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "shared/badge.hpp"
#include "shared/time.hpp"

namespace muster::server {
namespace {

using nlohmann::json;

// Times a kiosk could have recorded: the clock arithmetic downstream (corrected_time, presence,
// credit) adds and subtracts them, which overflows (undefined behaviour) at int64 extremes.
std::optional<std::string> implausible_time(const Scan& scan) {
  constexpr std::int64_t kEarliestMs = 946'684'800'000;        // 2000-01-01T00:00:00Z
  constexpr std::int64_t kLatestMs = 7'258'118'400'000;        // 2200-01-01T00:00:00Z
  constexpr std::int64_t kMaxOffsetMs = 315'576'000'000;       // ten years
  constexpr std::int64_t kMaxMonotonicMs = 10'000'000'000'000; // about 317 years of uptime
  const auto wall = scan.wall_time.time_since_epoch().count();
  const auto effective = scan.effective_time.time_since_epoch().count();
  if (wall < kEarliestMs || wall > kLatestMs) {
    return "wall_time " + std::to_string(wall) + " is not between 2000 and 2200";
  }
  if (effective != 0 && (effective < kEarliestMs || effective > kLatestMs)) {
    return "effective_time " + std::to_string(effective) + " is not 0 or between 2000 and 2200";
  }
  if (scan.clock_offset_ms < -kMaxOffsetMs || scan.clock_offset_ms > kMaxOffsetMs) {
    return "clock_offset_ms " + std::to_string(scan.clock_offset_ms) + " exceeds ten years";
  }
  if (scan.monotonic_ms < -kMaxMonotonicMs || scan.monotonic_ms > kMaxMonotonicMs) {
    return "monotonic_ms " + std::to_string(scan.monotonic_ms) + " is out of range";
  }
  return std::nullopt;
}

IngestAnswer refused(int status, std::string code, std::string message,
                     std::string metric_label = {}) {
  IngestAnswer answer;
  answer.status = status;
  answer.error_code = std::move(code);
  answer.message = std::move(message);
  answer.metric_label = std::move(metric_label);
  return answer;
}

IngestAnswer store_failed(Error<DbError> error) {
  IngestAnswer answer;
  answer.status = 503;
  answer.error_code = "store_unavailable";
  answer.message = error.message;
  answer.store_error = std::move(error);
  return answer;
}

// A refusal naming one scan: counted under its code, the sequence in the error object.
IngestAnswer refused_scan(const Scan& scan, const std::string& code, const std::string& message) {
  auto answer = refused(422, code, "scan " + std::to_string(scan.sequence) + ": " + message, code);
  answer.error_fields.emplace_back("sequence", scan.sequence);
  return answer;
}

// The batch names the device's event and the device itself (or nobody: its own).
std::optional<IngestAnswer> check_batch_device(ScanBatch& batch, const DeviceRecord& device) {
  if (batch.event_id && *batch.event_id != device.event_id) {
    return refused(422, "wrong_event", "this device is provisioned for event " + device.event_id,
                   "wrong_event");
  }
  for (auto& scan : batch.scans) {
    if (scan.device_id.empty()) scan.device_id = device.id;
    if (scan.device_id != device.id) {
      auto answer = refused(403, "wrong_device",
                            "scan " + std::to_string(scan.sequence) + " names another device",
                            "wrong_device");
      answer.error_fields.emplace_back("sequence", scan.sequence);
      return answer;
    }
  }
  return std::nullopt;
}

// What each scan of a batch is checked against: the event's sessions, the League's trust, and
// the histories a branch's kiosk may void scans of.
struct ScanChecks {
  const DeviceRecord& device;
  Event event;
  std::set<std::string, std::less<>> sessions;
  std::optional<TrustStore> trust;
  std::vector<LineageStep> ancestors;
  Instant now;

  // A branch's kiosk may void a scan it recorded before it branched: one of an ancestor below
  // the sequence where its history left that ancestor's (never the other history's scans).
  [[nodiscard]] bool in_history(std::string_view voids_device, std::uint64_t sequence) const {
    return std::any_of(ancestors.begin(), ancestors.end(), [&](const LineageStep& step) {
      return step.device_id == voids_device && sequence < step.before_sequence;
    });
  }
};

// Fills `checks` from the store; a store failure is the answer.
std::optional<IngestAnswer> load_checks(ServerStore& store, ScanChecks& checks) {
  auto event = store.event(checks.device.event_id);
  if (!event) return store_failed(event.error());
  checks.event = std::move(*event);
  for (const auto& session : checks.event.sessions)
    checks.sessions.insert(session.id);

  auto league = store.league();
  if (!league) return store_failed(league.error());
  auto keys = store.league_keys();
  if (!keys) return store_failed(keys.error());
  auto trust = TrustStore::for_league(league->id);
  if (!trust) throw std::runtime_error("league id is not a valid badge id");
  for (const auto& key : *keys) {
    if (auto parsed = parse_public_key(key.public_key_text)) (void)trust->add_league_key(*parsed);
  }
  // Badges a registration desk reprinted are signed by its certified device key.
  auto certificates = store.device_certificates();
  if (!certificates) return store_failed(certificates.error());
  for (const auto& record : *certificates) {
    if (auto parsed = parse_device_certificate(record.certificate_text)) {
      (void)trust->add_device_certificate(*parsed);
    }
  }
  checks.trust.emplace(std::move(*trust));
  if (!checks.device.parent_id.empty()) {
    auto found = store.lineage(checks.device.id);
    if (!found) return store_failed(found.error());
    checks.ancestors = std::move(*found);
  }
  return std::nullopt;
}

// Authority follows the fact: a correction names the staff member who made it (it is listed for
// review), and a door may void only a scan it recorded itself.
std::optional<IngestAnswer> check_correction(const Scan& scan, const ScanChecks& checks) {
  if (scan.staff_id.empty()) {
    return refused_scan(scan, "staff_missing", "a correction must name the staff member");
  }
  if (scan.correction == Correction::void_scan && scan.voids_device_id != checks.device.id &&
      !checks.in_history(scan.voids_device_id, scan.voids_sequence)) {
    return refused_scan(scan, "foreign_scan",
                        "a device may void only its own scans (this one names device '" +
                            scan.voids_device_id + "')");
  }
  return std::nullopt;
}

// Revocation is not checked here: the scan happened; a revoked badge is the kiosk's call. A
// reprint revokes a badge League-wide, so it is held to more than a fact a door saw: its new
// badge must be signed by a certified desk key that is valid on the server's clock now (the
// scan's own time is the client's word), and (in the store) the old serial must be the same
// attendee's.
std::optional<IngestAnswer> check_badge(const Scan& scan, const ScanChecks& checks) {
  const bool reprint = scan.kind == ScanKind::reprint;
  auto badge = checks.trust->verify(scan.badge_payload, reprint ? checks.now : scan.wall_time);
  if (reprint && badge && badge->signer != BadgeSigner::device) {
    return refused_scan(scan, "not_a_desk",
                        "a reprint must carry a badge signed by a certified registration desk");
  }
  if (!badge) {
    return refused_scan(scan, "bad_badge",
                        "badge signature does not verify (" + std::string(to_string(badge.code())) +
                            ")");
  }
  if (badge->attendee_id != scan.attendee_id || badge->serial != scan.badge_serial) {
    return refused_scan(scan, "badge_mismatch",
                        "attendee_id or badge_serial differs from the signed badge payload");
  }
  return std::nullopt;
}

std::optional<IngestAnswer> check_scan(const Scan& scan, const ScanChecks& checks) {
  const bool event_level = scan.kind == ScanKind::checkin || scan.kind == ScanKind::registration ||
                           scan.kind == ScanKind::reprint;
  if (!(event_level && scan.session_id.empty()) && !checks.sessions.contains(scan.session_id)) {
    return refused_scan(scan, "wrong_event",
                        "session '" + scan.session_id + "' is not a session of event " +
                            checks.event.id);
  }
  if (scan.kind == ScanKind::correction) {
    if (auto refusal = check_correction(scan, checks)) return refusal;
  }
  if (!scan.badge_payload.empty()) return check_badge(scan, checks);
  // Staff act without a badge (corrections, a check-in found by name, a walk-in); a survey
  // follows a leave that carried one. Arrivals, leaves and reprints need their badge.
  const bool badge_needed = scan.kind == ScanKind::arrive || scan.kind == ScanKind::leave ||
                            scan.kind == ScanKind::reprint;
  if (badge_needed) {
    return refused_scan(scan, "badge_missing",
                        "an arrival, leave or reprint must carry its badge payload");
  }
  return std::nullopt;
}

// Stores the checked batch and its clock samples; the answer says what was stored.
IngestAnswer store_batch(ServerStore& store, const DeviceRecord& device, const ScanBatch& batch,
                         Instant now) {
  const auto& scans = batch.scans;
  auto outcome = store.store_scans(device.id, device.event_id, scans, now);
  if (!outcome) {
    if (outcome.code() == DbError::invalid) {
      return refused(422, "invalid_scan", outcome.message(), "invalid_scan");
    }
    if (outcome.code() == DbError::chain_break || outcome.code() == DbError::conflict) {
      auto head = store.chain_head(device.id);
      auto answer = refused(409, "chain_break", outcome.message(), "chain_break");
      answer.top_fields.emplace_back("acked_through", head ? head->sequence : 0);
      return answer;
    }
    return store_failed(outcome.error());
  }
  if (outcome->rejection) {
    auto answer = refused(409, "chain_break", outcome->rejection->reason, "chain_break");
    answer.error_fields.emplace_back("first_bad_sequence", outcome->rejection->first_bad_sequence);
    answer.top_fields.emplace_back("acked_through", outcome->highest_contiguous);
    return answer;
  }
  // The clock samples that came with the batch (PROTOCOL.md "Clock"): stored before the answer
  // that tells the kiosk it may stop resending them.
  if (auto kept = store.store_clock_samples(device.id, batch.clock_samples, now); !kept) {
    if (kept.code() == DbError::invalid) return refused(422, "invalid_sample", kept.message());
    return store_failed(kept.error());
  }
  IngestAnswer answer;
  answer.stored = outcome->stored;
  answer.duplicates = outcome->duplicates;
  answer.acked_through = outcome->highest_contiguous;
  if (outcome->stored > 0 && outcome->stored <= scans.size()) {
    // The newly stored scans are the last `stored` ones of the sorted batch.
    const auto& oldest_new = scans[scans.size() - outcome->stored];
    answer.lag = std::max(
        std::chrono::milliseconds{0},
        std::chrono::duration_cast<std::chrono::milliseconds>(now - corrected_time(oldest_new)));
  }
  return answer;
}

} // namespace

IngestAnswer ingest_scans(ServerStore& store, const DeviceRecord& device, ScanBatch batch,
                          Instant now) {
  // A client may send a batch in any order; the chain is checked in sequence order.
  std::stable_sort(batch.scans.begin(), batch.scans.end(),
                   [](const Scan& a, const Scan& b) { return a.sequence < b.sequence; });
  if (auto refusal = check_batch_device(batch, device)) return std::move(*refusal);
  ScanChecks checks{device, {}, {}, {}, {}, now};
  if (auto failure = load_checks(store, checks)) return std::move(*failure);
  for (const auto& scan : batch.scans) {
    if (auto problem = implausible_time(scan)) {
      return refused_scan(scan, "implausible_time", *problem);
    }
  }
  for (const auto& scan : batch.scans) {
    if (auto refusal = check_scan(scan, checks)) return std::move(*refusal);
  }
  return store_batch(store, device, batch, now);
}

std::string ingest_answer_body(const IngestAnswer& answer) {
  if (answer.ok()) {
    return json{{"stored", answer.stored},
                {"duplicates", answer.duplicates},
                {"acked_through", answer.acked_through}}
        .dump();
  }
  json error = json::object();
  for (const auto& [name, value] : answer.error_fields)
    error[name] = value;
  error["code"] = answer.error_code;
  error["message"] = answer.message;
  json body = json::object();
  for (const auto& [name, value] : answer.top_fields)
    body[name] = value;
  body["error"] = std::move(error);
  return body.dump();
}

} // namespace muster::server
