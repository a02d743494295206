// ServerStore's schema: the numbered migrations, creating and upgrading a database, and
// opening a store on either backend (SQLite file or PostgreSQL URL).
#include <array>
#include <memory>
#include <string>

#include "sync/server/sql_server_store.hpp"

namespace muster::server {
namespace store_impl {
namespace {

constexpr std::int64_t kSchemaVersion = 15;

// Migration 1. Times are BIGINT milliseconds since the Unix epoch (UTC); flags are 0/1 BIGINT;
// doubles are TEXT in their shortest round-trip form, so "unchanged" compares exactly.
// `change` columns hold the value of the `changes` counter at the row's last change that a
// kiosk must learn (see package_since).
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE schema_version (version BIGINT NOT NULL);
CREATE TABLE league (id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE changes (id BIGINT PRIMARY KEY CHECK (id = 1), counter BIGINT NOT NULL);
INSERT INTO changes (id, counter) VALUES (1, 0);
CREATE TABLE league_keys (
  key_id TEXT PRIMARY KEY, public_key TEXT NOT NULL, created_at BIGINT NOT NULL,
  active BIGINT NOT NULL, change BIGINT NOT NULL);
CREATE TABLE attendees (
  id TEXT PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT NOT NULL, role TEXT NOT NULL,
  municipality TEXT NOT NULL, email TEXT NOT NULL, change BIGINT NOT NULL);
CREATE INDEX attendees_by_change ON attendees (change);
CREATE TABLE events (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, timezone TEXT NOT NULL, location TEXT NOT NULL,
  arrival_grace_min BIGINT NOT NULL, leave_grace_min BIGINT NOT NULL,
  increment_hours TEXT NOT NULL, debounce_s BIGINT NOT NULL, change BIGINT NOT NULL);
CREATE TABLE sessions (
  event_id TEXT NOT NULL REFERENCES events (id), id TEXT NOT NULL, ord BIGINT NOT NULL,
  title TEXT NOT NULL, room TEXT NOT NULL, start_ms BIGINT NOT NULL, end_ms BIGINT NOT NULL,
  credit_hours TEXT NOT NULL, course_code TEXT NOT NULL, core BIGINT NOT NULL,
  topic TEXT NOT NULL, PRIMARY KEY (event_id, id));
CREATE TABLE badges (
  serial TEXT PRIMARY KEY, attendee_id TEXT NOT NULL REFERENCES attendees (id),
  event_id TEXT NOT NULL, key_id TEXT NOT NULL, payload TEXT NOT NULL,
  issued_at BIGINT NOT NULL, revoked_at BIGINT, change BIGINT NOT NULL);
CREATE INDEX badges_by_event ON badges (event_id);
CREATE INDEX badges_by_change ON badges (change);
CREATE TABLE provisioning_codes (
  code_hash TEXT PRIMARY KEY, event_id TEXT NOT NULL REFERENCES events (id),
  device_name TEXT NOT NULL, expires_at BIGINT NOT NULL, used_at BIGINT, device_id TEXT);
CREATE TABLE devices (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, event_id TEXT NOT NULL, token_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL, last_seen BIGINT,
  head_sequence BIGINT NOT NULL, head_hash TEXT NOT NULL);
CREATE TABLE scans (
  device_id TEXT NOT NULL REFERENCES devices (id), seq BIGINT NOT NULL,
  event_id TEXT NOT NULL, attendee_id TEXT NOT NULL, badge_serial TEXT NOT NULL,
  badge_payload TEXT NOT NULL, session_id TEXT NOT NULL, kind TEXT NOT NULL,
  wall_ms BIGINT NOT NULL, monotonic_ms BIGINT NOT NULL, clock_offset_ms BIGINT NOT NULL,
  correction TEXT NOT NULL, effective_ms BIGINT NOT NULL, staff_id TEXT NOT NULL,
  reason TEXT NOT NULL, voids_device_id TEXT NOT NULL, voids_sequence BIGINT NOT NULL,
  prev_hash TEXT NOT NULL, hash TEXT NOT NULL, received_at BIGINT NOT NULL,
  PRIMARY KEY (device_id, seq));
CREATE INDEX scans_by_event ON scans (event_id);
)sql";

// Migration 2 (issue 6: credit programs): the officials' credit ledger, their program data
// (term, designations; the role stays in the roster), event closings and admin tokens (hashed).
// Used by ledger_store.cpp. Dates are "YYYY-MM-DD" TEXT, hours TEXT like increment_hours.
constexpr std::string_view kSchemaV2 = R"sql(
CREATE TABLE ledger_entries (
  official_id TEXT NOT NULL, id TEXT NOT NULL, entry_date TEXT NOT NULL, hours TEXT NOT NULL,
  course_code TEXT NOT NULL, topic TEXT NOT NULL, title TEXT NOT NULL, source TEXT NOT NULL,
  approved BIGINT NOT NULL, test_passed BIGINT NOT NULL, points_event TEXT NOT NULL,
  category TEXT NOT NULL, competency TEXT NOT NULL, documents_ref TEXT NOT NULL,
  event_id TEXT NOT NULL, posted_at BIGINT NOT NULL, PRIMARY KEY (official_id, id));
CREATE INDEX ledger_by_event ON ledger_entries (event_id);
CREATE TABLE ledger_amendments (
  official_id TEXT NOT NULL, id TEXT NOT NULL, old_hours TEXT NOT NULL, new_hours TEXT NOT NULL,
  amended_at BIGINT NOT NULL);
CREATE TABLE official_records (
  id TEXT PRIMARY KEY, term_start TEXT NOT NULL, first_term BIGINT NOT NULL,
  left_office TEXT NOT NULL);
CREATE TABLE official_designations (
  official_id TEXT NOT NULL, level_id TEXT NOT NULL, earned_on TEXT NOT NULL,
  PRIMARY KEY (official_id, level_id));
CREATE TABLE event_closings (
  event_id TEXT PRIMARY KEY, closed_at BIGINT NOT NULL, scans_at_close BIGINT NOT NULL,
  amended_at BIGINT);
CREATE TABLE admin_tokens (
  token_hash TEXT PRIMARY KEY, label TEXT NOT NULL, created_at BIGINT NOT NULL);
)sql";

// Migration 3 (issue 3: the registration desk, walk-ins, surveys): each scan's details (a JSON
// object's text, shared/domain.hpp), the event's survey questions (JSON array text), walk-ins
// registered at a kiosk (provisional until the League confirms them) and the desks' device
// keys the League certified (MUC1 text), which go to kiosks in the event package.
constexpr std::string_view kSchemaV3 = R"sql(
ALTER TABLE scans ADD COLUMN details TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN survey_json TEXT NOT NULL DEFAULT '[]';
ALTER TABLE attendees ADD COLUMN provisional BIGINT NOT NULL DEFAULT 0;
ALTER TABLE attendees ADD COLUMN same_as TEXT NOT NULL DEFAULT '';
CREATE TABLE device_certificates (
  key_id TEXT PRIMARY KEY, device_name TEXT NOT NULL, certificate TEXT NOT NULL,
  created_at BIGINT NOT NULL, change BIGINT NOT NULL);
)sql";

// Migration 4 (presence across doors): the event's lead time, which the presence rule uses on
// the server as on every kiosk, and an index for the doors' pull of each other's scans.
constexpr std::string_view kSchemaV4 = R"sql(
ALTER TABLE events ADD COLUMN lead_time_min BIGINT NOT NULL DEFAULT 15;
CREATE INDEX scans_by_event_received ON scans (event_id, received_at);
)sql";

// Migration 5 (program rules usable end to end): an online course's test score
// (percent as TEXT, '' when none) and the League's pre-approvals of in-person League events
// for officials who left office (ledger_store.cpp).
constexpr std::string_view kSchemaV5 = R"sql(
ALTER TABLE ledger_entries ADD COLUMN test_score TEXT NOT NULL DEFAULT '';
CREATE TABLE preapprovals (
  official_id TEXT NOT NULL, event_id TEXT NOT NULL, reference TEXT NOT NULL,
  recorded_at BIGINT NOT NULL, PRIMARY KEY (official_id, event_id));
)sql";

// Migration 6 (people): the role history (one row per role fact: from `effective`,
// a "YYYY-MM-DD" date, the attendee holds `role`), the League's municipalities and the
// roster's reference to them, and each event's credit programs with the roles they make
// eligible (JSON text; the defaults are the ALM program, the only one before), and on each
// ledger entry the programs its event granted credit under (comma-separated; '': any).
constexpr std::string_view kSchemaV6 = R"sql(
CREATE TABLE role_history (
  attendee_id TEXT NOT NULL, effective TEXT NOT NULL, role TEXT NOT NULL,
  recorded_at BIGINT NOT NULL, PRIMARY KEY (attendee_id, effective));
CREATE TABLE municipalities (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, council_seats BIGINT NOT NULL);
ALTER TABLE attendees ADD COLUMN municipality_id TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN programs_json TEXT NOT NULL DEFAULT '["alm-cmo"]';
ALTER TABLE events ADD COLUMN eligible_roles_json TEXT NOT NULL
  DEFAULT '["mayor","councilmember"]';
ALTER TABLE ledger_entries ADD COLUMN programs TEXT NOT NULL DEFAULT '';
)sql";

// Migration 9 (the web console): console accounts (Argon2id hashes from libsodium's
// crypto_pwhash_str), their sign-in sessions (the cookie's and CSRF token's BLAKE2b hashes; the
// cookie itself is never stored) and the console's audit trail (appended, never edited).
// sync/server/web/account_store.cpp holds the SQL that reads and writes them.
constexpr std::string_view kSchemaV9 = R"sql(
CREATE TABLE console_users (
  name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL, password_changed_at BIGINT NOT NULL);
CREATE TABLE console_sessions (
  token_hash TEXT PRIMARY KEY, user_name TEXT NOT NULL, csrf_token TEXT NOT NULL,
  created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL);
CREATE TABLE console_audit (
  at_ms BIGINT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL,
  detail TEXT NOT NULL);
)sql";

// Migration 7 (revocation): when an admin token was revoked, so a revoked token
// answers 401 at once while an unknown one stays 403 (sync/PROTOCOL.md).
constexpr std::string_view kSchemaV7 = R"sql(
ALTER TABLE admin_tokens ADD COLUMN revoked_at BIGINT;
)sql";

// Migration 8 (clocks that lie): each scan's boot id (hashed with it, muster-scan-v3)
// and the devices' clock samples, from which scans are placed in true time at read time
// (shared/clock_correction.hpp); a sample is kept once however often a kiosk resends it.
constexpr std::string_view kSchemaV8 = R"sql(
ALTER TABLE scans ADD COLUMN boot_id TEXT NOT NULL DEFAULT '';
CREATE TABLE clock_samples (
  device_id TEXT NOT NULL REFERENCES devices (id), boot_id TEXT NOT NULL,
  server_ms BIGINT NOT NULL, device_wall_ms BIGINT NOT NULL, monotonic_ms BIGINT NOT NULL,
  uncertainty_ms BIGINT NOT NULL, received_at BIGINT NOT NULL,
  PRIMARY KEY (device_id, boot_id, monotonic_ms, server_ms));
)sql";

// Migration 10 (the venue relay, sync/server/relay.hpp; SQL in relay_store.cpp). On the League
// server: relay tokens (hashed, one event each) and which devices a relay registered (a relay
// token may push only for those). On a relay: its copy of the upstream's signed package
// envelopes and cursors (relay_state) and how far each device's chain reached upstream.
constexpr std::string_view kSchemaV10 = R"sql(
CREATE TABLE relay_tokens (
  token_hash TEXT PRIMARY KEY, event_id TEXT NOT NULL, label TEXT NOT NULL,
  created_at BIGINT NOT NULL, revoked_at BIGINT);
CREATE TABLE relay_devices (
  device_id TEXT PRIMARY KEY REFERENCES devices (id), relay_label TEXT NOT NULL,
  registered_at BIGINT NOT NULL);
CREATE TABLE relay_state (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE relay_forwarding (
  device_id TEXT PRIMARY KEY, registered BIGINT NOT NULL, upstream_acked BIGINT NOT NULL,
  samples_through BIGINT NOT NULL, last_error TEXT NOT NULL, updated_at BIGINT NOT NULL);
)sql";

// Migration 11 (a kiosk's own identity): the device's Ed25519 public key (MUPK1 text; '' for a
// device provisioned before kiosks had keys). Provisioning under the kiosk's own id and
// `import-scans` accept a device only with the key registered here.
constexpr std::string_view kSchemaV11 = R"sql(
ALTER TABLE devices ADD COLUMN public_key TEXT NOT NULL DEFAULT '';
)sql";

// Migration 12 (restored kiosks): a kiosk restored from an old backup (or a cloned SD card)
// continues on a branch of its identity: a new device whose chain starts again at 1, linked to
// its parent and the parent sequence where the histories part (`diverged_at`, with the kiosk's
// hash there, which makes a repeated request find the same branch). The parent keeps how often
// and when it was rolled back, for `muster-server devices` and /metrics.
constexpr std::string_view kSchemaV12 = R"sql(
ALTER TABLE devices ADD COLUMN parent_id TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN diverged_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN diverged_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN rollbacks BIGINT NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN rolled_back_at BIGINT;
CREATE INDEX devices_by_parent ON devices (parent_id);
)sql";

// Migration 13 (mail): the outbox (sync/server/mail/outbox.cpp holds its SQL). One row per
// message, written whole before it is sent; claimed_by/claimed_until keep two runs from sending
// the same message at once.
constexpr std::string_view kSchemaV13 = R"sql(
CREATE TABLE mail_outbox (
  message_id TEXT PRIMARY KEY, mail_key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
  attendee_id TEXT NOT NULL, event_id TEXT NOT NULL, recipient TEXT NOT NULL,
  content TEXT NOT NULL, created_at BIGINT NOT NULL, status TEXT NOT NULL,
  attempts BIGINT NOT NULL, last_attempt_at BIGINT, sent_at BIGINT, detail TEXT NOT NULL,
  claimed_by TEXT NOT NULL, claimed_until BIGINT NOT NULL);
CREATE INDEX mail_outbox_by_status ON mail_outbox (status, created_at);
CREATE INDEX mail_outbox_by_event ON mail_outbox (event_id);
)sql";

// Migration 14 (the officials' own page, /me/; sync/server/web/official_store.cpp holds the
// SQL): one-time sign-in codes (hashes only), officials' confirmations of their credit forms,
// and their disputes of sessions (review items for staff).
constexpr std::string_view kSchemaV14 = R"sql(
CREATE TABLE official_codes (
  login_hash TEXT PRIMARY KEY, attendee_id TEXT NOT NULL, code_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, tries_left BIGINT NOT NULL);
CREATE TABLE official_confirmations (
  official_id TEXT NOT NULL, event_id TEXT NOT NULL, confirmed_at BIGINT NOT NULL,
  PRIMARY KEY (official_id, event_id));
CREATE TABLE official_disputes (
  official_id TEXT NOT NULL, event_id TEXT NOT NULL, session_id TEXT NOT NULL,
  note TEXT NOT NULL, created_at BIGINT NOT NULL);
CREATE INDEX official_disputes_by_event ON official_disputes (event_id);
)sql";

// Migration 15 (issue 19, PostgreSQL ingest): scans_by_event (event_id) goes. Every lookup of
// an event's scans is served as well by the leading column of scans_by_event_received
// (event_id, received_at), and at an event all doors push scans of one event_id: the index's
// keys were all equal, so every concurrent push inserted into its one rightmost leaf page, and
// PostgreSQL backends queued on that page's lock (pg_stat_activity: LWLock BufferContent, the
// main wait of a push) besides paying a third index per row.
constexpr std::string_view kSchemaV15 = R"sql(
DROP INDEX IF EXISTS scans_by_event;
)sql";

// Migrations 2 to kSchemaVersion in order; migration 1 creates the schema_version table.
constexpr std::array kMigrations{kSchemaV2,  kSchemaV3,  kSchemaV4,  kSchemaV5,  kSchemaV6,
                                 kSchemaV7,  kSchemaV8,  kSchemaV9,  kSchemaV10, kSchemaV11,
                                 kSchemaV12, kSchemaV13, kSchemaV14, kSchemaV15};
// A new migration raises kSchemaVersion and is listed here too.
static_assert(kMigrations.size() == kSchemaVersion - 1);

} // namespace

DbResult<Ok> SqlServerStore::check_not_newer() {
  auto exists = db_->has_table("schema_version");
  if (!exists) return exists.error();
  if (!*exists) return Ok{};
  auto version = db_->exec("SELECT max(version) FROM schema_version");
  if (!version) return version.error();
  const std::int64_t found = version->rows.empty() ? 0 : integer(version->rows[0][0]);
  if (found > kSchemaVersion) {
    return fail(DbError::schema, "the database has schema version " + std::to_string(found) +
                                     ", newer than this muster-server understands (" +
                                     std::to_string(kSchemaVersion) + "): upgrade muster-server");
  }
  return Ok{};
}

DbResult<Ok> SqlServerStore::migrate() {
  auto exists = db_->has_table("schema_version");
  if (!exists) return exists.error();
  if (!*exists) return Ok{};
  const auto current = [this]() -> DbResult<std::int64_t> {
    auto version = db_->exec("SELECT max(version) FROM schema_version");
    if (!version) return version.error();
    return version->rows.empty() ? 0 : integer(version->rows[0][0]);
  };
  auto before = current(); // most opens: up to date, no write lock taken
  if (!before) return before.error();
  if (*before >= kSchemaVersion || *before < 1) return Ok{};
  auto tx = begin_write("muster:schema");
  if (!tx) return tx.error();
  auto found = current();
  if (!found) return found.error();
  for (std::int64_t version = std::max<std::int64_t>(*found + 1, 2); version <= kSchemaVersion;
       ++version) {
    const auto script = kMigrations[static_cast<std::size_t>(version - 2)];
    if (auto created = db_->exec_script(script); !created) return created.error();
    if (auto versioned =
            db_->exec("INSERT INTO schema_version (version) VALUES ($1)", Params{version});
        !versioned) {
      return versioned.error();
    }
  }
  return tx->commit();
}

DbResult<Ok> SqlServerStore::initialise(const LeagueInfo& league) {
  if (league.id.empty() || has_nul(league.id) || has_nul(league.name)) {
    return fail(DbError::invalid, "a League needs a non-empty id");
  }
  auto tx = begin_write("muster:schema");
  if (!tx) return tx.error();
  auto exists = db_->has_table("schema_version");
  if (!exists) return exists.error();
  if (*exists) {
    auto current = db_->exec("SELECT id, name FROM league");
    if (!current) return current.error();
    if (!current->rows.empty()) {
      return fail(DbError::conflict, "the database already holds the League '" +
                                         text(current->rows[0][0]) + "' (initialised before)");
    }
  } else {
    if (auto created = db_->exec_script(kSchemaV1); !created) return created.error();
    for (const std::string_view script : kMigrations) {
      if (auto created = db_->exec_script(script); !created) return created.error();
    }
    if (auto versioned =
            db_->exec("INSERT INTO schema_version (version) VALUES ($1)", Params{kSchemaVersion});
        !versioned) {
      return versioned.error();
    }
  }
  if (auto inserted = db_->exec("INSERT INTO league (id, name) VALUES ($1, $2)",
                                Params{league.id, league.name});
      !inserted) {
    return inserted.error();
  }
  if (auto committed = tx->commit(); !committed) return committed;
  schema_ok_ = true;
  return Ok{};
}

DbResult<LeagueInfo> SqlServerStore::league() {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  auto rows = db_->exec("SELECT id, name FROM league");
  if (!rows) return rows.error();
  if (rows->rows.empty()) return not_initialised();
  return LeagueInfo{text(rows->rows[0][0]), text(rows->rows[0][1])};
}

DbResult<Ok> SqlServerStore::ensure_schema() {
  if (schema_ok_) return Ok{};
  auto exists = db_->has_table("schema_version");
  if (!exists) return exists.error();
  if (!*exists) return not_initialised();
  if (auto newer = check_not_newer(); !newer) return newer;
  auto league = db_->exec("SELECT 1 FROM league");
  if (!league) return league.error();
  if (league->rows.empty()) return not_initialised();
  schema_ok_ = true;
  return Ok{};
}

DbResult<StoreTransaction> SqlServerStore::begin_write(std::string_view scope) {
  auto tx = SqlTransaction::begin_write(*db_, scope);
  if (!tx) return tx.error();
  return StoreTransaction{std::move(*tx), std::nullopt};
}

DbResult<std::int64_t> SqlServerStore::bump(StoreTransaction& tx) {
  if (tx.stamp) return *tx.stamp;
  auto rows = db_->exec("UPDATE changes SET counter = counter + 1 WHERE id = 1 RETURNING counter");
  if (!rows) return rows.error();
  if (rows->rows.empty()) return fail(DbError::schema, "the change counter row is missing");
  tx.stamp = integer(rows->rows[0][0]);
  return *tx.stamp;
}

} // namespace store_impl

std::string_view to_string(DbError error) {
  switch (error) {
  case DbError::cannot_open:
    return "cannot_open";
  case DbError::schema:
    return "schema";
  case DbError::not_found:
    return "not_found";
  case DbError::conflict:
    return "conflict";
  case DbError::chain_break:
    return "chain_break";
  case DbError::invalid:
    return "invalid";
  case DbError::io:
    return "io";
  }
  return "unknown";
}

DbResult<std::unique_ptr<SqlConnection>> open_sql_connection(std::string_view database) {
  return is_postgres_url(database) ? open_pg_connection(std::string(database))
                                   : open_sqlite_connection(std::string(database));
}

DbResult<std::unique_ptr<SqlConnection>> open_league_connection(std::string_view database) {
  {
    auto store = open_server_store(database); // upgrades an older schema first
    if (!store) return store.error();
    if (auto league = (*store)->league(); !league) return league.error();
  }
  return open_sql_connection(database);
}

DbResult<std::unique_ptr<ServerStore>> open_server_store(std::string_view database) {
  if (database.empty()) {
    return fail(DbError::cannot_open, "no database given (a SQLite path or a postgresql:// URL)");
  }
  auto connection = open_sql_connection(database);
  if (!connection) return connection.error();
  auto store = std::make_unique<store_impl::SqlServerStore>(std::move(*connection));
  if (auto version = store->check_not_newer(); !version) return version.error();
  if (auto migrated = store->migrate(); !migrated) return migrated.error();
  return std::unique_ptr<ServerStore>(std::move(store));
}

} // namespace muster::server
