// The League server's storage rules, written once over SqlConnection (sql_connection.hpp), so
// SQLite and PostgreSQL behave the same. The SQL here is the dialect both accept.
#include "sync/server/server_store.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>

#include "shared/badge.hpp"
#include "shared/import.hpp"
#include "shared/text.hpp"
#include "shared/time.hpp"
#include <nlohmann/json.hpp>

#include "sync/server/sql_connection.hpp"

namespace muster::server {

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

DbResult<ImportStats> ServerStore::upsert_roster(std::span<const Attendee> attendees) {
  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  return upsert_roster(attendees, Date{today});
}

DbResult<Role> ServerStore::role_on(std::string_view attendee_id, Date date) {
  auto person = attendee(attendee_id);
  if (!person) return person.error();
  auto history = role_history(attendee_id);
  if (!history) return history.error();
  return muster::role_on(*history, date, person->role);
}

namespace {

using Params = std::vector<SqlParam>;

constexpr std::int64_t kSchemaVersion = 14;
constexpr std::int64_t kMaxInt64 = std::numeric_limits<std::int64_t>::max();

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

// Role facts before any dated import (an attendee imported before migration 6) hold from here.
constexpr std::string_view kBeginningOfTime = "0001-01-01";

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

std::int64_t to_ms(Instant when) { return when.time_since_epoch().count(); }
Instant from_ms(std::int64_t ms) { return Instant{std::chrono::milliseconds{ms}}; }

std::string text(const std::optional<std::string>& value) { return value.value_or(""); }

std::int64_t integer(const std::optional<std::string>& value) {
  std::int64_t number = 0;
  if (value) std::from_chars(value->data(), value->data() + value->size(), number);
  return number;
}

std::uint64_t unsigned_integer(const std::optional<std::string>& value) {
  return static_cast<std::uint64_t>(std::max<std::int64_t>(0, integer(value)));
}

std::optional<Instant> optional_instant(const std::optional<std::string>& value) {
  if (!value) return std::nullopt;
  return from_ms(integer(value));
}

SqlParam optional_param(const std::optional<Instant>& when) {
  if (!when) return std::monostate{};
  return to_ms(*when);
}

std::string format_double(double value) {
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc{} ? std::string(buffer, end) : std::string("0");
}

double parse_double(const std::optional<std::string>& value) {
  double number = 0.0;
  if (value) std::from_chars(value->data(), value->data() + value->size(), number);
  return number;
}

Digest digest(const std::optional<std::string>& hex) {
  return digest_from_hex(text(hex)).value_or(kZeroDigest);
}

bool has_nul(std::string_view value) { return value.find('\0') != std::string_view::npos; }

Attendee attendee_from(const SqlRow& row) {
  Attendee attendee;
  attendee.id = text(row[0]);
  attendee.first_name = text(row[1]);
  attendee.last_name = text(row[2]);
  attendee.role = parse_role(text(row[3])).value_or(Role::guest);
  attendee.municipality = text(row[4]);
  attendee.email = text(row[5]);
  attendee.municipality_id = text(row[6]);
  return attendee;
}

bool same_attendee(const Attendee& a, const Attendee& b) {
  return a.id == b.id && a.first_name == b.first_name && a.last_name == b.last_name &&
         a.role == b.role && a.municipality == b.municipality && a.email == b.email &&
         a.municipality_id == b.municipality_id;
}

std::string roles_json(const std::vector<Role>& roles) {
  nlohmann::json list = nlohmann::json::array();
  for (const Role role : roles)
    list.push_back(std::string(to_string(role)));
  return list.dump();
}

// The events.programs_json and eligible_roles_json columns, read back.
Result<std::pair<std::vector<std::string>, std::vector<Role>>, DbError>
programs_from_json(const std::string& programs, const std::string& roles) {
  try {
    std::pair<std::vector<std::string>, std::vector<Role>> out;
    out.first = nlohmann::json::parse(programs).get<std::vector<std::string>>();
    for (const auto& name : nlohmann::json::parse(roles).get<std::vector<std::string>>()) {
      const auto role = parse_role(name);
      if (!role) return fail(DbError::schema, "unknown role '" + name + "'");
      out.second.push_back(*role);
    }
    return out;
  } catch (const nlohmann::json::exception& error) {
    return fail(DbError::schema, error.what());
  }
}

bool same_event_fields(const Event& a, const Event& b) {
  return a.id == b.id && a.name == b.name && a.timezone == b.timezone && a.location == b.location &&
         a.credit_policy.arrival_grace == b.credit_policy.arrival_grace &&
         a.credit_policy.leave_grace == b.credit_policy.leave_grace &&
         format_double(a.credit_policy.increment_hours) ==
             format_double(b.credit_policy.increment_hours) &&
         a.credit_policy.debounce == b.credit_policy.debounce &&
         a.credit_policy.lead_time == b.credit_policy.lead_time && a.survey == b.survey &&
         a.programs == b.programs && a.eligible_roles == b.eligible_roles;
}

bool same_session(const Session& a, const Session& b) {
  return a.id == b.id && a.title == b.title && a.room == b.room && a.start == b.start &&
         a.end == b.end && format_double(a.credit_hours) == format_double(b.credit_hours) &&
         a.course_code == b.course_code && a.core == b.core && a.topic == b.topic;
}

BadgeRecord badge_from(const SqlRow& row) {
  BadgeRecord badge;
  badge.serial = text(row[0]);
  badge.attendee_id = text(row[1]);
  badge.event_id = text(row[2]);
  badge.key_id = text(row[3]);
  badge.payload = text(row[4]);
  badge.issued_at = from_ms(integer(row[5]));
  badge.revoked_at = optional_instant(row[6]);
  return badge;
}

DeviceRecord device_from(const SqlRow& row) {
  DeviceRecord device;
  device.id = text(row[0]);
  device.name = text(row[1]);
  device.event_id = text(row[2]);
  device.token_hash = text(row[3]);
  device.created_at = from_ms(integer(row[4]));
  device.last_seen = optional_instant(row[5]);
  device.public_key = text(row[6]);
  device.parent_id = text(row[7]);
  device.diverged_at = unsigned_integer(row[8]);
  device.rollbacks = unsigned_integer(row[9]);
  device.rolled_back_at = optional_instant(row[10]);
  return device;
}

Scan scan_from(const SqlRow& row) {
  Scan scan;
  scan.device_id = text(row[0]);
  scan.sequence = unsigned_integer(row[1]);
  scan.attendee_id = text(row[2]);
  scan.badge_serial = text(row[3]);
  scan.badge_payload = text(row[4]);
  scan.session_id = text(row[5]);
  scan.kind = parse_scan_kind(text(row[6])).value_or(ScanKind::arrive);
  scan.wall_time = from_ms(integer(row[7]));
  scan.monotonic_ms = integer(row[8]);
  scan.clock_offset_ms = integer(row[9]);
  scan.correction = parse_correction(text(row[10])).value_or(Correction::none);
  scan.effective_time = from_ms(integer(row[11]));
  scan.staff_id = text(row[12]);
  scan.reason = text(row[13]);
  scan.voids_device_id = text(row[14]);
  scan.voids_sequence = unsigned_integer(row[15]);
  scan.prev_hash = digest(row[16]);
  scan.hash = digest(row[17]);
  scan.details = text(row[18]);
  scan.boot_id = text(row[19]);
  return scan;
}

// A transaction that rolls back unless committed, so every early return leaves nothing behind.
class Transaction {
public:
  explicit Transaction(SqlConnection& db) : db_(&db) {}
  Transaction(Transaction&& other) noexcept
      : stamp(other.stamp), db_(std::exchange(other.db_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction() {
    if (db_ != nullptr) db_->rollback();
  }

  DbResult<Ok> commit() {
    auto committed = db_->commit();
    if (!committed) db_->rollback();
    db_ = nullptr;
    return committed;
  }

  std::optional<std::int64_t> stamp; // this transaction's change-counter value, once bumped

private:
  SqlConnection* db_;
};

class SqlServerStore final : public ServerStore {
public:
  explicit SqlServerStore(std::unique_ptr<SqlConnection> db) : db_(std::move(db)) {}

  [[nodiscard]] std::string_view backend() const override { return db_->backend(); }

  // Refuses only a schema newer than this build; an empty database is fine (init comes next).
  DbResult<Ok> check_not_newer() {
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

  // Applies the numbered migrations a database of an older version lacks, in one write
  // transaction (re-checked inside it, so two servers upgrading at once apply each once).
  DbResult<Ok> migrate() {
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
    auto version = current();
    if (!version) return version.error();
    const std::int64_t found = *version;
    if (found >= kSchemaVersion) return Ok{};
    if (found < 2) {
      if (auto created = db_->exec_script(kSchemaV2); !created) return created.error();
      if (auto versioned = db_->exec("INSERT INTO schema_version (version) VALUES (2)");
          !versioned) {
        return versioned.error();
      }
    }
    if (found < 3) {
      if (auto created = db_->exec_script(kSchemaV3); !created) return created.error();
      if (auto versioned = db_->exec("INSERT INTO schema_version (version) VALUES (3)");
          !versioned) {
        return versioned.error();
      }
    }
    if (found < 4) {
      if (auto created = db_->exec_script(kSchemaV4); !created) return created.error();
      if (auto versioned = db_->exec("INSERT INTO schema_version (version) VALUES (4)");
          !versioned) {
        return versioned.error();
      }
    }
    if (found < 5) {
      if (auto created = db_->exec_script(kSchemaV5); !created) return created.error();
      if (auto versioned = db_->exec("INSERT INTO schema_version (version) VALUES (5)");
          !versioned) {
        return versioned.error();
      }
    }
    if (found < 6) {
      if (auto created = db_->exec_script(kSchemaV6); !created) return created.error();
      if (auto versioned = db_->exec("INSERT INTO schema_version (version) VALUES (6)");
          !versioned) {
        return versioned.error();
      }
    }
    if (found < 7) {
      if (auto created = db_->exec_script(kSchemaV7); !created) return created.error();
      if (auto versioned = db_->exec("INSERT INTO schema_version (version) VALUES (7)");
          !versioned) {
        return versioned.error();
      }
    }
    if (found < 8) {
      if (auto created = db_->exec_script(kSchemaV8); !created) return created.error();
      if (auto versioned = db_->exec("INSERT INTO schema_version (version) VALUES (8)");
          !versioned) {
        return versioned.error();
      }
    }
    if (found < 9) {
      if (auto created = db_->exec_script(kSchemaV9); !created) return created.error();
      if (auto versioned = db_->exec("INSERT INTO schema_version (version) VALUES (9)");
          !versioned) {
        return versioned.error();
      }
    }
    if (found < 10) {
      if (auto created = db_->exec_script(kSchemaV10); !created) return created.error();
      if (auto versioned = db_->exec("INSERT INTO schema_version (version) VALUES (10)");
          !versioned) {
        return versioned.error();
      }
    }
    if (found < 11) {
      if (auto created = db_->exec_script(kSchemaV11); !created) return created.error();
      if (auto versioned = db_->exec("INSERT INTO schema_version (version) VALUES (11)");
          !versioned) {
        return versioned.error();
      }
    }
    if (found < 12) {
      if (auto created = db_->exec_script(kSchemaV12); !created) return created.error();
      if (auto versioned = db_->exec("INSERT INTO schema_version (version) VALUES (12)");
          !versioned) {
        return versioned.error();
      }
    }
    if (found < 13) {
      if (auto created = db_->exec_script(kSchemaV13); !created) return created.error();
      if (auto versioned = db_->exec("INSERT INTO schema_version (version) VALUES (13)");
          !versioned) {
        return versioned.error();
      }
    }
    if (found < 14) {
      if (auto created = db_->exec_script(kSchemaV14); !created) return created.error();
      if (auto versioned = db_->exec("INSERT INTO schema_version (version) VALUES (14)");
          !versioned) {
        return versioned.error();
      }
    }
    return tx->commit();
  }

  DbResult<Ok> initialise(const LeagueInfo& league) override {
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
      if (auto created = db_->exec_script(kSchemaV2); !created) return created.error();
      if (auto created = db_->exec_script(kSchemaV3); !created) return created.error();
      if (auto created = db_->exec_script(kSchemaV4); !created) return created.error();
      if (auto created = db_->exec_script(kSchemaV5); !created) return created.error();
      if (auto created = db_->exec_script(kSchemaV6); !created) return created.error();
      if (auto created = db_->exec_script(kSchemaV7); !created) return created.error();
      if (auto created = db_->exec_script(kSchemaV8); !created) return created.error();
      if (auto created = db_->exec_script(kSchemaV9); !created) return created.error();
      if (auto created = db_->exec_script(kSchemaV10); !created) return created.error();
      if (auto created = db_->exec_script(kSchemaV11); !created) return created.error();
      if (auto created = db_->exec_script(kSchemaV12); !created) return created.error();
      if (auto created = db_->exec_script(kSchemaV13); !created) return created.error();
      if (auto created = db_->exec_script(kSchemaV14); !created) return created.error();
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

  DbResult<LeagueInfo> league() override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    auto rows = db_->exec("SELECT id, name FROM league");
    if (!rows) return rows.error();
    if (rows->rows.empty()) return not_initialised();
    return LeagueInfo{text(rows->rows[0][0]), text(rows->rows[0][1])};
  }

  DbResult<Ok> add_league_key(const LeagueKeyRecord& key) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    if (key.key_id.empty() || key.public_key_text.empty() || has_nul(key.key_id) ||
        has_nul(key.public_key_text)) {
      return fail(DbError::invalid, "a League key needs a key id and a public key");
    }
    auto tx = begin_write(kLeagueScope);
    if (!tx) return tx.error();
    auto stamp = bump(*tx);
    if (!stamp) return stamp.error();
    auto inserted =
        db_->exec("INSERT INTO league_keys (key_id, public_key, created_at, active, change) "
                  "VALUES ($1, $2, $3, 0, $4) ON CONFLICT (key_id) DO NOTHING",
                  Params{key.key_id, key.public_key_text, to_ms(key.created_at), *stamp});
    if (!inserted) return inserted.error();
    if (inserted->affected == 0) {
      return fail(DbError::conflict, "the League key '" + key.key_id + "' exists already");
    }
    // The newest key signs from now on; older keys stay so earlier badges still verify.
    if (auto activated = db_->exec(
            "UPDATE league_keys SET active = CASE WHEN key_id = $1 THEN 1 ELSE 0 END, change = $2 "
            "WHERE active = 1 OR key_id = $1",
            Params{key.key_id, *stamp});
        !activated) {
      return activated.error();
    }
    return tx->commit();
  }

  DbResult<std::vector<LeagueKeyRecord>> league_keys() override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    auto rows = db_->exec("SELECT key_id, public_key, created_at, active FROM league_keys "
                          "ORDER BY created_at, key_id");
    if (!rows) return rows.error();
    std::vector<LeagueKeyRecord> keys;
    for (const auto& row : rows->rows) {
      keys.push_back(LeagueKeyRecord{text(row[0]), text(row[1]), from_ms(integer(row[2])),
                                     integer(row[3]) != 0});
    }
    return keys;
  }

  using ServerStore::upsert_roster;
  DbResult<ImportStats> upsert_roster(std::span<const Attendee> attendees,
                                      Date effective) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    for (std::size_t i = 0; i < attendees.size(); ++i) {
      const Attendee& a = attendees[i];
      if (a.id.empty()) {
        return fail(DbError::invalid, "attendee number " + std::to_string(i + 1) + " has no id");
      }
      for (const std::string* field :
           {&a.id, &a.first_name, &a.last_name, &a.municipality, &a.email}) {
        if (has_nul(*field)) {
          return fail(DbError::invalid, "attendee '" + a.id + "' contains a NUL character");
        }
      }
    }
    auto tx = begin_write(kLeagueScope);
    if (!tx) return tx.error();
    // One read of the whole roster, then writes only for what differs: re-importing an
    // unchanged 5,000-row roster costs one query and changes nothing.
    auto rows = db_->exec("SELECT " + std::string(kAttendeeColumns) + " FROM attendees");
    if (!rows) return rows.error();
    std::map<std::string, Attendee, std::less<>> existing;
    for (const auto& row : rows->rows) {
      Attendee attendee = attendee_from(row);
      std::string id = attendee.id;
      existing.emplace(std::move(id), std::move(attendee));
    }
    std::map<std::string, Role, std::less<>> roles_before;
    for (const auto& [id, attendee] : existing)
      roles_before.emplace(id, attendee.role);
    // A roster row never inherits a walk-in's state: an id a (pre-fix) walk-in took is made a
    // plain roster attendee again, or its credit would stay provisional forever.
    auto provisional_rows = db_->exec("SELECT id FROM attendees WHERE provisional = 1");
    if (!provisional_rows) return provisional_rows.error();
    std::set<std::string, std::less<>> provisional;
    for (const auto& row : provisional_rows->rows)
      provisional.insert(text(row[0]));
    ImportStats stats;
    std::vector<Attendee> fresh; // inserted in multi-row statements below: one round trip each
    std::map<std::string, std::size_t, std::less<>> fresh_index;
    for (const Attendee& a : attendees) {
      auto found = existing.find(a.id);
      if (found != existing.end() && same_attendee(found->second, a) &&
          !provisional.contains(a.id)) {
        ++stats.unchanged;
        continue;
      }
      auto stamp = bump(*tx);
      if (!stamp) return stamp.error();
      if (found == existing.end()) {
        ++stats.inserted;
        fresh_index.emplace(a.id, fresh.size());
        fresh.push_back(a);
        existing.emplace(a.id, a);
        continue;
      }
      ++stats.updated;
      found->second = a;
      if (auto pending = fresh_index.find(a.id); pending != fresh_index.end()) {
        fresh[pending->second] = a; // listed twice in one import: the last row wins
        continue;
      }
      auto updated = db_->exec(
          "UPDATE attendees SET first_name = $2, last_name = $3, role = $4, municipality = $5, "
          "email = $6, change = $7, municipality_id = $8, provisional = 0, same_as = '' "
          "WHERE id = $1",
          Params{a.id, a.first_name, a.last_name, std::string(to_string(a.role)), a.municipality,
                 a.email, *stamp, a.municipality_id});
      if (!updated) return updated.error();
    }
    if (auto inserted = insert_attendees(fresh, tx->stamp.value_or(0)); !inserted) {
      return inserted.error();
    }
    auto facts = record_roles(attendees, roles_before, effective);
    if (!facts) return facts.error();
    stats.role_changes = *facts;
    if (auto committed = tx->commit(); !committed) return committed.error();
    return stats;
  }

  DbResult<std::vector<RoleChange>> role_history(std::string_view attendee_id) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    auto all = load_role_histories(attendee_id);
    if (!all) return all.error();
    const auto found = all->find(attendee_id);
    return found == all->end() ? std::vector<RoleChange>{} : found->second;
  }

  DbResult<RoleHistories> role_histories() override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    return load_role_histories(std::nullopt);
  }

  DbResult<std::optional<Date>> last_attended_day() override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    auto rows = db_->exec(
        "SELECT e.timezone, max(s.start_ms) FROM sessions s JOIN events e ON e.id = s.event_id "
        "WHERE EXISTS (SELECT 1 FROM scans c WHERE c.event_id = s.event_id AND "
        "c.session_id = s.id AND c.kind IN ('arrive', 'leave', 'correction')) "
        "GROUP BY e.id, e.timezone");
    if (!rows) return rows.error();
    std::optional<Date> last;
    for (const auto& row : rows->rows) {
      const auto day = parse_date(local_date(from_ms(integer(row[1])), text(row[0])));
      if (day && (!last || std::chrono::sys_days{*day} > std::chrono::sys_days{*last})) last = day;
    }
    return last;
  }

  DbResult<ImportStats> upsert_municipalities(std::span<const Municipality> list) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    for (const Municipality& m : list) {
      if (m.id.empty() || has_nul(m.id) || has_nul(m.name) || m.council_seats < 0) {
        return fail(DbError::invalid, "municipality '" + m.id + "' needs an id and seats >= 0");
      }
    }
    auto tx = begin_write(kLeagueScope);
    if (!tx) return tx.error();
    auto rows = db_->exec("SELECT id, name, council_seats FROM municipalities");
    if (!rows) return rows.error();
    std::map<std::string, Municipality, std::less<>> existing;
    for (const auto& row : rows->rows) {
      Municipality m{text(row[0]), text(row[1]), static_cast<int>(integer(row[2]))};
      existing.emplace(m.id, m);
    }
    ImportStats stats;
    for (const Municipality& m : list) {
      const auto found = existing.find(m.id);
      if (found != existing.end() && found->second == m) {
        ++stats.unchanged;
        continue;
      }
      auto written =
          db_->exec(found == existing.end()
                        ? "INSERT INTO municipalities (id, name, council_seats) VALUES ($1, $2, $3)"
                        : "UPDATE municipalities SET name = $2, council_seats = $3 WHERE id = $1",
                    Params{m.id, m.name, std::int64_t{m.council_seats}});
      if (!written) return written.error();
      ++(found == existing.end() ? stats.inserted : stats.updated);
      existing.insert_or_assign(m.id, m);
    }
    if (auto committed = tx->commit(); !committed) return committed.error();
    return stats;
  }

  DbResult<std::vector<Municipality>> municipalities() override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    auto rows = db_->exec("SELECT id, name, council_seats FROM municipalities ORDER BY id");
    if (!rows) return rows.error();
    std::vector<Municipality> all;
    for (const auto& row : rows->rows) {
      all.push_back({text(row[0]), text(row[1]), static_cast<int>(integer(row[2]))});
    }
    return all;
  }

  DbResult<ImportStats> upsert_event(const Event& event) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    if (auto valid = validate_event(event); !valid) return valid.error();
    auto tx = begin_write(kLeagueScope);
    if (!tx) return tx.error();
    auto stored = load_event(event.id);
    if (!stored && stored.code() != DbError::not_found) return stored.error();

    ImportStats stats;
    bool changed = false;
    const auto& policy = event.credit_policy;
    if (!stored || !same_event_fields(*stored, event)) {
      auto stamp = bump(*tx);
      if (!stamp) return stamp.error();
      const Params params{event.id,
                          event.name,
                          event.timezone,
                          event.location,
                          std::int64_t{policy.arrival_grace.count()},
                          std::int64_t{policy.leave_grace.count()},
                          format_double(policy.increment_hours),
                          std::int64_t{policy.debounce.count()},
                          *stamp,
                          survey_to_json(event.survey),
                          std::int64_t{policy.lead_time.count()},
                          nlohmann::json(event.programs).dump(),
                          roles_json(event.eligible_roles)};
      auto written =
          db_->exec(stored ? "UPDATE events SET name = $2, timezone = $3, location = $4, "
                             "arrival_grace_min = $5, leave_grace_min = $6, increment_hours = $7, "
                             "debounce_s = $8, change = $9, survey_json = $10, "
                             "lead_time_min = $11, programs_json = $12, eligible_roles_json = $13 "
                             "WHERE id = $1"
                           : "INSERT INTO events (id, name, timezone, location, arrival_grace_min, "
                             "leave_grace_min, increment_hours, debounce_s, change, survey_json, "
                             "lead_time_min, programs_json, eligible_roles_json) "
                             "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                    params);
      if (!written) return written.error();
      ++(stored ? stats.updated : stats.inserted);
      changed = true;
    } else {
      ++stats.unchanged;
    }

    std::map<std::string, std::pair<std::size_t, const Session*>, std::less<>> old_sessions;
    if (stored) {
      for (std::size_t i = 0; i < stored->sessions.size(); ++i) {
        old_sessions.emplace(stored->sessions[i].id, std::pair{i, &stored->sessions[i]});
      }
    }
    for (std::size_t i = 0; i < event.sessions.size(); ++i) {
      const Session& s = event.sessions[i];
      auto found = old_sessions.find(s.id);
      if (found != old_sessions.end() && found->second.first == i &&
          same_session(*found->second.second, s)) {
        ++stats.unchanged;
        continue;
      }
      auto stamp = bump(*tx);
      if (!stamp) return stamp.error();
      const Params params{event.id,
                          s.id,
                          static_cast<std::int64_t>(i),
                          s.title,
                          s.room,
                          to_ms(s.start),
                          to_ms(s.end),
                          format_double(s.credit_hours),
                          s.course_code,
                          std::int64_t{s.core ? 1 : 0},
                          s.topic};
      const bool is_new = found == old_sessions.end();
      auto written = db_->exec(
          is_new ? "INSERT INTO sessions (event_id, id, ord, title, room, start_ms, end_ms, "
                   "credit_hours, course_code, core, topic) "
                   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                 : "UPDATE sessions SET ord = $3, title = $4, room = $5, start_ms = $6, "
                   "end_ms = $7, credit_hours = $8, course_code = $9, core = $10, topic = $11 "
                   "WHERE event_id = $1 AND id = $2",
          params);
      if (!written) return written.error();
      ++(is_new ? stats.inserted : stats.updated);
      changed = true;
    }
    // A session left out of the new file goes away, unless scans already point at it.
    std::set<std::string, std::less<>> kept;
    for (const Session& s : event.sessions)
      kept.insert(s.id);
    for (const auto& [id, _] : old_sessions) {
      if (kept.contains(id)) continue;
      auto used = db_->exec("SELECT 1 FROM scans WHERE event_id = $1 AND session_id = $2 LIMIT 1",
                            Params{event.id, id});
      if (!used) return used.error();
      if (!used->rows.empty()) {
        return fail(DbError::invalid, "session '" + id + "' of event '" + event.id +
                                          "' already has scans and cannot be removed");
      }
      auto removed =
          db_->exec("DELETE FROM sessions WHERE event_id = $1 AND id = $2", Params{event.id, id});
      if (!removed) return removed.error();
      ++stats.updated;
      changed = true;
    }
    if (changed) {
      auto stamp = bump(*tx);
      if (!stamp) return stamp.error();
      if (auto marked =
              db_->exec("UPDATE events SET change = $2 WHERE id = $1", Params{event.id, *stamp});
          !marked) {
        return marked.error();
      }
    }
    if (auto committed = tx->commit(); !committed) return committed.error();
    return stats;
  }

  DbResult<Event> event(std::string_view event_id) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    return load_event(event_id);
  }

  DbResult<std::vector<Event>> events() override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    auto ids = db_->exec("SELECT id FROM events ORDER BY id");
    if (!ids) return ids.error();
    std::vector<Event> all;
    for (const auto& row : ids->rows) {
      auto loaded = load_event(text(row[0]));
      if (!loaded) return loaded.error();
      all.push_back(std::move(*loaded));
    }
    return all;
  }

  DbResult<std::vector<Attendee>> roster() override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    auto rows =
        db_->exec("SELECT " + std::string(kAttendeeColumns) + " FROM attendees ORDER BY id");
    if (!rows) return rows.error();
    std::vector<Attendee> all;
    all.reserve(rows->rows.size());
    for (const auto& row : rows->rows)
      all.push_back(attendee_from(row));
    return all;
  }

  DbResult<Attendee> attendee(std::string_view attendee_id) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    auto rows =
        db_->exec("SELECT " + std::string(kAttendeeColumns) + " FROM attendees WHERE id = $1",
                  Params{std::string(attendee_id)});
    if (!rows) return rows.error();
    if (rows->rows.empty()) {
      return fail(DbError::not_found, "no attendee '" + std::string(attendee_id) + "'");
    }
    return attendee_from(rows->rows[0]);
  }

  DbResult<Ok> add_badge(const BadgeRecord& badge) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    if (badge.serial.empty() || has_nul(badge.serial) || has_nul(badge.payload)) {
      return fail(DbError::invalid, "a badge needs a serial");
    }
    auto tx = begin_write(kLeagueScope);
    if (!tx) return tx.error();
    auto person = db_->exec("SELECT 1 FROM attendees WHERE id = $1", Params{badge.attendee_id});
    if (!person) return person.error();
    if (person->rows.empty()) {
      return fail(DbError::not_found,
                  "no attendee '" + badge.attendee_id + "' for badge " + badge.serial);
    }
    if (!badge.event_id.empty()) {
      if (auto found = event_exists(badge.event_id); !found) return found.error();
    }
    std::int64_t change = 0;
    if (badge.revoked_at) { // kiosks must learn of a badge that arrives already revoked
      auto stamp = bump(*tx);
      if (!stamp) return stamp.error();
      change = *stamp;
    }
    auto inserted = db_->exec(
        "INSERT INTO badges (serial, attendee_id, event_id, key_id, payload, issued_at, "
        "revoked_at, change) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
        "ON CONFLICT (serial) DO NOTHING",
        Params{badge.serial, badge.attendee_id, badge.event_id, badge.key_id, badge.payload,
               to_ms(badge.issued_at), optional_param(badge.revoked_at), change});
    if (!inserted) return inserted.error();
    if (inserted->affected == 0) {
      return fail(DbError::conflict, "a badge with serial " + badge.serial + " exists already");
    }
    return tx->commit();
  }

  DbResult<BadgeRecord> badge(std::string_view serial) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    return load_badge(serial);
  }

  DbResult<std::vector<BadgeRecord>> badges_for_event(std::string_view event_id) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    if (auto found = event_exists(event_id); !found) return found.error();
    auto rows = db_->exec("SELECT " + std::string(kBadgeColumns) +
                              " FROM badges WHERE event_id = $1 ORDER BY serial",
                          Params{std::string(event_id)});
    if (!rows) return rows.error();
    std::vector<BadgeRecord> all;
    for (const auto& row : rows->rows)
      all.push_back(badge_from(row));
    return all;
  }

  DbResult<BadgeRecord> revoke_badge(std::string_view serial, Instant when) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    auto tx = begin_write(kLeagueScope);
    if (!tx) return tx.error();
    auto current = load_badge(serial);
    if (!current) return current.error();
    if (current->revoked_at) return current; // revoked before: keep the first time
    auto stamp = bump(*tx);
    if (!stamp) return stamp.error();
    if (auto revoked = db_->exec("UPDATE badges SET revoked_at = $2, change = $3 WHERE serial = $1",
                                 Params{std::string(serial), to_ms(when), *stamp});
        !revoked) {
      return revoked.error();
    }
    if (auto committed = tx->commit(); !committed) return committed.error();
    current->revoked_at = when;
    return current;
  }

  DbResult<Ok> revoke_device(std::string_view device_id) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    auto tx = begin_write("muster:device:" + std::string(device_id));
    if (!tx) return tx.error();
    // No hash matches an empty one: the token stops working on the very next request, while
    // the device's record and scans stay for the record.
    auto updated = db_->exec("UPDATE devices SET token_hash = '' WHERE id = $1",
                             Params{std::string(device_id)});
    if (!updated) return updated.error();
    if (updated->affected == 0) return unknown_device(device_id);
    return tx->commit();
  }

  DbResult<BranchOutcome>
  branch_device(std::string_view parent_id, std::uint64_t diverged_at, std::string_view kiosk_hash,
                const std::function<std::string(const std::string&)>& token_hash_for,
                Instant now) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    if (!token_hash_for || has_nul(parent_id) || !digest_from_hex(kiosk_hash) || diverged_at == 0 ||
        diverged_at > static_cast<std::uint64_t>(kMaxInt64)) {
      return fail(DbError::invalid, "a branch needs a sequence >= 1, the kiosk's hash there "
                                    "(64 hex) and a token");
    }
    // The parent's scan lock: a branch is decided against the chain as stored, not one a
    // concurrent push is extending.
    auto tx = begin_write("muster:device:" + std::string(parent_id));
    if (!tx) return tx.error();
    auto parent_rows = db_->exec("SELECT " + std::string(kDeviceColumns) +
                                     ", head_sequence FROM devices WHERE id = $1",
                                 Params{std::string(parent_id)});
    if (!parent_rows) return parent_rows.error();
    if (parent_rows->rows.empty()) return unknown_device(parent_id);
    const DeviceRecord parent = device_from(parent_rows->rows[0]);
    const std::uint64_t head = unsigned_integer(parent_rows->rows[0][kDeviceColumnCount]);
    const std::string hash = to_hex(*digest_from_hex(kiosk_hash));
    // The same request again (its answer was lost): the same branch, with the new token.
    auto existing = db_->exec("SELECT id FROM devices WHERE parent_id = $1 AND diverged_at = $2 "
                              "AND diverged_hash = $3",
                              Params{parent.id, static_cast<std::int64_t>(diverged_at), hash});
    if (!existing) return existing.error();
    if (!existing->rows.empty()) {
      const std::string id = text(existing->rows[0][0]);
      if (auto updated = db_->exec("UPDATE devices SET token_hash = $2 WHERE id = $1",
                                   Params{id, token_hash_for(id)});
          !updated) {
        return updated.error();
      }
      if (auto committed = tx->commit(); !committed) return committed.error();
      auto branch = device(id);
      if (!branch) return branch.error();
      return BranchOutcome{std::move(*branch), false};
    }
    if (diverged_at > head) {
      return fail(DbError::conflict, "device '" + parent.id + "' holds scans up to " +
                                         std::to_string(head) + " only: nothing diverged at " +
                                         std::to_string(diverged_at) + "; push from there");
    }
    auto stored = db_->exec("SELECT hash FROM scans WHERE device_id = $1 AND seq = $2",
                            Params{parent.id, static_cast<std::int64_t>(diverged_at)});
    if (!stored) return stored.error();
    if (!stored->rows.empty() && text(stored->rows[0][0]) == hash) {
      return fail(DbError::conflict, "device '" + parent.id + "' holds this very scan under " +
                                         std::to_string(diverged_at) + ": nothing diverged");
    }
    auto count = db_->exec("SELECT count(*) FROM devices WHERE parent_id = $1", Params{parent.id});
    if (!count) return count.error();
    std::uint64_t n = unsigned_integer(count->rows[0][0]);
    std::string id;
    for (int attempt = 0; attempt < 1000; ++attempt) {
      id = parent.id + "-B" + std::to_string(++n);
      auto inserted = db_->exec(
          "INSERT INTO devices (id, name, event_id, token_hash, created_at, last_seen, "
          "head_sequence, head_hash, parent_id, diverged_at, diverged_hash, public_key) "
          "VALUES ($1, $2, $3, $4, $5, NULL, 0, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING",
          Params{id, parent.name, parent.event_id, token_hash_for(id), to_ms(now),
                 to_hex(kZeroDigest), parent.id, static_cast<std::int64_t>(diverged_at), hash,
                 parent.public_key});
      if (!inserted) return inserted.error();
      if (inserted->affected == 1) break;
      id.clear();
    }
    if (id.empty()) return fail(DbError::conflict, "no free branch id for '" + parent.id + "'");
    if (auto marked = db_->exec(
            "UPDATE devices SET rollbacks = rollbacks + 1, rolled_back_at = $2 WHERE id = $1",
            Params{parent.id, to_ms(now)});
        !marked) {
      return marked.error();
    }
    if (auto committed = tx->commit(); !committed) return committed.error();
    auto branch = device(id);
    if (!branch) return branch.error();
    return BranchOutcome{std::move(*branch), true};
  }

  DbResult<std::vector<LineageStep>> lineage(std::string_view device_id) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    std::vector<LineageStep> steps;
    std::string current(device_id);
    // Bounded: a chain of branches is short; a cycle cannot be written, but never loop on one.
    for (int depth = 0; depth < 64; ++depth) {
      auto rows =
          db_->exec("SELECT parent_id, diverged_at FROM devices WHERE id = $1", Params{current});
      if (!rows) return rows.error();
      if (rows->rows.empty()) {
        if (depth == 0) return unknown_device(device_id);
        break;
      }
      const std::string parent = text(rows->rows[0][0]);
      if (parent.empty()) break;
      steps.push_back(LineageStep{parent, unsigned_integer(rows->rows[0][1])});
      current = parent;
    }
    return steps;
  }

  DbResult<Ok> add_device_certificate(const DeviceCertificateRecord& record) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    if (record.key_id.empty() || record.certificate_text.empty() || has_nul(record.key_id) ||
        has_nul(record.certificate_text) || has_nul(record.device_name)) {
      return fail(DbError::invalid, "a device certificate needs a key id and its MUC1 text");
    }
    auto tx = begin_write(kLeagueScope);
    if (!tx) return tx.error();
    auto stamp = bump(*tx);
    if (!stamp) return stamp.error();
    // Certifying a key again (a new expiry) replaces its certificate.
    if (auto saved =
            db_->exec("INSERT INTO device_certificates (key_id, device_name, certificate, "
                      "created_at, change) "
                      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key_id) DO UPDATE SET "
                      "device_name = excluded.device_name, certificate = excluded.certificate, "
                      "created_at = excluded.created_at, change = excluded.change",
                      Params{record.key_id, record.device_name, record.certificate_text,
                             to_ms(record.created_at), *stamp});
        !saved) {
      return saved.error();
    }
    return tx->commit();
  }

  DbResult<std::vector<DeviceCertificateRecord>> device_certificates() override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    auto rows =
        db_->exec("SELECT key_id, device_name, certificate, created_at FROM device_certificates "
                  "ORDER BY key_id");
    if (!rows) return rows.error();
    std::vector<DeviceCertificateRecord> all;
    for (const auto& row : rows->rows) {
      all.push_back({text(row[0]), text(row[1]), text(row[2]), from_ms(integer(row[3]))});
    }
    return all;
  }

  DbResult<PackageDelta> package_since(std::string_view event_id, std::uint64_t cursor) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    if (auto began = db_->begin_read(); !began) return began.error();
    Transaction tx(*db_); // read-only: the destructor's rollback ends it
    // The counter first: a change committed after this read is sent again next time, never lost.
    auto counter = db_->exec("SELECT counter FROM changes WHERE id = 1");
    if (!counter) return counter.error();
    PackageDelta delta;
    delta.next_cursor = counter->rows.empty() ? 0 : unsigned_integer(counter->rows[0][0]);
    // A cursor from the future (another database, a restored backup): send everything.
    delta.since_cursor = cursor > delta.next_cursor ? 0 : cursor;
    const auto since = static_cast<std::int64_t>(delta.since_cursor);

    auto ev = db_->exec("SELECT change FROM events WHERE id = $1", Params{std::string(event_id)});
    if (!ev) return ev.error();
    if (ev->rows.empty())
      return fail(DbError::not_found, "no event '" + std::string(event_id) + "'");
    if (integer(ev->rows[0][0]) > since) {
      auto loaded = load_event(event_id);
      if (!loaded) return loaded.error();
      delta.event = std::move(*loaded);
    }
    auto people = db_->exec("SELECT " + std::string(kAttendeeColumns) +
                                " FROM attendees WHERE change > $1 ORDER BY id",
                            Params{since});
    if (!people) return people.error();
    delta.attendees.reserve(people->rows.size());
    for (const auto& row : people->rows) {
      Attendee attendee = attendee_from(row);
      attendee.email.clear(); // never leaves the server
      delta.attendees.push_back(std::move(attendee));
    }
    // Badges are valid League-wide, so every revocation matters to every event's kiosks.
    auto revoked = db_->exec(
        "SELECT serial FROM badges WHERE revoked_at IS NOT NULL AND change > $1 ORDER BY serial",
        Params{since});
    if (!revoked) return revoked.error();
    for (const auto& row : revoked->rows)
      delta.revoked_serials.push_back(text(row[0]));
    auto keys = league_keys();
    if (!keys) return keys.error();
    delta.league_keys = std::move(*keys);
    auto certificates = device_certificates();
    if (!certificates) return certificates.error();
    delta.device_certificates = std::move(*certificates);
    return delta;
  }

  DbResult<Ok> add_provisioning_code(std::string_view code_hash, std::string_view event_id,
                                     std::string_view device_name, Instant expires_at) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    if (code_hash.empty() || has_nul(code_hash) || has_nul(device_name)) {
      return fail(DbError::invalid, "a provisioning code needs a hash");
    }
    auto tx = begin_write(kProvisioningScope);
    if (!tx) return tx.error();
    if (auto found = event_exists(event_id); !found) return found.error();
    auto inserted =
        db_->exec("INSERT INTO provisioning_codes (code_hash, event_id, device_name, expires_at) "
                  "VALUES ($1, $2, $3, $4) ON CONFLICT (code_hash) DO NOTHING",
                  Params{std::string(code_hash), std::string(event_id), std::string(device_name),
                         to_ms(expires_at)});
    if (!inserted) return inserted.error();
    if (inserted->affected == 0) {
      return fail(DbError::conflict, "this provisioning code exists already");
    }
    return tx->commit();
  }

  DbResult<DeviceRecord> redeem_provisioning_code(std::string_view code_hash,
                                                  std::string_view device_id,
                                                  std::string_view token_hash, Instant now,
                                                  std::string_view public_key) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    if (device_id.empty() || token_hash.empty() || has_nul(device_id) || has_nul(token_hash) ||
        has_nul(public_key)) {
      return fail(DbError::invalid, "a device needs an id and a token hash");
    }
    auto tx = begin_write(kProvisioningScope);
    if (!tx) return tx.error();
    // The guard is in the UPDATE itself: of two concurrent redeems, exactly one changes the row.
    auto claimed = db_->exec("UPDATE provisioning_codes SET used_at = $2, device_id = $3 "
                             "WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2 "
                             "RETURNING event_id, device_name",
                             Params{std::string(code_hash), to_ms(now), std::string(device_id)});
    if (!claimed) return claimed.error();
    if (claimed->rows.empty()) {
      auto code = db_->exec("SELECT used_at FROM provisioning_codes WHERE code_hash = $1",
                            Params{std::string(code_hash)});
      if (!code) return code.error();
      if (code->rows.empty()) return fail(DbError::not_found, "unknown provisioning code");
      if (code->rows[0][0])
        return fail(DbError::conflict, "this provisioning code was used already");
      // Expired is as good as unknown to the person typing it: ask for a new one (404).
      return fail(DbError::not_found, "this provisioning code has expired");
    }
    DeviceRecord device;
    device.id = std::string(device_id);
    device.event_id = text(claimed->rows[0][0]);
    device.name = text(claimed->rows[0][1]);
    device.token_hash = std::string(token_hash);
    device.created_at = now;
    device.public_key = std::string(public_key);
    auto inserted =
        db_->exec("INSERT INTO devices (id, name, event_id, token_hash, created_at, last_seen, "
                  "head_sequence, head_hash, public_key) VALUES ($1, $2, $3, $4, $5, NULL, 0, $6, "
                  "$7) ON CONFLICT (id) DO NOTHING",
                  Params{device.id, device.name, device.event_id, device.token_hash, to_ms(now),
                         to_hex(kZeroDigest), device.public_key});
    if (!inserted) return inserted.error();
    if (inserted->affected == 0) {
      // The kiosk's own id, known already (register-device, an earlier provisioning): the same
      // key proves it is the same kiosk, which gets the new token and keeps its chain.
      const auto taken = [&] {
        return fail(DbError::conflict, "a device '" + device.id + "' exists already");
      };
      if (public_key.empty()) return taken();
      auto updated = db_->exec(
          "UPDATE devices SET token_hash = $2, name = $3, event_id = $4 "
          "WHERE id = $1 AND public_key = $5",
          Params{device.id, device.token_hash, device.name, device.event_id, device.public_key});
      if (!updated) return updated.error();
      if (updated->affected == 0) return taken();
      auto stored =
          db_->exec("SELECT " + std::string(kDeviceColumns) + " FROM devices WHERE id = $1",
                    Params{device.id});
      if (!stored) return stored.error();
      if (stored->rows.empty()) return unknown_device(device.id);
      device = device_from(stored->rows[0]);
    }
    if (auto committed = tx->commit(); !committed) return committed.error();
    return device;
  }

  DbResult<DeviceRecord> register_device(const DeviceRecord& wanted, Instant now) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    if (wanted.id.empty() || wanted.public_key.empty() || has_nul(wanted.id) ||
        has_nul(wanted.name) || has_nul(wanted.public_key)) {
      return fail(DbError::invalid, "a registered device needs an id and a public key");
    }
    auto tx = begin_write(kProvisioningScope);
    if (!tx) return tx.error();
    auto event = db_->exec("SELECT id FROM events WHERE id = $1", Params{wanted.event_id});
    if (!event) return event.error();
    if (event->rows.empty()) return fail(DbError::not_found, "no such event: " + wanted.event_id);
    // No token: the device cannot call the API until it provisions (with the same key).
    auto inserted =
        db_->exec("INSERT INTO devices (id, name, event_id, token_hash, created_at, last_seen, "
                  "head_sequence, head_hash, public_key) VALUES ($1, $2, $3, '', $4, NULL, 0, $5, "
                  "$6) ON CONFLICT (id) DO NOTHING",
                  Params{wanted.id, wanted.name, wanted.event_id, to_ms(now), to_hex(kZeroDigest),
                         wanted.public_key});
    if (!inserted) return inserted.error();
    if (inserted->affected == 0) {
      // Known already: the same key is a repeat; a device provisioned before kiosks had keys
      // gets this one; another key is another kiosk.
      auto updated = db_->exec("UPDATE devices SET public_key = $2 WHERE id = $1 AND (public_key = "
                               "'' OR public_key = $2)",
                               Params{wanted.id, wanted.public_key});
      if (!updated) return updated.error();
      if (updated->affected == 0) {
        return fail(DbError::conflict, "device '" + wanted.id + "' is registered with another key");
      }
    }
    auto stored = db_->exec("SELECT " + std::string(kDeviceColumns) + " FROM devices WHERE id = $1",
                            Params{wanted.id});
    if (!stored) return stored.error();
    if (stored->rows.empty()) return unknown_device(wanted.id);
    DeviceRecord device = device_from(stored->rows[0]);
    if (auto committed = tx->commit(); !committed) return committed.error();
    return device;
  }

  DbResult<DeviceRecord> device(std::string_view device_id) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    auto rows = db_->exec("SELECT " + std::string(kDeviceColumns) + " FROM devices WHERE id = $1",
                          Params{std::string(device_id)});
    if (!rows) return rows.error();
    if (rows->rows.empty()) return unknown_device(device_id);
    return device_from(rows->rows[0]);
  }

  DbResult<std::vector<DeviceRecord>> devices() override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    auto rows = db_->exec("SELECT " + std::string(kDeviceColumns) +
                          " FROM devices ORDER BY created_at, id");
    if (!rows) return rows.error();
    std::vector<DeviceRecord> all;
    for (const auto& row : rows->rows)
      all.push_back(device_from(row));
    return all;
  }

  DbResult<Ok> touch_device(std::string_view device_id, Instant seen_at) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    // Only forward: two servers touching out of order keep the latest time.
    auto touched = db_->exec(
        "UPDATE devices SET last_seen = $2 WHERE id = $1 AND (last_seen IS NULL OR last_seen < $2)",
        Params{std::string(device_id), to_ms(seen_at)});
    if (!touched) return touched.error();
    if (touched->affected == 0) {
      auto found = device(device_id);
      if (!found) return found.error();
    }
    return Ok{};
  }

  DbResult<IngestOutcome> store_scans(std::string_view device_id, std::string_view event_id,
                                      std::span<const Scan> scans, Instant received_at) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    auto tx = begin_write("muster:device:" + std::string(device_id));
    if (!tx) return tx.error();
    auto head_rows = db_->exec("SELECT head_sequence, head_hash FROM devices WHERE id = $1",
                               Params{std::string(device_id)});
    if (!head_rows) return head_rows.error();
    if (head_rows->rows.empty()) return unknown_device(device_id);
    const ChainAnchor head{unsigned_integer(head_rows->rows[0][0]), digest(head_rows->rows[0][1])};
    auto sessions =
        db_->exec("SELECT id FROM sessions WHERE event_id = $1", Params{std::string(event_id)});
    if (!sessions) return sessions.error();
    if (sessions->rows.empty()) {
      if (auto found = event_exists(event_id); !found) return found.error();
    }
    std::set<std::string, std::less<>> session_ids;
    for (const auto& row : sessions->rows)
      session_ids.insert(text(row[0]));

    IngestOutcome outcome;
    outcome.highest_contiguous = head.sequence;
    auto reject = [&](std::uint64_t sequence, std::string reason) {
      IngestOutcome rejected;
      rejected.highest_contiguous = head.sequence;
      rejected.rejection = IngestRejection{sequence, std::move(reason)};
      return rejected; // the transaction rolls back: nothing of the batch is stored
    };

    for (const Scan& scan : scans) {
      if (scan.device_id != device_id) {
        return reject(scan.sequence, "scan " + std::to_string(scan.sequence) + " is of device '" +
                                         scan.device_id + "', not of device '" +
                                         std::string(device_id) + "'");
      }
      if (scan.sequence == 0 || scan.sequence > static_cast<std::uint64_t>(kMaxInt64)) {
        return reject(scan.sequence, "scan sequence numbers start at 1");
      }
      const bool event_level = scan.kind == ScanKind::checkin ||
                               scan.kind == ScanKind::registration ||
                               scan.kind == ScanKind::reprint;
      if (!(event_level && scan.session_id.empty()) && !session_ids.contains(scan.session_id)) {
        return fail(DbError::invalid, "scan " + std::to_string(scan.sequence) + " names session '" +
                                          scan.session_id + "', which is not part of event '" +
                                          std::string(event_id) + "'");
      }
      if (scan.voids_sequence > static_cast<std::uint64_t>(kMaxInt64)) {
        return fail(DbError::invalid, "scan " + std::to_string(scan.sequence) +
                                          " voids an impossible sequence number");
      }
      for (const std::string* field :
           {&scan.attendee_id, &scan.badge_serial, &scan.badge_payload, &scan.session_id,
            &scan.staff_id, &scan.reason, &scan.voids_device_id, &scan.details, &scan.boot_id}) {
        if (has_nul(*field)) {
          return fail(DbError::invalid,
                      "scan " + std::to_string(scan.sequence) + " contains a NUL character");
        }
      }
    }

    // Records the server holds already must be exactly what it holds (a retry); the rest must
    // continue the stored chain from its head.
    std::vector<Scan> fresh;
    std::uint64_t lowest_known = std::numeric_limits<std::uint64_t>::max();
    for (const Scan& scan : scans) {
      if (scan.sequence <= head.sequence) lowest_known = std::min(lowest_known, scan.sequence);
    }
    std::map<std::uint64_t, std::string> stored_hashes;
    if (lowest_known <= head.sequence) {
      auto rows =
          db_->exec("SELECT seq, hash FROM scans WHERE device_id = $1 AND seq >= $2 AND seq <= $3",
                    Params{std::string(device_id), static_cast<std::int64_t>(lowest_known),
                           static_cast<std::int64_t>(head.sequence)});
      if (!rows) return rows.error();
      for (const auto& row : rows->rows)
        stored_hashes[unsigned_integer(row[0])] = text(row[1]);
    }
    for (const Scan& scan : scans) {
      if (scan.sequence > head.sequence) {
        fresh.push_back(scan);
        continue;
      }
      auto stored = stored_hashes.find(scan.sequence);
      const bool same = stored != stored_hashes.end() && stored->second == to_hex(scan.hash) &&
                        compute_hash(scan) == scan.hash;
      if (!same) {
        return reject(scan.sequence, "a different scan is already stored under sequence " +
                                         std::to_string(scan.sequence) +
                                         " (edited record or reused sequence number)");
      }
      ++outcome.duplicates;
    }
    if (auto broken = verify_device_chain(device_id, fresh, head)) {
      return reject(broken->first_bad_sequence, broken->message);
    }
    // A branch's re-chained walk-ins keep the id their kiosk gave them under an ancestor's id.
    std::vector<std::string> walk_in_devices{std::string(device_id)};
    if (std::any_of(fresh.begin(), fresh.end(),
                    [](const Scan& s) { return s.kind == ScanKind::registration; })) {
      auto ancestors = lineage(device_id);
      if (!ancestors) return ancestors.error();
      for (const LineageStep& step : *ancestors)
        walk_in_devices.push_back(step.device_id);
    }
    for (const Scan& scan : fresh) {
      if (auto inserted = insert_scan(scan, event_id, received_at); !inserted) {
        return inserted.error();
      }
      if (scan.kind == ScanKind::reprint) {
        if (auto applied = apply_reprint(*tx, scan, event_id, received_at); !applied) {
          return applied.error();
        }
      }
      if (scan.kind == ScanKind::registration) {
        if (auto added = apply_registration(*tx, scan, walk_in_devices); !added) {
          return added.error();
        }
      }
    }
    if (!fresh.empty()) {
      const Scan& last = fresh.back();
      if (auto moved =
              db_->exec("UPDATE devices SET head_sequence = $2, head_hash = $3 WHERE id = $1",
                        Params{std::string(device_id), static_cast<std::int64_t>(last.sequence),
                               to_hex(last.hash)});
          !moved) {
        return moved.error();
      }
      outcome.highest_contiguous = last.sequence;
    }
    if (auto committed = tx->commit(); !committed) return committed.error();
    outcome.stored = fresh.size();
    return outcome;
  }

  DbResult<std::vector<WalkInRecord>> walk_ins(std::string_view event_id,
                                               bool include_confirmed) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    std::string sql =
        "SELECT a.id, a.first_name, a.last_name, a.role, a.municipality, a.provisional, "
        "a.same_as, s.event_id, s.device_id, s.staff_id, s.reason, s.wall_ms, s.clock_offset_ms "
        "FROM attendees a JOIN scans s ON s.attendee_id = a.id AND s.kind = 'registration' "
        "WHERE 1 = 1";
    Params params;
    if (!include_confirmed) sql += " AND a.provisional = 1";
    if (!event_id.empty()) {
      sql += " AND s.event_id = $1";
      params.emplace_back(std::string(event_id));
    }
    sql += " ORDER BY s.wall_ms, a.id";
    auto rows = db_->exec(sql, params);
    if (!rows) return rows.error();
    std::vector<WalkInRecord> out;
    std::set<std::string, std::less<>> seen; // one line per walk-in (its first registration)
    for (const auto& row : rows->rows) {
      WalkInRecord record;
      record.attendee.id = text(row[0]);
      if (!seen.insert(record.attendee.id).second) continue;
      record.attendee.first_name = text(row[1]);
      record.attendee.last_name = text(row[2]);
      record.attendee.role = parse_role(text(row[3])).value_or(Role::guest);
      record.attendee.municipality = text(row[4]);
      record.provisional = integer(row[5]) != 0;
      record.same_as = text(row[6]);
      record.event_id = text(row[7]);
      record.device_id = text(row[8]);
      record.staff_id = text(row[9]);
      record.reason = text(row[10]);
      record.registered_at = from_ms(integer(row[11]) + integer(row[12]));
      out.push_back(std::move(record));
    }
    return out;
  }

  DbResult<WalkInRecord> confirm_walk_in(std::string_view attendee_id,
                                         std::string_view same_as) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    {
      auto tx = begin_write(kLeagueScope);
      if (!tx) return tx.error();
      auto found = db_->exec(
          "SELECT a.provisional FROM attendees a WHERE a.id = $1 AND EXISTS "
          "(SELECT 1 FROM scans s WHERE s.attendee_id = a.id AND s.kind = 'registration')",
          Params{std::string(attendee_id)});
      if (!found) return found.error();
      if (found->rows.empty()) {
        return fail(DbError::not_found, "no walk-in '" + std::string(attendee_id) + "'");
      }
      if (!same_as.empty()) {
        if (same_as == attendee_id) {
          return fail(DbError::invalid, "a walk-in cannot be the same person as itself");
        }
        auto other = db_->exec("SELECT provisional, same_as FROM attendees WHERE id = $1",
                               Params{std::string(same_as)});
        if (!other) return other.error();
        if (other->rows.empty()) {
          return fail(DbError::not_found, "no attendee '" + std::string(same_as) + "'");
        }
        if (integer(other->rows[0][0]) != 0 || !text(other->rows[0][1]).empty()) {
          return fail(DbError::invalid, "'" + std::string(same_as) +
                                            "' is a walk-in itself: confirm it first, or name "
                                            "the roster attendee");
        }
      }
      auto stamp = bump(*tx);
      if (!stamp) return stamp.error();
      if (auto updated = db_->exec(
              "UPDATE attendees SET provisional = 0, same_as = $2, change = $3 WHERE id = $1",
              Params{std::string(attendee_id), std::string(same_as), *stamp});
          !updated) {
        return updated.error();
      }
      if (auto committed = tx->commit(); !committed) return committed.error();
    }
    auto all = walk_ins("", true);
    if (!all) return all.error();
    for (auto& record : *all) {
      if (record.attendee.id == attendee_id) return std::move(record);
    }
    return fail(DbError::not_found, "no walk-in '" + std::string(attendee_id) + "'");
  }

  DbResult<ChainAnchor> chain_head(std::string_view device_id) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    auto rows = db_->exec("SELECT head_sequence, head_hash FROM devices WHERE id = $1",
                          Params{std::string(device_id)});
    if (!rows) return rows.error();
    if (rows->rows.empty()) return unknown_device(device_id);
    return ChainAnchor{unsigned_integer(rows->rows[0][0]), digest(rows->rows[0][1])};
  }

  DbResult<std::vector<Scan>> scans_for_event(std::string_view event_id) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    if (auto found = event_exists(event_id); !found) return found.error();
    return load_scans("event_id", event_id);
  }

  DbResult<std::vector<Scan>> scans_for_device(std::string_view device_id) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    auto found = device(device_id);
    if (!found) return found.error();
    return load_scans("device_id", device_id);
  }

  DbResult<PeerScans> peer_scans(std::string_view event_id, std::string_view except_device,
                                 const PeerCursor& after, std::size_t limit) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    const auto fetch = static_cast<std::int64_t>(limit) + 1; // one more tells "more"
    auto rows =
        db_->exec("SELECT " + std::string(kScanColumns) +
                      ", received_at FROM scans WHERE event_id = $1 AND device_id <> $2 "
                      "AND kind IN ('arrive', 'leave', 'correction') "
                      "AND (received_at > $3 OR (received_at = $3 AND (device_id > $4 "
                      "OR (device_id = $4 AND seq > $5)))) "
                      "ORDER BY received_at, device_id, seq LIMIT $6",
                  Params{std::string(event_id), std::string(except_device), after.received_ms,
                         after.device_id, static_cast<std::int64_t>(after.sequence), fetch});
    if (!rows) return rows.error();
    PeerScans out;
    out.cursor = after;
    for (const auto& row : rows->rows) {
      if (out.scans.size() == limit) {
        out.more = true;
        break;
      }
      out.scans.push_back(scan_from(row));
      out.cursor = PeerCursor{integer(row[kScanColumnCount]), out.scans.back().device_id,
                              out.scans.back().sequence};
    }
    return out;
  }

  DbResult<Ok> store_clock_samples(std::string_view device_id, std::span<const ClockSample> samples,
                                   Instant received_at) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    if (samples.empty()) return Ok{};
    for (const ClockSample& sample : samples) {
      if (sample.boot_id.empty() || has_nul(sample.boot_id)) {
        return fail(DbError::invalid, "a clock sample needs a boot id without NUL characters");
      }
    }
    auto tx = begin_write("muster:device:" + std::string(device_id));
    if (!tx) return tx.error();
    auto known = db_->exec("SELECT id FROM devices WHERE id = $1", Params{std::string(device_id)});
    if (!known) return known.error();
    if (known->rows.empty()) return unknown_device(device_id);
    for (const ClockSample& sample : samples) {
      auto inserted = db_->exec(
          "INSERT INTO clock_samples (device_id, boot_id, server_ms, device_wall_ms, "
          "monotonic_ms, uncertainty_ms, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
          "ON CONFLICT DO NOTHING",
          Params{std::string(device_id), sample.boot_id, to_ms(sample.server_time),
                 to_ms(sample.device_wall), sample.monotonic_ms, sample.uncertainty_ms,
                 to_ms(received_at)});
      if (!inserted) return inserted.error();
    }
    return tx->commit();
  }

  DbResult<std::vector<DeviceClockSample>>
  clock_samples_for_event(std::string_view event_id) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    auto rows = db_->exec(
        "SELECT c.device_id, c.boot_id, c.server_ms, c.device_wall_ms, c.monotonic_ms, "
        "c.uncertainty_ms FROM clock_samples c JOIN devices d ON d.id = c.device_id "
        "WHERE d.event_id = $1 ORDER BY c.device_id, c.boot_id, c.monotonic_ms, c.server_ms",
        Params{std::string(event_id)});
    if (!rows) return rows.error();
    std::vector<DeviceClockSample> out;
    for (const auto& row : rows->rows) {
      DeviceClockSample item;
      item.device_id = text(row[0]);
      item.sample.boot_id = text(row[1]);
      item.sample.server_time = from_ms(integer(row[2]));
      item.sample.device_wall = from_ms(integer(row[3]));
      item.sample.monotonic_ms = integer(row[4]);
      item.sample.uncertainty_ms = integer(row[5]);
      out.push_back(std::move(item));
    }
    return out;
  }

  DbResult<std::vector<ScanReceipt>> scan_receipts(std::string_view event_id) override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    auto rows = db_->exec(
        "SELECT device_id, seq, received_at FROM scans WHERE event_id = $1 ORDER BY device_id, seq",
        Params{std::string(event_id)});
    if (!rows) return rows.error();
    std::vector<ScanReceipt> out;
    out.reserve(rows->rows.size());
    for (const auto& row : rows->rows) {
      out.push_back(ScanReceipt{text(row[0]), unsigned_integer(row[1]), from_ms(integer(row[2]))});
    }
    return out;
  }

  DbResult<std::uint64_t> scan_count() override {
    if (auto ready = ensure_schema(); !ready) return ready.error();
    auto rows = db_->exec("SELECT count(*) FROM scans");
    if (!rows) return rows.error();
    return rows->rows.empty() ? std::uint64_t{0} : unsigned_integer(rows->rows[0][0]);
  }

private:
  static Error<DbError> not_initialised() {
    return fail(DbError::schema,
                "the database is not initialised: run `muster-server init --db ...` first");
  }

  static Error<DbError> unknown_device(std::string_view device_id) {
    return fail(DbError::not_found, "no device '" + std::string(device_id) + "'");
  }

  // Checked until it succeeds once: another process may run `init` after this store opened.
  DbResult<Ok> ensure_schema() {
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

  DbResult<Transaction> begin_write(std::string_view scope) {
    if (auto began = db_->begin_write(scope); !began) return began.error();
    return Transaction(*db_);
  }

  // The transaction's change-counter value: bumped once, on its first change a kiosk must learn.
  DbResult<std::int64_t> bump(Transaction& tx) {
    if (tx.stamp) return *tx.stamp;
    auto rows =
        db_->exec("UPDATE changes SET counter = counter + 1 WHERE id = 1 RETURNING counter");
    if (!rows) return rows.error();
    if (rows->rows.empty()) return fail(DbError::schema, "the change counter row is missing");
    tx.stamp = integer(rows->rows[0][0]);
    return *tx.stamp;
  }

  static DbResult<Ok> validate_event(const Event& event) {
    if (event.id.empty()) return fail(DbError::invalid, "an event needs an id");
    std::set<std::string, std::less<>> ids;
    for (const Session& s : event.sessions) {
      if (s.id.empty()) {
        return fail(DbError::invalid, "a session of event '" + event.id + "' has no id");
      }
      if (!ids.insert(s.id).second) {
        return fail(DbError::invalid,
                    "event '" + event.id + "' lists session '" + s.id + "' twice");
      }
      for (const std::string* field : {&s.id, &s.title, &s.room, &s.course_code, &s.topic}) {
        if (has_nul(*field)) return fail(DbError::invalid, "session '" + s.id + "' contains NUL");
      }
    }
    for (const std::string* field : {&event.id, &event.name, &event.timezone, &event.location}) {
      if (has_nul(*field)) return fail(DbError::invalid, "event '" + event.id + "' contains NUL");
    }
    return Ok{};
  }

  DbResult<Ok> event_exists(std::string_view event_id) {
    auto rows = db_->exec("SELECT 1 FROM events WHERE id = $1", Params{std::string(event_id)});
    if (!rows) return rows.error();
    if (rows->rows.empty())
      return fail(DbError::not_found, "no event '" + std::string(event_id) + "'");
    return Ok{};
  }

  DbResult<Event> load_event(std::string_view event_id) {
    const Params id{std::string(event_id)};
    auto rows =
        db_->exec("SELECT id, name, timezone, location, arrival_grace_min, leave_grace_min, "
                  "increment_hours, debounce_s, survey_json, lead_time_min, programs_json, "
                  "eligible_roles_json FROM events WHERE id = $1",
                  id);
    if (!rows) return rows.error();
    if (rows->rows.empty())
      return fail(DbError::not_found, "no event '" + std::string(event_id) + "'");
    const SqlRow& row = rows->rows[0];
    Event event;
    event.id = text(row[0]);
    event.name = text(row[1]);
    event.timezone = text(row[2]);
    event.location = text(row[3]);
    event.credit_policy.arrival_grace = std::chrono::minutes{integer(row[4])};
    event.credit_policy.leave_grace = std::chrono::minutes{integer(row[5])};
    event.credit_policy.increment_hours = parse_double(row[6]);
    event.credit_policy.debounce = std::chrono::seconds{integer(row[7])};
    event.credit_policy.lead_time = std::chrono::minutes{integer(row[9])};
    auto survey = parse_survey_json(text(row[8]), "the stored survey of event " + event.id);
    if (!survey) return fail(DbError::schema, survey.message());
    event.survey = std::move(*survey);
    auto programs = programs_from_json(text(row[10]), text(row[11]));
    if (!programs)
      return fail(DbError::schema, "the stored programs of event " + event.id +
                                       " are unreadable: " + programs.message());
    event.programs = std::move(programs->first);
    event.eligible_roles = std::move(programs->second);
    auto sessions = db_->exec(
        "SELECT id, title, room, start_ms, end_ms, credit_hours, course_code, core, topic "
        "FROM sessions WHERE event_id = $1 ORDER BY ord",
        id);
    if (!sessions) return sessions.error();
    for (const auto& s : sessions->rows) {
      Session session;
      session.id = text(s[0]);
      session.title = text(s[1]);
      session.room = text(s[2]);
      session.start = from_ms(integer(s[3]));
      session.end = from_ms(integer(s[4]));
      session.credit_hours = parse_double(s[5]);
      session.course_code = text(s[6]);
      session.core = integer(s[7]) != 0;
      session.topic = text(s[8]);
      event.sessions.push_back(std::move(session));
    }
    return event;
  }

  // A kiosk's walk-in registration (ScanKind::registration): a new attendee id becomes a
  // provisional attendee from the scan's details, with a change stamp so the next package delta
  // takes it to every door. An existing attendee is never overwritten.
  // `devices`: the pushing device and its ancestors (a branch's kiosk named its walk-ins under
  // the id it had then).
  DbResult<Ok> apply_registration(Transaction& tx, const Scan& scan,
                                  const std::vector<std::string>& devices) {
    // A device names only its own walk-ins: an id of the roster, or one the roster may take
    // later, would let a walk-in's provisional state shadow a real attendee's credit.
    const bool own = std::any_of(devices.begin(), devices.end(), [&](const std::string& d) {
      return is_walk_in_id_of(scan.attendee_id, d);
    });
    if (!is_valid_badge_id(scan.attendee_id) || !own) {
      return fail(DbError::invalid, "registration scan " + std::to_string(scan.sequence) +
                                        " names an invalid attendee id (a walk-in's id is "
                                        "WALKIN-" +
                                        scan.device_id + "-<n>)");
    }
    auto existing = db_->exec("SELECT 1 FROM attendees WHERE id = $1", Params{scan.attendee_id});
    if (!existing) return existing.error();
    if (!existing->rows.empty()) return Ok{};
    const auto details = nlohmann::json::parse(scan.details, nullptr, false);
    const auto field = [&](const char* name) {
      std::string value;
      if (details.is_object() && details.contains(name) && details[name].is_string()) {
        value = details[name].get<std::string>();
      }
      std::erase(value, '\0');
      return value;
    };
    for (const char* name : {"first_name", "last_name", "municipality"}) {
      if (!is_valid_walk_in_field(field(name))) {
        return fail(DbError::invalid, "registration scan " + std::to_string(scan.sequence) +
                                          ": the walk-in's " + name + " is longer than " +
                                          std::to_string(kMaxWalkInField) +
                                          " bytes or holds control characters");
      }
    }
    const auto role = parse_role(field("role")).value_or(Role::guest);
    auto stamp = bump(tx);
    if (!stamp) return stamp.error();
    if (auto inserted = db_->exec(
            "INSERT INTO attendees (id, first_name, last_name, role, municipality, email, change, "
            "provisional) VALUES ($1, $2, $3, $4, $5, '', $6, 1) ON CONFLICT (id) DO NOTHING",
            Params{scan.attendee_id, field("first_name"), field("last_name"),
                   std::string(to_string(role)), field("municipality"), *stamp});
        !inserted) {
      return inserted.error();
    }
    return Ok{};
  }

  // A desk's reprint (ScanKind::reprint): the new badge (signed by the desk's certified key,
  // verified by the HTTP layer) is recorded for the attendee, and the old serial
  // (details.old_serial, else every other unrevoked badge of the attendee) is revoked with a
  // change stamp, so the next package delta takes the revocation to every door.
  DbResult<Ok> apply_reprint(Transaction& tx, const Scan& scan, std::string_view event_id,
                             Instant received_at) {
    if (scan.badge_serial.empty() || scan.attendee_id.empty()) {
      return fail(DbError::invalid, "reprint scan " + std::to_string(scan.sequence) +
                                        " needs its attendee and new badge serial");
    }
    std::string old_serial;
    const auto details = nlohmann::json::parse(scan.details, nullptr, false);
    if (details.is_object() && details.contains("old_serial") &&
        details["old_serial"].is_string()) {
      old_serial = details["old_serial"].get<std::string>();
    }
    if (has_nul(old_serial) || old_serial == scan.badge_serial) {
      return fail(DbError::invalid,
                  "reprint scan " + std::to_string(scan.sequence) + " names an invalid old serial");
    }
    auto stamp = bump(tx);
    if (!stamp) return stamp.error();
    const Instant revoked_at = scan.wall_time;
    // The key id is the payload's fifth field: MU1.<league>.<attendee>.<serial>.<key id>.<sig>.
    std::string key_id;
    {
      std::size_t field = 0;
      std::size_t begin = 0;
      for (std::size_t i = 0; i <= scan.badge_payload.size(); ++i) {
        if (i == scan.badge_payload.size() || scan.badge_payload[i] == '.') {
          if (field == 4) key_id = scan.badge_payload.substr(begin, i - begin);
          ++field;
          begin = i + 1;
        }
      }
    }
    if (auto inserted = db_->exec(
            "INSERT INTO badges (serial, attendee_id, event_id, key_id, payload, issued_at, "
            "revoked_at, change) VALUES ($1, $2, $3, $4, $5, $6, NULL, 0) "
            "ON CONFLICT (serial) DO NOTHING",
            Params{scan.badge_serial, scan.attendee_id, std::string(event_id), key_id,
                   scan.badge_payload, to_ms(received_at)});
        !inserted) {
      return inserted.error();
    }
    if (!old_serial.empty()) {
      // Authority follows the fact: a reprint may revoke only a badge of the attendee it
      // reprinted for. A serial the server never issued is refused as well: it may be another
      // attendee's badge the server has not heard of yet.
      auto owner =
          db_->exec("SELECT attendee_id FROM badges WHERE serial = $1", Params{old_serial});
      if (!owner) return owner.error();
      if (owner->rows.empty()) {
        // A venue relay (sync/server/relay.hpp) knows no issued badges (packages do not carry
        // them): the League server, which does, decides when the relay forwards the scan.
        auto relay = db_->exec("SELECT 1 FROM relay_state WHERE name = 'event_id'");
        if (!relay) return relay.error();
        if (!relay->rows.empty()) return Ok{};
      }
      if (owner->rows.empty() || text(owner->rows[0][0]) != scan.attendee_id) {
        return fail(DbError::invalid, "reprint scan " + std::to_string(scan.sequence) +
                                          " names an old serial that is not a badge of " +
                                          scan.attendee_id);
      }
      if (auto revoked = db_->exec("UPDATE badges SET revoked_at = $2, change = $3 "
                                   "WHERE serial = $1 AND revoked_at IS NULL",
                                   Params{old_serial, to_ms(revoked_at), *stamp});
          !revoked) {
        return revoked.error();
      }
      return Ok{};
    }
    if (auto revoked =
            db_->exec("UPDATE badges SET revoked_at = $3, change = $4 "
                      "WHERE attendee_id = $1 AND serial <> $2 AND revoked_at IS NULL",
                      Params{scan.attendee_id, scan.badge_serial, to_ms(revoked_at), *stamp});
        !revoked) {
      return revoked.error();
    }
    return Ok{};
  }

  DbResult<BadgeRecord> load_badge(std::string_view serial) {
    auto rows = db_->exec("SELECT " + std::string(kBadgeColumns) + " FROM badges WHERE serial = $1",
                          Params{std::string(serial)});
    if (!rows) return rows.error();
    if (rows->rows.empty()) {
      return fail(DbError::not_found, "no badge with serial " + std::string(serial));
    }
    return badge_from(rows->rows[0]);
  }

  DbResult<std::vector<Scan>> load_scans(std::string_view column, std::string_view value) {
    auto rows = db_->exec("SELECT " + std::string(kScanColumns) + " FROM scans WHERE " +
                              std::string(column) + " = $1 ORDER BY device_id, seq",
                          Params{std::string(value)});
    if (!rows) return rows.error();
    std::vector<Scan> all;
    all.reserve(rows->rows.size());
    for (const auto& row : rows->rows)
      all.push_back(scan_from(row));
    return all;
  }

  // attendee id -> role facts sorted by date; of one attendee when `only` is set.
  DbResult<RoleHistories> load_role_histories(std::optional<std::string_view> only) {
    auto rows = only ? db_->exec("SELECT attendee_id, effective, role FROM role_history "
                                 "WHERE attendee_id = $1 ORDER BY attendee_id, effective",
                                 Params{std::string(*only)})
                     : db_->exec("SELECT attendee_id, effective, role FROM role_history "
                                 "ORDER BY attendee_id, effective");
    if (!rows) return rows.error();
    RoleHistories all;
    for (const auto& row : rows->rows) {
      const auto date = parse_date(text(row[1]));
      const auto role = parse_role(text(row[2]));
      if (!date || !role) {
        return fail(DbError::schema, "unreadable role fact of attendee " + text(row[0]));
      }
      all[text(row[0])].push_back({*date, *role});
    }
    return all;
  }

  // The role facts a roster import adds (inside its transaction): for each attendee whose role
  // on `effective` is not the imported one. Without facts the roster's role holds on every date,
  // so a first change also records the old role from the beginning of time.
  DbResult<std::uint64_t> record_roles(std::span<const Attendee> attendees,
                                       const std::map<std::string, Role, std::less<>>& before,
                                       Date effective) {
    std::map<std::string, Role, std::less<>> imported; // listed twice: the last row wins
    for (const Attendee& a : attendees)
      imported.insert_or_assign(a.id, a.role);
    auto histories = load_role_histories(std::nullopt);
    if (!histories) return histories.error();
    const std::string date = format_date(effective);
    std::vector<std::tuple<std::string, std::string, Role>> facts; // attendee, date, role
    std::uint64_t changes = 0;
    for (const auto& [id, role] : imported) {
      const auto history = histories->find(id);
      const auto old = before.find(id);
      if (history == histories->end() || history->second.empty()) {
        if (old == before.end() || old->second == role) continue; // the roster's role holds
        facts.emplace_back(id, std::string(kBeginningOfTime), old->second);
        facts.emplace_back(id, date, role);
        ++changes;
        continue;
      }
      if (muster::role_on(history->second, effective, role) == role) continue;
      facts.emplace_back(id, date, role);
      ++changes;
    }
    constexpr std::size_t kRowsPerStatement = 200;
    const std::int64_t now = to_ms(
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()));
    for (std::size_t first = 0; first < facts.size(); first += kRowsPerStatement) {
      const std::size_t count = std::min(kRowsPerStatement, facts.size() - first);
      std::string sql = "INSERT INTO role_history (attendee_id, effective, role, recorded_at) "
                        "VALUES ";
      Params params;
      for (std::size_t i = 0; i < count; ++i) {
        const auto& [id, when, role] = facts[first + i];
        sql += (i == 0 ? "(" : ", (") + ("$" + std::to_string(i * 4 + 1)) + ", $" +
               std::to_string(i * 4 + 2) + ", $" + std::to_string(i * 4 + 3) + ", $" +
               std::to_string(i * 4 + 4) + ")";
        params.insert(params.end(), {id, when, std::string(to_string(role)), now});
      }
      sql += " ON CONFLICT (attendee_id, effective) DO UPDATE SET role = excluded.role, "
             "recorded_at = excluded.recorded_at";
      if (auto inserted = db_->exec(sql, params); !inserted) return inserted.error();
    }
    return changes;
  }

  DbResult<Ok> insert_attendees(std::span<const Attendee> fresh, std::int64_t stamp) {
    constexpr std::size_t kRowsPerStatement = 200; // 1,400 parameters: within both limits
    constexpr std::size_t kColumns = 8;
    for (std::size_t first = 0; first < fresh.size(); first += kRowsPerStatement) {
      const auto chunk = fresh.subspan(first, std::min(kRowsPerStatement, fresh.size() - first));
      std::string sql =
          "INSERT INTO attendees (id, first_name, last_name, role, municipality, email, change, "
          "municipality_id) VALUES ";
      Params params;
      params.reserve(chunk.size() * kColumns);
      for (std::size_t row = 0; row < chunk.size(); ++row) {
        sql += row == 0 ? "(" : ", (";
        for (std::size_t column = 1; column <= kColumns; ++column) {
          sql += "$" + std::to_string(row * kColumns + column) + (column < kColumns ? ", " : ")");
        }
        const Attendee& a = chunk[row];
        params.insert(params.end(),
                      {a.id, a.first_name, a.last_name, std::string(to_string(a.role)),
                       a.municipality, a.email, stamp, a.municipality_id});
      }
      if (auto inserted = db_->exec(sql, params); !inserted) return inserted.error();
    }
    return Ok{};
  }

  DbResult<Ok> insert_scan(const Scan& scan, std::string_view event_id, Instant received_at) {
    auto inserted = db_->exec(
        "INSERT INTO scans (device_id, seq, event_id, attendee_id, badge_serial, badge_payload, "
        "session_id, kind, wall_ms, monotonic_ms, clock_offset_ms, correction, effective_ms, "
        "staff_id, reason, voids_device_id, voids_sequence, prev_hash, hash, received_at, "
        "details, boot_id) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, "
        "$18, $19, $20, $21, $22)",
        Params{scan.device_id,
               static_cast<std::int64_t>(scan.sequence),
               std::string(event_id),
               scan.attendee_id,
               scan.badge_serial,
               scan.badge_payload,
               scan.session_id,
               std::string(to_string(scan.kind)),
               to_ms(scan.wall_time),
               scan.monotonic_ms,
               scan.clock_offset_ms,
               std::string(to_string(scan.correction)),
               to_ms(scan.effective_time),
               scan.staff_id,
               scan.reason,
               scan.voids_device_id,
               static_cast<std::int64_t>(scan.voids_sequence),
               to_hex(scan.prev_hash),
               to_hex(scan.hash),
               to_ms(received_at),
               scan.details,
               scan.boot_id});
    if (!inserted) return inserted.error();
    return Ok{};
  }

  std::unique_ptr<SqlConnection> db_;
  bool schema_ok_ = false;
};

bool is_postgres_url(std::string_view database) {
  return database.starts_with("postgresql://") || database.starts_with("postgres://");
}

} // namespace

DbResult<std::unique_ptr<ServerStore>> open_server_store(std::string_view database) {
  if (database.empty()) {
    return fail(DbError::cannot_open, "no database given (a SQLite path or a postgresql:// URL)");
  }
  auto connection = is_postgres_url(database) ? open_pg_connection(std::string(database))
                                              : open_sqlite_connection(std::string(database));
  if (!connection) return connection.error();
  auto store = std::make_unique<SqlServerStore>(std::move(*connection));
  if (auto version = store->check_not_newer(); !version) return version.error();
  if (auto migrated = store->migrate(); !migrated) return migrated.error();
  return std::unique_ptr<ServerStore>(std::move(store));
}

} // namespace muster::server
