#pragma once
// What the kiosk crash and fault tests share: a demo kiosk data folder, the scan lines they feed
// `muster-kiosk headless --simulated-clock`, the JSON answers they read back, and the check that
// every scan the kiosk reported committed is in its store, intact.
#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "shared/kiosk_store.hpp"
#include "shared/time.hpp"
#include "tests/crash/child_process.hpp"

namespace muster::test {

inline const std::string kKioskProgram = MUSTER_BINARY_DIR "/kiosk/muster-kiosk";

// One scan line fed to the kiosk and what it answered.
struct FedScan {
  std::string attendee_id;
  Instant at;         // the simulated time of the line
  std::string result; // "arrived", "left", "rejected", "ignored"; "" when no answer came
};

// Creates the demo kiosk in `dir` (room Ballroom A); returns the badges' payloads.
inline std::vector<std::pair<std::string, std::string>>
make_demo_kiosk(const std::filesystem::path& dir) {
  ChildProcess demo(
      {kKioskProgram, "--data", dir.string(), "--room", "Ballroom A", "--demo", "headless"});
  demo.close_stdin();
  if (demo.wait_exit(std::chrono::seconds(30)) != 0) return {};
  std::vector<std::pair<std::string, std::string>> badges; // attendee id, payload
  std::ifstream tsv(dir / "demo" / "badges.tsv");
  for (std::string line; std::getline(tsv, line);) {
    std::vector<std::string> fields;
    std::stringstream split(line);
    for (std::string field; std::getline(split, field, '\t');)
      fields.push_back(field);
    if (fields.size() == 4) badges.emplace_back(fields[0], fields[3]);
  }
  return badges;
}

// The first Ballroom A session's start (the demo's sessions run back to back from midnight).
inline std::optional<Session> first_session(const std::filesystem::path& dir) {
  auto store = KioskStore::open(dir / "kiosk.db");
  if (!store) return std::nullopt;
  auto event = store->event();
  if (!event) return std::nullopt;
  std::optional<Session> first;
  for (const auto& session : event->sessions) {
    if (session.room == "Ballroom A" && (!first || session.start < first->start)) first = session;
  }
  return first;
}

inline std::string scan_line(const FedScan& scan, const std::string& payload) {
  return "@" + format_utc(scan.at) + " " + payload + "\n";
}

// The "result" of a headless JSON answer line ("" when it is not one).
inline std::string answer_result(const std::string& line) {
  const auto json = nlohmann::json::parse(line, nullptr, false);
  if (!json.is_object() || !json.contains("result") || !json["result"].is_string()) return {};
  return json["result"].get<std::string>();
}

// integrity_check, every device's chain, and each committed scan present. Empty when all is
// well, else what is wrong.
inline std::string check_kiosk_store(const std::filesystem::path& db,
                                     const std::vector<FedScan>& committed) {
  sqlite3* raw = nullptr;
  if (sqlite3_open_v2(db.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    sqlite3_close(raw);
    return "cannot open " + db.string();
  }
  std::unique_ptr<sqlite3, decltype(&sqlite3_close)> conn(raw, &sqlite3_close);
  auto query_text = [&](const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(conn.get(), sql, -1, &stmt, nullptr) == SQLITE_OK) {
      while (sqlite3_step(stmt) == SQLITE_ROW) {
        const auto* text = sqlite3_column_text(stmt, 0);
        out += text == nullptr ? "" : reinterpret_cast<const char*>(text);
        out += "\n";
      }
    }
    sqlite3_finalize(stmt);
    return out;
  };
  if (const auto integrity = query_text("PRAGMA integrity_check"); integrity != "ok\n") {
    return "integrity_check: " + integrity;
  }
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(conn.get(),
                     "SELECT count(*) FROM scans WHERE attendee_id = ?1 AND kind = ?2 AND "
                     "wall_time_ms BETWEEN ?3 AND ?3 + 1999",
                     -1, &stmt, nullptr);
  std::string missing;
  for (const auto& scan : committed) {
    sqlite3_reset(stmt);
    sqlite3_bind_text(stmt, 1, scan.attendee_id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 2, scan.result == "arrived" ? "arrive" : "leave", -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 3, scan.at.time_since_epoch().count());
    if (sqlite3_step(stmt) != SQLITE_ROW || sqlite3_column_int64(stmt, 0) != 1) {
      missing += " " + scan.attendee_id + "@" + format_utc(scan.at);
    }
  }
  sqlite3_finalize(stmt);
  const std::string devices = query_text("SELECT DISTINCT device_id FROM scans");
  conn.reset();
  if (!missing.empty()) return "committed scans missing:" + missing;

  auto store = KioskStore::open(db);
  if (!store) return "KioskStore::open: " + store.message();
  std::stringstream lines(devices);
  for (std::string device; std::getline(lines, device);) {
    auto broken = store->verify_device_chain(device);
    if (!broken) return "verify_device_chain: " + broken.message();
    if (*broken) return "hash chain of " + device + " is broken";
  }
  return {};
}

// How many scans the store holds (all devices).
inline std::size_t count_scans(const std::filesystem::path& db) {
  sqlite3* raw = nullptr;
  std::size_t count = 0;
  if (sqlite3_open_v2(db.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(raw, "SELECT count(*) FROM scans", -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      count = static_cast<std::size_t>(sqlite3_column_int64(stmt, 0));
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(raw);
  return count;
}

} // namespace muster::test
