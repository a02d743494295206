#pragma once
// What the parts of the kiosk store share: the connection (`KioskStore::State`) with its
// error wording and statement helpers, the column lists, and the row codecs. Internal to the
// kiosk store; the public interface is kiosk_store.hpp. The parts: kiosk_store.cpp (opening,
// checks, info), kiosk_store_migrations.cpp (the schema), kiosk_store_package.cpp (event,
// sessions, roster, revocations), kiosk_store_scans.cpp (the chain and the other doors' scans),
// kiosk_store_sync.cpp (acknowledgements, clock samples, cursors, settings),
// kiosk_store_branches.cpp (branches and the archive), kiosk_store_fold.cpp (roster search
// folding), kiosk_store_checkpoint.cpp (the WAL checkpoint thread), kiosk_store_state.cpp (this
// header's other definitions).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
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

// Keeps the WAL bounded without putting a checkpoint inside a scan's commit (issue 19). SQLite's
// default checkpoints inline: the commit that brings the WAL to 1000 pages also copies them into
// the database file and fsyncs it, which tripled that scan's latency; with three b-trees written
// per scan (about 4.4 WAL pages against the raw floor's 1.15) that was one scan in 250, most of
// the p99. Here each commit only notes its time and the WAL's size (sqlite3_wal_hook). From
// kBackgroundFrames on, a thread with its own connection waits for the door to be quiet for
// kQuiet (no commit), then runs a PASSIVE checkpoint (it never takes the write lock, so a scan
// is never made to wait for it, and while a scan is being appended it does not start); the
// writer's next transaction restarts the WAL from its
// beginning once everything is copied. It waits for quiet because a checkpoint's fsync of the
// database file beside a commit's fsync of the WAL slows that commit on the same disk: between
// scans (a door sees one every second or two) the work is free. A storm with no quiet spell
// (bench: back-to-back scans) or a failed thread reaches kInlineFrames, and that commit
// checkpoints inline exactly as SQLite's default did: the WAL never grows past what it allowed.
// Durability is unchanged: every commit is still synchronous=FULL, and a checkpoint, wherever
// it runs, is crash-safe (the WAL stays valid until its pages are in the file and synced).
class WalCheckpointer {
public:
  static constexpr int kBackgroundFrames = 500;
  static constexpr int kInlineFrames = 1000; // SQLite's default wal_autocheckpoint
  static constexpr std::chrono::milliseconds kQuiet{2};
  // Registers on `writer` (replacing its automatic checkpoint); the thread starts on first need.
  WalCheckpointer(std::filesystem::path path, sqlite3* writer, bool background);
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;
  ~WalCheckpointer(); // stops the thread and unregisters, before the writer closes
  [[nodiscard]] CheckpointStats stats() const;

  // Held while a scan is appended: the door is not quiet then, however long the fsync takes.
  class Writing {
  public:
    explicit Writing(WalCheckpointer* checkpointer);
    Writing(const Writing&) = delete;
    Writing& operator=(const Writing&) = delete;
    ~Writing();

  private:
    WalCheckpointer* checkpointer_;
  };

private:
  using Clock = std::chrono::steady_clock;
  static int on_commit(void* self, sqlite3* db, const char* schema, int frames);
  void wake();
  void run();

  std::filesystem::path path_;
  sqlite3* writer_;
  bool background_;
  std::atomic<Clock::rep> last_commit_{0};
  std::atomic<bool> writing_{false};
  std::atomic<bool> requested_{false};
  std::atomic<std::uint64_t> background_done_{0};
  std::atomic<std::uint64_t> in_commit_done_{0};
  std::mutex mutex_;
  std::condition_variable wanted_;
  bool stopping_ = false; // guarded by mutex_
  bool started_ = false;  // only the writer's thread touches it
  std::thread thread_;
};

} // namespace muster::kiosk_store_support

namespace muster {

struct KioskStore::State {
  std::filesystem::path path;
  sqlite::Connection connection;
  // After the connection: finalizes its statements before the connection closes.
  mutable sqlite::StatementCache statements;
  bool read_only = false;
  // Last: stops its thread and leaves the writer before the connection closes. None read-only.
  std::unique_ptr<kiosk_store_support::WalCheckpointer> checkpointer;

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
