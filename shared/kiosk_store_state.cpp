// The kiosk store's shared parts (kiosk_store_support.hpp): SQLite failures in words staff can
// act on, the statement helpers every part uses, and the row codecs.
#include <sqlite3.h>

#include "shared/kiosk_store_support.hpp"

namespace muster {
namespace kiosk_store_support {

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

void bind_scan(Statement& statement, const Scan& scan) {
  statement.bind(1, scan.device_id).bind(2, to_sql(scan.sequence)).bind(3, scan.attendee_id);
  statement.bind(4, scan.badge_serial).bind(5, scan.badge_payload).bind(6, scan.session_id);
  statement.bind(7, to_string(scan.kind)).bind(8, to_ms(scan.wall_time));
  statement.bind(9, scan.monotonic_ms).bind(10, scan.clock_offset_ms);
  statement.bind(11, to_string(scan.correction)).bind(12, to_ms(scan.effective_time));
  statement.bind(13, scan.staff_id).bind(14, scan.reason).bind(15, scan.voids_device_id);
  statement.bind(16, to_sql(scan.voids_sequence));
  statement.bind_blob(17, scan.prev_hash).bind_blob(18, scan.hash).bind(19, scan.details);
  statement.bind(20, scan.boot_id);
}

} // namespace kiosk_store_support

using namespace kiosk_store_support; // NOLINT(google-build-using-namespace)

Error<StoreError> KioskStore::State::error(const Error<int>& sql, std::string_view action) const {
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
                                    detail + ": nothing from this step was saved; check the disk");
  }
}

Result<Statement, StoreError> KioskStore::State::prepare(std::string_view sql,
                                                         std::string_view action) const {
  auto statement = Statement::prepare(db(), sql, statements);
  if (!statement) return error(statement.error(), action);
  return std::move(statement).value();
}

Result<Ok, StoreError> KioskStore::State::refuse_if_read_only(std::string_view action) const {
  if (!read_only) return Ok{};
  return fail(StoreError::read_only, "the kiosk data file " + path.string() +
                                         " is open read-only, so " + std::string(action) +
                                         " is not possible; nothing was saved");
}

Result<std::int64_t, StoreError> KioskStore::State::query_int(std::string_view sql,
                                                              std::string_view action) const {
  auto statement = prepare(sql, action);
  if (!statement) return statement.error();
  auto row = statement->step();
  if (!row) return error(row.error(), action);
  return *row ? statement->column_int64(0) : 0;
}

Result<std::optional<std::string>, StoreError>
KioskStore::State::get_text(std::string_view table, std::string_view key_col,
                            std::string_view key) const {
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

Result<std::string, StoreError> KioskStore::State::branch_of(std::string_view device_id,
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

Result<std::optional<std::pair<std::string, std::uint64_t>>, StoreError>
KioskStore::State::moved_scan(std::string_view device_id, std::uint64_t sequence,
                              std::string_view action) const {
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

Result<Ok, StoreError> KioskStore::State::set_text(std::string_view table, std::string_view key_col,
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
Result<Ok, StoreError> KioskStore::State::collect_scans(Statement& statement,
                                                        std::string_view action,
                                                        std::vector<Scan>& scans) const {
  for (;;) {
    auto row = statement.step();
    if (!row) return error(row.error(), action);
    if (!*row) return Ok{};
    scans.push_back(read_scan(statement));
  }
}

Result<std::vector<Scan>, StoreError> KioskStore::State::scans_where(std::string_view where,
                                                                     std::string_view key) const {
  const std::string sql = "SELECT " + std::string(kScanColumns) + " FROM scans WHERE " +
                          std::string(where) + " ORDER BY device_id, sequence";
  auto statement = prepare(sql, "reading scans");
  if (!statement) return statement.error();
  statement->bind(1, key);
  std::vector<Scan> scans;
  if (auto read = collect_scans(*statement, "reading scans", scans); !read) return read.error();
  return scans;
}

} // namespace muster
