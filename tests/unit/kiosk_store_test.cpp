#include "shared/kiosk_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h> // geteuid

#include <algorithm>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "shared/scan_log.hpp"
#include "shared/time.hpp"
#include "tests/support/test_support.hpp"

namespace muster {
namespace {

using std::chrono::milliseconds;
using test::TempDir;

// A plain sqlite3 connection, to look at and tamper with the file behind the store's back.
class RawDb {
public:
  explicit RawDb(const std::filesystem::path& path, int flags = SQLITE_OPEN_READWRITE) {
    sqlite3_open_v2(path.string().c_str(), &db_, flags, nullptr);
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  int exec(const std::string& sql) {
    return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) & 0xff;
  }
  [[nodiscard]] std::string message() const { return sqlite3_errmsg(db_); }
  std::string text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return out;
  }
  std::int64_t integer(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    std::int64_t out = -1;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      out = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
    return out;
  }
  std::vector<std::string> column(const std::string& sql, int index = 0) {
    sqlite3_stmt* stmt = nullptr;
    std::vector<std::string> out;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
      while (sqlite3_step(stmt) == SQLITE_ROW) {
        const auto* value = sqlite3_column_text(stmt, index);
        out.emplace_back(value != nullptr ? reinterpret_cast<const char*>(value) : "");
      }
    }
    sqlite3_finalize(stmt);
    return out;
  }

private:
  sqlite3* db_ = nullptr;
};

Instant at(const char* iso) { return *parse_iso8601(iso); }

Scan draft(std::string device, std::string attendee, std::string session,
           ScanKind kind = ScanKind::arrive, Instant wall = at("2026-03-02T09:01:00-06:00")) {
  Scan scan;
  scan.device_id = std::move(device);
  scan.attendee_id = std::move(attendee);
  scan.badge_serial = "serial-" + scan.attendee_id;
  scan.badge_payload = "MU1.payload." + scan.attendee_id;
  scan.session_id = std::move(session);
  scan.kind = kind;
  scan.wall_time = wall;
  scan.monotonic_ms = 123456;
  scan.clock_offset_ms = -1500;
  return scan;
}

KioskStore open_ok(const std::filesystem::path& path, const StoreOptions& options = {}) {
  auto store = KioskStore::open(path, options);
  EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.message());
  return std::move(store).value();
}

std::uint64_t append_n(KioskStore& store, const std::string& device, int count) {
  std::uint64_t last = 0;
  for (int i = 0; i < count; ++i) {
    auto scan = store.append_scan(draft(device, "att-" + std::to_string(i), "s1"));
    EXPECT_TRUE(scan.ok()) << (scan.ok() ? "" : scan.message());
    if (scan.ok()) last = scan->sequence;
  }
  return last;
}

Event sample_event() {
  Event event;
  event.id = "ev-2026-spring";
  event.name = "Spring Training Conference";
  event.timezone = "America/Chicago";
  event.location = "Springfield Convention Center";
  event.credit_policy.arrival_grace = std::chrono::minutes{15};
  event.credit_policy.leave_grace = std::chrono::minutes{5};
  event.credit_policy.increment_hours = 0.5;
  event.credit_policy.debounce = std::chrono::seconds{90};
  Session ethics;
  ethics.id = "s1";
  ethics.title = "Ethics for Elected Officials";
  ethics.room = "Ballroom A";
  ethics.start = at("2026-03-02T09:00:00-06:00");
  ethics.end = at("2026-03-02T10:30:00-06:00");
  ethics.credit_hours = 1.5;
  ethics.course_code = "CMO-ETH-101";
  ethics.core = true;
  ethics.topic = "ethics";
  Session budget = ethics;
  budget.id = "s2";
  budget.title = "Municipal Budgeting";
  budget.start = at("2026-03-02T11:00:00-06:00");
  budget.end = at("2026-03-02T12:00:00-06:00");
  budget.credit_hours = 1.0;
  budget.core = false;
  budget.topic = "finance";
  event.sessions = {budget, ethics}; // stored order must not matter
  return event;
}

Attendee person(std::string id, std::string first, std::string last, Role role = Role::mayor) {
  return Attendee{std::move(id), std::move(first), std::move(last),
                  role,          "Springfield",    "someone@example.org"};
}

// ---- Opening, durability --------------------------------------------------------------------

TEST(KioskStore, CreatesANewFileAtTheLatestSchema) {
  TempDir dir;
  const auto path = dir / "kiosk.db";
  auto store = open_ok(path);
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_FALSE(store.read_only());
  RawDb raw(path);
  EXPECT_EQ(raw.integer("PRAGMA user_version"), kKioskSchemaVersion);
  EXPECT_EQ(raw.integer("PRAGMA application_id"), 0x4D53544B);
  const auto tables = raw.column("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY 1");
  EXPECT_EQ(tables,
            (std::vector<std::string>{"clock_samples", "device_branches", "event", "peer_scans",
                                      "revoked_serials", "roster", "scans", "scans_archive",
                                      "sessions", "settings", "sync_cursors"}));
}

// The store holds the device token (sync.device_token): nobody else on the machine may read it,
// whatever the umask.
TEST(KioskStore, IsCreatedReadableByItsOwnerOnly) {
  TempDir dir;
  const auto path = dir / "kiosk.db";
  const mode_t old_umask = ::umask(022);
  {
    auto store = open_ok(path);
    ASSERT_TRUE(store.set_setting("sync.device_token", "dev-1.secret").ok());
  }
  ::umask(old_umask);
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777U, 0600U);
  for (const char* suffix : {"-wal", "-shm"}) {
    const auto side = path.string() + suffix;
    if (::stat(side.c_str(), &info) == 0) {
      EXPECT_EQ(info.st_mode & 0077U, 0U) << suffix;
    }
  }
}

TEST(KioskStore, UsesWalAndFullSynchronousAndForeignKeys) {
  TempDir dir;
  auto store = open_ok(dir / "kiosk.db");
  auto info = store.info();
  ASSERT_TRUE(info.ok()) << info.message();
  EXPECT_EQ(info->journal_mode, "wal");
  EXPECT_EQ(info->synchronous, 2); // FULL
  EXPECT_TRUE(info->foreign_keys);
  EXPECT_EQ(info->schema_version, kKioskSchemaVersion);
  // WAL is a property of the file, so another connection sees it too.
  RawDb raw(dir / "kiosk.db");
  EXPECT_EQ(raw.text("PRAGMA journal_mode"), "wal");
}

TEST(KioskStore, ReopenKeepsEverything) {
  TempDir dir;
  const auto path = dir / "kiosk.db";
  {
    auto store = open_ok(path);
    ASSERT_TRUE(store.replace_event(sample_event()).ok());
    const std::vector<Attendee> roster{person("a1", "Ann", "Lee")};
    ASSERT_TRUE(store.upsert_roster(roster).ok());
    EXPECT_EQ(append_n(store, "door-1", 3), 3u);
    ASSERT_TRUE(store.set_setting("door_session", "s1").ok());
  }
  auto store = open_ok(path);
  EXPECT_EQ(store.event()->name, "Spring Training Conference");
  EXPECT_EQ(store.attendee("a1")->last_name, "Lee");
  EXPECT_EQ(*store.last_sequence("door-1"), 3u);
  EXPECT_EQ(store.setting("door_session")->value_or(""), "s1");
  EXPECT_EQ(store.append_scan(draft("door-1", "a1", "s1"))->sequence, 4u);
}

// ---- Scans and the chain --------------------------------------------------------------------

TEST(KioskStore, AppendAssignsSequencesOneToNAndTheChainVerifies) {
  TempDir dir;
  auto store = open_ok(dir / "kiosk.db");
  Scan previous;
  for (std::uint64_t expected = 1; expected <= 5; ++expected) {
    Scan wanted = draft("door-1", "a" + std::to_string(expected), "s1");
    wanted.sequence = 999; // ignored: the store numbers scans
    auto stored = store.append_scan(wanted);
    ASSERT_TRUE(stored.ok()) << stored.message();
    EXPECT_EQ(stored->sequence, expected);
    EXPECT_EQ(stored->prev_hash, expected == 1 ? Digest{} : previous.hash);
    EXPECT_EQ(stored->hash, compute_hash(*stored));
    previous = *stored;
  }
  auto all = store.scans_after("door-1", 0, 100);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 5u);
  // What comes back from the file is exactly what was sealed.
  EXPECT_EQ(all->back().hash, previous.hash);
  EXPECT_EQ(all->back().wall_time, at("2026-03-02T15:01:00Z"));
  EXPECT_EQ(all->back().clock_offset_ms, -1500);
  EXPECT_EQ(all->back().badge_payload, "MU1.payload.a5");
  EXPECT_FALSE(verify_chain(*all).has_value());
  auto verdict = store.verify_device_chain("door-1");
  ASSERT_TRUE(verdict.ok());
  EXPECT_FALSE(verdict->has_value());
}

// Issue 19: SQLite's automatic checkpoint after a commit resets the WAL only when no statement
// of the connection still reads. The chain's tip query once stayed on its row through COMMIT, so
// the WAL never reset: it grew by every scan all day and each later checkpoint copied it again.
// 600 scans write about 2,400 WAL pages; the WAL must stay near SQLite's 1,000-page threshold.
TEST(KioskStore, WalIsCheckpointedAndResetWhileScansAreRecorded) {
  TempDir dir;
  auto store = open_ok(dir / "kiosk.db");
  append_n(store, "door-1", 600);
  std::error_code ec;
  const auto wal_bytes = std::filesystem::file_size(dir / "kiosk.db-wal", ec);
  ASSERT_FALSE(ec) << ec.message();
  const auto pages = wal_bytes / (4096 + 24);
  EXPECT_LT(pages, 1100U) << "the WAL grew to " << pages << " pages";
  EXPECT_EQ(append_n(store, "door-1", 1), 601U);
}

// The WAL's size in pages (frames) as the file shows it: it only shrinks when the store closes,
// so it is the largest the WAL ever got.
std::uintmax_t wal_pages(const std::filesystem::path& db) {
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(db.string() + "-wal", ec);
  EXPECT_FALSE(ec) << ec.message();
  return bytes / (4096 + 24);
}

// Scans like a door's, with a pause after each (a real door's are a second or more apart).
void append_paced(KioskStore& store, int count, milliseconds pause) {
  for (int i = 0; i < count; ++i) {
    auto scan = store.append_scan(draft("door-1", "att-" + std::to_string(i), "s1"));
    ASSERT_TRUE(scan.ok()) << scan.message();
    std::this_thread::sleep_for(pause);
  }
}

// Issue 19: the checkpoint (copying the WAL into the file, with its fsync) ran inside the commit
// of one scan in 250 and made most of the p99. With pauses between scans it must run in them, on
// the store's thread, and the WAL must still restart long before the inline limit.
TEST(KioskStore, WalIsCheckpointedBetweenScansNotInsideTheirCommits) {
  TempDir dir;
  auto store = open_ok(dir / "kiosk.db");
  append_paced(store, 400, milliseconds{4});
  const auto checkpoints = store.checkpoint_stats();
  EXPECT_GE(checkpoints.background, 1U);
  EXPECT_EQ(checkpoints.in_commit, 0U) << "a scan's commit had to checkpoint";
  EXPECT_LT(wal_pages(dir / "kiosk.db"), 1000U);
  EXPECT_EQ(*store.last_sequence("door-1"), 400U);
  EXPECT_FALSE(store.verify_device_chain("door-1")->has_value());
}

// The same scans without the background thread: the commit reaching 1000 WAL pages checkpoints
// (SQLite's default, the fallback when no quiet spell comes). Also shows the test above writes
// enough to need a checkpoint at all.
TEST(KioskStore, WithoutTheCheckpointThreadTheCommitAtTheLimitCheckpoints) {
  TempDir dir;
  StoreOptions options;
  options.background_checkpoints = false;
  auto store = open_ok(dir / "kiosk.db", options);
  append_paced(store, 400, milliseconds{0});
  EXPECT_EQ(store.checkpoint_stats().background, 0U);
  EXPECT_GE(store.checkpoint_stats().in_commit, 1U);
  EXPECT_LT(wal_pages(dir / "kiosk.db"), 1100U);
}

// Closing while the thread waits for quiet (or checkpoints) neither hangs nor loses a scan, and
// the last connection's close still folds the WAL into the file and removes it.
TEST(KioskStore, ClosingDuringABackgroundCheckpointKeepsEveryScan) {
  TempDir dir;
  for (int round = 0; round < 3; ++round) {
    auto store = open_ok(dir / "kiosk.db");
    append_paced(store, 150, milliseconds{0}); // past 500 WAL pages: the thread is asked
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "kiosk.db-wal"));
  auto store = open_ok(dir / "kiosk.db");
  EXPECT_EQ(*store.last_sequence("door-1"), 450U);
  EXPECT_FALSE(store.verify_device_chain("door-1")->has_value());
}

TEST(KioskStore, SequencesArePerDevice) {
  TempDir dir;
  auto store = open_ok(dir / "kiosk.db");
  EXPECT_EQ(store.append_scan(draft("door-a", "a1", "s1"))->sequence, 1u);
  EXPECT_EQ(store.append_scan(draft("door-b", "a1", "s1"))->sequence, 1u);
  EXPECT_EQ(store.append_scan(draft("door-a", "a2", "s1"))->sequence, 2u);
  EXPECT_EQ(store.append_scan(draft("door-b", "a2", "s1"))->sequence, 2u);
  EXPECT_EQ(store.append_scan(draft("door-a", "a3", "s1"))->sequence, 3u);
  EXPECT_EQ(*store.last_sequence("door-a"), 3u);
  EXPECT_EQ(*store.last_sequence("door-b"), 2u);
  EXPECT_EQ(*store.last_sequence("door-c"), 0u);
  EXPECT_FALSE(store.verify_device_chain("door-a")->has_value());
  EXPECT_FALSE(store.verify_device_chain("door-b")->has_value());
}

TEST(KioskStore, StoresStaffCorrectionsFaithfully) {
  TempDir dir;
  auto store = open_ok(dir / "kiosk.db");
  ASSERT_TRUE(store.append_scan(draft("door-1", "a1", "s1")).ok());
  Scan voiding = draft("door-1", "a1", "s1", ScanKind::correction);
  voiding.badge_serial.clear();
  voiding.correction = Correction::void_scan;
  voiding.effective_time = at("2026-03-02T09:05:00-06:00");
  voiding.staff_id = "staff-7";
  voiding.reason = "scanned the wrong badge";
  voiding.voids_device_id = "door-1";
  voiding.voids_sequence = 1;
  ASSERT_TRUE(store.append_scan(voiding).ok());
  auto back = store.scans_for_attendee("a1");
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->size(), 2u);
  const Scan& got = (*back)[1];
  EXPECT_EQ(got.kind, ScanKind::correction);
  EXPECT_EQ(got.correction, Correction::void_scan);
  EXPECT_EQ(got.effective_time, at("2026-03-02T15:05:00Z"));
  EXPECT_EQ(got.staff_id, "staff-7");
  EXPECT_EQ(got.reason, "scanned the wrong badge");
  EXPECT_EQ(got.voids_device_id, "door-1");
  EXPECT_EQ(got.voids_sequence, 1u);
  EXPECT_EQ(got.badge_serial, "");
  EXPECT_EQ(got.hash, compute_hash(got));
}

TEST(KioskStore, RefusesMeaninglessDrafts) {
  TempDir dir;
  auto store = open_ok(dir / "kiosk.db");
  auto no_device = store.append_scan(draft("", "a1", "s1"));
  ASSERT_FALSE(no_device.ok());
  EXPECT_EQ(no_device.code(), StoreError::invalid);
  Scan half_correction = draft("door-1", "a1", "s1", ScanKind::correction); // says not what
  auto refused = store.append_scan(half_correction);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), StoreError::invalid);
  Scan bad_void = draft("door-1", "a1", "s1", ScanKind::correction);
  bad_void.correction = Correction::void_scan; // but names no scan
  EXPECT_EQ(store.append_scan(bad_void).code(), StoreError::invalid);
  EXPECT_EQ(*store.last_sequence("door-1"), 0u); // nothing recorded, no sequence used
}

TEST(KioskStore, ScansForSessionAndAttendee) {
  TempDir dir;
  auto store = open_ok(dir / "kiosk.db");
  ASSERT_TRUE(store.append_scan(draft("door-1", "a1", "s1")).ok());
  ASSERT_TRUE(store.append_scan(draft("door-1", "a2", "s1")).ok());
  ASSERT_TRUE(store.append_scan(draft("door-1", "a1", "s2")).ok());
  ASSERT_TRUE(store.append_scan(draft("door-2", "a1", "s1", ScanKind::leave)).ok());
  auto session = store.scans_for_session("s1");
  ASSERT_TRUE(session.ok());
  ASSERT_EQ(session->size(), 3u);
  EXPECT_EQ((*session)[0].attendee_id, "a1");
  EXPECT_EQ((*session)[1].attendee_id, "a2");
  EXPECT_EQ((*session)[2].device_id, "door-2");
  EXPECT_EQ((*session)[2].kind, ScanKind::leave);
  auto attendee = store.scans_for_attendee("a1");
  ASSERT_TRUE(attendee.ok());
  EXPECT_EQ(attendee->size(), 3u);
  EXPECT_TRUE(store.scans_for_attendee("nobody")->empty());
}

TEST(KioskStore, ScansAfterReturnsBoundedBatchesInOrder) {
  TempDir dir;
  auto store = open_ok(dir / "kiosk.db");
  append_n(store, "door-1", 7);
  append_n(store, "door-2", 2);
  std::vector<std::uint64_t> seen;
  std::uint64_t after = 0;
  int batches = 0;
  for (;;) {
    auto batch = store.scans_after("door-1", after, 3);
    ASSERT_TRUE(batch.ok());
    if (batch->empty()) break;
    ++batches;
    EXPECT_LE(batch->size(), 3u);
    for (const auto& scan : *batch) {
      EXPECT_EQ(scan.device_id, "door-1");
      seen.push_back(scan.sequence);
    }
    after = batch->back().sequence;
  }
  EXPECT_EQ(batches, 3); // 3 + 3 + 1
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7}));
  EXPECT_TRUE(store.scans_after("door-1", 7, 3)->empty());
  EXPECT_TRUE(store.scans_after("door-1", UINT64_MAX, 3)->empty());
}

// ---- Append-only, enforced by the file itself -----------------------------------------------

struct FactUpdate {
  const char* column;
  const char* assignment; // "column = expression", an expression that differs from the value
};

class KioskStoreAppendOnly : public ::testing::TestWithParam<FactUpdate> {};

TEST_P(KioskStoreAppendOnly, TriggerRefusesUpdatingAFact) {
  TempDir dir;
  const auto path = dir / "kiosk.db";
  {
    auto store = open_ok(path);
    append_n(store, "door-1", 2);
  }
  RawDb raw(path);
  const std::string column = GetParam().column;
  const std::string assignment = GetParam().assignment;
  const std::string before = raw.text("SELECT quote(" + column + ") FROM scans WHERE sequence = 1");
  // The edit would really change the fact (otherwise the trigger rightly stays silent).
  const std::string edited =
      raw.text("SELECT quote(" + assignment.substr(assignment.find('=') + 1) +
               ") FROM scans WHERE sequence = 1");
  ASSERT_NE(edited, before);
  const int rc = raw.exec("UPDATE scans SET " + std::string(GetParam().assignment) +
                          " WHERE device_id = 'door-1' AND sequence = 1");
  EXPECT_EQ(rc, SQLITE_CONSTRAINT);
  EXPECT_NE(raw.message().find("append-only"), std::string::npos) << raw.message();
  EXPECT_EQ(raw.text("SELECT quote(" + std::string(GetParam().column) +
                     ") FROM scans WHERE device_id = 'door-1' AND sequence = 1"),
            before);
}

INSTANTIATE_TEST_SUITE_P(
    EveryFactColumn, KioskStoreAppendOnly,
    ::testing::Values(
        FactUpdate{"device_id", "device_id = 'door-9'"}, FactUpdate{"sequence", "sequence = 9"},
        FactUpdate{"attendee_id", "attendee_id = 'someone-else'"},
        FactUpdate{"badge_serial", "badge_serial = 'x'"},
        FactUpdate{"badge_payload", "badge_payload = 'x'"},
        FactUpdate{"session_id", "session_id = 's2'"}, FactUpdate{"kind", "kind = 'leave'"},
        FactUpdate{"wall_time_ms", "wall_time_ms = wall_time_ms - 3600000"},
        FactUpdate{"monotonic_ms", "monotonic_ms = 0"},
        FactUpdate{"clock_offset_ms", "clock_offset_ms = 0"},
        FactUpdate{"correction", "correction = 'arrive'"},
        FactUpdate{"effective_time_ms", "effective_time_ms = 1"},
        FactUpdate{"staff_id", "staff_id = 'staff-1'"}, FactUpdate{"reason", "reason = 'because'"},
        FactUpdate{"voids_device_id", "voids_device_id = 'door-1'"},
        FactUpdate{"voids_sequence", "voids_sequence = 1"},
        FactUpdate{"prev_hash", "prev_hash = randomblob(32)"},
        FactUpdate{"hash", "hash = randomblob(32)"}),
    [](const ::testing::TestParamInfo<FactUpdate>& case_info) {
      return std::string(case_info.param.column);
    });

TEST(KioskStore, TriggerRefusesDeletingScans) {
  TempDir dir;
  const auto path = dir / "kiosk.db";
  {
    auto store = open_ok(path);
    append_n(store, "door-1", 3);
  }
  RawDb raw(path);
  EXPECT_EQ(raw.exec("DELETE FROM scans WHERE sequence = 3"), SQLITE_CONSTRAINT);
  EXPECT_EQ(raw.exec("DELETE FROM scans"), SQLITE_CONSTRAINT);
  EXPECT_NE(raw.message().find("append-only"), std::string::npos) << raw.message();
  EXPECT_EQ(raw.integer("SELECT count(*) FROM scans"), 3);
}

TEST(KioskStore, ClockSamplesWaitUntilTheServerStoredThem) {
  TempDir dir;
  auto store = open_ok(dir / "kiosk.db");
  const Instant t{std::chrono::milliseconds{1'790'000'000'000}};
  EXPECT_FALSE(store.latest_clock_sample()->has_value());
  ASSERT_TRUE(store.add_clock_sample({"boot-a", t, t + std::chrono::hours{2}, 1000, 3}).ok());
  ASSERT_TRUE(store.add_clock_sample({"boot-b", t, t, 50, 2}).ok());
  EXPECT_FALSE(store.add_clock_sample({"", t, t, 1, 1}).ok()); // a sample needs its boot
  auto unsent = store.unsent_clock_samples(10);
  ASSERT_TRUE(unsent.ok());
  ASSERT_EQ(unsent->size(), 2U);
  EXPECT_EQ((*unsent)[0].second.boot_id, "boot-a");
  EXPECT_EQ((*unsent)[0].second.device_wall, t + std::chrono::hours{2});
  ASSERT_TRUE(store.mark_clock_samples_sent((*unsent)[0].first, t).ok());
  EXPECT_EQ(store.unsent_clock_samples(10)->size(), 1U);
  EXPECT_EQ((*store.latest_clock_sample())->boot_id, "boot-b");
  EXPECT_EQ((*store.latest_clock_sample("boot-a"))->monotonic_ms, 1000);
  EXPECT_FALSE(store.latest_clock_sample("boot-c")->has_value());
  // A scan keeps its boot id (hashed: the chain still verifies).
  Scan scan = draft("door-1", "a1", "s1");
  scan.boot_id = "boot-a";
  auto recorded = store.append_scan(scan);
  ASSERT_TRUE(recorded.ok()) << recorded.message();
  EXPECT_EQ(store.scans_after("door-1", 0, 10)->at(0).boot_id, "boot-a");
  EXPECT_FALSE(store.verify_device_chain("door-1")->has_value());
}

TEST(KioskStore, TriggerRefusesGapsAndReplacedScans) {
  TempDir dir;
  const auto path = dir / "kiosk.db";
  {
    auto store = open_ok(path);
    append_n(store, "door-1", 2);
  }
  RawDb raw(path);
  const std::string copy_of_2_as =
      "SELECT device_id, %, attendee_id, badge_serial, badge_payload, session_id, kind, "
      "wall_time_ms, monotonic_ms, clock_offset_ms, correction, effective_time_ms, staff_id, "
      "reason, voids_device_id, voids_sequence, prev_hash, hash, NULL, details, boot_id FROM scans "
      "WHERE sequence = 2";
  auto insert_as = [&](const std::string& verb, int sequence) {
    std::string select = copy_of_2_as;
    select.replace(select.find('%'), 1, std::to_string(sequence));
    return raw.exec(verb + " INTO scans " + select);
  };
  EXPECT_EQ(insert_as("INSERT", 5), SQLITE_CONSTRAINT);            // a gap: 3 and 4 missing
  EXPECT_EQ(insert_as("INSERT OR REPLACE", 1), SQLITE_CONSTRAINT); // overwriting scan 1
  EXPECT_EQ(raw.integer("SELECT count(*) FROM scans"), 2);
  EXPECT_EQ(raw.integer("SELECT max(sequence) FROM scans"), 2);
}

TEST(KioskStore, AckBookkeepingIsTheOneThingThatMayChange) {
  TempDir dir;
  const auto path = dir / "kiosk.db";
  auto store = open_ok(path);
  append_n(store, "door-1", 5);
  append_n(store, "door-2", 1);
  EXPECT_EQ(*store.unacked_count(), 6u);
  EXPECT_EQ(*store.acked_through("door-1"), 0u);
  const Instant first_ack = at("2026-03-02T16:00:00Z");
  EXPECT_EQ(*store.mark_acked("door-1", 3, first_ack), 3u);
  EXPECT_EQ(*store.mark_acked("door-1", 3, first_ack), 0u); // a retried ack changes nothing
  EXPECT_EQ(*store.mark_acked("door-1", 4, at("2026-03-02T16:05:00Z")), 1u);
  EXPECT_EQ(*store.acked_through("door-1"), 4u);
  EXPECT_EQ(*store.unacked_count(), 2u); // door-1 #5 and door-2 #1
  RawDb raw(path);
  // The first acknowledgement time is kept; the raw column may be written without a trigger.
  EXPECT_EQ(raw.integer("SELECT acked_at_ms FROM scans WHERE device_id = 'door-1' AND "
                        "sequence = 1"),
            1772467200000);
  EXPECT_EQ(raw.exec("UPDATE scans SET acked_at_ms = 1 WHERE device_id = 'door-2'"), SQLITE_OK);
  EXPECT_EQ(*store.unacked_count(), 1u);
  // Scans still verify after bookkeeping changed: it is not part of the chain.
  EXPECT_FALSE(store.verify_device_chain("door-1")->has_value());
}

TEST(KioskStore, RefusesAnAckForScansItNeverRecorded) {
  TempDir dir;
  auto store = open_ok(dir / "kiosk.db");
  append_n(store, "door-1", 2);
  auto ack = store.mark_acked("door-1", 5, at("2026-03-02T16:00:00Z"));
  ASSERT_FALSE(ack.ok());
  EXPECT_EQ(ack.code(), StoreError::invalid);
  EXPECT_NE(ack.message().find("backup"), std::string::npos) << ack.message();
  EXPECT_EQ(*store.unacked_count(), 2u);
}

TEST(KioskStore, VerifyDeviceChainFindsAnEditMadeBehindTheTriggers) {
  TempDir dir;
  const auto path = dir / "kiosk.db";
  auto store = open_ok(path);
  append_n(store, "door-1", 4);
  {
    RawDb raw(path); // someone with a shell drops the guard and moves an arrival earlier
    ASSERT_EQ(raw.exec("DROP TRIGGER scans_refuse_fact_update"), SQLITE_OK);
    ASSERT_EQ(raw.exec("UPDATE scans SET wall_time_ms = wall_time_ms - 3600000 "
                       "WHERE sequence = 3"),
              SQLITE_OK);
  }
  auto verdict = store.verify_device_chain("door-1");
  ASSERT_TRUE(verdict.ok());
  ASSERT_TRUE(verdict->has_value());
  EXPECT_EQ((*verdict)->first_bad_sequence, 3u);
  EXPECT_EQ((*verdict)->fault, ChainFault::bad_hash);
}

// ---- Migrations -----------------------------------------------------------------------------

class KioskStoreMigration : public ::testing::TestWithParam<int> {};

// Appends `count` chained scans with the columns schema versions 1-3 had (no details column),
// as a kiosk of that version wrote them.
void append_as_version_3(RawDb& raw, const std::string& device, int count) {
  Digest previous = kZeroDigest;
  for (int i = 1; i <= count; ++i) {
    Scan scan = draft(device, "att-" + std::to_string(i - 1), "s1");
    scan.sequence = static_cast<std::uint64_t>(i);
    seal(scan, previous);
    previous = scan.hash;
    const auto ms = [](Instant at) { return std::to_string(at.time_since_epoch().count()); };
    ASSERT_EQ(raw.exec("INSERT INTO scans (device_id, sequence, attendee_id, badge_serial, "
                       "badge_payload, session_id, kind, wall_time_ms, monotonic_ms, "
                       "clock_offset_ms, correction, effective_time_ms, staff_id, reason, "
                       "voids_device_id, voids_sequence, prev_hash, hash) VALUES ('" +
                       device + "', " + std::to_string(i) + ", '" + scan.attendee_id + "', '" +
                       scan.badge_serial + "', '" + scan.badge_payload + "', '" + scan.session_id +
                       "', 'arrive', " + ms(scan.wall_time) + ", " +
                       std::to_string(scan.monotonic_ms) + ", " +
                       std::to_string(scan.clock_offset_ms) + ", 'none', " +
                       ms(scan.effective_time) + ", '', '', '', 0, X'" + to_hex(scan.prev_hash) +
                       "', X'" + to_hex(scan.hash) + "')"),
              SQLITE_OK)
        << raw.message();
  }
}

TEST_P(KioskStoreMigration, DataWrittenAtAnEarlierVersionSurvivesTheUpgrade) {
  const int from = GetParam();
  TempDir dir;
  const auto path = dir / "kiosk.db";
  {
    auto old = open_ok(path, {.schema_version = from});
    RawDb raw(path);
    ASSERT_EQ(raw.integer("PRAGMA user_version"), from);
    // This build's append_scan needs version 8 (it follows a device's branch); older files get
    // their scans as those versions wrote them (details and boot id at their defaults).
    if (from >= 8) {
      EXPECT_EQ(append_n(old, "door-1", 2), 2u);
    } else if (from >= 1) {
      append_as_version_3(raw, "door-1", 2);
    }
    if (from >= 5) {
      ASSERT_TRUE(old.replace_event(sample_event()).ok());
    } else if (from >= 1) { // the event as versions 1-4 stored it (no lead time column)
      const Event event = sample_event();
      std::string sql = "INSERT INTO event (slot, id, name, timezone, location, "
                        "arrival_grace_min, leave_grace_min, increment_hours, debounce_s) "
                        "VALUES (1, '" +
                        event.id + "', '" + event.name + "', '" + event.timezone + "', '" +
                        event.location + "', 15, 5, 0.5, 90);";
      for (const Session& session : event.sessions) {
        sql += "INSERT INTO sessions (id, title, room, start_ms, end_ms, credit_hours, "
               "course_code, core, topic) VALUES ('" +
               session.id + "', '" + session.title + "', '" + session.room + "', " +
               std::to_string(session.start.time_since_epoch().count()) + ", " +
               std::to_string(session.end.time_since_epoch().count()) + ", " +
               std::to_string(session.credit_hours) + ", '" + session.course_code + "', " +
               (session.core ? "1" : "0") + ", '" + session.topic + "');";
      }
      ASSERT_EQ(raw.exec(sql), SQLITE_OK) << raw.message();
    }
    if (from >= 1) {
      ASSERT_TRUE(old.set_cursor("event_package", "c-41").ok());
    }
    if (from >= 3) { // version 3 keeps a search key with each roster row
      Attendee maria{.id = "a1",
                     .first_name = "María",
                     .last_name = "García",
                     .role = Role::mayor,
                     .municipality = "Springfield",
                     .email = ""};
      ASSERT_TRUE(old.upsert_roster(std::span<const Attendee>(&maria, 1)).ok());
    } else if (from >= 1) {
      // Written with the columns versions 1 and 2 had (no search key yet).
      ASSERT_EQ(raw.exec("INSERT INTO roster (attendee_id, first_name, last_name, role, "
                         "municipality) VALUES ('a1', 'María', 'García', 'mayor', 'Springfield')"),
                SQLITE_OK);
    }
    if (from >= 2) {
      ASSERT_TRUE(old.set_setting("door_session", "s2").ok());
    }
  }
  auto store = open_ok(path);
  RawDb raw(path);
  EXPECT_EQ(raw.integer("PRAGMA user_version"), kKioskSchemaVersion);
  EXPECT_EQ(raw.text("PRAGMA integrity_check"), "ok");
  if (from >= 1) {
    EXPECT_EQ(*store.last_sequence("door-1"), 2u);
    EXPECT_FALSE(store.verify_device_chain("door-1")->has_value());
    EXPECT_EQ(store.event()->sessions.size(), 2u);
    EXPECT_EQ(store.cursor("event_package")->value_or(""), "c-41");
    auto found = store.search_roster("garcia maria"); // the migrated search key is filled in
    ASSERT_TRUE(found.ok());
    ASSERT_EQ(found->size(), 1u);
    EXPECT_EQ((*found)[0].id, "a1");
  }
  if (from >= 2) {
    EXPECT_EQ(store.setting("door_session")->value_or(""), "s2");
  }
  if (from >= 1) { // version 5: an event stored before has the default lead time
    EXPECT_EQ(store.event()->credit_policy.lead_time, std::chrono::minutes{15});
  }
  // And the upgraded file works like a new one.
  EXPECT_EQ(store.append_scan(draft("door-1", "a1", "s1"))->sequence, from >= 1 ? 3u : 1u);
  EXPECT_TRUE(store.set_setting("k", "v").ok());
}

INSTANTIATE_TEST_SUITE_P(FromEveryEarlierVersion, KioskStoreMigration,
                         ::testing::Range(0, kKioskSchemaVersion),
                         [](const ::testing::TestParamInfo<int>& case_info) {
                           return "FromVersion" + std::to_string(case_info.param);
                         });

TEST(KioskStore, MigratedSchemaEqualsAFreshOne) {
  TempDir dir;
  { auto old = open_ok(dir / "old.db", {.schema_version = 1}); }
  auto upgraded = open_ok(dir / "old.db");
  auto fresh = open_ok(dir / "fresh.db");
  const std::string schema = "SELECT type || ' ' || name || ': ' || sql FROM sqlite_schema "
                             "WHERE sql IS NOT NULL ORDER BY name";
  RawDb old_raw(dir / "old.db");
  RawDb fresh_raw(dir / "fresh.db");
  EXPECT_EQ(old_raw.column(schema), fresh_raw.column(schema));
}

TEST(KioskStore, RefusesAFileFromANewerMuster) {
  TempDir dir;
  const auto path = dir / "kiosk.db";
  { auto store = open_ok(path); }
  {
    RawDb raw(path);
    ASSERT_EQ(raw.exec("PRAGMA user_version = 99"), SQLITE_OK);
  }
  const std::string before = test::read_file(path);
  auto store = KioskStore::open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.code(), StoreError::newer_schema);
  EXPECT_NE(store.message().find("schema 99"), std::string::npos) << store.message();
  EXPECT_NE(store.message().find(path.string()), std::string::npos) << store.message();
  EXPECT_EQ(test::read_file(path), before);
}

// ---- Damaged and foreign files --------------------------------------------------------------

void expect_refused_untouched(const std::filesystem::path& path) {
  const std::string before = test::read_file(path);
  auto store = KioskStore::open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.code(), StoreError::corrupt) << store.message();
  EXPECT_NE(store.message().find(path.string()), std::string::npos) << store.message();
  EXPECT_EQ(test::read_file(path), before);
  EXPECT_TRUE(std::filesystem::exists(path));
}

TEST(KioskStore, RefusesAFileThatIsNotADatabase) {
  TempDir dir;
  const auto path = dir / "kiosk.db";
  std::string garbage;
  for (int i = 0; i < 400; ++i)
    garbage += "this is a spreadsheet, not a kiosk database\n";
  test::write_file(path, garbage);
  expect_refused_untouched(path);
  auto again = KioskStore::open(path);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.message().find("restore it from the backup"), std::string::npos)
      << again.message();
}

std::filesystem::path store_with_scans(const TempDir& dir, int count) {
  const auto path = dir / "kiosk.db";
  auto store = open_ok(path);
  for (int i = 0; i < count; ++i) {
    Scan scan = draft("door-1", "attendee-" + std::to_string(i), "s1");
    scan.badge_payload = std::string(200, static_cast<char>('a' + i % 26));
    EXPECT_TRUE(store.append_scan(scan).ok());
  }
  return path; // closing the last connection checkpoints the WAL into the file
}

TEST(KioskStore, RefusesAFileWithADamagedPage) {
  TempDir dir;
  const auto path = store_with_scans(dir, 200);
  std::string bytes = test::read_file(path);
  ASSERT_GT(bytes.size(), 4096u * 8);
  ASSERT_FALSE(std::filesystem::exists(path.string() + "-wal"));
  // Scribble over the b-tree header of a page in the middle of the scans table.
  const std::size_t page = bytes.size() / 4096 / 2;
  for (std::size_t i = 0; i < 12; ++i)
    bytes[page * 4096 + i] = '\x5A';
  test::write_file(path, bytes);
  expect_refused_untouched(path);
  auto again = KioskStore::open(path);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.message().find("damaged (integrity_check: "), std::string::npos)
      << again.message();
}

TEST(KioskStore, RefusesATruncatedFile) {
  TempDir dir;
  const auto path = store_with_scans(dir, 200);
  std::string bytes = test::read_file(path);
  bytes.resize(bytes.size() / 2);
  test::write_file(path, bytes);
  expect_refused_untouched(path);
}

TEST(KioskStore, RefusesAnotherProgramsDatabase) {
  TempDir dir;
  const auto path = dir / "server.db";
  {
    RawDb raw(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_EQ(raw.exec("CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT)"), SQLITE_OK);
  }
  expect_refused_untouched(path);
  RawDb raw(path);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM sqlite_schema"), 1);
}

TEST(KioskStore, ReportsAFolderThatDoesNotExist) {
  TempDir dir;
  auto store = KioskStore::open(dir / "no-such-folder" / "kiosk.db");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.code(), StoreError::cannot_open);
  EXPECT_NE(store.message().find("no-such-folder"), std::string::npos) << store.message();
}

// ---- Full disk and read-only ----------------------------------------------------------------

TEST(KioskStore, FullDiskRefusesTheScanAndLosesNothing) {
  TempDir dir;
  const auto path = dir / "kiosk.db";
  std::uint64_t recorded = 0;
  {
    auto store = open_ok(path);
    append_n(store, "door-1", 3);
    const auto info = store.info();
    ASSERT_TRUE(info.ok());
    // The file may not grow: the disk is "full" from here on.
    auto limit = store.set_max_size_bytes(info->page_count * info->page_size_bytes);
    ASSERT_TRUE(limit.ok()) << limit.message();
    EXPECT_EQ(*limit, info->page_count * info->page_size_bytes);
    Result<Scan, StoreError> last = store.append_scan(draft("door-1", "x", "s1"));
    for (int i = 0; i < 500 && last.ok(); ++i) {
      recorded = last->sequence;
      Scan big = draft("door-1", "attendee-" + std::to_string(i), "s1");
      big.badge_payload = std::string(1500, 'p');
      last = store.append_scan(big);
    }
    ASSERT_FALSE(last.ok()) << "the size limit never took effect";
    EXPECT_EQ(last.code(), StoreError::disk_full);
    EXPECT_NE(last.message().find("full"), std::string::npos) << last.message();
    EXPECT_NE(last.message().find("recorded before is safe"), std::string::npos);
    EXPECT_GE(recorded, 3u);
    EXPECT_EQ(*store.last_sequence("door-1"), recorded);
    // Space comes back: the next scan continues the chain without a gap.
    ASSERT_TRUE(store.set_max_size_bytes(std::uint64_t{1} << 30).ok());
    auto next = store.append_scan(draft("door-1", "after", "s1"));
    ASSERT_TRUE(next.ok()) << next.message();
    EXPECT_EQ(next->sequence, recorded + 1);
    ++recorded;
  }
  auto reopened = open_ok(path);
  EXPECT_EQ(*reopened.last_sequence("door-1"), recorded);
  auto verdict = reopened.verify_device_chain("door-1");
  ASSERT_TRUE(verdict.ok());
  EXPECT_FALSE(verdict->has_value()) << (*verdict)->message;
}

TEST(KioskStore, ReadOnlyOpenReadsButRefusesEveryWrite) {
  // Runs the same as root (CI): the read-only mode is SQLite's, not the file permissions'.
  TempDir dir;
  const auto path = dir / "kiosk.db";
  {
    auto store = open_ok(path);
    ASSERT_TRUE(store.replace_event(sample_event()).ok());
    append_n(store, "door-1", 3);
  }
  auto store = open_ok(path, {.read_only = true});
  EXPECT_TRUE(store.read_only());
  EXPECT_EQ(*store.last_sequence("door-1"), 3u);
  EXPECT_FALSE(store.verify_device_chain("door-1")->has_value());
  EXPECT_EQ(store.event()->id, "ev-2026-spring");
  auto append = store.append_scan(draft("door-1", "a1", "s1"));
  ASSERT_FALSE(append.ok());
  EXPECT_EQ(append.code(), StoreError::read_only);
  EXPECT_NE(append.message().find("nothing was saved"), std::string::npos) << append.message();
  EXPECT_EQ(store.set_setting("k", "v").code(), StoreError::read_only);
  EXPECT_EQ(store.replace_event(sample_event()).code(), StoreError::read_only);
  EXPECT_EQ(store.mark_acked("door-1", 1, at("2026-03-02T16:00:00Z")).code(),
            StoreError::read_only);
  EXPECT_EQ(*store.last_sequence("door-1"), 3u);
  EXPECT_EQ(*store.unacked_count(), 3u);
}

TEST(KioskStore, ReadOnlyOpenRefusesToUpgradeOrCreate) {
  TempDir dir;
  auto missing = KioskStore::open(dir / "missing.db", {.read_only = true});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.code(), StoreError::cannot_open);
  EXPECT_FALSE(std::filesystem::exists(dir / "missing.db"));
  { auto old = open_ok(dir / "old.db", {.schema_version = 1}); }
  auto old = KioskStore::open(dir / "old.db", {.read_only = true});
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.code(), StoreError::read_only);
  EXPECT_NE(old.message().find("needs an upgrade"), std::string::npos) << old.message();
  RawDb raw(dir / "old.db");
  EXPECT_EQ(raw.integer("PRAGMA user_version"), 1);
}

TEST(KioskStore, ReadOnlyFileOpensReadOnly) {
  if (geteuid() == 0) GTEST_SKIP() << "root ignores file permissions; see ReadOnlyOpen tests";
  TempDir dir;
  const auto path = dir / "kiosk.db";
  {
    auto store = open_ok(path);
    append_n(store, "door-1", 2);
  }
  std::filesystem::permissions(path, std::filesystem::perms::owner_read |
                                         std::filesystem::perms::group_read |
                                         std::filesystem::perms::others_read);
  auto store = open_ok(path);
  EXPECT_TRUE(store.read_only());
  EXPECT_EQ(*store.last_sequence("door-1"), 2u);
  auto append = store.append_scan(draft("door-1", "a1", "s1"));
  ASSERT_FALSE(append.ok());
  EXPECT_EQ(append.code(), StoreError::read_only);
}

// ---- Event package --------------------------------------------------------------------------

TEST(KioskStore, EventAndSessionsRoundTripInUtcMilliseconds) {
  TempDir dir;
  const auto path = dir / "kiosk.db";
  auto store = open_ok(path);
  EXPECT_EQ(store.event().code(), StoreError::not_found);
  ASSERT_TRUE(store.replace_event(sample_event()).ok());
  auto event = store.event();
  ASSERT_TRUE(event.ok()) << event.message();
  EXPECT_EQ(event->id, "ev-2026-spring");
  EXPECT_EQ(event->timezone, "America/Chicago");
  EXPECT_EQ(event->location, "Springfield Convention Center");
  EXPECT_EQ(event->credit_policy.arrival_grace, std::chrono::minutes{15});
  EXPECT_EQ(event->credit_policy.leave_grace, std::chrono::minutes{5});
  EXPECT_DOUBLE_EQ(event->credit_policy.increment_hours, 0.5);
  EXPECT_EQ(event->credit_policy.debounce, std::chrono::seconds{90});
  ASSERT_EQ(event->sessions.size(), 2u);
  const Session& first = event->sessions[0]; // ordered by start time
  EXPECT_EQ(first.id, "s1");
  EXPECT_EQ(first.title, "Ethics for Elected Officials");
  EXPECT_EQ(first.start, at("2026-03-02T15:00:00Z"));
  EXPECT_EQ(first.end, at("2026-03-02T16:30:00Z"));
  EXPECT_DOUBLE_EQ(first.credit_hours, 1.5);
  EXPECT_EQ(first.course_code, "CMO-ETH-101");
  EXPECT_TRUE(first.core);
  EXPECT_EQ(first.topic, "ethics");
  EXPECT_EQ(event->sessions[1].id, "s2");
  EXPECT_FALSE(event->sessions[1].core);
  EXPECT_EQ(store.session("s2")->title, "Municipal Budgeting");
  EXPECT_EQ(store.session("s9").code(), StoreError::not_found);
  RawDb raw(path); // 09:00 in Chicago (UTC-6) is 15:00 UTC, stored as Unix milliseconds
  EXPECT_EQ(raw.integer("SELECT start_ms FROM sessions WHERE id = 's1'"), 1772463600000);
  EXPECT_EQ(raw.integer("SELECT end_ms FROM sessions WHERE id = 's1'"), 1772469000000);
}

TEST(KioskStore, ReplaceEventIsAllOrNothing) {
  TempDir dir;
  auto store = open_ok(dir / "kiosk.db");
  ASSERT_TRUE(store.replace_event(sample_event()).ok());
  Event next = sample_event();
  next.id = "ev-2026-fall";
  next.sessions.resize(1);
  next.sessions[0].id = "f1";
  ASSERT_TRUE(store.replace_event(next).ok());
  EXPECT_EQ(store.event()->id, "ev-2026-fall");
  ASSERT_EQ(store.event()->sessions.size(), 1u);
  EXPECT_EQ(store.session("s1").code(), StoreError::not_found);

  Event duplicate = sample_event();
  duplicate.sessions[1].id = duplicate.sessions[0].id;
  auto refused = store.replace_event(duplicate);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), StoreError::constraint);
  Event backwards = sample_event();
  std::swap(backwards.sessions[0].start, backwards.sessions[0].end);
  EXPECT_EQ(store.replace_event(backwards).code(), StoreError::invalid);
  EXPECT_EQ(store.event()->id, "ev-2026-fall"); // the failed packages changed nothing
  EXPECT_EQ(store.event()->sessions.size(), 1u);
}

// ---- Roster ---------------------------------------------------------------------------------

TEST(KioskStore, RosterHasNoEmailColumnAndNoAddressReachesTheFile) {
  TempDir dir;
  const auto path = dir / "kiosk.db";
  {
    auto store = open_ok(path);
    std::vector<Attendee> roster{person("a1", "Ann", "Lee")};
    roster[0].email = "ann.lee@springfield.example";
    ASSERT_TRUE(store.upsert_roster(roster).ok());
    EXPECT_EQ(store.attendee("a1")->email, "");
  }
  RawDb raw(path);
  const auto columns = raw.column("SELECT name FROM pragma_table_info('roster') ORDER BY cid");
  EXPECT_EQ(columns, (std::vector<std::string>{"attendee_id", "first_name", "last_name", "role",
                                               "municipality", "search_key"}));
  const auto mentions = raw.integer("SELECT count(*) FROM sqlite_schema "
                                    "WHERE sql LIKE '%mail%' AND name <> 'roster'");
  EXPECT_EQ(mentions, 0);
  EXPECT_EQ(test::read_file(path).find("springfield.example"), std::string::npos);
}

TEST(KioskStore, RosterUpsertUpdatesByAttendeeId) {
  TempDir dir;
  auto store = open_ok(dir / "kiosk.db");
  const std::vector<Attendee> first{person("a1", "Ann", "Lee"),
                                    person("a2", "Bo", "Park", Role::clerk)};
  ASSERT_TRUE(store.upsert_roster(first).ok());
  const std::vector<Attendee> changed{person("a1", "Ann", "Lee-Novak", Role::councilmember)};
  ASSERT_TRUE(store.upsert_roster(changed).ok());
  EXPECT_EQ(*store.roster_size(), 2u);
  auto ann = store.attendee("a1");
  ASSERT_TRUE(ann.ok());
  EXPECT_EQ(ann->last_name, "Lee-Novak");
  EXPECT_EQ(ann->role, Role::councilmember);
  EXPECT_EQ(ann->municipality, "Springfield");
  EXPECT_EQ(store.attendee("a2")->role, Role::clerk);
  auto missing = store.attendee("a9");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.code(), StoreError::not_found);
  EXPECT_EQ(store.search_roster("novak")->size(), 1u); // the search key follows the update
  EXPECT_TRUE(store.search_roster("lee")->size() == 1u);
}

TEST(KioskStore, SearchByNameIgnoresCaseAndAccents) {
  TempDir dir;
  auto store = open_ok(dir / "kiosk.db");
  const std::vector<Attendee> roster{person("a1", "María", "García"), person("a2", "José", "Núñez"),
                                     person("a3", "Zoë", "O'Brien"),
                                     person("a4", "Mark", "Garcia-Lopez"),
                                     person("a5", "Bob", "Smith")};
  ASSERT_TRUE(store.upsert_roster(roster).ok());
  auto ids = [&store](std::string_view query, std::size_t limit = 20) {
    std::vector<std::string> out;
    auto found = store.search_roster(query, limit);
    EXPECT_TRUE(found.ok());
    if (found.ok()) {
      for (const auto& attendee : *found)
        out.push_back(attendee.id);
    }
    return out;
  };
  using Ids = std::vector<std::string>;
  EXPECT_EQ(ids("garcia"), (Ids{"a4", "a1"})); // "garcia lopez mark" sorts before "garcia maria"
  EXPECT_EQ(ids("GARCÍA maría"), (Ids{"a1"}));
  EXPECT_EQ(ids("maria garcia"), (Ids{"a1"}));
  EXPECT_EQ(ids("NÚÑEZ"), (Ids{"a2"}));
  EXPECT_EQ(ids("nunez jose"), (Ids{"a2"}));
  EXPECT_EQ(ids("o'brien"), (Ids{"a3"}));
  EXPECT_EQ(ids("obrien"), (Ids{"a3"}));
  EXPECT_EQ(ids("zoe"), (Ids{"a3"}));
  EXPECT_EQ(ids("lopez"), (Ids{"a4"}));
  EXPECT_EQ(ids("gar"), (Ids{"a4", "a1"})); // a prefix is enough while typing
  EXPECT_EQ(ids("arcia"), Ids{});           // but the middle of a word is not
  EXPECT_EQ(ids("  "), Ids{});
  EXPECT_EQ(ids("garcia", 1), (Ids{"a4"}));
  EXPECT_EQ(ids("%"), Ids{}); // no wildcard injection
}

struct FoldCase {
  const char* input;
  const char* expected;
};

class FoldForSearch : public ::testing::TestWithParam<FoldCase> {};

TEST_P(FoldForSearch, Folds) { EXPECT_EQ(fold_for_search(GetParam().input), GetParam().expected); }

INSTANTIATE_TEST_SUITE_P(
    Names, FoldForSearch,
    ::testing::Values(
        FoldCase{"Zoë O'Brien-Núñez", "zoe obrien nunez"}, FoldCase{"ÆSIR Straße", "aesir strasse"},
        FoldCase{"Łukasz Żółć", "lukasz zolc"}, FoldCase{"Ÿvette Çelik", "yvette celik"},
        FoldCase{"  many   spaces ", "many spaces"},
        FoldCase{"Jose\xCC\x81", "jose"},       // decomposed: e + combining acute
        FoldCase{"O\xE2\x80\x99Neil", "oneil"}, // typographic apostrophe
        FoldCase{"St. John", "st john"}, FoldCase{"Иван", "Иван"}, // other scripts pass through
        FoldCase{"\xFF"
                 "ab",
                 "\xFF"
                 "ab"})); // malformed bytes are kept

// ---- Revoked serials, cursors, settings -----------------------------------------------------

TEST(KioskStore, RevokedSerials) {
  TempDir dir;
  auto store = open_ok(dir / "kiosk.db");
  EXPECT_FALSE(*store.is_revoked("B-100"));
  const std::vector<std::string> first{"B-100", "B-200", ""};
  ASSERT_TRUE(store.add_revoked_serials(first).ok());
  const std::vector<std::string> again{"B-200", "B-300"}; // repeats in a later package are fine
  ASSERT_TRUE(store.add_revoked_serials(again).ok());
  EXPECT_TRUE(*store.is_revoked("B-100"));
  EXPECT_TRUE(*store.is_revoked("B-200"));
  EXPECT_TRUE(*store.is_revoked("B-300"));
  EXPECT_FALSE(*store.is_revoked("B-101"));
  EXPECT_FALSE(*store.is_revoked("b-100")); // serials are exact
  EXPECT_FALSE(*store.is_revoked(""));
}

TEST(KioskStore, CursorsAndSettingsAreSeparateNamedValues) {
  TempDir dir;
  const auto path = dir / "kiosk.db";
  {
    auto store = open_ok(path);
    EXPECT_FALSE(store.cursor("event_package")->has_value());
    EXPECT_FALSE(store.setting("device_id")->has_value());
    ASSERT_TRUE(store.set_cursor("event_package", "41").ok());
    ASSERT_TRUE(store.set_cursor("event_package", "42").ok());
    ASSERT_TRUE(store.set_setting("device_id", "kiosk-door-1").ok());
    ASSERT_TRUE(store.set_setting("event_package", "not a cursor").ok());
  }
  auto store = open_ok(path);
  EXPECT_EQ(store.cursor("event_package")->value_or(""), "42");
  EXPECT_EQ(store.setting("event_package")->value_or(""), "not a cursor");
  EXPECT_EQ(store.setting("device_id")->value_or(""), "kiosk-door-1");
  EXPECT_FALSE(store.cursor("device_id")->has_value());
}

TEST(KioskStore, MovedStoreKeepsWorking) {
  TempDir dir;
  auto first = open_ok(dir / "kiosk.db");
  append_n(first, "door-1", 1);
  KioskStore second = std::move(first);
  EXPECT_EQ(second.append_scan(draft("door-1", "a", "s1"))->sequence, 2u);
  EXPECT_EQ(second.path(), dir / "kiosk.db");
}

TEST(KioskStore, ErrorNamesAreStable) {
  EXPECT_EQ(to_string(StoreError::disk_full), "disk_full");
  EXPECT_EQ(to_string(StoreError::newer_schema), "newer_schema");
  EXPECT_EQ(to_string(StoreError::read_only), "read_only");
}

// ---- Other doors' scans (presence across doors) --------------------------------------------

TEST(KioskStore, KeepsTheOtherDoorsScansOnceAndNeverItsOwn) {
  TempDir dir;
  auto store = open_ok(dir / "kiosk.db");
  const auto own = store.append_scan(draft("door-1", "a1", "s1"));
  ASSERT_TRUE(own.ok());
  Scan peer = draft("door-2", "a1", "s1", ScanKind::arrive, at("2026-03-02T09:40:00-06:00"));
  peer.sequence = 7;
  Scan echo = *own; // the server never sends a door its own scans; if it did, they are not peers
  Scan survey = draft("door-2", "a1", "s1", ScanKind::survey);
  survey.sequence = 8;
  const std::vector<Scan> batch{peer, peer, echo, survey};
  auto added = store.add_peer_scans(batch);
  ASSERT_TRUE(added.ok()) << added.message();
  EXPECT_EQ(*added, 1u);
  EXPECT_EQ(*store.add_peer_scans(batch), 0u) << "a re-sent page changes nothing";
  EXPECT_EQ(*store.peer_scan_count(), 1u);
  auto known = store.known_scans_for_attendee("a1");
  ASSERT_TRUE(known.ok());
  ASSERT_EQ(known->size(), 2u);
  EXPECT_EQ((*known)[1].device_id, "door-2");
  EXPECT_EQ((*known)[1].wall_time, peer.wall_time);
  EXPECT_EQ((*known)[1].clock_offset_ms, peer.clock_offset_ms);
  EXPECT_EQ(store.scans_for_attendee("a1")->size(), 1u) << "peers never join the own chain";
  EXPECT_FALSE(store.verify_device_chain("door-1")->has_value());
}

TEST(KioskStore, KeepsAManagersRole) {
  TempDir dir;
  auto store = open_ok(dir / "kiosk.db");
  const Attendee manager{.id = "M1",
                         .first_name = "Dana",
                         .last_name = "Reyes",
                         .role = Role::manager,
                         .municipality = "Riverbend",
                         .email = ""};
  ASSERT_TRUE(store.upsert_roster(std::span<const Attendee>(&manager, 1)).ok());
  EXPECT_EQ(store.attendee("M1")->role, Role::manager);
}

TEST(KioskStore, KeepsTheEventsLeadTime) {
  TempDir dir;
  auto store = open_ok(dir / "kiosk.db");
  Event event = sample_event();
  event.credit_policy.lead_time = std::chrono::minutes{25};
  ASSERT_TRUE(store.replace_event(event).ok());
  EXPECT_EQ(store.event()->credit_policy.lead_time, std::chrono::minutes{25});
}

// ---- Restored or cloned kiosks: moving to a branch ------------------------------------------

TEST(KioskStore, MoveToBranchRechainsTheFactsKeepsTheOriginalsAndSwitchesInOneStep) {
  TempDir dir;
  auto store = open_ok(dir / "kiosk.db");
  ASSERT_EQ(append_n(store, "K-1", 3), 3u);
  ASSERT_TRUE(store.mark_acked("K-1", 2, at("2026-03-02T10:00:00Z")).ok());
  Scan late = draft("K-1", "att-late", "s2", ScanKind::leave, at("2026-03-02T11:30:00-06:00"));
  late.boot_id = "boot-7";
  late.details = R"({"confirmed":"kiosk"})";
  ASSERT_TRUE(store.append_scan(late).ok()); // 4
  Scan undo = draft("K-1", "att-late", "s2", ScanKind::correction);
  undo.correction = Correction::void_scan;
  undo.staff_id = "staff-1";
  undo.reason = "double scan";
  undo.voids_device_id = "K-1";
  undo.voids_sequence = 4;                   // a scan that moves with it
  ASSERT_TRUE(store.append_scan(undo).ok()); // 5
  Scan old_undo = undo;
  old_undo.voids_sequence = 1;                   // a scan that stays where it is
  ASSERT_TRUE(store.append_scan(old_undo).ok()); // 6
  const auto before = store.scans_after("K-1", 0, 10);
  ASSERT_TRUE(before.ok());

  KioskStore::BranchMove move{"K-1", 3, "K-1-B1", {{"sync.device_id", "K-1-B1"}, {"note", "x"}}};
  auto moved = store.move_to_branch(move, at("2026-03-02T12:00:00Z"));
  ASSERT_TRUE(moved.ok()) << moved.message();
  EXPECT_EQ(*moved, 4u);
  EXPECT_EQ(*store.last_sequence("K-1"), 2u); // 1..2 stay, as the server holds them
  auto branch = store.scans_after("K-1-B1", 0, 10);
  ASSERT_TRUE(branch.ok());
  ASSERT_EQ(branch->size(), 4u);
  EXPECT_FALSE(store.verify_device_chain("K-1-B1")->has_value());
  for (std::size_t i = 0; i < branch->size(); ++i) {
    const Scan& was = (*before)[i + 2];
    const Scan& now = (*branch)[i];
    EXPECT_EQ(now.sequence, i + 1);
    EXPECT_EQ(now.attendee_id, was.attendee_id);
    EXPECT_EQ(now.kind, was.kind);
    EXPECT_EQ(now.wall_time, was.wall_time);
    EXPECT_EQ(now.monotonic_ms, was.monotonic_ms);
    EXPECT_EQ(now.clock_offset_ms, was.clock_offset_ms);
    EXPECT_EQ(now.details, was.details);
    EXPECT_EQ(now.boot_id, was.boot_id);
    EXPECT_EQ(now.staff_id, was.staff_id);
    EXPECT_NE(now.hash, was.hash);
  }
  // The void of a moved scan names it where it went; the void of a scan that stayed is unchanged.
  EXPECT_EQ((*branch)[2].voids_device_id, "K-1-B1");
  EXPECT_EQ((*branch)[2].voids_sequence, 2u);
  EXPECT_EQ((*branch)[3].voids_device_id, "K-1");
  EXPECT_EQ((*branch)[3].voids_sequence, 1u);
  // Nothing is deleted: the original rows are archived, hashes and all.
  auto archived = store.archived_scans();
  ASSERT_TRUE(archived.ok());
  ASSERT_EQ(archived->size(), 4u);
  for (std::size_t i = 0; i < archived->size(); ++i)
    EXPECT_EQ((*archived)[i].hash, (*before)[i + 2].hash);
  EXPECT_EQ(store.setting("sync.device_id")->value_or(""), "K-1-B1");
  EXPECT_EQ(*store.unacked_count(), 4u);
  // A window that still holds the old id records on the branch.
  auto next = store.append_scan(draft("K-1", "att-9", "s1"));
  ASSERT_TRUE(next.ok()) << next.message();
  EXPECT_EQ(next->device_id, "K-1-B1");
  EXPECT_EQ(next->sequence, 5u);
  // A void recorded later for a moved scan names it where it went.
  Scan later_undo = undo;
  later_undo.voids_sequence = 3;
  auto remapped = store.append_scan(later_undo);
  ASSERT_TRUE(remapped.ok()) << remapped.message();
  EXPECT_EQ(remapped->voids_device_id, "K-1-B1");
  EXPECT_EQ(remapped->voids_sequence, 1u);
  // The same move again (a retried pass) changes nothing; another branch for it is refused.
  EXPECT_EQ(*store.move_to_branch(move, at("2026-03-02T12:05:00Z")), 0u);
  move.branch_device_id = "K-1-B2";
  EXPECT_FALSE(store.move_to_branch(move, at("2026-03-02T12:05:00Z")).ok());
  EXPECT_EQ(store.archived_scans()->size(), 4u);
}

TEST(KioskStore, OnlyArchivedScansMayLeaveTheChainAndArchivedOnesStay) {
  TempDir dir;
  auto store = open_ok(dir / "kiosk.db");
  ASSERT_EQ(append_n(store, "K-1", 3), 3u);
  ASSERT_TRUE(store.move_to_branch({"K-1", 3, "K-1-B1", {}}, at("2026-03-02T12:00:00Z")).ok());
  RawDb raw(dir / "kiosk.db");
  EXPECT_NE(raw.exec("DELETE FROM scans WHERE device_id = 'K-1' AND sequence = 2"), SQLITE_OK);
  EXPECT_NE(raw.exec("DELETE FROM scans WHERE device_id = 'K-1-B1'"), SQLITE_OK);
  EXPECT_NE(raw.exec("DELETE FROM scans_archive"), SQLITE_OK);
  EXPECT_NE(raw.exec("UPDATE scans_archive SET attendee_id = 'x'"), SQLITE_OK);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM scans"), 3);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM scans_archive"), 1);
}

TEST(KioskStore, AFailedMoveToABranchLeavesTheOldStateWhole) {
  TempDir dir;
  auto store = open_ok(dir / "kiosk.db");
  ASSERT_EQ(append_n(store, "K-1", 4), 4u);
  ASSERT_TRUE(store.set_setting("sync.device_id", "K-1").ok());
  // The last step (a setting) fails after the scans moved: all of it rolls back.
  RawDb raw(dir / "kiosk.db");
  ASSERT_EQ(raw.exec("CREATE TRIGGER refuse_note BEFORE INSERT ON settings WHEN NEW.key = 'note' "
                     "BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"),
            SQLITE_OK);
  auto moved =
      store.move_to_branch({"K-1", 2, "K-1-B1", {{"sync.device_id", "K-1-B1"}, {"note", "x"}}},
                           at("2026-03-02T12:00:00Z"));
  EXPECT_FALSE(moved.ok());
  EXPECT_EQ(*store.last_sequence("K-1"), 4u);
  EXPECT_EQ(*store.last_sequence("K-1-B1"), 0u);
  EXPECT_TRUE(store.archived_scans()->empty());
  EXPECT_EQ(store.setting("sync.device_id")->value_or(""), "K-1");
  EXPECT_EQ(store.append_scan(draft("K-1", "a", "s1"))->device_id, "K-1");
}

} // namespace
} // namespace muster
