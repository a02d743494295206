#include "shared/kiosk_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <new>
#include <set>
#include <tuple>
#include <utility>

#include "shared/import.hpp"
#include "shared/sqlite_util.hpp"

namespace muster {
namespace {

using sqlite::Statement;
using sqlite::Transaction;

// PRAGMA application_id marks the file as a Muster kiosk store ("MSTK"), so a server database
// or some other program's SQLite file is refused instead of being migrated into.
constexpr std::int64_t kApplicationId = 0x4D53544B;

// Numbered migrations: kMigrations[n - 1] moves user_version from n - 1 to n. Never edit a
// released step; add a new one (and a test row for it). Step 3 uses muster_fold(), a function
// this code registers on every connection.
constexpr std::array<std::string_view, kKioskSchemaVersion> kMigrations{
    // 1: base schema.
    R"sql(
CREATE TABLE event (
  slot INTEGER PRIMARY KEY CHECK (slot = 1),  -- a kiosk serves one event at a time
  id TEXT NOT NULL CHECK (id <> ''),
  name TEXT NOT NULL,
  timezone TEXT NOT NULL,
  location TEXT NOT NULL,
  arrival_grace_min INTEGER NOT NULL,
  leave_grace_min INTEGER NOT NULL,
  increment_hours REAL NOT NULL,
  debounce_s INTEGER NOT NULL
) STRICT;
CREATE TABLE sessions (
  id TEXT PRIMARY KEY CHECK (id <> ''),
  title TEXT NOT NULL,
  room TEXT NOT NULL,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL CHECK (end_ms > start_ms),
  credit_hours REAL NOT NULL,
  course_code TEXT NOT NULL,
  core INTEGER NOT NULL CHECK (core IN (0, 1)),
  topic TEXT NOT NULL
) STRICT;
-- No e-mail column on purpose: a kiosk never holds attendees' addresses.
CREATE TABLE roster (
  attendee_id TEXT PRIMARY KEY CHECK (attendee_id <> ''),
  first_name TEXT NOT NULL,
  last_name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('mayor', 'councilmember', 'clerk', 'staff', 'guest')),
  municipality TEXT NOT NULL
) STRICT;
CREATE TABLE revoked_serials (serial TEXT PRIMARY KEY) STRICT, WITHOUT ROWID;
CREATE TABLE scans (
  device_id TEXT NOT NULL CHECK (device_id <> ''),
  sequence INTEGER NOT NULL CHECK (sequence >= 1),
  attendee_id TEXT NOT NULL,
  badge_serial TEXT NOT NULL,
  badge_payload TEXT NOT NULL,
  session_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('arrive', 'leave', 'correction')),
  wall_time_ms INTEGER NOT NULL,
  monotonic_ms INTEGER NOT NULL,
  clock_offset_ms INTEGER NOT NULL,
  correction TEXT NOT NULL CHECK (correction IN ('none', 'arrive', 'leave', 'void')),
  effective_time_ms INTEGER NOT NULL,
  staff_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  voids_device_id TEXT NOT NULL,
  voids_sequence INTEGER NOT NULL,
  prev_hash BLOB NOT NULL CHECK (length(prev_hash) = 32),
  hash BLOB NOT NULL CHECK (length(hash) = 32),
  acked_at_ms INTEGER,  -- sync bookkeeping: NULL until the server stored the scan durably
  PRIMARY KEY (device_id, sequence)
) STRICT, WITHOUT ROWID;
-- Scans are facts: never deleted, never edited, never inserted out of order.
CREATE TRIGGER scans_refuse_delete BEFORE DELETE ON scans BEGIN
  SELECT RAISE(ABORT, 'scans are append-only: a recorded scan cannot be deleted');
END;
CREATE TRIGGER scans_refuse_fact_update BEFORE UPDATE ON scans
WHEN NEW.device_id IS NOT OLD.device_id OR NEW.sequence IS NOT OLD.sequence
  OR NEW.attendee_id IS NOT OLD.attendee_id OR NEW.badge_serial IS NOT OLD.badge_serial
  OR NEW.badge_payload IS NOT OLD.badge_payload OR NEW.session_id IS NOT OLD.session_id
  OR NEW.kind IS NOT OLD.kind OR NEW.wall_time_ms IS NOT OLD.wall_time_ms
  OR NEW.monotonic_ms IS NOT OLD.monotonic_ms OR NEW.clock_offset_ms IS NOT OLD.clock_offset_ms
  OR NEW.correction IS NOT OLD.correction OR NEW.effective_time_ms IS NOT OLD.effective_time_ms
  OR NEW.staff_id IS NOT OLD.staff_id OR NEW.reason IS NOT OLD.reason
  OR NEW.voids_device_id IS NOT OLD.voids_device_id
  OR NEW.voids_sequence IS NOT OLD.voids_sequence
  OR NEW.prev_hash IS NOT OLD.prev_hash OR NEW.hash IS NOT OLD.hash
BEGIN
  SELECT RAISE(ABORT, 'scans are append-only: only the sync acknowledgement may change');
END;
CREATE TRIGGER scans_refuse_gap BEFORE INSERT ON scans
WHEN NEW.sequence IS NOT (SELECT coalesce(max(sequence), 0) + 1 FROM scans
                          WHERE device_id = NEW.device_id)
BEGIN
  SELECT RAISE(ABORT, 'scans are append-only: a device''s next scan must have the next sequence');
END;
CREATE TABLE sync_cursors (name TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT, WITHOUT ROWID;
)sql",
    // 2: settings (PIN hash, door's session, device identity, ...).
    R"sql(
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT, WITHOUT ROWID;
)sql",
    // 3: accent- and case-insensitive roster search; indexes for the session and attendee views.
    R"sql(
ALTER TABLE roster ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
UPDATE roster SET search_key = muster_fold(last_name || ' ' || first_name);
CREATE INDEX scans_by_session ON scans (session_id);
CREATE INDEX scans_by_attendee ON scans (attendee_id);
)sql",
    // 4: the event-level kinds (desk check-in, survey, walk-in registration, reprint), each
    // scan's details (a JSON object's text) and the event's survey questions. SQLite cannot
    // change a CHECK, so the scans table is rebuilt: same rows, same order, same hashes.
    R"sql(
CREATE TABLE scans_v4 (
  device_id TEXT NOT NULL CHECK (device_id <> ''),
  sequence INTEGER NOT NULL CHECK (sequence >= 1),
  attendee_id TEXT NOT NULL,
  badge_serial TEXT NOT NULL,
  badge_payload TEXT NOT NULL,
  session_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('arrive', 'leave', 'correction', 'checkin', 'survey',
                                     'registration', 'reprint')),
  wall_time_ms INTEGER NOT NULL,
  monotonic_ms INTEGER NOT NULL,
  clock_offset_ms INTEGER NOT NULL,
  correction TEXT NOT NULL CHECK (correction IN ('none', 'arrive', 'leave', 'void')),
  effective_time_ms INTEGER NOT NULL,
  staff_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  voids_device_id TEXT NOT NULL,
  voids_sequence INTEGER NOT NULL,
  prev_hash BLOB NOT NULL CHECK (length(prev_hash) = 32),
  hash BLOB NOT NULL CHECK (length(hash) = 32),
  acked_at_ms INTEGER,
  details TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (device_id, sequence)
) STRICT, WITHOUT ROWID;
INSERT INTO scans_v4 (device_id, sequence, attendee_id, badge_serial, badge_payload, session_id,
  kind, wall_time_ms, monotonic_ms, clock_offset_ms, correction, effective_time_ms, staff_id,
  reason, voids_device_id, voids_sequence, prev_hash, hash, acked_at_ms)
SELECT device_id, sequence, attendee_id, badge_serial, badge_payload, session_id, kind,
  wall_time_ms, monotonic_ms, clock_offset_ms, correction, effective_time_ms, staff_id, reason,
  voids_device_id, voids_sequence, prev_hash, hash, acked_at_ms FROM scans ORDER BY device_id, sequence;
DROP TABLE scans;
ALTER TABLE scans_v4 RENAME TO scans;
CREATE INDEX scans_by_session ON scans (session_id);
CREATE INDEX scans_by_attendee ON scans (attendee_id);
CREATE TRIGGER scans_refuse_delete BEFORE DELETE ON scans BEGIN
  SELECT RAISE(ABORT, 'scans are append-only: a recorded scan cannot be deleted');
END;
CREATE TRIGGER scans_refuse_fact_update BEFORE UPDATE ON scans
WHEN NEW.device_id IS NOT OLD.device_id OR NEW.sequence IS NOT OLD.sequence
  OR NEW.attendee_id IS NOT OLD.attendee_id OR NEW.badge_serial IS NOT OLD.badge_serial
  OR NEW.badge_payload IS NOT OLD.badge_payload OR NEW.session_id IS NOT OLD.session_id
  OR NEW.kind IS NOT OLD.kind OR NEW.wall_time_ms IS NOT OLD.wall_time_ms
  OR NEW.monotonic_ms IS NOT OLD.monotonic_ms OR NEW.clock_offset_ms IS NOT OLD.clock_offset_ms
  OR NEW.correction IS NOT OLD.correction OR NEW.effective_time_ms IS NOT OLD.effective_time_ms
  OR NEW.staff_id IS NOT OLD.staff_id OR NEW.reason IS NOT OLD.reason
  OR NEW.voids_device_id IS NOT OLD.voids_device_id
  OR NEW.voids_sequence IS NOT OLD.voids_sequence
  OR NEW.prev_hash IS NOT OLD.prev_hash OR NEW.hash IS NOT OLD.hash
  OR NEW.details IS NOT OLD.details
BEGIN
  SELECT RAISE(ABORT, 'scans are append-only: only the sync acknowledgement may change');
END;
CREATE TRIGGER scans_refuse_gap BEFORE INSERT ON scans
WHEN NEW.sequence IS NOT (SELECT coalesce(max(sequence), 0) + 1 FROM scans
                          WHERE device_id = NEW.device_id)
BEGIN
  SELECT RAISE(ABORT, 'scans are append-only: a device''s next scan must have the next sequence');
END;
ALTER TABLE event ADD COLUMN survey_json TEXT NOT NULL DEFAULT '[]';
)sql",
    // 5: presence across doors. The event's lead time (the same on every door and the
    // server), and the other doors' attendance scans as the server relays them: a cache of
    // others' facts, never pushed, never part of this device's chain.
    R"sql(
ALTER TABLE event ADD COLUMN lead_time_min INTEGER NOT NULL DEFAULT 15;
CREATE TABLE peer_scans (
  device_id TEXT NOT NULL CHECK (device_id <> ''),
  sequence INTEGER NOT NULL CHECK (sequence >= 1),
  attendee_id TEXT NOT NULL,
  badge_serial TEXT NOT NULL,
  badge_payload TEXT NOT NULL,
  session_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('arrive', 'leave', 'correction')),
  wall_time_ms INTEGER NOT NULL,
  monotonic_ms INTEGER NOT NULL,
  clock_offset_ms INTEGER NOT NULL,
  correction TEXT NOT NULL,
  effective_time_ms INTEGER NOT NULL,
  staff_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  voids_device_id TEXT NOT NULL,
  voids_sequence INTEGER NOT NULL,
  prev_hash BLOB NOT NULL,
  hash BLOB NOT NULL,
  details TEXT NOT NULL,
  PRIMARY KEY (device_id, sequence)
) STRICT, WITHOUT ROWID;
CREATE INDEX peer_scans_by_attendee ON peer_scans (attendee_id);
)sql",
    // 6: the `manager` role (city and county managers, ICMA): SQLite cannot change a CHECK, so
    // the roster table is rebuilt with the same rows.
    R"sql(
CREATE TABLE roster_v6 (
  attendee_id TEXT PRIMARY KEY CHECK (attendee_id <> ''),
  first_name TEXT NOT NULL,
  last_name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('mayor', 'councilmember', 'clerk', 'staff', 'guest',
                                     'manager')),
  municipality TEXT NOT NULL,
  search_key TEXT NOT NULL DEFAULT ''
) STRICT;
INSERT INTO roster_v6 (attendee_id, first_name, last_name, role, municipality, search_key)
SELECT attendee_id, first_name, last_name, role, municipality, search_key FROM roster;
DROP TABLE roster;
ALTER TABLE roster_v6 RENAME TO roster;
)sql",
    // 7: clocks that lie. Each scan's boot id (hashed: muster-scan-v3) and the clock samples of
    // each sync (server time beside this device's wall and monotonic clocks of one boot),
    // which travel to the server with the scans; `sent_at_ms` is set once the server stored them.
    R"sql(
ALTER TABLE scans ADD COLUMN boot_id TEXT NOT NULL DEFAULT '';
ALTER TABLE peer_scans ADD COLUMN boot_id TEXT NOT NULL DEFAULT '';
DROP TRIGGER scans_refuse_fact_update;
CREATE TRIGGER scans_refuse_fact_update BEFORE UPDATE ON scans
WHEN NEW.device_id IS NOT OLD.device_id OR NEW.sequence IS NOT OLD.sequence
  OR NEW.attendee_id IS NOT OLD.attendee_id OR NEW.badge_serial IS NOT OLD.badge_serial
  OR NEW.badge_payload IS NOT OLD.badge_payload OR NEW.session_id IS NOT OLD.session_id
  OR NEW.kind IS NOT OLD.kind OR NEW.wall_time_ms IS NOT OLD.wall_time_ms
  OR NEW.monotonic_ms IS NOT OLD.monotonic_ms OR NEW.clock_offset_ms IS NOT OLD.clock_offset_ms
  OR NEW.correction IS NOT OLD.correction OR NEW.effective_time_ms IS NOT OLD.effective_time_ms
  OR NEW.staff_id IS NOT OLD.staff_id OR NEW.reason IS NOT OLD.reason
  OR NEW.voids_device_id IS NOT OLD.voids_device_id
  OR NEW.voids_sequence IS NOT OLD.voids_sequence
  OR NEW.prev_hash IS NOT OLD.prev_hash OR NEW.hash IS NOT OLD.hash
  OR NEW.details IS NOT OLD.details OR NEW.boot_id IS NOT OLD.boot_id
BEGIN
  SELECT RAISE(ABORT, 'scans are append-only: only the sync acknowledgement may change');
END;
CREATE TABLE clock_samples (
  id INTEGER PRIMARY KEY,
  boot_id TEXT NOT NULL CHECK (boot_id <> ''),
  server_time_ms INTEGER NOT NULL,
  device_wall_ms INTEGER NOT NULL,
  monotonic_ms INTEGER NOT NULL,
  uncertainty_ms INTEGER NOT NULL,
  sent_at_ms INTEGER
) STRICT;
)sql",
    // 8: restored or cloned kiosks (sync/PROTOCOL.md "Branches"). Scans the server holds other
    // content for move to a branch of the device: their rows are kept here, with where they
    // went, and only a row kept here may leave `scans` (a fact is never deleted). A device that
    // branched records its successor, so a scan recorded under its old id joins the branch.
    R"sql(
CREATE TABLE scans_archive (
  device_id TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  attendee_id TEXT NOT NULL,
  badge_serial TEXT NOT NULL,
  badge_payload TEXT NOT NULL,
  session_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  wall_time_ms INTEGER NOT NULL,
  monotonic_ms INTEGER NOT NULL,
  clock_offset_ms INTEGER NOT NULL,
  correction TEXT NOT NULL,
  effective_time_ms INTEGER NOT NULL,
  staff_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  voids_device_id TEXT NOT NULL,
  voids_sequence INTEGER NOT NULL,
  prev_hash BLOB NOT NULL,
  hash BLOB NOT NULL,
  details TEXT NOT NULL,
  boot_id TEXT NOT NULL,
  acked_at_ms INTEGER,
  archived_at_ms INTEGER NOT NULL,
  branch_device_id TEXT NOT NULL,
  branch_sequence INTEGER NOT NULL,
  PRIMARY KEY (device_id, sequence)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER scans_archive_refuse_delete BEFORE DELETE ON scans_archive BEGIN
  SELECT RAISE(ABORT, 'archived scans are kept: a recorded scan cannot be deleted');
END;
CREATE TRIGGER scans_archive_refuse_update BEFORE UPDATE ON scans_archive BEGIN
  SELECT RAISE(ABORT, 'archived scans are kept unchanged');
END;
DROP TRIGGER scans_refuse_delete;
CREATE TRIGGER scans_refuse_delete BEFORE DELETE ON scans
WHEN NOT EXISTS (SELECT 1 FROM scans_archive a WHERE a.device_id = OLD.device_id
                 AND a.sequence = OLD.sequence AND a.hash = OLD.hash)
BEGIN
  SELECT RAISE(ABORT, 'scans are append-only: a recorded scan cannot be deleted');
END;
CREATE TABLE device_branches (
  from_device_id TEXT PRIMARY KEY,
  to_device_id TEXT NOT NULL CHECK (to_device_id <> ''),
  diverged_at INTEGER NOT NULL CHECK (diverged_at >= 1),
  branched_at_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
)sql",
};

constexpr std::string_view kScanColumns =
    "device_id, sequence, attendee_id, badge_serial, badge_payload, session_id, kind, "
    "wall_time_ms, monotonic_ms, clock_offset_ms, correction, effective_time_ms, staff_id, "
    "reason, voids_device_id, voids_sequence, prev_hash, hash, details, boot_id";

constexpr std::string_view kRosterColumns =
    "attendee_id, first_name, last_name, role, municipality";

// ---- Accent folding -------------------------------------------------------------------------

// Base letters for U+00C0..U+017F (Latin-1 Supplement letters and Latin Extended-A).
// An empty entry keeps the character (the multiplication and division signs).
// clang-format off
constexpr std::array<std::string_view, 192> kLatinFold{
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",    // C0
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",  // D0
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",    // E0
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y",   // F0
    "a", "a", "a", "a", "a", "a", "c",  "c", "c", "c", "c", "c", "c", "c", "d", "d",    // 100
    "d", "d", "e", "e", "e", "e", "e",  "e", "e", "e", "e", "e", "g", "g", "g", "g",    // 110
    "g", "g", "g", "g", "h", "h", "h",  "h", "i", "i", "i", "i", "i", "i", "i", "i",    // 120
    "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",   // 130
    "l", "l", "l", "n", "n", "n", "n",  "n", "n", "n", "n", "n", "o", "o", "o", "o",    // 140
    "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",   // 150
    "s", "s", "t", "t", "t", "t", "t",  "t", "u", "u", "u", "u", "u", "u", "u", "u",    // 160
    "u", "u", "u", "u", "w", "w", "y",  "y", "y", "z", "z", "z", "z", "z", "z", "s",    // 170
};
// clang-format on

// Decodes one UTF-8 sequence at text[pos]; returns its length, or 0 when malformed.
std::size_t decode_utf8(std::string_view text, std::size_t pos, char32_t& code_point) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  std::size_t length = 0;
  if (lead < 0x80) {
    code_point = lead;
    return 1;
  }
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    code_point = lead & 0x1Fu;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    code_point = lead & 0x0Fu;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    code_point = lead & 0x07u;
  } else {
    return 0;
  }
  if (pos + length > text.size()) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    const auto next = static_cast<unsigned char>(text[pos + i]);
    if ((next & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (next & 0x3Fu);
  }
  return length;
}

void fold_sql_function(sqlite3_context* context, int argc, sqlite3_value** argv) {
  if (argc != 1 || sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    sqlite3_result_null(context);
    return;
  }
  const auto* text = sqlite3_value_text(argv[0]);
  const int size = sqlite3_value_bytes(argv[0]);
  try {
    const std::string folded = fold_for_search(
        std::string_view(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size)));
    sqlite3_result_text64(context, folded.data(), folded.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  } catch (const std::bad_alloc&) {
    sqlite3_result_error_nomem(context); // an exception must not unwind through SQLite's C
  }
}

// ---- Conversions ----------------------------------------------------------------------------

std::int64_t to_ms(Instant instant) { return instant.time_since_epoch().count(); }
Instant from_ms(std::int64_t ms) { return Instant{std::chrono::milliseconds{ms}}; }

// Sequences never reach 2^63; clamping keeps "after UINT64_MAX" meaning "after everything".
std::int64_t to_sql(std::uint64_t value) {
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(std::min(value, kMax));
}
std::uint64_t to_u64(std::int64_t value) {
  return value < 0 ? 0 : static_cast<std::uint64_t>(value);
}

Digest to_digest(const std::vector<std::uint8_t>& bytes) {
  Digest digest{};
  if (bytes.size() == digest.size()) std::copy(bytes.begin(), bytes.end(), digest.begin());
  return digest;
}

Scan read_scan(const Statement& row) {
  Scan scan;
  scan.device_id = row.column_text(0);
  scan.sequence = to_u64(row.column_int64(1));
  scan.attendee_id = row.column_text(2);
  scan.badge_serial = row.column_text(3);
  scan.badge_payload = row.column_text(4);
  scan.session_id = row.column_text(5);
  scan.kind = parse_scan_kind(row.column_text(6)).value_or(ScanKind::arrive);
  scan.wall_time = from_ms(row.column_int64(7));
  scan.monotonic_ms = row.column_int64(8);
  scan.clock_offset_ms = row.column_int64(9);
  scan.correction = parse_correction(row.column_text(10)).value_or(Correction::none);
  scan.effective_time = from_ms(row.column_int64(11));
  scan.staff_id = row.column_text(12);
  scan.reason = row.column_text(13);
  scan.voids_device_id = row.column_text(14);
  scan.voids_sequence = to_u64(row.column_int64(15));
  scan.prev_hash = to_digest(row.column_blob(16));
  scan.hash = to_digest(row.column_blob(17));
  scan.details = row.column_text(18);
  scan.boot_id = row.column_text(19);
  return scan;
}

Attendee read_attendee(const Statement& row) {
  Attendee attendee;
  attendee.id = row.column_text(0);
  attendee.first_name = row.column_text(1);
  attendee.last_name = row.column_text(2);
  attendee.role = parse_role(row.column_text(3)).value_or(Role::guest);
  attendee.municipality = row.column_text(4);
  return attendee;
}

Session read_session(const Statement& row) {
  Session session;
  session.id = row.column_text(0);
  session.title = row.column_text(1);
  session.room = row.column_text(2);
  session.start = from_ms(row.column_int64(3));
  session.end = from_ms(row.column_int64(4));
  session.credit_hours = row.column_double(5);
  session.course_code = row.column_text(6);
  session.core = row.column_int64(7) != 0;
  session.topic = row.column_text(8);
  return session;
}

constexpr std::string_view kSessionColumns =
    "id, title, room, start_ms, end_ms, credit_hours, course_code, core, topic";

std::string validate_scan(const Scan& draft) {
  if (draft.device_id.empty()) return "the scan has no device id";
  const bool event_level = draft.kind == ScanKind::checkin ||
                           draft.kind == ScanKind::registration || draft.kind == ScanKind::reprint;
  if (draft.session_id.empty() && !event_level && draft.correction != Correction::void_scan) {
    return "the scan has no session";
  }
  const bool is_correction = draft.kind == ScanKind::correction;
  if (is_correction != (draft.correction != Correction::none)) {
    return "a staff correction must say what it corrects, and only corrections may";
  }
  if (draft.correction == Correction::void_scan &&
      (draft.voids_device_id.empty() || draft.voids_sequence == 0)) {
    return "a void correction must name the scan it cancels (device and sequence)";
  }
  return {};
}

} // namespace

std::string_view to_string(StoreError error) {
  switch (error) {
  case StoreError::cannot_open:
    return "cannot_open";
  case StoreError::corrupt:
    return "corrupt";
  case StoreError::newer_schema:
    return "newer_schema";
  case StoreError::read_only:
    return "read_only";
  case StoreError::disk_full:
    return "disk_full";
  case StoreError::io:
    return "io";
  case StoreError::busy:
    return "busy";
  case StoreError::constraint:
    return "constraint";
  case StoreError::not_found:
    return "not_found";
  case StoreError::invalid:
    return "invalid";
  }
  return "unknown";
}

std::string fold_for_search(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  auto separate = [&out] {
    if (!out.empty() && out.back() != ' ') out.push_back(' ');
  };
  std::size_t pos = 0;
  while (pos < text.size()) {
    char32_t cp = 0;
    const std::size_t length = decode_utf8(text, pos, cp);
    if (length == 0) { // malformed: keep the byte rather than lose the name
      out.push_back(text[pos++]);
      continue;
    }
    const std::string_view original = text.substr(pos, length);
    pos += length;
    if (cp < 0x80) {
      const char c = static_cast<char>(cp);
      if (c >= 'A' && c <= 'Z') {
        out.push_back(static_cast<char>(c - 'A' + 'a'));
      } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        out.push_back(c);
      } else if (c != '\'') {
        separate(); // "Smith-Jones" and "St. John" search as separate words
      }
    } else if (cp >= 0xC0 && cp <= 0x17F) {
      const std::string_view base = kLatinFold[cp - 0xC0];
      out.append(base.empty() ? original : base);
    } else if ((cp >= 0x300 && cp <= 0x36F) || cp == 0x2018 || cp == 0x2019) {
      // Combining accents (decomposed input) and typographic apostrophes: dropped.
    } else {
      out.append(original);
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// ---- The store ------------------------------------------------------------------------------

struct KioskStore::State {
  std::filesystem::path path;
  sqlite::Connection connection;
  bool read_only = false;

  [[nodiscard]] sqlite3* db() const { return connection.get(); }

  // Turns an SQLite failure into words a staff member can act on.
  [[nodiscard]] Error<StoreError> error(const Error<int>& sql, std::string_view action) const {
    const std::string file = "the kiosk data file " + path.string();
    const std::string detail = " (" + sql.message + ")";
    switch (sql.code) {
    case SQLITE_FULL:
      return fail(StoreError::disk_full,
                  file + " is full while " + std::string(action) + detail +
                      ": nothing from this step was saved and everything recorded before is "
                      "safe; free disk space or call staff, then try again");
    case SQLITE_READONLY:
      return fail(StoreError::read_only,
                  file + " is read-only while " + std::string(action) + detail +
                      ": nothing was saved; check the file's permissions and that the disk "
                      "is not mounted read-only");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return fail(StoreError::corrupt, file + " is damaged or not a Muster kiosk file" + detail +
                                           "; restore it from the backup or "
                                           "re-provision the kiosk");
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return fail(StoreError::cannot_open, "cannot open " + file + detail +
                                               ": check that its folder exists and the kiosk "
                                               "user may read and write it");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return fail(StoreError::busy, file + " is locked by another program while " +
                                        std::string(action) + detail +
                                        "; close it (e.g. an sqlite3 shell) and try again");
    case SQLITE_CONSTRAINT:
      return fail(StoreError::constraint,
                  std::string(action) + " breaks a rule of the kiosk data" + detail);
    default:
      return fail(StoreError::io, "the disk failed while " + std::string(action) + " in " + file +
                                      detail +
                                      ": nothing from this step was saved; check the disk");
    }
  }

  [[nodiscard]] Result<Statement, StoreError> prepare(std::string_view sql,
                                                      std::string_view action) const {
    auto statement = Statement::prepare(db(), sql);
    if (!statement) return error(statement.error(), action);
    return std::move(statement).value();
  }

  [[nodiscard]] Result<Ok, StoreError> refuse_if_read_only(std::string_view action) const {
    if (!read_only) return Ok{};
    return fail(StoreError::read_only, "the kiosk data file " + path.string() +
                                           " is open read-only, so " + std::string(action) +
                                           " is not possible; nothing was saved");
  }

  [[nodiscard]] Result<std::int64_t, StoreError> query_int(std::string_view sql,
                                                           std::string_view action) const {
    auto statement = prepare(sql, action);
    if (!statement) return statement.error();
    auto row = statement->step();
    if (!row) return error(row.error(), action);
    return *row ? statement->column_int64(0) : 0;
  }

  [[nodiscard]] Result<std::vector<Scan>, StoreError> scans_where(std::string_view where,
                                                                  std::string_view key) const {
    const std::string sql = "SELECT " + std::string(kScanColumns) + " FROM scans WHERE " +
                            std::string(where) + " ORDER BY device_id, sequence";
    auto statement = prepare(sql, "reading scans");
    if (!statement) return statement.error();
    statement->bind(1, key);
    std::vector<Scan> scans;
    for (;;) {
      auto row = statement->step();
      if (!row) return error(row.error(), "reading scans");
      if (!*row) return scans;
      scans.push_back(read_scan(*statement));
    }
  }

  [[nodiscard]] Result<std::optional<std::string>, StoreError>
  get_text(std::string_view table, std::string_view key_col, std::string_view key) const {
    const std::string sql =
        "SELECT value FROM " + std::string(table) + " WHERE " + std::string(key_col) + " = ?1";
    auto statement = prepare(sql, "reading a setting");
    if (!statement) return statement.error();
    statement->bind(1, key);
    auto row = statement->step();
    if (!row) return error(row.error(), "reading a setting");
    if (!*row) return std::optional<std::string>{};
    return std::optional<std::string>{statement->column_text(0)};
  }

  // The device a scan recorded under `device_id` belongs to now: its latest branch, or itself.
  [[nodiscard]] Result<std::string, StoreError> branch_of(std::string_view device_id,
                                                          std::string_view action) const {
    std::string current(device_id);
    auto statement =
        prepare("SELECT to_device_id FROM device_branches WHERE from_device_id = ?1", action);
    if (!statement) return statement.error();
    for (int depth = 0; depth < 64; ++depth) {
      statement->reset();
      statement->bind(1, current);
      auto row = statement->step();
      if (!row) return error(row.error(), action);
      if (!*row) break;
      current = statement->column_text(0);
    }
    return current;
  }

  // Where a scan moved when its device branched (device, sequence), or nothing.
  [[nodiscard]] Result<std::optional<std::pair<std::string, std::uint64_t>>, StoreError>
  moved_scan(std::string_view device_id, std::uint64_t sequence, std::string_view action) const {
    std::optional<std::pair<std::string, std::uint64_t>> out;
    std::string current(device_id);
    std::uint64_t at = sequence;
    auto statement = prepare("SELECT branch_device_id, branch_sequence FROM scans_archive "
                             "WHERE device_id = ?1 AND sequence = ?2",
                             action);
    if (!statement) return statement.error();
    for (int depth = 0; depth < 64; ++depth) {
      statement->reset();
      statement->bind(1, current).bind(2, static_cast<std::int64_t>(at));
      auto row = statement->step();
      if (!row) return error(row.error(), action);
      if (!*row) break;
      current = statement->column_text(0);
      at = static_cast<std::uint64_t>(statement->column_int64(1));
      out = std::make_pair(current, at);
    }
    return out;
  }

  [[nodiscard]] Result<Ok, StoreError> set_text(std::string_view table, std::string_view key_col,
                                                std::string_view key, std::string_view value) {
    if (auto refused = refuse_if_read_only("saving a setting"); !refused) return refused;
    const std::string sql = "INSERT INTO " + std::string(table) + " (" + std::string(key_col) +
                            ", value) VALUES (?1, ?2) ON CONFLICT (" + std::string(key_col) +
                            ") DO UPDATE SET value = excluded.value";
    auto statement = prepare(sql, "saving a setting");
    if (!statement) return statement.error();
    statement->bind(1, key).bind(2, value);
    if (auto done = statement->run(); !done) return error(done.error(), "saving a setting");
    return Ok{};
  }
};

namespace {

Result<Ok, StoreError> migrate(KioskStore::State& state, int from, int to) {
  for (int version = from + 1; version <= to; ++version) {
    const std::string action = "upgrading the kiosk data to schema " + std::to_string(version);
    auto transaction = Transaction::begin(state.db(), Transaction::Kind::immediate);
    if (!transaction) return state.error(transaction.error(), action);
    if (version == 1) {
      auto marked =
          sqlite::exec(state.db(), "PRAGMA application_id = " + std::to_string(kApplicationId));
      if (!marked) return state.error(marked.error(), action);
    }
    auto step = sqlite::exec(state.db(), kMigrations[static_cast<std::size_t>(version - 1)]);
    if (!step) return state.error(step.error(), action);
    auto recorded = sqlite::exec(state.db(), "PRAGMA user_version = " + std::to_string(version));
    if (!recorded) return state.error(recorded.error(), action);
    if (auto committed = transaction->commit(); !committed) {
      return state.error(committed.error(), action);
    }
  }
  return Ok{};
}

Result<Ok, StoreError> check_integrity(const KioskStore::State& state) {
  constexpr std::string_view kAction = "checking the kiosk data";
  auto statement = state.prepare("PRAGMA integrity_check(10)", kAction);
  if (!statement) return statement.error();
  std::string problems;
  auto note = [&problems](std::string line) {
    constexpr std::string_view kPrefix = "*** in database main ***\n";
    if (line.starts_with(kPrefix)) line.erase(0, kPrefix.size());
    if (line == "ok") return;
    if (!problems.empty()) problems += "; ";
    problems += line;
  };
  for (;;) {
    auto row = statement->step();
    if (!row) {
      // A badly damaged page stops the check itself; keep what it found so far.
      const bool damaged = row.code() == SQLITE_CORRUPT || row.code() == SQLITE_NOTADB;
      if (!damaged) return state.error(row.error(), kAction);
      note(row.message());
      break;
    }
    if (!*row) break;
    note(statement->column_text(0));
  }
  if (problems.empty()) return Ok{};
  return fail(StoreError::corrupt, "the kiosk data file " + state.path.string() +
                                       " is damaged (integrity_check: " + problems +
                                       "); restore it from the backup or re-provision the kiosk");
}

// Refuses files this code must not touch: another program's database, or a newer schema.
Result<int, StoreError> read_schema_version(const KioskStore::State& state) {
  constexpr std::string_view kAction = "opening the kiosk data";
  auto version = state.query_int("PRAGMA user_version", kAction);
  if (!version) return version.error();
  auto application = state.query_int("PRAGMA application_id", kAction);
  if (!application) return application.error();
  auto tables = state.query_int("SELECT count(*) FROM sqlite_schema", kAction);
  if (!tables) return tables.error();
  const bool ours = *application == kApplicationId || (*version == 0 && *tables == 0);
  if (!ours) {
    return fail(StoreError::corrupt, "the file " + state.path.string() +
                                         " belongs to another program, not a Muster kiosk; "
                                         "it was left untouched. Point the kiosk at its own "
                                         "data file");
  }
  if (*version > kKioskSchemaVersion) {
    return fail(StoreError::newer_schema,
                "the kiosk data file " + state.path.string() + " was written by a newer Muster " +
                    "(schema " + std::to_string(*version) + ", this program knows up to " +
                    std::to_string(kKioskSchemaVersion) +
                    "); it was left untouched. Install the current muster-kiosk");
  }
  return static_cast<int>(*version);
}

// WAL lets a sync thread read while the UI writes; FULL makes every commit survive power loss.
Result<Ok, StoreError> configure_durability(const KioskStore::State& state) {
  constexpr std::string_view kAction = "setting up the kiosk data";
  auto statement = state.prepare("PRAGMA journal_mode = WAL", kAction);
  if (!statement) return statement.error();
  auto row = statement->step();
  if (!row) return state.error(row.error(), kAction);
  if (!*row || statement->column_text(0) != "wal") {
    return fail(StoreError::io, "the kiosk data file " + state.path.string() +
                                    " cannot use write-ahead logging (is it on a network "
                                    "share?); move it to the kiosk's own disk");
  }
  auto pragmas = sqlite::exec(state.db(), "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON");
  if (!pragmas) return state.error(pragmas.error(), kAction);
  return Ok{};
}

} // namespace

KioskStore::KioskStore(std::unique_ptr<State> state) : state_(std::move(state)) {}
KioskStore::KioskStore(KioskStore&&) noexcept = default;
KioskStore& KioskStore::operator=(KioskStore&&) noexcept = default;
KioskStore::~KioskStore() = default;

Result<KioskStore, StoreError> KioskStore::open(const std::filesystem::path& path,
                                                const StoreOptions& options) {
  if (options.schema_version < 0 || options.schema_version > kKioskSchemaVersion) {
    return fail(StoreError::invalid,
                "schema version " + std::to_string(options.schema_version) + " does not exist");
  }
  auto state = std::make_unique<State>();
  state->path = path;
  std::error_code ignored;
  if (options.read_only && !std::filesystem::exists(path, ignored)) {
    return fail(StoreError::cannot_open, "the kiosk data file " + path.string() +
                                             " does not exist; provision the kiosk first");
  }
  const int flags =
      (options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_NOMUTEX;
  auto connection = sqlite::open_connection(path.string(), flags);
  if (!connection) return state->error(connection.error(), "opening the kiosk data");
  state->connection = std::move(connection).value();
  sqlite3* db = state->db();
  sqlite3_busy_timeout(db, static_cast<int>(options.busy_timeout.count()));
  sqlite3_create_function_v2(db, "muster_fold", 1,
                             SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
                             fold_sql_function, nullptr, nullptr, nullptr);
  // Only reads until the file is known to be ours, healthy and not newer: a damaged file is
  // reported and left exactly as it was, for the backup/restore procedure.
  auto version = read_schema_version(*state);
  if (!version) return version.error();
  if (auto healthy = check_integrity(*state); !healthy) return healthy.error();

  // A file the process may not write opens read-only by itself; say so instead of failing later.
  state->read_only = options.read_only || sqlite3_db_readonly(db, "main") == 1;
  if (state->read_only) {
    if (*version < options.schema_version) {
      return fail(StoreError::read_only,
                  "the kiosk data file " + path.string() + " needs an upgrade (schema " +
                      std::to_string(*version) + " to " + std::to_string(options.schema_version) +
                      ") but can only be read; open it once with write access");
    }
    if (auto guarded = sqlite::exec(db, "PRAGMA query_only = ON"); !guarded) {
      return state->error(guarded.error(), "opening the kiosk data");
    }
    return KioskStore(std::move(state));
  }
  if (auto durable = configure_durability(*state); !durable) return durable.error();
  if (auto migrated = migrate(*state, *version, options.schema_version); !migrated) {
    return migrated.error();
  }
  return KioskStore(std::move(state));
}

const std::filesystem::path& KioskStore::path() const { return state_->path; }
bool KioskStore::read_only() const { return state_->read_only; }

Result<StoreInfo, StoreError> KioskStore::info() const {
  constexpr std::string_view kAction = "reading the kiosk data's settings";
  StoreInfo info;
  info.read_only = state_->read_only;
  auto statement = state_->prepare("PRAGMA journal_mode", kAction);
  if (!statement) return statement.error();
  auto row = statement->step();
  if (!row) return state_->error(row.error(), kAction);
  info.journal_mode = *row ? statement->column_text(0) : "";
  std::int64_t version = 0, synchronous = 0, foreign_keys = 0, pages = 0, page_size = 0,
               max_pages = 0;
  const std::array<std::pair<std::string_view, std::int64_t*>, 6> pragmas{{
      {"PRAGMA user_version", &version},
      {"PRAGMA synchronous", &synchronous},
      {"PRAGMA foreign_keys", &foreign_keys},
      {"PRAGMA page_count", &pages},
      {"PRAGMA page_size", &page_size},
      {"PRAGMA max_page_count", &max_pages},
  }};
  for (const auto& [sql, target] : pragmas) {
    auto value = state_->query_int(sql, kAction);
    if (!value) return value.error();
    *target = *value;
  }
  info.schema_version = static_cast<int>(version);
  info.synchronous = static_cast<int>(synchronous);
  info.foreign_keys = foreign_keys != 0;
  info.page_count = to_u64(pages);
  info.page_size_bytes = to_u64(page_size);
  info.max_page_count = to_u64(max_pages);
  return info;
}

Result<std::uint64_t, StoreError> KioskStore::set_max_size_bytes(std::uint64_t max_bytes) {
  constexpr std::string_view kAction = "limiting the kiosk data's size";
  auto page_size = state_->query_int("PRAGMA page_size", kAction);
  if (!page_size) return page_size.error();
  const std::uint64_t pages = std::max<std::uint64_t>(1, max_bytes / to_u64(*page_size));
  // PRAGMA arguments cannot be bound; the number is formatted by us, never user text.
  auto limit =
      state_->query_int("PRAGMA max_page_count = " + std::to_string(to_sql(pages)), kAction);
  if (!limit) return limit.error();
  return to_u64(*limit) * to_u64(*page_size);
}

// ---- Event package --------------------------------------------------------------------------

Result<Ok, StoreError> KioskStore::replace_event(const Event& event) {
  constexpr std::string_view kAction = "saving the event package";
  if (auto refused = state_->refuse_if_read_only(kAction); !refused) return refused;
  if (event.id.empty()) return fail(StoreError::invalid, "the event has no id");
  for (const auto& session : event.sessions) {
    if (session.id.empty()) {
      return fail(StoreError::invalid, "a session of event " + event.id + " has no id");
    }
    if (session.end <= session.start) {
      return fail(StoreError::invalid, "session " + session.id + " ends before it starts");
    }
  }
  auto transaction = Transaction::begin(state_->db(), Transaction::Kind::immediate);
  if (!transaction) return state_->error(transaction.error(), kAction);
  auto upsert = state_->prepare(
      "INSERT OR REPLACE INTO event (slot, id, name, timezone, location, arrival_grace_min, "
      "leave_grace_min, increment_hours, debounce_s, survey_json, lead_time_min) "
      "VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
      kAction);
  if (!upsert) return upsert.error();
  const CreditPolicy& policy = event.credit_policy;
  upsert->bind(1, event.id).bind(2, event.name).bind(3, event.timezone).bind(4, event.location);
  upsert->bind(5, static_cast<std::int64_t>(policy.arrival_grace.count()))
      .bind(6, static_cast<std::int64_t>(policy.leave_grace.count()))
      .bind(7, policy.increment_hours)
      .bind(8, static_cast<std::int64_t>(policy.debounce.count()));
  upsert->bind(9, survey_to_json(event.survey));
  upsert->bind(10, static_cast<std::int64_t>(policy.lead_time.count()));
  if (auto done = upsert->run(); !done) return state_->error(done.error(), kAction);
  if (auto cleared = sqlite::exec(state_->db(), "DELETE FROM sessions"); !cleared) {
    return state_->error(cleared.error(), kAction);
  }
  auto insert = state_->prepare("INSERT INTO sessions (" + std::string(kSessionColumns) +
                                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                                kAction);
  if (!insert) return insert.error();
  for (const auto& session : event.sessions) {
    insert->reset();
    insert->bind(1, session.id).bind(2, session.title).bind(3, session.room);
    insert->bind(4, to_ms(session.start)).bind(5, to_ms(session.end));
    insert->bind(6, session.credit_hours).bind(7, session.course_code);
    insert->bind(8, std::int64_t{session.core ? 1 : 0}).bind(9, session.topic);
    if (auto done = insert->run(); !done) {
      return state_->error(done.error(), "saving session " + session.id);
    }
  }
  if (auto committed = transaction->commit(); !committed) {
    return state_->error(committed.error(), kAction);
  }
  return Ok{};
}

Result<Event, StoreError> KioskStore::event() const {
  constexpr std::string_view kAction = "reading the event";
  auto statement =
      state_->prepare("SELECT id, name, timezone, location, arrival_grace_min, leave_grace_min, "
                      "increment_hours, debounce_s, survey_json, lead_time_min FROM event "
                      "WHERE slot = 1",
                      kAction);
  if (!statement) return statement.error();
  auto row = statement->step();
  if (!row) return state_->error(row.error(), kAction);
  if (!*row) {
    return fail(StoreError::not_found,
                "this kiosk has no event yet; download the event package (sync) first");
  }
  Event event;
  event.id = statement->column_text(0);
  event.name = statement->column_text(1);
  event.timezone = statement->column_text(2);
  event.location = statement->column_text(3);
  event.credit_policy.arrival_grace = std::chrono::minutes{statement->column_int64(4)};
  event.credit_policy.leave_grace = std::chrono::minutes{statement->column_int64(5)};
  event.credit_policy.increment_hours = statement->column_double(6);
  event.credit_policy.debounce = std::chrono::seconds{statement->column_int64(7)};
  event.credit_policy.lead_time = std::chrono::minutes{statement->column_int64(9)};
  auto survey = parse_survey_json(statement->column_text(8), "the stored event survey");
  if (!survey) return fail(StoreError::corrupt, survey.message());
  event.survey = std::move(*survey);

  auto sessions = state_->prepare(
      "SELECT " + std::string(kSessionColumns) + " FROM sessions ORDER BY start_ms, id", kAction);
  if (!sessions) return sessions.error();
  for (;;) {
    auto next = sessions->step();
    if (!next) return state_->error(next.error(), kAction);
    if (!*next) break;
    event.sessions.push_back(read_session(*sessions));
  }
  return event;
}

Result<Session, StoreError> KioskStore::session(std::string_view session_id) const {
  constexpr std::string_view kAction = "reading a session";
  auto statement = state_->prepare(
      "SELECT " + std::string(kSessionColumns) + " FROM sessions WHERE id = ?1", kAction);
  if (!statement) return statement.error();
  statement->bind(1, session_id);
  auto row = statement->step();
  if (!row) return state_->error(row.error(), kAction);
  if (!*row) {
    return fail(StoreError::not_found,
                "no session " + std::string(session_id) + " in this kiosk's event package");
  }
  return read_session(*statement);
}

// ---- Roster ---------------------------------------------------------------------------------

Result<Ok, StoreError> KioskStore::upsert_roster(std::span<const Attendee> attendees) {
  constexpr std::string_view kAction = "saving the roster";
  if (auto refused = state_->refuse_if_read_only(kAction); !refused) return refused;
  for (const auto& attendee : attendees) {
    if (attendee.id.empty()) return fail(StoreError::invalid, "a roster entry has no attendee id");
  }
  auto transaction = Transaction::begin(state_->db(), Transaction::Kind::immediate);
  if (!transaction) return state_->error(transaction.error(), kAction);
  // Attendee::email is deliberately not bound: the table has no column for it.
  auto statement = state_->prepare(
      "INSERT INTO roster (" + std::string(kRosterColumns) +
          ", search_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (attendee_id) DO UPDATE SET "
          "first_name = excluded.first_name, last_name = excluded.last_name, "
          "role = excluded.role, municipality = excluded.municipality, "
          "search_key = excluded.search_key",
      kAction);
  if (!statement) return statement.error();
  for (const auto& attendee : attendees) {
    statement->reset();
    statement->bind(1, attendee.id).bind(2, attendee.first_name).bind(3, attendee.last_name);
    statement->bind(4, to_string(attendee.role)).bind(5, attendee.municipality);
    statement->bind(6, fold_for_search(attendee.last_name + " " + attendee.first_name));
    if (auto done = statement->run(); !done) {
      return state_->error(done.error(), "saving attendee " + attendee.id);
    }
  }
  if (auto committed = transaction->commit(); !committed) {
    return state_->error(committed.error(), kAction);
  }
  return Ok{};
}

Result<Attendee, StoreError> KioskStore::attendee(std::string_view attendee_id) const {
  constexpr std::string_view kAction = "reading the roster";
  auto statement = state_->prepare(
      "SELECT " + std::string(kRosterColumns) + " FROM roster WHERE attendee_id = ?1", kAction);
  if (!statement) return statement.error();
  statement->bind(1, attendee_id);
  auto row = statement->step();
  if (!row) return state_->error(row.error(), kAction);
  if (!*row) {
    return fail(StoreError::not_found, "attendee " + std::string(attendee_id) +
                                           " is not on this kiosk's roster; sync the kiosk or "
                                           "use a walk-in check-in");
  }
  return read_attendee(*statement);
}

Result<std::vector<Attendee>, StoreError> KioskStore::search_roster(std::string_view query,
                                                                    std::size_t limit) const {
  constexpr std::string_view kAction = "searching the roster";
  constexpr std::size_t kMaxWords = 6;
  const std::string folded = fold_for_search(query);
  std::vector<std::string> words;
  for (std::size_t start = 0; start < folded.size() && words.size() < kMaxWords;) {
    const std::size_t end = std::min(folded.find(' ', start), folded.size());
    words.push_back(folded.substr(start, end - start));
    start = end + 1;
  }
  if (words.empty() || limit == 0) return std::vector<Attendee>{};
  // Each word must start a word of the name: "gar" finds García, "arc" does not.
  std::string sql = "SELECT " + std::string(kRosterColumns) + " FROM roster WHERE ";
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) sql += " AND ";
    sql += "instr(' ' || search_key, ' ' || ?" + std::to_string(i + 1) + ") > 0";
  }
  sql += " ORDER BY search_key, attendee_id LIMIT ?" + std::to_string(words.size() + 1);
  auto statement = state_->prepare(sql, kAction);
  if (!statement) return statement.error();
  for (std::size_t i = 0; i < words.size(); ++i) {
    statement->bind(static_cast<int>(i + 1), words[i]);
  }
  statement->bind(static_cast<int>(words.size() + 1), to_sql(limit));
  std::vector<Attendee> found;
  for (;;) {
    auto row = statement->step();
    if (!row) return state_->error(row.error(), kAction);
    if (!*row) return found;
    found.push_back(read_attendee(*statement));
  }
}

Result<std::uint64_t, StoreError> KioskStore::roster_size() const {
  auto count = state_->query_int("SELECT count(*) FROM roster", "reading the roster");
  if (!count) return count.error();
  return to_u64(*count);
}

Result<Ok, StoreError> KioskStore::add_revoked_serials(std::span<const std::string> serials) {
  constexpr std::string_view kAction = "saving revoked badges";
  if (auto refused = state_->refuse_if_read_only(kAction); !refused) return refused;
  auto transaction = Transaction::begin(state_->db(), Transaction::Kind::immediate);
  if (!transaction) return state_->error(transaction.error(), kAction);
  auto statement =
      state_->prepare("INSERT OR IGNORE INTO revoked_serials (serial) VALUES (?1)", kAction);
  if (!statement) return statement.error();
  for (const auto& serial : serials) {
    if (serial.empty()) continue; // an empty serial would revoke every badge-less correction
    statement->reset();
    statement->bind(1, serial);
    if (auto done = statement->run(); !done) return state_->error(done.error(), kAction);
  }
  if (auto committed = transaction->commit(); !committed) {
    return state_->error(committed.error(), kAction);
  }
  return Ok{};
}

Result<bool, StoreError> KioskStore::is_revoked(std::string_view badge_serial) const {
  constexpr std::string_view kAction = "checking revoked badges";
  auto statement = state_->prepare("SELECT 1 FROM revoked_serials WHERE serial = ?1", kAction);
  if (!statement) return statement.error();
  statement->bind(1, badge_serial);
  auto row = statement->step();
  if (!row) return state_->error(row.error(), kAction);
  return *row;
}

// ---- Scans ----------------------------------------------------------------------------------

Result<Scan, StoreError> KioskStore::append_scan(Scan draft) {
  constexpr std::string_view kAction = "recording a scan";
  if (auto refused = state_->refuse_if_read_only(kAction); !refused) return refused.error();
  if (const std::string problem = validate_scan(draft); !problem.empty()) {
    return fail(StoreError::invalid, "the scan was not recorded: " + problem);
  }
  // Read the chain's tip and write the next link under one write lock, so two connections
  // can never give two scans the same sequence.
  auto transaction = Transaction::begin(state_->db(), Transaction::Kind::immediate);
  if (!transaction) return state_->error(transaction.error(), kAction);
  // A device that moved to a branch (a restored or cloned kiosk) records under the branch: a
  // window that started before the switch still holds the old id.
  if (auto resolved = state_->branch_of(draft.device_id, kAction); !resolved) {
    return resolved.error();
  } else {
    draft.device_id = std::move(*resolved);
  }
  if (draft.kind == ScanKind::correction && draft.correction == Correction::void_scan) {
    auto moved = state_->moved_scan(draft.voids_device_id, draft.voids_sequence, kAction);
    if (!moved) return moved.error();
    if (*moved) std::tie(draft.voids_device_id, draft.voids_sequence) = **moved;
  }
  auto tip = state_->prepare(
      "SELECT sequence, hash FROM scans WHERE device_id = ?1 ORDER BY sequence DESC LIMIT 1",
      kAction);
  if (!tip) return tip.error();
  tip->bind(1, draft.device_id);
  auto row = tip->step();
  if (!row) return state_->error(row.error(), kAction);
  const std::uint64_t last = *row ? to_u64(tip->column_int64(0)) : 0;
  const Digest last_hash = *row ? to_digest(tip->column_blob(1)) : Digest{};
  draft.sequence = last + 1;
  seal(draft, last_hash);

  auto insert = state_->prepare(
      "INSERT INTO scans (" + std::string(kScanColumns) +
          ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
          "?18, ?19, ?20)",
      kAction);
  if (!insert) return insert.error();
  insert->bind(1, draft.device_id).bind(2, to_sql(draft.sequence)).bind(3, draft.attendee_id);
  insert->bind(4, draft.badge_serial).bind(5, draft.badge_payload).bind(6, draft.session_id);
  insert->bind(7, to_string(draft.kind)).bind(8, to_ms(draft.wall_time));
  insert->bind(9, draft.monotonic_ms).bind(10, draft.clock_offset_ms);
  insert->bind(11, to_string(draft.correction)).bind(12, to_ms(draft.effective_time));
  insert->bind(13, draft.staff_id).bind(14, draft.reason).bind(15, draft.voids_device_id);
  insert->bind(16, to_sql(draft.voids_sequence));
  insert->bind_blob(17, draft.prev_hash).bind_blob(18, draft.hash).bind(19, draft.details);
  insert->bind(20, draft.boot_id);
  if (auto done = insert->run(); !done) return state_->error(done.error(), kAction);
  // synchronous=FULL: COMMIT returns only once the WAL is on the disk.
  if (auto committed = transaction->commit(); !committed) {
    return state_->error(committed.error(), kAction);
  }
  return draft;
}

Result<std::vector<Scan>, StoreError> KioskStore::scans_after(std::string_view device_id,
                                                              std::uint64_t after_sequence,
                                                              std::size_t limit) const {
  constexpr std::string_view kAction = "reading scans";
  auto statement = state_->prepare("SELECT " + std::string(kScanColumns) +
                                       " FROM scans WHERE device_id = ?1 AND sequence > ?2 "
                                       "ORDER BY sequence LIMIT ?3",
                                   kAction);
  if (!statement) return statement.error();
  statement->bind(1, device_id).bind(2, to_sql(after_sequence)).bind(3, to_sql(limit));
  std::vector<Scan> scans;
  for (;;) {
    auto row = statement->step();
    if (!row) return state_->error(row.error(), kAction);
    if (!*row) return scans;
    scans.push_back(read_scan(*statement));
  }
}

Result<std::vector<Scan>, StoreError>
KioskStore::scans_for_session(std::string_view session_id) const {
  return state_->scans_where("session_id = ?1", session_id);
}

Result<std::vector<Scan>, StoreError>
KioskStore::scans_for_attendee(std::string_view attendee_id) const {
  return state_->scans_where("attendee_id = ?1", attendee_id);
}

Result<std::uint64_t, StoreError> KioskStore::add_peer_scans(std::span<const Scan> scans) {
  constexpr std::string_view kAction = "saving the other doors' scans";
  if (auto refused = state_->refuse_if_read_only(kAction); !refused) return refused.error();
  auto transaction = Transaction::begin(state_->db(), Transaction::Kind::immediate);
  if (!transaction) return state_->error(transaction.error(), kAction);
  // This device's own scans never come back as a peer's: they are in `scans`. A kiosk that
  // continued on a branch holds its old id's scans up to where it branched; that id's later
  // scans (a clone's, or its own lost history after a restore) are another door's facts.
  auto insert = state_->prepare(
      "INSERT OR IGNORE INTO peer_scans (" + std::string(kScanColumns) +
          ") SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
          "?18, ?19, ?20 WHERE NOT EXISTS (SELECT 1 FROM scans WHERE device_id = ?1 AND "
          "sequence = ?2)",
      kAction);
  if (!insert) return insert.error();
  std::uint64_t added = 0;
  for (const Scan& scan : scans) {
    if (!is_attendance(scan.kind) || scan.device_id.empty() || scan.sequence == 0) continue;
    insert->reset();
    insert->bind(1, scan.device_id)
        .bind(2, static_cast<std::int64_t>(scan.sequence))
        .bind(3, scan.attendee_id)
        .bind(4, scan.badge_serial)
        .bind(5, scan.badge_payload)
        .bind(6, scan.session_id)
        .bind(7, to_string(scan.kind))
        .bind(8, to_ms(scan.wall_time))
        .bind(9, scan.monotonic_ms)
        .bind(10, scan.clock_offset_ms)
        .bind(11, to_string(scan.correction))
        .bind(12, to_ms(scan.effective_time))
        .bind(13, scan.staff_id)
        .bind(14, scan.reason)
        .bind(15, scan.voids_device_id)
        .bind(16, static_cast<std::int64_t>(scan.voids_sequence))
        .bind_blob(17, scan.prev_hash)
        .bind_blob(18, scan.hash)
        .bind(19, scan.details)
        .bind(20, scan.boot_id);
    if (auto done = insert->run(); !done) return state_->error(done.error(), kAction);
    added += static_cast<std::uint64_t>(sqlite3_changes(state_->db()));
  }
  if (auto committed = transaction->commit(); !committed) {
    return state_->error(committed.error(), kAction);
  }
  return added;
}

Result<std::vector<Scan>, StoreError>
KioskStore::known_scans_for_attendee(std::string_view attendee_id) const {
  auto own = scans_for_attendee(attendee_id);
  if (!own) return own;
  constexpr std::string_view kAction = "reading the other doors' scans";
  auto statement = state_->prepare("SELECT " + std::string(kScanColumns) +
                                       " FROM peer_scans WHERE attendee_id = ?1 "
                                       "ORDER BY device_id, sequence",
                                   kAction);
  if (!statement) return statement.error();
  statement->bind(1, attendee_id);
  for (;;) {
    auto row = statement->step();
    if (!row) return state_->error(row.error(), kAction);
    if (!*row) break;
    own->push_back(read_scan(*statement));
  }
  return own;
}

Result<std::vector<std::string>, StoreError>
KioskStore::attendees_seen_in(std::span<const std::string> session_ids) const {
  constexpr std::string_view kAction = "reading scans";
  auto statement = state_->prepare(
      "SELECT attendee_id FROM scans WHERE session_id = ?1 AND kind IN ('arrive', 'leave', "
      "'correction') UNION SELECT attendee_id FROM peer_scans WHERE session_id = ?1",
      kAction);
  if (!statement) return statement.error();
  std::set<std::string> seen;
  for (const auto& session_id : session_ids) {
    statement->reset();
    statement->bind(1, session_id);
    for (;;) {
      auto row = statement->step();
      if (!row) return state_->error(row.error(), kAction);
      if (!*row) break;
      seen.insert(statement->column_text(0));
    }
  }
  return std::vector<std::string>(seen.begin(), seen.end());
}

Result<std::uint64_t, StoreError> KioskStore::peer_scan_count() const {
  auto count =
      state_->query_int("SELECT count(*) FROM peer_scans", "reading the other doors' scans");
  if (!count) return count.error();
  return to_u64(*count);
}

Result<std::uint64_t, StoreError> KioskStore::last_sequence(std::string_view device_id) const {
  constexpr std::string_view kAction = "reading scans";
  auto statement =
      state_->prepare("SELECT coalesce(max(sequence), 0) FROM scans WHERE device_id = ?1", kAction);
  if (!statement) return statement.error();
  statement->bind(1, device_id);
  auto row = statement->step();
  if (!row) return state_->error(row.error(), kAction);
  return to_u64(statement->column_int64(0));
}

Result<std::uint64_t, StoreError>
KioskStore::mark_acked(std::string_view device_id, std::uint64_t up_to_sequence, Instant acked_at) {
  constexpr std::string_view kAction = "saving the server's acknowledgement";
  if (auto refused = state_->refuse_if_read_only(kAction); !refused) return refused.error();
  auto transaction = Transaction::begin(state_->db(), Transaction::Kind::immediate);
  if (!transaction) return state_->error(transaction.error(), kAction);
  auto last = last_sequence(device_id);
  if (!last) return last.error();
  if (up_to_sequence > *last) {
    // The server holds scans this file does not: it was likely restored from an old backup,
    // and new scans would reuse sequence numbers. Staff must re-provision, not carry on.
    return fail(StoreError::invalid, "the server acknowledged scans up to " +
                                         std::to_string(up_to_sequence) + " of device " +
                                         std::string(device_id) + " but this kiosk recorded only " +
                                         std::to_string(*last) +
                                         "; was its data file restored from a backup? "
                                         "Re-provision the kiosk");
  }
  auto statement =
      state_->prepare("UPDATE scans SET acked_at_ms = ?1 WHERE device_id = ?2 AND sequence <= ?3 "
                      "AND acked_at_ms IS NULL",
                      kAction);
  if (!statement) return statement.error();
  statement->bind(1, to_ms(acked_at)).bind(2, device_id).bind(3, to_sql(up_to_sequence));
  if (auto done = statement->run(); !done) return state_->error(done.error(), kAction);
  const auto changed = to_u64(sqlite::changes(state_->db()));
  if (auto committed = transaction->commit(); !committed) {
    return state_->error(committed.error(), kAction);
  }
  return changed;
}

Result<std::uint64_t, StoreError> KioskStore::acked_through(std::string_view device_id) const {
  constexpr std::string_view kAction = "reading the sync state";
  auto statement =
      state_->prepare("SELECT coalesce(max(sequence), 0) FROM scans WHERE device_id = ?1 "
                      "AND acked_at_ms IS NOT NULL",
                      kAction);
  if (!statement) return statement.error();
  statement->bind(1, device_id);
  auto row = statement->step();
  if (!row) return state_->error(row.error(), kAction);
  return to_u64(statement->column_int64(0));
}

Result<std::uint64_t, StoreError> KioskStore::unacked_count() const {
  auto count = state_->query_int("SELECT count(*) FROM scans WHERE acked_at_ms IS NULL",
                                 "reading the sync state");
  if (!count) return count.error();
  return to_u64(*count);
}

Result<std::uint64_t, StoreError> KioskStore::move_to_branch(const BranchMove& move, Instant now) {
  constexpr std::string_view kAction = "moving scans to the device's branch";
  if (auto refused = state_->refuse_if_read_only(kAction); !refused) return refused.error();
  if (move.device_id.empty() || move.branch_device_id.empty() || move.diverged_at == 0 ||
      move.device_id == move.branch_device_id) {
    return fail(StoreError::invalid, "a branch needs the old and the new device id and the "
                                     "first sequence that moves");
  }
  auto transaction = Transaction::begin(state_->db(), Transaction::Kind::immediate);
  if (!transaction) return state_->error(transaction.error(), kAction);
  auto done = state_->prepare("SELECT to_device_id FROM device_branches WHERE from_device_id = ?1",
                              kAction);
  if (!done) return done.error();
  done->bind(1, move.device_id);
  auto before = done->step();
  if (!before) return state_->error(before.error(), kAction);
  if (*before) {
    if (done->column_text(0) == move.branch_device_id) return std::uint64_t{0};
    return fail(StoreError::constraint, "device " + move.device_id + " moved to branch " +
                                            done->column_text(0) + " already");
  }
  auto existing = state_->prepare("SELECT count(*) FROM scans WHERE device_id = ?1", kAction);
  if (!existing) return existing.error();
  existing->bind(1, move.branch_device_id);
  if (auto row = existing->step(); !row) return state_->error(row.error(), kAction);
  if (existing->column_int64(0) != 0) {
    return fail(StoreError::constraint,
                "device " + move.branch_device_id + " already has scans in this kiosk");
  }

  auto moving = state_->prepare("SELECT " + std::string(kScanColumns) +
                                    ", acked_at_ms FROM scans WHERE device_id = ?1 AND "
                                    "sequence >= ?2 ORDER BY sequence",
                                kAction);
  if (!moving) return moving.error();
  moving->bind(1, move.device_id).bind(2, to_sql(move.diverged_at));
  std::vector<Scan> originals;
  std::vector<std::optional<std::int64_t>> acked;
  for (;;) {
    auto row = moving->step();
    if (!row) return state_->error(row.error(), kAction);
    if (!*row) break;
    originals.push_back(read_scan(*moving));
    acked.push_back(moving->column_is_null(20) ? std::optional<std::int64_t>{}
                                               : moving->column_int64(20));
  }

  auto archive = state_->prepare(
      "INSERT INTO scans_archive (" + std::string(kScanColumns) +
          ", acked_at_ms, archived_at_ms, branch_device_id, branch_sequence) VALUES (?1, ?2, ?3, "
          "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, "
          "?22, ?23, ?24)",
      kAction);
  if (!archive) return archive.error();
  auto insert = state_->prepare(
      "INSERT INTO scans (" + std::string(kScanColumns) +
          ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
          "?18, ?19, ?20)",
      kAction);
  if (!insert) return insert.error();
  const auto bind_scan = [](sqlite::Statement& statement, const Scan& scan) {
    statement.bind(1, scan.device_id).bind(2, to_sql(scan.sequence)).bind(3, scan.attendee_id);
    statement.bind(4, scan.badge_serial).bind(5, scan.badge_payload).bind(6, scan.session_id);
    statement.bind(7, to_string(scan.kind)).bind(8, to_ms(scan.wall_time));
    statement.bind(9, scan.monotonic_ms).bind(10, scan.clock_offset_ms);
    statement.bind(11, to_string(scan.correction)).bind(12, to_ms(scan.effective_time));
    statement.bind(13, scan.staff_id).bind(14, scan.reason).bind(15, scan.voids_device_id);
    statement.bind(16, to_sql(scan.voids_sequence));
    statement.bind_blob(17, scan.prev_hash).bind_blob(18, scan.hash).bind(19, scan.details);
    statement.bind(20, scan.boot_id);
  };
  Digest previous{};
  for (std::size_t i = 0; i < originals.size(); ++i) {
    const Scan& original = originals[i];
    archive->reset();
    bind_scan(*archive, original);
    if (acked[i]) {
      archive->bind(21, *acked[i]);
    } else {
      archive->bind_null(21);
    }
    archive->bind(22, to_ms(now)).bind(23, move.branch_device_id).bind(24, to_sql(i + 1));
    if (auto ran = archive->run(); !ran) return state_->error(ran.error(), kAction);
  }
  // Only rows now in the archive may leave the chain (the delete trigger checks each).
  auto remove =
      state_->prepare("DELETE FROM scans WHERE device_id = ?1 AND sequence >= ?2", kAction);
  if (!remove) return remove.error();
  remove->bind(1, move.device_id).bind(2, to_sql(move.diverged_at));
  if (auto ran = remove->run(); !ran) return state_->error(ran.error(), kAction);
  for (std::size_t i = 0; i < originals.size(); ++i) {
    Scan scan = originals[i];
    scan.device_id = move.branch_device_id;
    scan.sequence = i + 1;
    if (scan.kind == ScanKind::correction && scan.correction == Correction::void_scan &&
        scan.voids_device_id == move.device_id && scan.voids_sequence >= move.diverged_at) {
      scan.voids_device_id = move.branch_device_id;
      scan.voids_sequence = scan.voids_sequence - move.diverged_at + 1;
    }
    seal(scan, previous);
    previous = scan.hash;
    insert->reset();
    bind_scan(*insert, scan);
    if (auto ran = insert->run(); !ran) return state_->error(ran.error(), kAction);
  }
  auto link = state_->prepare("INSERT INTO device_branches (from_device_id, to_device_id, "
                              "diverged_at, branched_at_ms) VALUES (?1, ?2, ?3, ?4)",
                              kAction);
  if (!link) return link.error();
  link->bind(1, move.device_id).bind(2, move.branch_device_id).bind(3, to_sql(move.diverged_at));
  link->bind(4, to_ms(now));
  if (auto ran = link->run(); !ran) return state_->error(ran.error(), kAction);
  for (const auto& [key, value] : move.settings) {
    if (auto saved = state_->set_text("settings", "key", key, value); !saved) return saved.error();
  }
  if (auto committed = transaction->commit(); !committed) {
    return state_->error(committed.error(), kAction);
  }
  return static_cast<std::uint64_t>(originals.size());
}

Result<std::vector<Scan>, StoreError> KioskStore::archived_scans() const {
  constexpr std::string_view kAction = "reading archived scans";
  auto statement = state_->prepare("SELECT " + std::string(kScanColumns) +
                                       " FROM scans_archive ORDER BY device_id, sequence",
                                   kAction);
  if (!statement) return statement.error();
  std::vector<Scan> scans;
  for (;;) {
    auto row = statement->step();
    if (!row) return state_->error(row.error(), kAction);
    if (!*row) return scans;
    scans.push_back(read_scan(*statement));
  }
}

Result<std::optional<ChainBreak>, StoreError>
KioskStore::verify_device_chain(std::string_view device_id) const {
  auto scans = state_->scans_where("device_id = ?1", device_id);
  if (!scans) return scans.error();
  return verify_chain(*scans);
}

// ---- Cursors and settings -------------------------------------------------------------------

Result<std::optional<std::string>, StoreError> KioskStore::cursor(std::string_view name) const {
  return state_->get_text("sync_cursors", "name", name);
}

Result<Ok, StoreError> KioskStore::set_cursor(std::string_view name, std::string_view value) {
  return state_->set_text("sync_cursors", "name", name, value);
}

Result<std::optional<std::string>, StoreError> KioskStore::setting(std::string_view key) const {
  return state_->get_text("settings", "key", key);
}

Result<Ok, StoreError> KioskStore::set_setting(std::string_view key, std::string_view value) {
  return state_->set_text("settings", "key", key, value);
}

// ---- Clock samples ----------------------------------------------------------------------------

namespace {
constexpr std::string_view kSampleColumns =
    "id, boot_id, server_time_ms, device_wall_ms, monotonic_ms, uncertainty_ms";

std::pair<std::int64_t, ClockSample> read_sample(const Statement& row) {
  ClockSample sample;
  sample.boot_id = row.column_text(1);
  sample.server_time = from_ms(row.column_int64(2));
  sample.device_wall = from_ms(row.column_int64(3));
  sample.monotonic_ms = row.column_int64(4);
  sample.uncertainty_ms = row.column_int64(5);
  return {row.column_int64(0), std::move(sample)};
}
} // namespace

Result<Ok, StoreError> KioskStore::add_clock_sample(const ClockSample& sample) {
  constexpr std::string_view kAction = "saving a clock sample";
  if (auto refused = state_->refuse_if_read_only(kAction); !refused) return refused.error();
  if (sample.boot_id.empty()) return fail(StoreError::invalid, "a clock sample needs a boot id");
  auto insert = state_->prepare("INSERT INTO clock_samples (boot_id, server_time_ms, "
                                "device_wall_ms, monotonic_ms, uncertainty_ms) "
                                "VALUES (?1, ?2, ?3, ?4, ?5)",
                                kAction);
  if (!insert) return insert.error();
  insert->bind(1, sample.boot_id).bind(2, to_ms(sample.server_time));
  insert->bind(3, to_ms(sample.device_wall)).bind(4, sample.monotonic_ms);
  insert->bind(5, sample.uncertainty_ms);
  if (auto done = insert->run(); !done) return state_->error(done.error(), kAction);
  return Ok{};
}

Result<std::vector<std::pair<std::int64_t, ClockSample>>, StoreError>
KioskStore::unsent_clock_samples(std::size_t limit) const {
  constexpr std::string_view kAction = "reading clock samples";
  auto statement = state_->prepare("SELECT " + std::string(kSampleColumns) +
                                       " FROM clock_samples WHERE sent_at_ms IS NULL "
                                       "ORDER BY id LIMIT ?1",
                                   kAction);
  if (!statement) return statement.error();
  statement->bind(1, to_sql(limit));
  std::vector<std::pair<std::int64_t, ClockSample>> samples;
  for (;;) {
    auto row = statement->step();
    if (!row) return state_->error(row.error(), kAction);
    if (!*row) return samples;
    samples.push_back(read_sample(*statement));
  }
}

Result<Ok, StoreError> KioskStore::mark_clock_samples_sent(std::int64_t up_to_id, Instant sent_at) {
  constexpr std::string_view kAction = "saving that the server stored the clock samples";
  if (auto refused = state_->refuse_if_read_only(kAction); !refused) return refused.error();
  auto statement = state_->prepare(
      "UPDATE clock_samples SET sent_at_ms = ?1 WHERE id <= ?2 AND sent_at_ms IS NULL", kAction);
  if (!statement) return statement.error();
  statement->bind(1, to_ms(sent_at)).bind(2, up_to_id);
  if (auto done = statement->run(); !done) return state_->error(done.error(), kAction);
  return Ok{};
}

Result<std::optional<ClockSample>, StoreError>
KioskStore::latest_clock_sample(std::string_view boot_id) const {
  constexpr std::string_view kAction = "reading clock samples";
  // Two statements: an empty text may bind as NULL, which equals nothing.
  auto statement = state_->prepare("SELECT " + std::string(kSampleColumns) + " FROM clock_samples" +
                                       (boot_id.empty() ? "" : " WHERE boot_id = ?1") +
                                       " ORDER BY id DESC LIMIT 1",
                                   kAction);
  if (!statement) return statement.error();
  if (!boot_id.empty()) statement->bind(1, boot_id);
  auto row = statement->step();
  if (!row) return state_->error(row.error(), kAction);
  if (!*row) return std::optional<ClockSample>{};
  return std::optional<ClockSample>{read_sample(*statement).second};
}

} // namespace muster
