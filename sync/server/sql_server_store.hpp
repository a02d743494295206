#pragma once
// Private to the server_store_*.cpp files: SqlServerStore, the one ServerStore implementation,
// written once over SqlConnection so SQLite and PostgreSQL behave the same. Its methods live by
// job in server_store_<job>.cpp (sync/server/README.md lists them).
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shared/badge.hpp"
#include "shared/import.hpp"
#include "shared/text.hpp"
#include "shared/time.hpp"
#include "sync/server/server_store.hpp"
#include "sync/server/sql_connection.hpp"
#include "sync/server/sql_row.hpp"
#include "sync/server/sql_transaction.hpp"

namespace muster::server::store_impl {

using namespace sql_row; // NOLINT(google-build-using-namespace): the row helpers, everywhere

constexpr std::int64_t kMaxInt64 = std::numeric_limits<std::int64_t>::max();

constexpr std::string_view kScanColumns =
    "device_id, seq, attendee_id, badge_serial, badge_payload, session_id, kind, wall_ms, "
    "monotonic_ms, clock_offset_ms, correction, effective_ms, staff_id, reason, voids_device_id, "
    "voids_sequence, prev_hash, hash, details, boot_id";
constexpr std::size_t kScanColumnCount = 20; // the columns of kScanColumns
constexpr std::string_view kBadgeColumns =
    "serial, attendee_id, event_id, key_id, payload, issued_at, revoked_at";
constexpr std::string_view kDeviceColumns =
    "id, name, event_id, token_hash, created_at, last_seen, public_key, parent_id, diverged_at, "
    "rollbacks, rolled_back_at";
constexpr std::size_t kDeviceColumnCount = 11; // the columns of kDeviceColumns
constexpr std::string_view kAttendeeColumns =
    "id, first_name, last_name, role, municipality, email, municipality_id";

// Lock scopes (PostgreSQL advisory locks): admin writes serialise on one, each device's scan
// batches on their own, so kiosks never wait for each other.
constexpr std::string_view kLeagueScope = "muster:league";
constexpr std::string_view kProvisioningScope = "muster:provisioning";
inline std::string device_scope(std::string_view device_id) {
  return "muster:device:" + std::string(device_id);
}

// Role facts before any dated import (an attendee imported before migration 6) hold from here.
constexpr std::string_view kBeginningOfTime = "0001-01-01";

// Row decoding and comparison (server_store_rows.cpp).
Digest digest(const std::optional<std::string>& hex);
Attendee attendee_from(const SqlRow& row);
BadgeRecord badge_from(const SqlRow& row);
DeviceRecord device_from(const SqlRow& row);
Scan scan_from(const SqlRow& row);
bool same_attendee(const Attendee& a, const Attendee& b);
bool same_event_fields(const Event& a, const Event& b);
bool same_session(const Session& a, const Session& b);
std::string roles_json(const std::vector<Role>& roles);
// The events.programs_json and eligible_roles_json columns, read back.
Result<std::pair<std::vector<std::string>, std::vector<Role>>, DbError>
programs_from_json(const std::string& programs, const std::string& roles);

// A write transaction of the store and the change-counter value it bumped (see bump()).
struct StoreTransaction {
  SqlTransaction sql;
  std::optional<std::int64_t> stamp; // this transaction's change-counter value, once bumped
  DbResult<Ok> commit() { return sql.commit(); }
};

// A pushed batch split against the stored chain: the scans to store, and how many the server
// held already (identical); or why the batch is refused.
struct FreshScans {
  std::vector<Scan> scans;
  std::uint64_t duplicates = 0;
  std::optional<IngestRejection> rejection;
};

class SqlServerStore final : public ServerStore {
public:
  explicit SqlServerStore(std::unique_ptr<SqlConnection> db) : db_(std::move(db)) {}

  [[nodiscard]] std::string_view backend() const override { return db_->backend(); }

  // Schema and migrations (server_store_schema.cpp).
  // Refuses only a schema newer than this build; an empty database is fine (init comes next).
  DbResult<Ok> check_not_newer();
  // Applies the numbered migrations a database of an older version lacks, in one write
  // transaction (re-checked inside it, so two servers upgrading at once apply each once).
  DbResult<Ok> migrate();
  DbResult<Ok> initialise(const LeagueInfo& league) override;
  DbResult<LeagueInfo> league() override;

  // League keys, badges and device certificates (server_store_badges.cpp).
  DbResult<Ok> add_league_key(const LeagueKeyRecord& key) override;
  DbResult<std::vector<LeagueKeyRecord>> league_keys() override;
  DbResult<Ok> add_badge(const BadgeRecord& badge) override;
  DbResult<BadgeRecord> badge(std::string_view serial) override;
  DbResult<std::vector<BadgeRecord>> badges_for_event(std::string_view event_id) override;
  DbResult<BadgeRecord> revoke_badge(std::string_view serial, Instant when) override;
  DbResult<Ok> add_device_certificate(const DeviceCertificateRecord& record) override;
  DbResult<std::vector<DeviceCertificateRecord>> device_certificates() override;

  // The roster, role history, municipalities and walk-ins (server_store_roster.cpp).
  using ServerStore::upsert_roster;
  DbResult<ImportStats> upsert_roster(std::span<const Attendee> attendees, Date effective) override;
  DbResult<std::vector<RoleChange>> role_history(std::string_view attendee_id) override;
  DbResult<RoleHistories> role_histories() override;
  DbResult<std::optional<Date>> last_attended_day() override;
  DbResult<ImportStats> upsert_municipalities(std::span<const Municipality> list) override;
  DbResult<std::vector<Municipality>> municipalities() override;
  DbResult<std::vector<Attendee>> roster() override;
  DbResult<Attendee> attendee(std::string_view attendee_id) override;
  DbResult<std::vector<WalkInRecord>> walk_ins(std::string_view event_id,
                                               bool include_confirmed) override;
  DbResult<WalkInRecord> confirm_walk_in(std::string_view attendee_id,
                                         std::string_view same_as) override;

  // Events and their sessions (server_store_events.cpp).
  DbResult<ImportStats> upsert_event(const Event& event) override;
  DbResult<Event> event(std::string_view event_id) override;
  DbResult<std::vector<Event>> events() override;

  // Devices, provisioning codes (tokens) and branches (server_store_devices.cpp).
  DbResult<Ok> add_provisioning_code(std::string_view code_hash, std::string_view event_id,
                                     std::string_view device_name, Instant expires_at) override;
  DbResult<DeviceRecord> redeem_provisioning_code(std::string_view code_hash,
                                                  std::string_view device_id,
                                                  std::string_view token_hash, Instant now,
                                                  std::string_view public_key) override;
  DbResult<DeviceRecord> register_device(const DeviceRecord& wanted, Instant now) override;
  DbResult<DeviceRecord> device(std::string_view device_id) override;
  DbResult<std::vector<DeviceRecord>> devices() override;
  DbResult<Ok> touch_device(std::string_view device_id, Instant seen_at) override;
  DbResult<Ok> revoke_device(std::string_view device_id) override;
  DbResult<BranchOutcome>
  branch_device(std::string_view parent_id, std::uint64_t diverged_at, std::string_view kiosk_hash,
                const std::function<std::string(const std::string&)>& token_hash_for,
                Instant now) override;
  DbResult<std::vector<LineageStep>> lineage(std::string_view device_id) override;

  // Storing a device's scans (server_store_ingest.cpp).
  DbResult<IngestOutcome> store_scans(std::string_view device_id, std::string_view event_id,
                                      std::span<const Scan> scans, Instant received_at) override;

  // Reading scans back (server_store_scans.cpp).
  DbResult<ChainAnchor> chain_head(std::string_view device_id) override;
  DbResult<std::vector<Scan>> scans_for_event(std::string_view event_id) override;
  DbResult<std::vector<Scan>> scans_for_device(std::string_view device_id) override;
  DbResult<PeerScans> peer_scans(std::string_view event_id, std::string_view except_device,
                                 const PeerCursor& after, std::size_t limit) override;
  DbResult<std::vector<ScanReceipt>> scan_receipts(std::string_view event_id) override;
  DbResult<std::uint64_t> scan_count() override;
  DbResult<std::uint64_t> event_scan_count(std::string_view event_id) override;

  // Package deltas (server_store_package.cpp).
  DbResult<PackageDelta> package_since(std::string_view event_id, std::uint64_t cursor) override;

  // Clock samples (server_store_clock.cpp).
  DbResult<Ok> store_clock_samples(std::string_view device_id, std::span<const ClockSample> samples,
                                   Instant received_at) override;
  DbResult<std::vector<DeviceClockSample>>
  clock_samples_for_event(std::string_view event_id) override;

private:
  static Error<DbError> not_initialised() {
    return fail(DbError::schema,
                "the database is not initialised: run `muster-server init --db ...` first");
  }
  static Error<DbError> unknown_device(std::string_view device_id) {
    return fail(DbError::not_found, "no device '" + std::string(device_id) + "'");
  }

  // Checked until it succeeds once: another process may run `init` after this store opened.
  DbResult<Ok> ensure_schema();
  DbResult<StoreTransaction> begin_write(std::string_view scope);
  // The transaction's change-counter value: bumped once, on its first change a kiosk must learn.
  DbResult<std::int64_t> bump(StoreTransaction& tx);

  static DbResult<Ok> validate_event(const Event& event);
  DbResult<Ok> event_exists(std::string_view event_id);
  DbResult<Event> load_event(std::string_view event_id);
  DbResult<Ok> write_event_fields(StoreTransaction& tx, const Event& event, bool stored,
                                  ImportStats& stats);
  DbResult<bool> write_sessions(StoreTransaction& tx, const Event& event,
                                const std::vector<Session>& stored, ImportStats& stats);

  // attendee id -> role facts sorted by date; of one attendee when `only` is set.
  DbResult<RoleHistories> load_role_histories(std::optional<std::string_view> only);
  // The role facts a roster import adds (inside its transaction): for each attendee whose role
  // on `effective` is not the imported one. Without facts the roster's role holds on every date,
  // so a first change also records the old role from the beginning of time.
  DbResult<std::uint64_t> record_roles(std::span<const Attendee> attendees,
                                       const std::map<std::string, Role, std::less<>>& before,
                                       Date effective);
  DbResult<Ok> insert_attendees(std::span<const Attendee> fresh, std::int64_t stamp);

  DbResult<BadgeRecord> load_badge(std::string_view serial);
  DbResult<std::vector<Scan>> load_scans(std::string_view column, std::string_view value);

  // The parts of store_scans (server_store_ingest.cpp).
  DbResult<std::set<std::string, std::less<>>> session_ids_of(std::string_view event_id);
  // A rejection of the whole batch, or an error for a scan no kiosk may send (static: reads
  // nothing).
  static DbResult<std::optional<IngestRejection>>
  check_batch(std::string_view device_id, std::string_view event_id, std::span<const Scan> scans,
              const std::set<std::string, std::less<>>& session_ids);
  DbResult<FreshScans> fresh_scans(std::string_view device_id, std::span<const Scan> scans,
                                   const ChainAnchor& head);
  DbResult<Ok> write_scans(StoreTransaction& tx, std::string_view device_id,
                           std::string_view event_id, const std::vector<Scan>& fresh,
                           Instant received_at);
  // A kiosk's walk-in registration (ScanKind::registration): a new attendee id becomes a
  // provisional attendee from the scan's details, with a change stamp so the next package delta
  // takes it to every door. An existing attendee is never overwritten.
  // `devices`: the pushing device and its ancestors (a branch's kiosk named its walk-ins under
  // the id it had then).
  DbResult<Ok> apply_registration(StoreTransaction& tx, const Scan& scan,
                                  const std::vector<std::string>& devices);
  // A desk's reprint (ScanKind::reprint): the new badge (signed by the desk's certified key,
  // verified by the HTTP layer) is recorded for the attendee, and the old serial
  // (details.old_serial, else every other unrevoked badge of the attendee) is revoked with a
  // change stamp, so the next package delta takes the revocation to every door.
  DbResult<Ok> apply_reprint(StoreTransaction& tx, const Scan& scan, std::string_view event_id,
                             Instant received_at);
  DbResult<Ok> insert_scans(const std::vector<Scan>& scans, std::string_view event_id,
                            Instant received_at);

  std::unique_ptr<SqlConnection> db_;
  bool schema_ok_ = false;
};

} // namespace muster::server::store_impl
