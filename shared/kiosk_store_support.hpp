#pragma once
// What the parts of the kiosk store share: the connection (`KioskStore::State`) with its
// error wording and statement helpers, the column lists, and the row codecs. Internal to the
// kiosk store; the public interface is kiosk_store.hpp. The parts: kiosk_store.cpp (opening,
// checks, info), kiosk_store_migrations.cpp (the schema), kiosk_store_package.cpp (event,
// sessions, roster, revocations), kiosk_store_scans.cpp (the chain and the other doors' scans),
// kiosk_store_sync.cpp (acknowledgements, clock samples, cursors, settings),
// kiosk_store_branches.cpp (branches and the archive), kiosk_store_fold.cpp (roster search
// folding), kiosk_store_state.cpp (this header's definitions).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shared/kiosk_store.hpp"
#include "shared/sqlite_util.hpp"

namespace muster::kiosk_store_support {

using sqlite::Statement;
using sqlite::Transaction;

// PRAGMA application_id marks the file as a Muster kiosk store ("MSTK"), so a server database
// or some other program's SQLite file is refused instead of being migrated into.
inline constexpr std::int64_t kApplicationId = 0x4D53544B;

inline constexpr std::string_view kScanColumns =
    "device_id, sequence, attendee_id, badge_serial, badge_payload, session_id, kind, "
    "wall_time_ms, monotonic_ms, clock_offset_ms, correction, effective_time_ms, staff_id, "
    "reason, voids_device_id, voids_sequence, prev_hash, hash, details, boot_id";
// The parameters bind_scan() fills, in kScanColumns' order.
inline constexpr std::string_view kScanValues = "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                                                "?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20";

inline constexpr std::string_view kRosterColumns =
    "attendee_id, first_name, last_name, role, municipality";

inline constexpr std::string_view kSessionColumns =
    "id, title, room, start_ms, end_ms, credit_hours, course_code, core, topic";

inline std::int64_t to_ms(Instant instant) { return instant.time_since_epoch().count(); }
inline Instant from_ms(std::int64_t ms) { return Instant{std::chrono::milliseconds{ms}}; }

// Sequences never reach 2^63; clamping keeps "after UINT64_MAX" meaning "after everything".
inline std::int64_t to_sql(std::uint64_t value) {
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(std::min(value, kMax));
}
inline std::uint64_t to_u64(std::int64_t value) {
  return value < 0 ? 0 : static_cast<std::uint64_t>(value);
}

Digest to_digest(const std::vector<std::uint8_t>& bytes);
// Row codecs: a row selected with kScanColumns (kRosterColumns, kSessionColumns) first.
Scan read_scan(const Statement& row);
Attendee read_attendee(const Statement& row);
Session read_session(const Statement& row);
// Binds parameters 1-20 (kScanValues) to the scan's columns.
void bind_scan(Statement& statement, const Scan& scan);

// Applies migration steps from + 1 .. to, each in its own transaction (kiosk_store_migrations.cpp).
Result<Ok, StoreError> migrate(KioskStore::State& state, int from, int to);

// Registers muster_fold() (fold_for_search) on the connection; migration 3 and the roster's
// search key use it.
void register_fold_function(sqlite3* db);

} // namespace muster::kiosk_store_support

namespace muster {

struct KioskStore::State {
  std::filesystem::path path;
  sqlite::Connection connection;
  // After the connection: finalizes its statements before the connection closes.
  mutable sqlite::StatementCache statements;
  bool read_only = false;

  [[nodiscard]] sqlite3* db() const { return connection.get(); }

  // Turns an SQLite failure into words a staff member can act on.
  [[nodiscard]] Error<StoreError> error(const Error<int>& sql, std::string_view action) const;

  [[nodiscard]] Result<sqlite::Statement, StoreError> prepare(std::string_view sql,
                                                              std::string_view action) const;

  [[nodiscard]] Result<Ok, StoreError> refuse_if_read_only(std::string_view action) const;

  [[nodiscard]] Result<std::int64_t, StoreError> query_int(std::string_view sql,
                                                           std::string_view action) const;

  // Steps `statement` to its end, appending each row (selected with kScanColumns) to `scans`.
  [[nodiscard]] Result<Ok, StoreError> collect_scans(sqlite::Statement& statement,
                                                     std::string_view action,
                                                     std::vector<Scan>& scans) const;

  [[nodiscard]] Result<std::vector<Scan>, StoreError> scans_where(std::string_view where,
                                                                  std::string_view key) const;

  [[nodiscard]] Result<std::optional<std::string>, StoreError>
  get_text(std::string_view table, std::string_view key_col, std::string_view key) const;

  [[nodiscard]] Result<Ok, StoreError> set_text(std::string_view table, std::string_view key_col,
                                                std::string_view key, std::string_view value);

  // The device a scan recorded under `device_id` belongs to now: its latest branch, or itself.
  [[nodiscard]] Result<std::string, StoreError> branch_of(std::string_view device_id,
                                                          std::string_view action) const;

  // Where a scan moved when its device branched (device, sequence), or nothing.
  [[nodiscard]] Result<std::optional<std::pair<std::string, std::uint64_t>>, StoreError>
  moved_scan(std::string_view device_id, std::uint64_t sequence, std::string_view action) const;
};

} // namespace muster
