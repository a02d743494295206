#include "sync/client/sync_pass.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <vector>

#include "shared/boot_id.hpp"
#include "shared/scan_json.hpp"
#include "shared/scan_log.hpp"
#include "shared/time.hpp"

namespace muster::sync {
namespace {

using nlohmann::json;

std::string trim_slash(std::string_view url) {
  std::string out(url);
  while (!out.empty() && out.back() == '/')
    out.pop_back();
  return out;
}

Instant now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

std::int64_t now_ms() { return now().time_since_epoch().count(); }

std::string setting_text(const KioskStore& store, std::string_view key) {
  auto value = store.setting(key);
  if (!value || !value->has_value()) return {};
  return **value;
}

std::uint64_t to_u64(std::string_view text) {
  std::uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

// Which failures are worth retrying and which need a person (PROTOCOL.md, "Retry rules").
Error<SyncError> status_error(const HttpResponse& response, std::string_view what) {
  const ServerError e = server_error(response);
  const std::string words =
      std::string(what) + ": " + e.message + (e.code.empty() ? "" : " (" + e.code + ")");
  const long s = response.status;
  if (s >= 500 || s == 429 || s == 408) return fail(SyncError::unreachable, words);
  if (s == 401 || s == 403 || s == 404) {
    return fail(SyncError::unauthorized,
                words + "; provision this kiosk again (muster-kiosk provision URL CODE)");
  }
  return fail(SyncError::refused, words + "; the server will refuse this again, staff must look");
}

Error<SyncError> transport_error(const Error<TransportError>& e, std::string_view what) {
  if (e.code == TransportError::invalid_url || e.code == TransportError::insecure_url) {
    return fail(SyncError::bad_url, e.message);
  }
  std::string words;
  switch (e.code) {
  case TransportError::connect:
    words = "cannot reach the server";
    break;
  case TransportError::timeout:
    words = "the server did not answer in time";
    break;
  case TransportError::tls:
    words = "the server's certificate or key did not verify";
    break;
  case TransportError::reset:
  case TransportError::truncated:
    words = "the connection broke";
    break;
  default:
    words = "network error";
    break;
  }
  return fail(SyncError::unreachable, std::string(what) + ": " + words + " (" + e.message + ")");
}

struct Identity {
  std::string server_url;
  std::string device_id;
  std::string token;
  std::string event_id;
};

Result<Identity, SyncError> load_identity(const KioskStore& store,
                                          const std::optional<std::string>& url_override) {
  Identity id;
  id.server_url = trim_slash(url_override ? *url_override : setting_text(store, kSettingServerUrl));
  id.device_id = setting_text(store, kSettingSyncDeviceId);
  id.token = setting_text(store, kSettingDeviceToken);
  id.event_id = setting_text(store, kSettingEventId);
  if (id.server_url.empty() || id.device_id.empty() || id.token.empty() || id.event_id.empty()) {
    return fail(SyncError::not_provisioned,
                "this kiosk is not provisioned: run 'muster-kiosk provision URL CODE' with a code "
                "from 'muster-server provision'");
  }
  return id;
}

// The server holds other scans under this device's sequences from `diverged_at` on (the kiosk
// was restored from an old backup, or its store was cloned): ask for a branch of the identity
// (POST /api/v1/devices/{id}/branches, sync/PROTOCOL.md "Branches"), then move this kiosk's own
// scans from there onto it in one store transaction and take the branch's id and token. A lost
// answer is asked again and names the same branch; a crash before the store commit leaves the
// old identity, after it the new one.
std::optional<Error<SyncError>> continue_on_branch(KioskStore& store, HttpClient& http,
                                                   Identity& id, std::uint64_t diverged_at,
                                                   SyncReport& report) {
  const std::string refused = "sync refused: records do not match the server (sequence " +
                              std::to_string(diverged_at) + ")";
  auto local = store.scans_after(id.device_id, diverged_at - 1, 1);
  if (!local) return fail(SyncError::store, local.message());
  if (local->empty() || local->front().sequence != diverged_at) {
    return fail(SyncError::chain_mismatch, refused);
  }
  const json request{{"diverged_at", diverged_at}, {"hash", to_hex(local->front().hash)}};
  auto response = http.post_json(id.server_url + "/api/v1/devices/" + id.device_id + "/branches",
                                 request.dump(), id.token);
  if (!response) return transport_error(response.error(), "continuing on a branch");
  if (response->status == 404 && server_error(*response).code == "not_found") {
    // A server older than branches: keep every scan and let staff look, as before.
    return fail(SyncError::chain_mismatch, refused + "; the server cannot branch this device "
                                                     "(update muster-server)");
  }
  if (response->status == 409) {
    return fail(SyncError::chain_mismatch, refused + ": " + server_error(*response).message);
  }
  if (response->status != 200 && response->status != 201) {
    return status_error(*response, "continuing on a branch");
  }
  const json answer = json::parse(response->body, nullptr, false);
  if (!answer.is_object() || !answer.contains("device_id") || !answer["device_id"].is_string() ||
      !answer.contains("token") || !answer["token"].is_string()) {
    return fail(SyncError::unreachable, "continuing on a branch: the server's answer was not "
                                        "readable");
  }
  const std::string branch = answer["device_id"].get<std::string>();
  const std::string token = answer["token"].get<std::string>();
  if (branch.empty() || branch == id.device_id || token.rfind(branch + ".", 0) != 0) {
    return fail(SyncError::refused, "continuing on a branch: the server named no usable branch");
  }
  const std::string note = "restored from a backup or cloned: continues as branch " + branch +
                           " (its scans from #" + std::to_string(diverged_at) + " of " +
                           id.device_id + " moved there)";
  KioskStore::BranchMove move;
  move.device_id = id.device_id;
  move.diverged_at = diverged_at;
  move.branch_device_id = branch;
  move.settings = {{std::string(kSettingSyncDeviceId), branch},
                   {std::string(kSettingDeviceToken), token},
                   {std::string(kSettingRecordingDeviceId), branch},
                   {std::string(kSettingBranchNote), note}};
  auto moved = store.move_to_branch(move, now());
  if (!moved) return fail(SyncError::store, moved.message());
  report.branched_from = id.device_id;
  report.branched_to = branch;
  report.branch_diverged_at = diverged_at;
  report.branch_moved += *moved;
  id.device_id = branch;
  id.token = token;
  return std::nullopt;
}

// Pushes every scan after the acknowledged ones; returns nothing on success. Sets `branched`
// when this device continued on a branch (the caller pushes again under the new identity).
std::optional<Error<SyncError>> push_all(KioskStore& store, HttpClient& http, Identity& id,
                                         const SyncPassOptions& options, SyncReport& report,
                                         const std::function<bool()>& should_stop, bool& branched) {
  branched = false;
  auto acked = store.acked_through(id.device_id);
  if (!acked) return fail(SyncError::store, acked.message());
  auto last = store.last_sequence(id.device_id);
  if (!last) return fail(SyncError::store, last.message());
  std::uint64_t next_after = *acked; // send from next_after + 1
  std::uint64_t marked = *acked;
  std::size_t batch_size =
      std::max<std::size_t>(1, std::min(options.batch_size, kMaxScansPerBatch));
  std::optional<std::uint64_t> refused_at; // a 409 for a batch starting at acked_through + 1
  const std::string url = id.server_url + "/api/v1/devices/" + id.device_id + "/scans";
  // Bounded: each round either acknowledges at least one scan, shrinks the batch, or is the
  // single resend a 409 allows; anything else ends the pass.
  const std::uint64_t max_rounds = (*last > next_after ? *last - next_after : 0) * 2 + 64;
  for (std::uint64_t round = 0; round < max_rounds; ++round) {
    if (should_stop && should_stop()) return fail(SyncError::unreachable, "sync stopped");
    auto scans = store.scans_after(id.device_id, next_after, batch_size);
    if (!scans) return fail(SyncError::store, scans.message());
    // Clock samples ride along until the server has stored them, even with no scan to send.
    auto unsent = store.unsent_clock_samples(kClockSamplesPerRequest);
    if (!unsent) return fail(SyncError::store, unsent.message());
    if (scans->empty() && unsent->empty()) return std::nullopt;
    std::vector<muster::ClockSample> samples;
    for (const auto& item : *unsent)
      samples.push_back(item.second);
    const std::string body = scan_batch_to_json(*scans, id.event_id, samples);
    report.batches += 1;
    report.largest_batch = std::max(report.largest_batch, scans->size());
    report.largest_request_bytes = std::max(report.largest_request_bytes, body.size());
    auto response = http.post_json(url, body, id.token);
    if (!response) return transport_error(response.error(), "pushing scans");
    report.server_reachable = true;
    const std::uint64_t first_sent = scans->empty() ? next_after + 1 : scans->front().sequence;
    // What this answer proves the server holds exactly as this kiosk does: never more than the
    // scans just sent (the server may hold more under these sequences, with other content).
    std::uint64_t proven = marked;
    std::uint64_t resume_after = next_after;
    if (response->status == 200) {
      const json answer = json::parse(response->body, nullptr, false);
      if (!answer.is_object() || !answer.contains("acked_through") ||
          !answer["acked_through"].is_number_unsigned()) {
        return fail(SyncError::unreachable, "pushing scans: the server's answer was not readable");
      }
      const auto server_acked = answer["acked_through"].get<std::uint64_t>();
      report.stored += answer.value("stored", std::uint64_t{0});
      report.duplicates += answer.value("duplicates", std::uint64_t{0});
      if (!unsent->empty()) {
        // A 200 means the server stored the samples with the batch (PROTOCOL.md "Clock").
        auto sent = store.mark_clock_samples_sent(unsent->back().first, now());
        if (!sent) return fail(SyncError::store, sent.message());
      }
      if (scans->empty()) {
        if (unsent->size() < kClockSamplesPerRequest) return std::nullopt;
        continue;
      }
      proven = std::min(server_acked, scans->back().sequence);
      if (proven <= next_after) {
        return fail(SyncError::refused, "pushing scans: the server acknowledged nothing new "
                                        "(acked_through " +
                                            std::to_string(server_acked) + ")");
      }
      resume_after = proven;
    } else if (response->status == 409) {
      const ServerError e = server_error(*response);
      if (!e.acked_through) return status_error(*response, "pushing scans");
      const std::uint64_t bad = e.first_bad_sequence;
      const std::uint64_t held = *e.acked_through;
      const bool gap = first_sent > held + 1; // this kiosk lost track of the acknowledgement
      if (!gap && (scans->empty() || bad == 0 || bad < first_sent)) {
        return fail(SyncError::chain_mismatch,
                    "sync refused: records do not match the server (sequence " +
                        std::to_string(bad) + ")");
      }
      // The scans sent before the first bad one were checked equal to the server's.
      if (!gap) proven = std::max(marked, std::min(bad - 1, held));
      if (!gap && bad <= held) {
        // The server holds other scans under this kiosk's sequences: a restored or cloned
        // store. Marking them acknowledged would lose this kiosk's own scans.
        if (proven > marked) {
          auto changed = store.mark_acked(id.device_id, proven, now());
          if (!changed) return fail(SyncError::store, changed.message());
        }
        if (auto failed = continue_on_branch(store, http, id, bad, report)) return failed;
        branched = true;
        return std::nullopt;
      }
      if (first_sent == held + 1) {
        if (refused_at && *refused_at == bad) {
          return fail(SyncError::chain_mismatch,
                      "sync refused: records do not match the server (sequence " +
                          std::to_string(bad) + ")");
        }
        refused_at = bad; // once more, in case the batch was stale
      }
      // A gap (the batch started beyond what the server holds) or a batch that does not
      // continue its head: resend from the server's head.
      resume_after = held;
    } else if (response->status == 413 && batch_size > 1) {
      batch_size = std::max<std::size_t>(1, batch_size / 2);
      continue;
    } else {
      auto error = status_error(*response, "pushing scans");
      if (response->retry_after) report.retry_after = response->retry_after;
      return error;
    }
    // Mark only after the server's durable answer; acknowledgement never goes backwards.
    const std::uint64_t to_mark = std::min(proven, *last);
    if (to_mark > marked) {
      auto changed = store.mark_acked(id.device_id, to_mark, now());
      if (!changed) return fail(SyncError::store, changed.message());
      marked = to_mark;
    }
    report.acked_through = std::max(report.acked_through, to_mark);
    next_after = resume_after;
  }
  return fail(SyncError::refused, "pushing scans: no progress after many batches");
}

std::optional<Error<SyncError>> pull_package(KioskStore& store, HttpClient& http,
                                             const Identity& id, const PackageApplier& apply,
                                             SyncReport& report) {
  auto cursor = store.cursor(kPackageCursorName);
  if (!cursor) return fail(SyncError::store, cursor.message());
  const std::uint64_t since = cursor->has_value() ? to_u64(**cursor) : 0;
  const std::string url =
      id.server_url + "/api/v1/events/" + id.event_id + "/package?since=" + std::to_string(since);
  auto response = http.get(url, id.token);
  if (!response) return transport_error(response.error(), "pulling the event package");
  report.server_reachable = true;
  if (response->status != 200) {
    if (response->retry_after) report.retry_after = response->retry_after;
    return status_error(*response, "pulling the event package");
  }
  auto applied = apply(store, response->body);
  if (!applied) return applied.error();
  report.package_applied = true;
  report.package_cursor = *applied;
  return std::nullopt;
}

// The other doors' scans (GET /api/v1/events/{id}/scans), so this door knows of an arrival at
// the room's other door. Each pass starts a minute before the last scan it saw: a batch that
// another server instance committed late is not missed, and repeats are kept once.
std::optional<Error<SyncError>> pull_peer_scans(KioskStore& store, HttpClient& http,
                                                const Identity& id, SyncReport& report) {
  constexpr std::int64_t kOverlapMs = 60'000;
  constexpr int kMaxPages = 200;
  auto cursor = store.cursor(kPeerScansCursorName);
  if (!cursor) return fail(SyncError::store, cursor.message());
  std::int64_t after_ms = 0;
  if (cursor->has_value()) {
    after_ms = static_cast<std::int64_t>(to_u64(**cursor)) - kOverlapMs;
  }
  std::string after_device;
  std::uint64_t after_seq = 0;
  std::int64_t newest_ms = after_ms + kOverlapMs;
  for (int page = 0; page < kMaxPages; ++page) {
    const std::string url = id.server_url + "/api/v1/events/" + id.event_id +
                            "/scans?after_ms=" + std::to_string(after_ms) +
                            "&after_device=" + after_device +
                            "&after_seq=" + std::to_string(after_seq);
    auto response = http.get(url, id.token);
    if (!response) return transport_error(response.error(), "pulling the other doors' scans");
    if (response->status == 404) return std::nullopt; // a server that does not relay them
    if (response->status != 200) return status_error(*response, "pulling the other doors' scans");
    auto batch = parse_scan_batch(response->body);
    const auto answer = json::parse(response->body, nullptr, false);
    if (!batch || answer.is_discarded() || !answer.contains("cursor") ||
        !answer["cursor"].is_object()) {
      return fail(SyncError::unreachable, "pulling the other doors' scans: the answer was not "
                                          "readable");
    }
    auto added = store.add_peer_scans(batch->scans);
    if (!added) return fail(SyncError::store, added.message());
    report.peer_scans += *added;
    const json& next = answer["cursor"];
    after_ms = next.value("after_ms", after_ms);
    after_device = next.value("after_device", std::string());
    after_seq = next.value("after_seq", std::uint64_t{0});
    newest_ms = std::max(newest_ms, after_ms);
    if (!answer.value("more", false)) break;
  }
  if (auto saved = store.set_cursor(kPeerScansCursorName,
                                    std::to_string(std::max<std::int64_t>(newest_ms, 0)));
      !saved) {
    return fail(SyncError::store, saved.message());
  }
  return std::nullopt;
}

void record_outcome(KioskStore& store, SyncReport& report) {
  if (auto queued = store.unacked_count()) report.queued = *queued;
  if (report.ok) {
    (void)store.set_setting(kSettingLastSuccess, format_utc(now()));
    (void)store.set_setting(kSettingLastError, "");
  } else if (report.error) {
    (void)store.set_setting(kSettingLastError, report.error->message);
  }
}

} // namespace

ServerError server_error(const HttpResponse& response) {
  ServerError out;
  const json body = json::parse(response.body, nullptr, false);
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    const json& e = body["error"];
    if (e.contains("code") && e["code"].is_string()) out.code = e["code"].get<std::string>();
    if (e.contains("message") && e["message"].is_string())
      out.message = e["message"].get<std::string>();
    if (e.contains("first_bad_sequence") && e["first_bad_sequence"].is_number_unsigned())
      out.first_bad_sequence = e["first_bad_sequence"].get<std::uint64_t>();
    if (body.contains("acked_through") && body["acked_through"].is_number_unsigned())
      out.acked_through = body["acked_through"].get<std::uint64_t>();
  }
  if (out.message.empty()) out.message = "HTTP status " + std::to_string(response.status);
  return out;
}

std::string_view to_string(SyncError error) {
  switch (error) {
  case SyncError::not_provisioned:
    return "not_provisioned";
  case SyncError::bad_url:
    return "bad_url";
  case SyncError::unreachable:
    return "unreachable";
  case SyncError::unauthorized:
    return "unauthorized";
  case SyncError::refused:
    return "refused";
  case SyncError::chain_mismatch:
    return "chain_mismatch";
  case SyncError::package:
    return "package";
  case SyncError::store:
    return "store";
  }
  return "refused";
}

Result<ProvisionResult, SyncError> provision_device(HttpClient& http, std::string_view server_url,
                                                    std::string_view code,
                                                    std::string_view device_name,
                                                    std::string_view device_id,
                                                    std::string_view device_public_key) {
  const std::string base = trim_slash(server_url);
  json request{{"code", std::string(code)}};
  if (!device_name.empty()) request["device_name"] = std::string(device_name);
  if (!device_id.empty()) {
    request["device_id"] = std::string(device_id);
    request["device_public_key"] = std::string(device_public_key);
  }
  auto response = http.post_json(base + "/api/v1/devices", request.dump(), "");
  if (!response) return transport_error(response.error(), "provisioning");
  if (response->status != 201 && response->status != 200) {
    const ServerError e = server_error(*response);
    const SyncError kind = response->status >= 500 || response->status == 429
                               ? SyncError::unreachable
                               : SyncError::refused;
    return fail(kind,
                "provisioning refused: " + e.message + (e.code.empty() ? "" : " (" + e.code + ")"));
  }
  const json answer = json::parse(response->body, nullptr, false);
  ProvisionResult out;
  out.server_url = base;
  if (!answer.is_object()) return fail(SyncError::refused, "provisioning: unreadable answer");
  out.device_id = answer.value("device_id", "");
  out.device_name = answer.value("device_name", "");
  out.token = answer.value("token", "");
  out.event_id = answer.value("event_id", "");
  out.league_id = answer.value("league_id", "");
  out.server_time_ms = answer.value("server_time_ms", std::int64_t{0});
  if (out.device_id.empty() || out.token.empty() || out.event_id.empty()) {
    return fail(SyncError::refused, "provisioning: the answer lacks device_id, token or event_id");
  }
  return out;
}

Result<Ok, SyncError> save_provisioning(KioskStore& store, const ProvisionResult& provisioned,
                                        std::int64_t clock_offset_ms) {
  const std::pair<std::string_view, std::string> values[] = {
      {kSettingServerUrl, provisioned.server_url},
      {kSettingSyncDeviceId, provisioned.device_id},
      {kSettingDeviceToken, provisioned.token},
      {kSettingEventId, provisioned.event_id},
      {kSettingLeagueId, provisioned.league_id},
      {kSettingClockOffsetMs, std::to_string(clock_offset_ms)},
  };
  for (const auto& [key, value] : values) {
    if (auto saved = store.set_setting(key, value); !saved) {
      return fail(SyncError::store, saved.message());
    }
  }
  return Ok{};
}

Result<ClockSample, SyncError> measure_clock(HttpClient& http, std::string_view server_url,
                                             int samples, const DeviceClock& device_clock,
                                             const DeviceClock& monotonic_clock) {
  const auto clock = [&device_clock] { return device_clock ? device_clock() : now_ms(); };
  const auto monotonic = [&monotonic_clock]() -> std::int64_t {
    if (monotonic_clock) return monotonic_clock();
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  const std::string url = trim_slash(server_url) + "/api/v1/time";
  std::optional<ClockSample> best;
  std::optional<Error<SyncError>> last_error;
  for (int i = 0; i < std::max(1, samples); ++i) {
    const std::int64_t m0 = monotonic();
    const std::int64_t t0 = clock();
    auto response = http.get(url, "");
    const std::int64_t t1 = clock();
    const std::int64_t m1 = monotonic();
    if (!response) {
      last_error = transport_error(response.error(), "measuring the clock");
      break; // one failure is enough: the push would fail the same way
    }
    if (response->status != 200) {
      last_error = status_error(*response, "measuring the clock");
      break;
    }
    const json answer = json::parse(response->body, nullptr, false);
    if (!answer.is_object() || !answer.contains("server_time_ms") ||
        !answer["server_time_ms"].is_number_integer()) {
      last_error = fail(SyncError::unreachable, "measuring the clock: unreadable answer");
      break;
    }
    const std::int64_t s = answer["server_time_ms"].get<std::int64_t>();
    // Round-trip aware: the server read its clock somewhere between t0 and t1.
    // The uncertainty follows the monotonic round trip: a wall clock stepped mid-request
    // must not make a long round trip look short.
    const std::int64_t half_trip = std::max<std::int64_t>(0, (m1 - m0 + 1) / 2);
    const ClockSample sample{s - (t0 + t1) / 2, half_trip, s, t0 + (t1 - t0) / 2,
                             m0 + (m1 - m0) / 2};
    if (!best || sample.uncertainty_ms < best->uncertainty_ms) best = sample;
  }
  if (best) return *best;
  return *last_error;
}

SyncReport run_sync_pass(KioskStore& store, HttpClient& http, const SyncPassOptions& options,
                         const PackageApplier& apply, const std::function<bool()>& should_stop) {
  SyncReport report;
  auto id = load_identity(store, options.server_url);
  if (!id) {
    report.error = id.error();
    record_outcome(store, report);
    return report;
  }
  if (auto checked = check_server_url(id->server_url, http.options().allow_insecure_http);
      !checked) {
    report.error = fail(SyncError::bad_url, checked.message());
    record_outcome(store, report);
    return report;
  }
  if (options.measure_clock) {
    auto clock =
        measure_clock(http, id->server_url, 3, options.device_clock, options.monotonic_clock);
    if (!clock) {
      report.error = clock.error();
      record_outcome(store, report);
      return report;
    }
    report.server_reachable = true;
    report.clock = *clock;
    (void)store.set_setting(kSettingClockOffsetMs, std::to_string(clock->offset_ms));
    (void)store.set_setting(kSettingClockUncertaintyMs, std::to_string(clock->uncertainty_ms));
    // The sample travels to the server with the scans (PROTOCOL.md "Clock"): it places every
    // scan of this boot in true time, before or after it. No boot id: nothing to tie it to.
    const std::string boot = options.boot_id ? *options.boot_id : current_boot_id();
    if (!boot.empty()) {
      muster::ClockSample sample;
      sample.boot_id = boot;
      sample.server_time = Instant{std::chrono::milliseconds{clock->server_time_ms}};
      sample.device_wall = Instant{std::chrono::milliseconds{clock->device_wall_ms}};
      sample.monotonic_ms = clock->monotonic_ms;
      sample.uncertainty_ms = clock->uncertainty_ms;
      if (auto saved = store.add_clock_sample(sample); !saved) {
        report.error = fail(SyncError::store, saved.message());
        record_outcome(store, report);
        return report;
      }
    }
  }
  std::optional<Error<SyncError>> pushed;
  // A restored store can be behind more than once (a branch of a branch): a few rounds at most.
  for (int branches = 0; branches < 4; ++branches) {
    bool branched = false;
    pushed = push_all(store, http, *id, options, report, should_stop, branched);
    if (pushed || !branched) break;
    if (branches == 3) {
      pushed = fail(SyncError::chain_mismatch, "sync refused: this kiosk's records diverged from "
                                               "the server's again and again; staff must look");
    }
  }
  if (pushed) {
    report.error = std::move(*pushed);
  } else if (options.pull && apply) {
    if (auto pulled = pull_package(store, http, *id, apply, report)) {
      report.error = std::move(*pulled);
    } else if (auto peers = pull_peer_scans(store, http, *id, report)) {
      report.error = std::move(*peers);
    }
  }
  report.ok = !report.error.has_value();
  record_outcome(store, report);
  return report;
}

} // namespace muster::sync
