#pragma once
// The League server's storage: one interface, two backends (SQLite by default, PostgreSQL for
// several server instances behind a load balancer). The business rules live once, in
// server_store_*.cpp, over a small SQL connection seam (sql_connection.hpp), so both backends
// behave identically and the same tests run against both.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shared/clock_correction.hpp"
#include "shared/domain.hpp"
#include "shared/ledger.hpp"
#include "shared/result.hpp"
#include "shared/scan_log.hpp"

namespace muster::server {

enum class DbError : std::uint8_t {
  cannot_open, // bad path or URL, server down, authentication failed
  schema,      // not initialised (run `muster-server init`), or a newer schema than this build
  not_found,   // no such event, attendee, badge, device, code
  conflict,    // already exists / already used / a different scan under the same sequence
  chain_break, // a scan batch does not continue the device's hash chain (see IngestRejection)
  invalid,     // the caller passed something that breaks a rule (message says which)
  io,          // the database failed (disk full, connection lost): nothing was written
};
std::string_view to_string(DbError error);

template <class T> using DbResult = Result<T, DbError>;

struct ImportStats {
  std::uint64_t inserted = 0;
  std::uint64_t updated = 0;
  std::uint64_t unchanged = 0;
  std::uint64_t role_changes = 0; // roster: role facts added to the history
};

using RoleHistories = std::map<std::string, std::vector<RoleChange>, std::less<>>;

struct LeagueInfo {
  std::string id;
  std::string name;
};

struct LeagueKeyRecord {
  std::string key_id;
  std::string public_key_text; // the MUPK1 text form (shared/badge.hpp)
  Instant created_at;
  bool active = true; // the key new badges and packages are signed with
};

struct BadgeRecord {
  std::string serial;
  std::string attendee_id;
  std::string event_id; // the event it was issued for (empty: league-wide)
  std::string key_id;
  std::string payload; // the signed MU1 payload printed in the QR code
  Instant issued_at;
  std::optional<Instant> revoked_at;
};

// A desk's device key the League certified (registration desk reprints, issue 3).
struct DeviceCertificateRecord {
  std::string key_id;           // the device key's id
  std::string device_name;      // "Registration desk 1"
  std::string certificate_text; // the MUC1 text form (shared/badge.hpp)
  Instant created_at;
};

// A walk-in: an attendee created by the ingest of a kiosk's registration scan (ScanKind::
// registration), provisional until the League confirms them (`muster-server confirm-walk-in`).
struct WalkInRecord {
  Attendee attendee; // e-mail empty
  bool provisional = true;
  std::string same_as;   // confirmed as this existing attendee ("" when not)
  std::string event_id;  // of the registration scan
  std::string device_id; // the kiosk that registered them
  std::string staff_id;
  std::string reason;
  Instant registered_at; // the registration scan's time on the server's clock
};

struct DeviceRecord {
  std::string id;
  std::string name;
  std::string event_id;
  std::string token_hash; // libsodium crypto_pwhash_str / generichash hex, never the token
  Instant created_at;
  std::optional<Instant> last_seen;
  std::string public_key; // the kiosk's own Ed25519 key (MUPK1); empty: provisioned without one
  // A branch (a kiosk restored from an old backup, or a cloned one, continues as a new device
  // linked to the old one; sync/PROTOCOL.md "Branches"): its parent and the parent's first
  // sequence the branch does not share. Empty and 0 for a provisioned device.
  std::string parent_id{};
  std::uint64_t diverged_at = 0;
  // How often a kiosk of this device found itself behind the server and branched, and when last.
  std::uint64_t rollbacks = 0;
  std::optional<Instant> rolled_back_at{};
};

// One step of a device's ancestry: the scans of `device_id` below `before_sequence` are part of
// the history of the device asked about (the part its branch shares).
struct LineageStep {
  std::string device_id;
  std::uint64_t before_sequence = 0;
};

struct BranchOutcome {
  DeviceRecord device;
  bool created = false; // false: the same request came before (a lost answer); same branch
};

// What changed for one event since a cursor. Cursors are the store's global change counter:
// every write that changes what a kiosk must know bumps it. Cursor 0 means "everything".
struct PackageDelta {
  std::uint64_t since_cursor = 0;
  std::uint64_t next_cursor = 0;
  std::optional<Event> event;      // the whole event with all sessions, when any of it changed
  std::vector<Attendee> attendees; // added or changed; email ALWAYS empty here
  std::vector<std::string> revoked_serials; // revoked since the cursor (all of them for cursor 0)
  std::vector<LeagueKeyRecord> league_keys; // always all of them
  std::vector<DeviceCertificateRecord> device_certificates; // always all of them
};

// Why a batch of scans was refused as a whole. Nothing of a refused batch is stored.
struct IngestRejection {
  std::uint64_t first_bad_sequence = 0;
  std::string reason; // words for the operator and the kiosk log
};

struct IngestOutcome {
  std::uint64_t stored = 0;                 // new scans written by this call
  std::uint64_t duplicates = 0;             // already stored, identical (a retried batch)
  std::uint64_t highest_contiguous = 0;     // the device's chain is stored 1..this, durably
  std::optional<IngestRejection> rejection; // set when the batch broke the chain or conflicted
};

// Where a door's pull of the other doors' scans got to: the last scan returned, in the order
// (received_at, device_id, seq). A door that starts over passes {since_ms, "", 0}.
struct PeerCursor {
  std::int64_t received_ms = 0;
  std::string device_id;
  std::uint64_t sequence = 0;
};

// A device's clock sample (shared/clock_correction.hpp) as the server keeps it.
struct DeviceClockSample {
  std::string device_id;
  ClockSample sample;
};

// When the server first stored a scan (its `received_at`): no corrected time may be later.
struct ScanReceipt {
  std::string device_id;
  std::uint64_t sequence = 0;
  Instant received_at;
};

// Attendance scans other doors of an event recorded, as a door pulls them to learn the
// official's presence (shared/presence.hpp).
struct PeerScans {
  std::vector<Scan> scans;
  PeerCursor cursor; // after the last scan returned (the request's cursor when none)
  bool more = false; // the limit cut the answer: ask again from `cursor`
};

class ServerStore {
public:
  virtual ~ServerStore() = default;
  ServerStore() = default;
  ServerStore(const ServerStore&) = delete;
  ServerStore& operator=(const ServerStore&) = delete;

  [[nodiscard]] virtual std::string_view backend() const = 0; // "sqlite" or "postgresql"

  // Creates the schema (numbered migrations); refuses a database that already holds a League.
  virtual DbResult<Ok> initialise(const LeagueInfo& league) = 0;
  virtual DbResult<LeagueInfo> league() = 0; // schema error when not initialised

  virtual DbResult<Ok> add_league_key(const LeagueKeyRecord& key) = 0; // makes it the active one
  virtual DbResult<std::vector<LeagueKeyRecord>> league_keys() = 0;

  // Re-importing updates and never duplicates; a row that did not change does not bump the cursor.
  // Roles have a history: an attendee whose role on `effective` differs from the import's gets
  // the fact (attendee, role, effective) added (the first change also records the old role as
  // held since always; a second import on the same date replaces that date's fact). Without any
  // fact the roster's role holds on every date. Credit is judged by role_on.
  virtual DbResult<ImportStats> upsert_roster(std::span<const Attendee> attendees,
                                              Date effective) = 0;
  // The same, effective today (UTC).
  DbResult<ImportStats> upsert_roster(std::span<const Attendee> attendees);
  // The role facts of one attendee / of everyone, sorted by date (empty: none recorded; the
  // roster's role then holds on every date).
  virtual DbResult<std::vector<RoleChange>> role_history(std::string_view attendee_id) = 0;
  virtual DbResult<RoleHistories> role_histories() = 0;
  // The local day of the latest session anyone has attendance scans for (nullopt: none). A role
  // change without an explicit date never reaches back to sessions already attended.
  virtual DbResult<std::optional<Date>> last_attended_day() = 0;
  // The role of an attendee on a date (role_on over the history; not_found if not on the roster).
  DbResult<Role> role_on(std::string_view attendee_id, Date date);

  // The League's municipalities by id; re-importing updates names and seats.
  virtual DbResult<ImportStats> upsert_municipalities(std::span<const Municipality> list) = 0;
  virtual DbResult<std::vector<Municipality>> municipalities() = 0;   // sorted by id
  virtual DbResult<ImportStats> upsert_event(const Event& event) = 0; // sessions by id
  virtual DbResult<Event> event(std::string_view event_id) = 0;
  virtual DbResult<std::vector<Event>> events() = 0;
  virtual DbResult<std::vector<Attendee>> roster() = 0; // with e-mail: server-side use only
  virtual DbResult<Attendee> attendee(std::string_view attendee_id) = 0;

  virtual DbResult<Ok> add_badge(const BadgeRecord& badge) = 0; // conflict if the serial exists
  virtual DbResult<BadgeRecord> badge(std::string_view serial) = 0;
  virtual DbResult<std::vector<BadgeRecord>> badges_for_event(std::string_view event_id) = 0;
  // Revoking twice is fine (keeps the first time); not_found for an unknown serial.
  virtual DbResult<BadgeRecord> revoke_badge(std::string_view serial, Instant when) = 0;

  // Stores (or replaces, by key id) a device certificate and bumps the change counter, so the
  // next package delta of every event carries it.
  virtual DbResult<Ok> add_device_certificate(const DeviceCertificateRecord& record) = 0;
  virtual DbResult<std::vector<DeviceCertificateRecord>> device_certificates() = 0;

  virtual DbResult<PackageDelta> package_since(std::string_view event_id, std::uint64_t cursor) = 0;

  // One-time provisioning codes are stored hashed; redeeming is atomic: exactly one caller wins,
  // a used code gives conflict; an expired or unknown one not_found.
  virtual DbResult<Ok> add_provisioning_code(std::string_view code_hash, std::string_view event_id,
                                             std::string_view device_name, Instant expires_at) = 0;
  // With a public key (the kiosk's own id and key): a device of that id and key already known
  // (register_device, an earlier provisioning) gets the new token, the code's event and name;
  // one with another key or none is a conflict and the code stays unused.
  virtual DbResult<DeviceRecord> redeem_provisioning_code(std::string_view code_hash,
                                                          std::string_view device_id,
                                                          std::string_view token_hash, Instant now,
                                                          std::string_view public_key = {}) = 0;
  // A kiosk's identity before it provisions (`muster-server register-device`, `import-scans
  // --accept-key`): id, event, name and public key, no token. Registering the same key again
  // changes nothing; a device that has no key yet gets this one; another key: conflict.
  // not_found: no such event.
  virtual DbResult<DeviceRecord> register_device(const DeviceRecord& device, Instant now) = 0;
  virtual DbResult<DeviceRecord> device(std::string_view device_id) = 0;
  virtual DbResult<std::vector<DeviceRecord>> devices() = 0;
  virtual DbResult<Ok> touch_device(std::string_view device_id, Instant seen_at) = 0;
  // Erases the device's token hash: its token is refused (401) from the next request on; the
  // device and its scans stay. not_found for an unknown device.
  virtual DbResult<Ok> revoke_device(std::string_view device_id) = 0;
  // A kiosk of `parent_id` holds, from `diverged_at` on, other scans than the server (restored
  // from an old backup, or cloned): it continues as a new device "<parent>-B<n>" (same event,
  // name and device key) linked to the parent, and the parent is marked rolled back. The same
  // parent, sequence and kiosk hash again returns the same branch. Either way the branch's token
  // hash becomes token_hash_for(branch id) (a token names its device). conflict: the server holds
  // no scan there, or the very scan the kiosk names (nothing diverged).
  virtual DbResult<BranchOutcome>
  branch_device(std::string_view parent_id, std::uint64_t diverged_at, std::string_view kiosk_hash,
                const std::function<std::string(const std::string&)>& token_hash_for,
                Instant now) = 0;
  // The device's ancestors, nearest first (empty for a provisioned device).
  virtual DbResult<std::vector<LineageStep>> lineage(std::string_view device_id) = 0;

  // Stores a batch of one device's scans in one transaction, exactly once per (device, sequence):
  // scans at or below the stored chain head must equal what is stored (duplicates are counted,
  // a different scan under a stored sequence is a rejection); the rest must continue the chain
  // (shared/scan_log.hpp verify_chain from the stored head). Safe when two server instances
  // store overlapping batches of one device at the same moment (row lock / immediate transaction).
  virtual DbResult<IngestOutcome> store_scans(std::string_view device_id, std::string_view event_id,
                                              std::span<const Scan> scans, Instant received_at) = 0;
  virtual DbResult<ChainAnchor> chain_head(std::string_view device_id) = 0;
  virtual DbResult<std::vector<Scan>> scans_for_event(std::string_view event_id) = 0;
  virtual DbResult<std::uint64_t> scan_count() = 0;
  // The event's stored scans (close-event counts them; it need not read them all to do so).
  virtual DbResult<std::uint64_t> event_scan_count(std::string_view event_id) = 0;
  // Attendance scans (arrive, leave, correction) of the event after `after` in the order
  // (received_at, device_id, seq), except those of `except_device`, at most `limit`.
  virtual DbResult<PeerScans> peer_scans(std::string_view event_id, std::string_view except_device,
                                         const PeerCursor& after, std::size_t limit) = 0;

  // Clock samples a device sent with its scans (sync/PROTOCOL.md "Clock"), kept once each
  // (a resent sample changes nothing); not_found for an unknown device.
  virtual DbResult<Ok> store_clock_samples(std::string_view device_id,
                                           std::span<const ClockSample> samples,
                                           Instant received_at) = 0;
  // The samples of every device of the event, ordered by device, boot, monotonic time.
  virtual DbResult<std::vector<DeviceClockSample>>
  clock_samples_for_event(std::string_view event_id) = 0;
  // When each scan of the event was first stored, ordered by device and sequence.
  virtual DbResult<std::vector<ScanReceipt>> scan_receipts(std::string_view event_id) = 0;

  // Walk-ins (attendees a registration scan created), oldest first; of one event unless
  // event_id is empty; confirmed ones too when include_confirmed.
  virtual DbResult<std::vector<WalkInRecord>> walk_ins(std::string_view event_id,
                                                       bool include_confirmed) = 0;
  // Clears a walk-in's provisional flag (not_found: no such walk-in). With same_as (an existing
  // attendee, not a walk-in itself), records that the walk-in is that person: their scans then
  // count for same_as in credits. Bumps the change counter (kiosks learn it in the next delta).
  virtual DbResult<WalkInRecord> confirm_walk_in(std::string_view attendee_id,
                                                 std::string_view same_as) = 0;

  // Added by the storage implementation:
  // One device's stored chain, in sequence order (not_found for an unknown device).
  virtual DbResult<std::vector<Scan>> scans_for_device(std::string_view device_id) = 0;
};

// "postgresql://..." or "postgres://..." opens PostgreSQL; anything else is a SQLite file path
// (created when missing; every call but initialise() then answers DbError::schema until init).
// Threads: a ServerStore is ONE connection and is not thread-safe. Open one store per thread
// (e.g. one per HTTP worker): that is safe on both backends, across processes and server
// instances too (write transactions lock: SQLite BEGIN IMMEDIATE + busy timeout, PostgreSQL
// advisory transaction locks per device / for admin writes). Guarding one store with a mutex
// also works but serialises every request.
DbResult<std::unique_ptr<ServerStore>> open_server_store(std::string_view database);

} // namespace muster::server
