// Scan to durable commit on the headless path (Checkin::accept: verify the badge, look up the
// roster, decide arrive/leave, append to the hash chain, commit with synchronous=FULL) with a
// roster of N attendees, beside the same machine's raw SQLite commit latency (the floor: one
// small INSERT per transaction, WAL, synchronous=FULL, SQLite's default inline auto-checkpoint
// every 1000 WAL pages).
//
// Latency is timed at a paced door (a scan every --gap-ms, 20 ms by default: fifty a second,
// fifty times the busiest real door), the floor's commits paced the same way, in
// alternating blocks of kBlock so that both sides meet the shared disk's bursts alike and get
// the same number of samples. The pause between scans is what a door has and what the kiosk
// store checkpoints in (shared/kiosk_store_support.hpp, WalCheckpointer); the floor keeps
// SQLite's inline checkpoint, its honest raw cost. Throughput is timed separately as a storm:
// back-to-back scans, with no pause for a checkpoint (the kiosk then checkpoints inline like the
// floor), and that storm's p99 beside a back-to-back floor's is reported too.
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench/bench.hpp"
#include "kiosk/app/checkin.hpp"
#include "kiosk/app/demo.hpp"
#include "shared/badge.hpp"
#include "shared/kiosk_store.hpp"

namespace muster::bench {

namespace {

namespace fs = std::filesystem;

struct TempFolder {
  fs::path path;
  TempFolder() {
    path = fs::temp_directory_path() /
           ("muster-bench-" + std::to_string(::getpid()) + "-" +
            std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    fs::create_directories(path);
  }
  ~TempFolder() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

using Clock = std::chrono::steady_clock;

// Scans per block when kiosk and floor alternate, and the pause when switching sides, long
// enough for the kiosk's quiet-time checkpoint to end before the floor commits.
constexpr std::size_t kBlock = 100;
constexpr std::chrono::milliseconds kSwitchPause{50};

// The raw floor: one connection, one 300-byte INSERT per transaction, as SQLite ships.
class RawFloor {
public:
  explicit RawFloor(const fs::path& file) {
    sqlite3_open(file.c_str(), &db_);
    sqlite3_exec(db_,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                 "CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)",
                 nullptr, nullptr, nullptr);
    sqlite3_prepare_v2(db_, "INSERT INTO t (payload) VALUES (?1)", -1, &insert_, nullptr);
  }
  RawFloor(const RawFloor&) = delete;
  RawFloor& operator=(const RawFloor&) = delete;
  ~RawFloor() {
    sqlite3_finalize(insert_);
    sqlite3_close(db_);
  }
  double commit() {
    const auto start = Clock::now();
    sqlite3_bind_text(insert_, 1, payload_.c_str(), static_cast<int>(payload_.size()),
                      SQLITE_STATIC);
    sqlite3_step(insert_);
    sqlite3_reset(insert_);
    return ms_since(start);
  }

private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  const std::string payload_ = std::string(300, 'x'); // about one scan row
};

// A provisioned kiosk store with a roster of `roster_size` and one signed badge per scan.
struct Door {
  std::optional<KioskStore> store;
  std::optional<kiosk::Checkin> checkin;
  std::vector<std::string> payloads;
  double setup_ms = 0;
};

Result<Ok, int> open_door(Door& door, const fs::path& folder, std::size_t roster_size,
                          std::size_t scans) {
  fs::create_directories(folder);
  auto store = KioskStore::open(folder / "kiosk.db");
  if (!store) return fail(1, store.message());
  door.store.emplace(std::move(store).value());
  auto demo = kiosk::ensure_demo(*door.store, folder, kiosk::wall_clock_now());
  if (!demo) return fail(1, demo.message());
  std::ifstream secret_file(demo->demo_dir / "league-secret.key");
  std::string secret;
  std::getline(secret_file, secret);
  auto key = parse_signing_key(secret);
  if (!key) return fail(1, key.message());
  std::vector<Attendee> roster;
  const auto setup_start = Clock::now();
  for (std::size_t i = 0; i < roster_size; ++i) {
    const std::string id = "BR-" + std::to_string(i);
    roster.push_back({id, "First" + std::to_string(i), "Last", Role::councilmember, "Town", ""});
    if (i < scans) {
      door.payloads.push_back(
          *sign_badge({std::string(kiosk::kDemoLeagueId), id, id + "-1"}, *key));
    }
  }
  if (auto upserted = door.store->upsert_roster(roster); !upserted) {
    return fail(1, upserted.message());
  }
  door.setup_ms = ms_since(setup_start);
  kiosk::CheckinOptions options;
  options.room = std::string(kiosk::kDemoRoom);
  auto checkin = kiosk::Checkin::open(*door.store, options);
  if (!checkin) return fail(1, checkin.message());
  door.checkin.emplace(std::move(checkin).value());
  return Ok{};
}

struct Timed {
  std::vector<double> kiosk;
  std::vector<double> floor;
  std::size_t recorded = 0;
};

double scan_once(Door& door, std::size_t index, Timed& timed) {
  const auto start = Clock::now();
  const auto outcome =
      door.checkin->accept(kiosk::raw_scan_now(door.payloads[index], kiosk::ScanSource::wedge));
  const double ms = ms_since(start);
  if (outcome.recorded) ++timed.recorded;
  return ms;
}

// Kiosk and floor in alternating blocks, a pause of `gap` after each scan and commit.
Timed paced(Door& door, RawFloor& floor, std::chrono::milliseconds gap) {
  Timed timed;
  const std::size_t count = door.payloads.size();
  for (std::size_t first = 0; first < count; first += kBlock) {
    const std::size_t last = std::min(count, first + kBlock);
    for (std::size_t i = first; i < last; ++i) {
      timed.kiosk.push_back(scan_once(door, i, timed));
      std::this_thread::sleep_for(gap);
    }
    std::this_thread::sleep_for(kSwitchPause);
    for (std::size_t i = first; i < last; ++i) {
      timed.floor.push_back(floor.commit());
      std::this_thread::sleep_for(gap);
    }
    std::this_thread::sleep_for(kSwitchPause);
  }
  return timed;
}

} // namespace

int run_commit(std::size_t roster_size, std::size_t scans, std::chrono::milliseconds gap) {
  TempFolder folder;
  Door door;
  Door storm_door;
  for (auto [target, name] : {std::pair{&door, "paced"}, std::pair{&storm_door, "storm"}}) {
    if (auto opened = open_door(*target, folder.path / name, roster_size, scans); !opened) {
      std::cerr << "muster-bench commit: " << opened.message() << '\n';
      return 1;
    }
  }
  RawFloor paced_floor(folder.path / "raw-paced.db");
  const Timed timed = paced(door, paced_floor, gap);

  // The storm: back-to-back, kiosk then floor, each on its own fresh file.
  Timed storm;
  const auto storm_start = Clock::now();
  for (std::size_t i = 0; i < storm_door.payloads.size(); ++i) {
    storm.kiosk.push_back(scan_once(storm_door, i, storm));
  }
  const double storm_ms = ms_since(storm_start);
  {
    RawFloor storm_floor(folder.path / "raw-storm.db");
    for (std::size_t i = 0; i < storm_door.payloads.size(); ++i) {
      storm.floor.push_back(storm_floor.commit());
    }
  }
  const auto stats = summarize(timed.kiosk);
  const auto floor = summarize(timed.floor);
  const auto storm_stats = summarize(storm.kiosk);
  const auto storm_floor = summarize(storm.floor);
  const auto checkpoints = door.store->checkpoint_stats();
  const auto storm_checkpoints = storm_door.store->checkpoint_stats();
  const std::size_t count = door.payloads.size();
  std::cout << "| " << roster_size << " | " << timed.recorded << "/" << count << " | "
            << fixed(stats.p50_ms) << " | " << fixed(stats.p99_ms) << " | " << fixed(floor.p50_ms)
            << " | " << fixed(floor.p99_ms) << " | "
            << fixed(stats.p99_ms / std::max(floor.p99_ms, 0.001), 1) << "x | "
            << checkpoints.background << "/" << checkpoints.in_commit << " | "
            << fixed(static_cast<double>(count) / (storm_ms / 1000.0), 0) << " | "
            << fixed(storm_stats.p99_ms) << " | " << fixed(storm_floor.p99_ms) << " | "
            << storm_checkpoints.background << "/" << storm_checkpoints.in_commit << " | "
            << fixed(door.setup_ms / 1000.0, 1) << " |\n";
  return timed.recorded == count && storm.recorded == count ? 0 : 1;
}

} // namespace muster::bench
