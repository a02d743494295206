#include "sync/client/sync_pass.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <vector>

#include "shared/boot_id.hpp"
#include "shared/scan_json.hpp"
#include "shared/scan_log.hpp"
#include "shared/time.hpp"
#include "sync/client/sync_support.hpp"

namespace muster::sync {
namespace {

using detail::now;
using detail::now_ms;
using detail::status_error;
using detail::transport_error;
using detail::trim_slash;

using nlohmann::json;

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
                   {std::string(kSettingDeviceId), branch},
                   {std::string(kSettingSyncBranchNote), note}};
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

// The clock samples of unsent_clock_samples' (row id, sample) pairs.
template <class Rows> std::vector<muster::ClockSample> samples_of(const Rows& unsent) {
  std::vector<muster::ClockSample> samples;
  for (const auto& item : unsent)
    samples.push_back(item.second);
  return samples;
}

// Where a push stands: what this kiosk marked acknowledged, where the next batch starts, and
// what the last answer proved.
struct PushState {
  std::uint64_t next_after = 0; // send from next_after + 1
  std::uint64_t marked = 0;
  std::optional<std::uint64_t> refused_at; // a 409 for a batch starting at acked_through + 1
  // What this answer proves the server holds exactly as this kiosk does, and where to resume.
  std::uint64_t proven = 0;
  std::uint64_t resume_after = 0;
};

// A 409 to the batch that started at `first_sent`: the records differ from the server's at its
// first bad sequence. The scans before it are proven and the push resumes from the server's
// head; or the server holds other scans under this kiosk's sequences (a restored or cloned
// store) and the device continues on a branch (`branched`); or the pass ends refused.
std::optional<Error<SyncError>> on_conflict(KioskStore& store, HttpClient& http, Identity& id,
                                            const HttpResponse& response, bool no_scans,
                                            std::uint64_t first_sent, PushState& st,
                                            SyncReport& report, bool& branched) {
  const ServerError e = server_error(response);
  if (!e.acked_through) return status_error(response, "pushing scans");
  const std::uint64_t bad = e.first_bad_sequence;
  const std::uint64_t held = *e.acked_through;
  const bool gap = first_sent > held + 1; // this kiosk lost track of the acknowledgement
  if (!gap && (no_scans || bad == 0 || bad < first_sent)) {
    return fail(SyncError::chain_mismatch,
                "sync refused: records do not match the server (sequence " + std::to_string(bad) +
                    ")");
  }
  // The scans sent before the first bad one were checked equal to the server's.
  if (!gap) st.proven = std::max(st.marked, std::min(bad - 1, held));
  if (!gap && bad <= held) {
    // The server holds other scans under this kiosk's sequences: a restored or cloned
    // store. Marking them acknowledged would lose this kiosk's own scans.
    if (st.proven > st.marked) {
      auto changed = store.mark_acked(id.device_id, st.proven, now());
      if (!changed) return fail(SyncError::store, changed.message());
    }
    if (auto failed = continue_on_branch(store, http, id, bad, report)) return failed;
    branched = true;
    return std::nullopt;
  }
  if (first_sent == held + 1) {
    if (st.refused_at && *st.refused_at == bad) {
      return fail(SyncError::chain_mismatch,
                  "sync refused: records do not match the server (sequence " + std::to_string(bad) +
                      ")");
    }
    st.refused_at = bad; // once more, in case the batch was stale
  }
  // A gap (the batch started beyond what the server holds) or a batch that does not
  // continue its head: resend from the server's head.
  st.resume_after = held;
  return std::nullopt;
}

// Marks what the last answer proved (never beyond this kiosk's last scan) and moves on. Only
// after the server's durable answer; acknowledgement never goes backwards.
std::optional<Error<SyncError>> mark_proven(KioskStore& store, const std::string& device_id,
                                            std::uint64_t last, PushState& st, SyncReport& report) {
  const std::uint64_t to_mark = std::min(st.proven, last);
  if (to_mark > st.marked) {
    auto changed = store.mark_acked(device_id, to_mark, now());
    if (!changed) return fail(SyncError::store, changed.message());
    st.marked = to_mark;
  }
  report.acked_through = std::max(report.acked_through, to_mark);
  st.next_after = st.resume_after;
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
  PushState st;
  st.next_after = *acked;
  st.marked = *acked;
  std::size_t batch_size =
      std::max<std::size_t>(1, std::min(options.batch_size, kMaxScansPerBatch));
  const std::string url = id.server_url + "/api/v1/devices/" + id.device_id + "/scans";
  // Bounded: each round either acknowledges at least one scan, shrinks the batch, or is the
  // single resend a 409 allows; anything else ends the pass.
  const std::uint64_t max_rounds = (*last > st.next_after ? *last - st.next_after : 0) * 2 + 64;
  for (std::uint64_t round = 0; round < max_rounds; ++round) {
    if (should_stop && should_stop()) return fail(SyncError::unreachable, "sync stopped");
    auto scans = store.scans_after(id.device_id, st.next_after, batch_size);
    if (!scans) return fail(SyncError::store, scans.message());
    // Clock samples ride along until the server has stored them, even with no scan to send.
    auto unsent = store.unsent_clock_samples(kClockSamplesPerRequest);
    if (!unsent) return fail(SyncError::store, unsent.message());
    if (scans->empty() && unsent->empty()) return std::nullopt;
    const std::string body = scan_batch_to_json(*scans, id.event_id, samples_of(*unsent));
    report.batches += 1;
    report.largest_batch = std::max(report.largest_batch, scans->size());
    report.largest_request_bytes = std::max(report.largest_request_bytes, body.size());
    auto response = http.post_json(url, body, id.token);
    if (!response) return transport_error(response.error(), "pushing scans");
    report.server_reachable = true;
    const std::uint64_t first_sent = scans->empty() ? st.next_after + 1 : scans->front().sequence;
    // What this answer proves the server holds exactly as this kiosk does: never more than the
    // scans just sent (the server may hold more under these sequences, with other content).
    st.proven = st.marked;
    st.resume_after = st.next_after;
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
      st.proven = std::min(server_acked, scans->back().sequence);
      if (st.proven <= st.next_after) {
        return fail(SyncError::refused, "pushing scans: the server acknowledged nothing new "
                                        "(acked_through " +
                                            std::to_string(server_acked) + ")");
      }
      st.resume_after = st.proven;
    } else if (response->status == 409) {
      if (auto failed = on_conflict(store, http, id, *response, scans->empty(), first_sent, st,
                                    report, branched)) {
        return failed;
      }
      if (branched) return std::nullopt;
    } else if (response->status == 413 && batch_size > 1) {
      batch_size = std::max<std::size_t>(1, batch_size / 2);
      continue;
    } else {
      auto error = status_error(*response, "pushing scans");
      if (response->retry_after) report.retry_after = response->retry_after;
      return error;
    }
    if (auto failed = mark_proven(store, id.device_id, *last, st, report)) return failed;
  }
  return fail(SyncError::refused, "pushing scans: no progress after many batches");
}

std::optional<Error<SyncError>> pull_package(KioskStore& store, HttpClient& http,
                                             const Identity& id, const PackageApplier& apply,
                                             SyncReport& report) {
  auto cursor = store.cursor(kPackageCursor);
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
    (void)store.set_setting(kSettingSyncLastSuccess, format_utc(now()));
    (void)store.set_setting(kSettingSyncLastError, "");
  } else if (report.error) {
    (void)store.set_setting(kSettingSyncLastError, report.error->message);
  }
}

} // namespace

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
