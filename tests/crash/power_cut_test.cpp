// Power cuts, not just kill -9 (SIGKILL leaves the OS page cache intact; a power cut does not):
// the stores run on the power-cut VFS (power_cut_vfs.hpp), which loses every write not made
// durable by a sync when the power goes off at a random write or sync. After each cut the
// machine "reboots": every scan the kiosk reported as recorded, and every scan the server
// acknowledged, is present, PRAGMA integrity_check passes (the stores run it on open) and the
// chain verifies. BENCHMARKS.md reports the counts printed here.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <iostream>
#include <optional>
#include <random>
#include <vector>

#include "shared/kiosk_store.hpp"
#include "shared/scan_log.hpp"
#include "shared/time.hpp"
#include "sync/server/http_api.hpp"
#include "sync/server/server_store.hpp"
#include "tests/crash/power_cut_vfs.hpp"
#include "tests/support/test_support.hpp"

namespace muster::test {
namespace {

using namespace std::chrono_literals;

constexpr int kKioskCuts = 200;
constexpr int kServerCuts = 100;

Instant at(const char* iso) { return parse_iso8601(iso).value_or(Instant{}); }

Scan draft_scan(const std::string& device, std::uint64_t n) {
  Scan scan;
  scan.device_id = device;
  scan.attendee_id = "A" + std::to_string(n % 40);
  scan.badge_serial = "SER" + std::to_string(n % 40);
  scan.badge_payload = "MU1.payload." + std::to_string(n);
  scan.session_id = "S1";
  scan.kind = n % 2 == 0 ? ScanKind::arrive : ScanKind::leave;
  scan.wall_time = at("2026-03-02T15:00:00Z") + std::chrono::seconds{n};
  scan.monotonic_ms = static_cast<std::int64_t>(n) * 1000;
  return scan;
}

// The model itself: with synchronous=OFF nothing is synced, so a cut loses committed rows; with
// FULL nothing committed is lost. (Were the VFS to keep unsynced writes, the tests below could
// not fail.)
int rows_after_cut(const std::filesystem::path& path, const char* synchronous) {
  PowerCut::install();
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const std::string setup = std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=") +
                            synchronous + "; CREATE TABLE IF NOT EXISTS t (x INTEGER);";
  EXPECT_EQ(sqlite3_exec(db, setup.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(sqlite3_exec(db, "INSERT INTO t VALUES (1)", nullptr, nullptr, nullptr), SQLITE_OK);
  PowerCut::cut_now();
  sqlite3_close_v2(db);
  PowerCut::reboot(path);
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* count = nullptr;
  int rows = -1;
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &count, nullptr) == SQLITE_OK &&
      sqlite3_step(count) == SQLITE_ROW) {
    rows = sqlite3_column_int(count, 0);
  }
  sqlite3_finalize(count);
  sqlite3_close_v2(db);
  return rows;
}

TEST(PowerCut, LosesWhatWasNeverSyncedAndKeepsWhatWas) {
  TempDir dir;
  EXPECT_LT(rows_after_cut(dir / "off.db", "OFF"), 20) << "a cut must lose unsynced commits";
  EXPECT_EQ(rows_after_cut(dir / "full.db", "FULL"), 20);
}

TEST(PowerCut, KioskKeepsEveryRecordedScanThroughTwoHundredCuts) {
  PowerCut::install();
  TempDir dir;
  const auto path = dir / "kiosk.db";
  std::mt19937 random(20261202); // fixed seed: a failure can be replayed
  std::uniform_int_distribution<int> cut_after(1, 150);
  std::vector<Digest> recorded; // hash of every scan reported as recorded, by sequence - 1
  std::uint64_t attempted = 0;
  int mid_storm = 0;
  const auto started = std::chrono::steady_clock::now();
  for (int cut = 0; cut < kKioskCuts; ++cut) {
    ASSERT_LT(std::chrono::steady_clock::now() - started, 150s) << "too slow at cut " << cut;
    {
      auto store = KioskStore::open(path);
      ASSERT_TRUE(store) << "cut " << cut << ": " << store.message();
      // The file as the reboot left it: every recorded scan, the chain intact.
      auto last = store->last_sequence("door-1");
      ASSERT_TRUE(last);
      ASSERT_GE(*last, recorded.size()) << "cut " << cut << " lost a recorded scan";
      auto scans = store->scans_after("door-1", 0, static_cast<std::size_t>(*last) + 1);
      ASSERT_TRUE(scans);
      for (std::size_t i = 0; i < recorded.size(); ++i)
        ASSERT_EQ((*scans)[i].hash, recorded[i]) << "cut " << cut << ", sequence " << i + 1;
      // A scan that was written but not reported (the cut came after its commit) is kept too.
      for (std::size_t i = recorded.size(); i < scans->size(); ++i)
        recorded.push_back((*scans)[i].hash);
      auto chain = store->verify_device_chain("door-1");
      ASSERT_TRUE(chain);
      ASSERT_FALSE(chain->has_value()) << "cut " << cut << ": the chain breaks";

      PowerCut::arm(static_cast<std::uint64_t>(cut_after(random)));
      for (int i = 0; i < 25; ++i) {
        ++attempted;
        auto stored = store->append_scan(draft_scan("door-1", attempted));
        if (!stored) {
          ASSERT_TRUE(PowerCut::is_cut()) << "failed without a power cut: " << stored.message();
          ++mid_storm;
          break;
        }
        ASSERT_EQ(stored->sequence, recorded.size() + 1);
        recorded.push_back(stored->hash); // reported to the official as recorded
      }
      if (!PowerCut::is_cut()) PowerCut::cut_now(); // the power goes off between scans
    }
    PowerCut::reboot(path);
  }
  std::cout << "power cuts (kiosk): " << kKioskCuts << " cuts, " << mid_storm
            << " in the middle of a commit, " << recorded.size() << " scans recorded of "
            << attempted << " attempted, " << PowerCut::writes_lost()
            << " unsynced writes lost; every recorded scan present, integrity_check ok, chain "
               "verifies\n";
  EXPECT_GT(mid_storm, kKioskCuts / 2) << "most cuts must land inside a commit";
}

TEST(PowerCut, ServerKeepsEveryAcknowledgedScanThroughCuts) {
  PowerCut::install();
  TempDir dir;
  const auto path = (dir / "league.db").string();
  std::string device;
  {
    auto store = server::open_server_store(path);
    ASSERT_TRUE(store) << store.message();
    ASSERT_TRUE((*store)->initialise({"TL", "Test League"}));
    Event event;
    event.id = "EV1";
    event.name = "Power";
    event.timezone = "UTC";
    Session session;
    session.id = "S1";
    session.title = "S1";
    session.room = "Hall";
    session.start = at("2026-03-02T15:00:00Z");
    session.end = at("2026-03-02T17:00:00Z");
    session.credit_hours = 2;
    event.sessions = {session};
    ASSERT_TRUE((*store)->upsert_event(event));
    ASSERT_TRUE((*store)->add_provisioning_code(server::hash_secret("CODE"), "EV1", "Door",
                                                at("2099-01-01T00:00:00Z")));
    auto redeemed = (*store)->redeem_provisioning_code(server::hash_secret("CODE"), "dev-1",
                                                       server::hash_secret("token"),
                                                       at("2026-03-01T00:00:00Z"));
    ASSERT_TRUE(redeemed) << redeemed.message();
    device = redeemed->id;
  }
  // The kiosk's chain, made once; each cycle pushes what the server does not hold yet.
  std::vector<Scan> chain;
  Digest previous{};
  for (std::uint64_t n = 1; n <= 4000; ++n) {
    Scan scan = draft_scan(device, n);
    scan.sequence = n;
    seal(scan, previous);
    previous = scan.hash;
    chain.push_back(scan);
  }
  std::mt19937 random(20261203);
  std::uniform_int_distribution<int> cut_after(1, 60);
  std::uint64_t acknowledged = 0;
  int mid_ingest = 0;
  const auto started = std::chrono::steady_clock::now();
  for (int cut = 0; cut < kServerCuts; ++cut) {
    ASSERT_LT(std::chrono::steady_clock::now() - started, 150s) << "too slow at cut " << cut;
    {
      auto store = server::open_server_store(path);
      ASSERT_TRUE(store) << "cut " << cut << ": " << store.message();
      auto held = (*store)->scans_for_device(device);
      ASSERT_TRUE(held) << held.message();
      ASSERT_GE(held->size(), acknowledged) << "cut " << cut << " lost an acknowledged scan";
      for (std::size_t i = 0; i < held->size(); ++i)
        ASSERT_EQ((*held)[i].hash, chain[i].hash) << "cut " << cut << ", sequence " << i + 1;
      ASSERT_FALSE(verify_device_chain(device, *held).has_value()) << "cut " << cut;
      acknowledged = held->size();

      PowerCut::arm(static_cast<std::uint64_t>(cut_after(random)));
      for (int batch = 0; batch < 6 && acknowledged + 10 <= chain.size(); ++batch) {
        const std::span<const Scan> next(chain.data() + acknowledged, 10);
        auto outcome = (*store)->store_scans(device, "EV1", next, at("2026-03-02T18:00:00Z"));
        if (!outcome) {
          ASSERT_TRUE(PowerCut::is_cut()) << "failed without a power cut: " << outcome.message();
          ++mid_ingest;
          break;
        }
        ASSERT_FALSE(outcome->rejection) << outcome->rejection->reason;
        acknowledged = outcome->highest_contiguous; // what the kiosk is told is stored
      }
      if (!PowerCut::is_cut()) PowerCut::cut_now();
    }
    PowerCut::reboot(path);
  }
  std::cout << "power cuts (server): " << kServerCuts << " cuts, " << mid_ingest
            << " in the middle of an ingest, " << acknowledged
            << " scans acknowledged and present; integrity_check ok, chain verifies\n";
  EXPECT_GT(mid_ingest, kServerCuts / 2);
}

} // namespace
} // namespace muster::test
