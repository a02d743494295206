#pragma once
// One sync pass of a kiosk (sync/PROTOCOL.md): measure the clock, push every unacknowledged
// scan of this device in bounded batches, pull the event package delta and the other doors'
// scans (presence across doors). Also provisioning.
// Acknowledgement only marks scans (never deletes) and happens only after the server answered,
// so a crash at any point just means sending some scans again (the server counts duplicates).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "shared/kiosk_store.hpp"
#include "shared/result.hpp"
#include "sync/client/http_client.hpp"

namespace muster::sync {

// The server's error code and sentence (sync/PROTOCOL.md "Errors"), or "HTTP status N" when the
// body is not that form. The venue relay reads its upstream's answers with it too.
struct ServerError {
  std::string code;
  std::string message;
  std::uint64_t first_bad_sequence = 0;
  std::optional<std::uint64_t> acked_through;
};
ServerError server_error(const HttpResponse& response);

// Store settings written by provisioning and by each pass (the staff screen reads the last two).
inline constexpr std::string_view kSettingServerUrl = "sync.server_url";
inline constexpr std::string_view kSettingDeviceToken = "sync.device_token";
inline constexpr std::string_view kSettingSyncDeviceId = "sync.device_id";
inline constexpr std::string_view kSettingEventId = "sync.event_id";
inline constexpr std::string_view kSettingLeagueId = "sync.league_id";
inline constexpr std::string_view kSettingLastSuccess = "sync.last_success"; // ISO 8601 UTC
inline constexpr std::string_view kSettingLastError = "sync.last_error";     // "" after success
inline constexpr std::string_view kSettingClockUncertaintyMs = "sync.clock_uncertainty_ms";
// The same key as kiosk/app/kiosk_settings.hpp kSettingDeviceId: the id new scans are recorded
// under, switched with sync.device_id when the kiosk continues on a branch.
inline constexpr std::string_view kSettingRecordingDeviceId = "device_id";
// Words for staff mode once this kiosk was found restored or cloned and continued on a branch.
inline constexpr std::string_view kSettingBranchNote = "sync.branch_note";
// The same key as kiosk/app/kiosk_settings.hpp kSettingClockOffsetMs (new scans carry it).
inline constexpr std::string_view kSettingClockOffsetMs = "clock_offset_ms";
// The same cursor name as kiosk/app/package_import.hpp kPackageCursor.
inline constexpr std::string_view kPackageCursorName = "event_package";
// Where the pull of the other doors' scans got to (server ms of the newest one seen).
inline constexpr std::string_view kPeerScansCursorName = "peer_scans";

inline constexpr std::size_t kDefaultBatchSize = 500;

enum class SyncError : std::uint8_t {
  not_provisioned, // no server, token or device id in the store: run provision
  bad_url,         // the server URL is invalid or plain http to a non-loopback host
  unreachable,     // transport failure, 5xx, 429: retry with backoff
  unauthorized,    // 401/403/404 for this device or event: re-provision
  refused,         // 400/413/422: the server will refuse this again; staff must look
  chain_mismatch,  // 409 at acked_through+1: the kiosk's records differ from the server's
  package,         // the pulled package did not verify or apply
  store,           // the kiosk store failed
};
std::string_view to_string(SyncError error);

struct ProvisionResult {
  std::string server_url;
  std::string device_id;
  std::string device_name;
  std::string token;
  std::string event_id;
  std::string league_id;
  std::int64_t server_time_ms = 0;
};

// POST /api/v1/devices with the one-time code, and the kiosk's own device id and public key
// (MUPK1) when given: a current server keeps that id; an older one answers with an id of its own.
Result<ProvisionResult, SyncError> provision_device(HttpClient& http, std::string_view server_url,
                                                    std::string_view code,
                                                    std::string_view device_name,
                                                    std::string_view device_id = {},
                                                    std::string_view device_public_key = {});
// Keeps server URL, device id, token, event and League in the store's settings (the token lives
// only in the store, never in a separate file), and a first clock estimate.
Result<Ok, SyncError> save_provisioning(KioskStore& store, const ProvisionResult& provisioned,
                                        std::int64_t clock_offset_ms);

struct ClockSample {
  std::int64_t offset_ms = 0;      // server - device
  std::int64_t uncertainty_ms = 0; // half the round trip
  // The measurement itself, at the middle of the round trip (stored as a muster::ClockSample).
  std::int64_t server_time_ms = 0;
  std::int64_t device_wall_ms = 0;
  std::int64_t monotonic_ms = 0;
};
// GET /api/v1/time `samples` times; keeps the sample with the shortest round trip.
// `device_clock_ms`: the device's wall clock in ms since the epoch (empty: the system clock).
using DeviceClock = std::function<std::int64_t()>;
// `monotonic_clock`: the device's monotonic clock in ms (empty: std::chrono::steady_clock, the
// clock scans record).
Result<ClockSample, SyncError> measure_clock(HttpClient& http, std::string_view server_url,
                                             int samples = 3, const DeviceClock& device_clock = {},
                                             const DeviceClock& monotonic_clock = {});

// Applies a pulled package envelope to the store (the kiosk's import_package); returns the
// package's cursor. Given by the kiosk so that sync/client does not depend on kiosk/.
using PackageApplier =
    std::function<Result<std::uint64_t, SyncError>(KioskStore& store, std::string_view envelope)>;

struct SyncPassOptions {
  std::size_t batch_size = kDefaultBatchSize;
  std::optional<std::string> server_url; // overrides the provisioned URL for this pass
  bool measure_clock = true;
  bool pull = true;            // needs an applier
  DeviceClock device_clock;    // empty: the system clock (tests simulate a wrong kiosk clock)
  DeviceClock monotonic_clock; // empty: steady_clock
  // The boot the clock sample belongs to; nullopt: the running boot (shared/boot_id.hpp).
  std::optional<std::string> boot_id;
};

// Clock samples sent with one push request at most (the rest go with the next requests).
inline constexpr std::size_t kClockSamplesPerRequest = 100;

struct SyncReport {
  bool ok = false; // pushed everything and pulled (when asked)
  bool server_reachable = false;
  std::uint64_t stored = 0;     // scans new on the server
  std::uint64_t duplicates = 0; // scans the server already had (retries)
  std::size_t batches = 0;
  std::size_t largest_batch = 0;         // scans in the largest batch sent
  std::size_t largest_request_bytes = 0; // body bytes of the largest request sent
  std::uint64_t acked_through = 0;
  std::uint64_t queued = 0; // unacknowledged scans left in the store
  bool package_applied = false;
  std::uint64_t package_cursor = 0;
  std::uint64_t peer_scans = 0; // other doors' scans new to this kiosk
  // Set when this pass found the store restored or cloned and continued on a branch.
  std::string branched_from;
  std::string branched_to;
  std::uint64_t branch_diverged_at = 0;
  std::uint64_t branch_moved = 0; // this kiosk's scans re-chained onto the branch
  std::optional<ClockSample> clock;
  std::optional<Error<SyncError>> error;
  std::optional<std::chrono::seconds> retry_after; // the server asked us to wait
};

// One pass. `should_stop` is polled between requests (engine shutdown). Writes
// sync.last_success / sync.last_error and the clock offset to the store.
SyncReport run_sync_pass(KioskStore& store, HttpClient& http, const SyncPassOptions& options,
                         const PackageApplier& apply,
                         const std::function<bool()>& should_stop = {});

} // namespace muster::sync
