#pragma once
// The kiosk's local store: one SQLite file in WAL mode holding the event package (event,
// sessions, roster without e-mail addresses, revoked badge serials), the device's append-only
// hash-chained scans, sync cursors and settings.
//
// A scan is "recorded" only once append_scan() returns it: the commit is synchronous=FULL.
// One connection per thread: a KioskStore is move-only and must not be shared across threads;
// a sync thread opens its own KioskStore on the same file (WAL lets it read while the UI writes).
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shared/clock_correction.hpp"
#include "shared/domain.hpp"
#include "shared/result.hpp"
#include "shared/scan_log.hpp"

namespace muster {

enum class StoreError : std::uint8_t {
  cannot_open,  // the file or its folder cannot be opened or created
  corrupt,      // not a database, damaged pages, or failed integrity_check
  newer_schema, // written by a newer Muster than this one
  read_only,    // the file or the store was opened read-only
  disk_full,    // the disk (or the configured size limit) is full
  io,           // an I/O error from the operating system
  busy,         // another process holds the write lock longer than the busy timeout
  constraint,   // the data breaks a rule of the schema (duplicate id, append-only scans, ...)
  not_found,    // no such event, session, attendee, ...
  invalid,      // the caller passed something that makes no sense (empty id, bad times, ...)
};

std::string_view to_string(StoreError error);

// The schema version this code writes; each migration step moves PRAGMA user_version by one.
inline constexpr int kKioskSchemaVersion = 8;

struct StoreOptions {
  // Never writes: for viewing and export, or when the kiosk user may not write the file.
  bool read_only = false;
  // Test hook: stop migrating at this version, to prove data from older versions survives.
  int schema_version = kKioskSchemaVersion;
  // How long to wait for another connection's write lock before reporting busy.
  std::chrono::milliseconds busy_timeout{5000};
  // Checkpoint the WAL on a background thread of its own (issue 19). Off, the writer checkpoints
  // inside the commit that reaches the limit, as SQLite does by default: a test hook for that
  // fallback, which bounds the WAL whenever the background falls behind.
  bool background_checkpoints = true;
};

// How the WAL was copied back into the database file, since the store was opened.
struct CheckpointStats {
  std::uint64_t background = 0; // on the store's checkpoint thread, outside any scan's commit
  std::uint64_t in_commit = 0;  // inside a commit, because the WAL reached the limit first
};

// What the staff "about / sync status" screen shows, and what tests check.
struct StoreInfo {
  int schema_version = 0;
  std::string journal_mode; // "wal"
  int synchronous = 0;      // 2 = FULL
  bool foreign_keys = false;
  bool read_only = false;
  std::uint64_t page_count = 0;
  std::uint64_t page_size_bytes = 0;
  std::uint64_t max_page_count = 0;
};

class KioskStore {
public:
  // Opens or creates the file: integrity_check, WAL, synchronous=FULL, then migrations.
  // A damaged or foreign file is reported (corrupt/newer_schema) and left untouched.
  static Result<KioskStore, StoreError> open(const std::filesystem::path& path,
                                             const StoreOptions& options = {});

  KioskStore(KioskStore&&) noexcept;
  KioskStore& operator=(KioskStore&&) noexcept;
  KioskStore(const KioskStore&) = delete;
  KioskStore& operator=(const KioskStore&) = delete;
  ~KioskStore();

  [[nodiscard]] const std::filesystem::path& path() const;
  [[nodiscard]] bool read_only() const;
  Result<StoreInfo, StoreError> info() const;
  // Checkpoints so far (tests; the bench reports them).
  [[nodiscard]] CheckpointStats checkpoint_stats() const;

  // Caps the file so it cannot fill the system disk; appends beyond it fail with disk_full.
  // Cannot go below the current size. Returns the effective limit in bytes. Per connection.
  Result<std::uint64_t, StoreError> set_max_size_bytes(std::uint64_t max_bytes);

  // Event package. replace_event swaps the event and all its sessions in one transaction.
  Result<Ok, StoreError> replace_event(const Event& event);
  Result<Event, StoreError> event() const; // not_found before the first package
  Result<Session, StoreError> session(std::string_view session_id) const;

  // Roster: inserted or updated by attendee id. Attendee::email is never stored.
  Result<Ok, StoreError> upsert_roster(std::span<const Attendee> attendees);
  Result<Attendee, StoreError> attendee(std::string_view attendee_id) const;
  // Every word of the query must appear in the first or last name; case and accents ignored.
  Result<std::vector<Attendee>, StoreError> search_roster(std::string_view query,
                                                          std::size_t limit = 20) const;
  Result<std::uint64_t, StoreError> roster_size() const;

  Result<Ok, StoreError> add_revoked_serials(std::span<const std::string> serials);
  Result<bool, StoreError> is_revoked(std::string_view badge_serial) const;

  // Assigns the next sequence of draft.device_id, seals it onto the chain and commits durably.
  // Returns the scan as stored, only after the commit; on any error nothing was recorded.
  Result<Scan, StoreError> append_scan(Scan draft);
  // Up to `limit` scans of a device with sequence > after_sequence, in order (sync batches).
  Result<std::vector<Scan>, StoreError>
  scans_after(std::string_view device_id, std::uint64_t after_sequence, std::size_t limit) const;
  Result<std::vector<Scan>, StoreError> scans_for_session(std::string_view session_id) const;
  Result<std::vector<Scan>, StoreError> scans_for_attendee(std::string_view attendee_id) const;
  Result<std::uint64_t, StoreError> last_sequence(std::string_view device_id) const; // 0: none
  // The other doors' attendance scans as the server relayed them (presence across doors):
  // kept once per (device, sequence), never one of this kiosk's own (device, sequence); returns
  // how many were new.
  Result<std::uint64_t, StoreError> add_peer_scans(std::span<const Scan> scans);
  // This device's scans of the attendee and the other doors' that it knows of.
  Result<std::vector<Scan>, StoreError>
  known_scans_for_attendee(std::string_view attendee_id) const;
  Result<std::uint64_t, StoreError> peer_scan_count() const;
  // Attendees with a scan (this door's or another's) in any of these sessions, sorted, unique.
  Result<std::vector<std::string>, StoreError>
  attendees_seen_in(std::span<const std::string> session_ids) const;

  // Sync bookkeeping, the only thing about a scan that may change.
  // Marks the device's scans up to `up_to_sequence` as acknowledged; returns how many changed.
  Result<std::uint64_t, StoreError> mark_acked(std::string_view device_id,
                                               std::uint64_t up_to_sequence, Instant acked_at);
  Result<std::uint64_t, StoreError> acked_through(std::string_view device_id) const;
  Result<std::uint64_t, StoreError> unacked_count() const; // all devices

  // Clock samples of this device (one per sync that measured the clock; sync/PROTOCOL.md).
  Result<Ok, StoreError> add_clock_sample(const ClockSample& sample);
  // Samples the server has not stored yet, oldest first, with their row ids.
  Result<std::vector<std::pair<std::int64_t, ClockSample>>, StoreError>
  unsent_clock_samples(std::size_t limit) const;
  Result<Ok, StoreError> mark_clock_samples_sent(std::int64_t up_to_id, Instant sent_at);
  // The newest sample, of `boot_id` only when it is not empty.
  Result<std::optional<ClockSample>, StoreError>
  latest_clock_sample(std::string_view boot_id = {}) const;

  // A kiosk restored from an old backup, or cloned (sync/PROTOCOL.md "Branches"): the server
  // holds other scans under `device_id` from `diverged_at` on. In ONE transaction this device's
  // scans from there move to `branch_device_id` as its sequences 1.. (every fact unchanged,
  // chained anew; a void naming a moved scan names it where it went), the original rows stay in
  // the archive, scans recorded later under the old id go to the branch, and `settings` are
  // written (the new identity). Returns how many scans moved; 0 when this move was done before.
  struct BranchMove {
    std::string device_id;
    std::uint64_t diverged_at = 0;
    std::string branch_device_id;
    std::vector<std::pair<std::string, std::string>> settings;
  };
  Result<std::uint64_t, StoreError> move_to_branch(const BranchMove& move, Instant now);
  // Every archived scan (moved to a branch), oldest device and sequence first.
  Result<std::vector<Scan>, StoreError> archived_scans() const;

  // Loads the device's whole chain and verifies it; nothing when intact.
  Result<std::optional<ChainBreak>, StoreError>
  verify_device_chain(std::string_view device_id) const;

  // Named sync cursors (e.g. "event_package") and settings: text values, nullopt when unset.
  Result<std::optional<std::string>, StoreError> cursor(std::string_view name) const;
  Result<Ok, StoreError> set_cursor(std::string_view name, std::string_view value);
  Result<std::optional<std::string>, StoreError> setting(std::string_view key) const;
  Result<Ok, StoreError> set_setting(std::string_view key, std::string_view value);

  struct State; // opaque: the connection and its helpers, in kiosk_store_support.hpp

private:
  explicit KioskStore(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Lower case, accents and apostrophes removed, hyphens as spaces: "Zoë O'Brien-Núñez" ->
// "zoe obrien nunez". Used for roster search; non-Latin letters pass through unchanged.
std::string fold_for_search(std::string_view text);

} // namespace muster
