// Scan to durable commit on the headless path (Checkin::accept: verify the badge, look up the
// roster, decide arrive/leave, append to the hash chain, commit with synchronous=FULL) with a
// roster of N attendees, beside the same machine's raw SQLite commit latency (the floor: one
// small INSERT per transaction, WAL, synchronous=FULL, SQLite's default inline auto-checkpoint
// every 1000 WAL pages, exactly as the kiosk store commits).
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
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

std::vector<double> raw_sqlite_commits(const fs::path& file, std::size_t count) {
  sqlite3* db = nullptr;
  sqlite3_open(file.c_str(), &db);
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
               "CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO t (payload) VALUES (?1)", -1, &insert, nullptr);
  const std::string payload(300, 'x'); // about one scan row
  std::vector<double> samples;
  for (std::size_t i = 0; i < count; ++i) {
    const auto start = std::chrono::steady_clock::now();
    sqlite3_bind_text(insert, 1, payload.c_str(), static_cast<int>(payload.size()), SQLITE_STATIC);
    sqlite3_step(insert);
    sqlite3_reset(insert);
    samples.push_back(ms_since(start));
  }
  sqlite3_finalize(insert);
  sqlite3_close(db);
  return samples;
}

} // namespace

int run_commit(std::size_t roster_size, std::size_t scans) {
  TempFolder folder;
  auto store = KioskStore::open(folder.path / "kiosk.db");
  if (!store) {
    std::cerr << "muster-bench commit: " << store.message() << '\n';
    return 1;
  }
  const auto now = kiosk::wall_clock_now();
  auto demo = kiosk::ensure_demo(*store, folder.path, now);
  if (!demo) {
    std::cerr << "muster-bench commit: " << demo.message() << '\n';
    return 1;
  }
  std::ifstream secret_file(demo->demo_dir / "league-secret.key");
  std::string secret;
  std::getline(secret_file, secret);
  auto key = parse_signing_key(secret);
  if (!key) {
    std::cerr << "muster-bench commit: " << key.message() << '\n';
    return 1;
  }
  std::vector<Attendee> roster;
  std::vector<std::string> payloads;
  const auto setup_start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < roster_size; ++i) {
    const std::string id = "BR-" + std::to_string(i);
    roster.push_back({id, "First" + std::to_string(i), "Last", Role::councilmember, "Town", ""});
    if (i < scans) {
      payloads.push_back(*sign_badge({std::string(kiosk::kDemoLeagueId), id, id + "-1"}, *key));
    }
  }
  if (auto upserted = store->upsert_roster(roster); !upserted) {
    std::cerr << "muster-bench commit: " << upserted.message() << '\n';
    return 1;
  }
  const double setup_ms = ms_since(setup_start);
  kiosk::CheckinOptions options;
  options.room = std::string(kiosk::kDemoRoom);
  auto checkin = kiosk::Checkin::open(*store, options);
  if (!checkin) {
    std::cerr << "muster-bench commit: " << checkin.message() << '\n';
    return 1;
  }
  std::vector<double> samples;
  std::size_t recorded = 0;
  const auto storm_start = std::chrono::steady_clock::now();
  for (const auto& payload : payloads) {
    const auto start = std::chrono::steady_clock::now();
    const auto outcome = checkin->accept(kiosk::raw_scan_now(payload, kiosk::ScanSource::wedge));
    samples.push_back(ms_since(start));
    if (outcome.recorded) ++recorded;
  }
  const double storm_ms = ms_since(storm_start);
  const auto floor = summarize(raw_sqlite_commits(folder.path / "raw.db", payloads.size()));
  const auto stats = summarize(samples);
  std::cout << "| " << roster_size << " | " << recorded << "/" << payloads.size() << " | "
            << fixed(stats.p50_ms) << " | " << fixed(stats.p99_ms) << " | "
            << fixed(static_cast<double>(payloads.size()) / (storm_ms / 1000.0), 0) << " | "
            << fixed(floor.p50_ms) << " | " << fixed(floor.p99_ms) << " | "
            << fixed(stats.p99_ms / std::max(floor.p99_ms, 0.001), 1) << "x | "
            << fixed(setup_ms / 1000.0, 1) << " |\n";
  return recorded == payloads.size() ? 0 : 1;
}

} // namespace muster::bench
