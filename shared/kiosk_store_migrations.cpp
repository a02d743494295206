// The kiosk store's schema: every migration step since the first release, and the runner that
// applies them one transaction each (shared/README.md "Kiosk store" lists what each step did).
#include <array>
#include <string>
#include <string_view>
#include <utility>

#include "shared/kiosk_store_support.hpp"

namespace muster::kiosk_store_support {
namespace {

// Text that several steps write alike (each rebuilds or re-creates the same scans tables and
// triggers), written once: expanded() puts it in wherever a step says {{name}} on a line of its
// own. The steps' SQL, once expanded, is exactly what each release ran.
constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kSharedText{{
    // the condition of scans_refuse_fact_update: any fact of a scan changed (steps 1, 4, 7)
    {"{{scan fact changed}}\n",
     R"sql(WHEN NEW.device_id IS NOT OLD.device_id OR NEW.sequence IS NOT OLD.sequence
  OR NEW.attendee_id IS NOT OLD.attendee_id OR NEW.badge_serial IS NOT OLD.badge_serial
  OR NEW.badge_payload IS NOT OLD.badge_payload OR NEW.session_id IS NOT OLD.session_id
  OR NEW.kind IS NOT OLD.kind OR NEW.wall_time_ms IS NOT OLD.wall_time_ms
  OR NEW.monotonic_ms IS NOT OLD.monotonic_ms OR NEW.clock_offset_ms IS NOT OLD.clock_offset_ms
  OR NEW.correction IS NOT OLD.correction OR NEW.effective_time_ms IS NOT OLD.effective_time_ms
  OR NEW.staff_id IS NOT OLD.staff_id OR NEW.reason IS NOT OLD.reason
  OR NEW.voids_device_id IS NOT OLD.voids_device_id
  OR NEW.voids_sequence IS NOT OLD.voids_sequence
  OR NEW.prev_hash IS NOT OLD.prev_hash OR NEW.hash IS NOT OLD.hash
)sql"},
    // the trigger that keeps each device's sequences gapless (steps 1 and 4)
    {"{{scan refuse gap}}\n", R"sql(CREATE TRIGGER scans_refuse_gap BEFORE INSERT ON scans
WHEN NEW.sequence IS NOT (SELECT coalesce(max(sequence), 0) + 1 FROM scans
                          WHERE device_id = NEW.device_id)
BEGIN
  SELECT RAISE(ABORT, 'scans are append-only: a device''s next scan must have the next sequence');
END;
)sql"},
    // a scan's identity and badge (scans, its rebuild in step 4, peer_scans)
    {"{{scan id columns}}\n", R"sql(  device_id TEXT NOT NULL CHECK (device_id <> ''),
  sequence INTEGER NOT NULL CHECK (sequence >= 1),
  attendee_id TEXT NOT NULL,
  badge_serial TEXT NOT NULL,
  badge_payload TEXT NOT NULL,
  session_id TEXT NOT NULL,
)sql"},
    // the recorded columns of this device's own scans, checked (steps 1, 4)
    {"{{scan checked columns}}\n", R"sql(  wall_time_ms INTEGER NOT NULL,
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
)sql"},
    // the same columns where copies are kept (peer_scans, scans_archive)
    {"{{scan copied columns}}\n", R"sql(  wall_time_ms INTEGER NOT NULL,
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
)sql"},
}};

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
{{scan id columns}}
  kind TEXT NOT NULL CHECK (kind IN ('arrive', 'leave', 'correction')),
{{scan checked columns}}
  acked_at_ms INTEGER,  -- sync bookkeeping: NULL until the server stored the scan durably
  PRIMARY KEY (device_id, sequence)
) STRICT, WITHOUT ROWID;
-- Scans are facts: never deleted, never edited, never inserted out of order.
CREATE TRIGGER scans_refuse_delete BEFORE DELETE ON scans BEGIN
  SELECT RAISE(ABORT, 'scans are append-only: a recorded scan cannot be deleted');
END;
CREATE TRIGGER scans_refuse_fact_update BEFORE UPDATE ON scans
{{scan fact changed}}
BEGIN
  SELECT RAISE(ABORT, 'scans are append-only: only the sync acknowledgement may change');
END;
{{scan refuse gap}}
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
{{scan id columns}}
  kind TEXT NOT NULL CHECK (kind IN ('arrive', 'leave', 'correction', 'checkin', 'survey',
                                     'registration', 'reprint')),
{{scan checked columns}}
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
{{scan fact changed}}
  OR NEW.details IS NOT OLD.details
BEGIN
  SELECT RAISE(ABORT, 'scans are append-only: only the sync acknowledgement may change');
END;
{{scan refuse gap}}
ALTER TABLE event ADD COLUMN survey_json TEXT NOT NULL DEFAULT '[]';
)sql",
    // 5: presence across doors. The event's lead time (the same on every door and the
    // server), and the other doors' attendance scans as the server relays them: a cache of
    // others' facts, never pushed, never part of this device's chain.
    R"sql(
ALTER TABLE event ADD COLUMN lead_time_min INTEGER NOT NULL DEFAULT 15;
CREATE TABLE peer_scans (
{{scan id columns}}
  kind TEXT NOT NULL CHECK (kind IN ('arrive', 'leave', 'correction')),
{{scan copied columns}}
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
{{scan fact changed}}
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
{{scan copied columns}}
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

// `step` with each {{name}} line replaced by its shared text.
std::string expanded(std::string_view step) {
  std::string out(step);
  for (const auto& [name, text] : kSharedText) {
    for (auto at = out.find(name); at != std::string::npos; at = out.find(name, at + text.size()))
      out.replace(at, name.size(), text);
  }
  return out;
}

} // namespace

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
    auto step =
        sqlite::exec(state.db(), expanded(kMigrations[static_cast<std::size_t>(version - 1)]));
    if (!step) return state.error(step.error(), action);
    auto recorded = sqlite::exec(state.db(), "PRAGMA user_version = " + std::to_string(version));
    if (!recorded) return state.error(recorded.error(), action);
    if (auto committed = transaction->commit(); !committed) {
      return state.error(committed.error(), action);
    }
  }
  return Ok{};
}

} // namespace muster::kiosk_store_support
