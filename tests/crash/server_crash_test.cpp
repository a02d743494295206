// Crash test, server side (issue 7): `muster-server serve` is SIGKILLed at random points while a
// kiosk pushes chained scan batches over HTTP, then restarted. After every restart each scan the
// server had acknowledged (acked_through in a 200 answer) is stored, PRAGMA integrity_check
// passes, the stored chain links (each prev_hash is the previous hash, sequences 1..N without a
// gap), and the kiosk's next push continues the chain (the server re-verifies it).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "shared/scan_json.hpp"
#include "shared/scan_log.hpp"
#include "tests/crash/child_process.hpp"
#include "tests/support/test_support.hpp"

namespace muster::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::string kServer = MUSTER_BINARY_DIR "/sync/server/muster-server";
constexpr int kKills = 100;
constexpr std::size_t kBatch = 20;

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::string query(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* raw = nullptr;
  sqlite3_open_v2(db.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
  std::string out;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(raw, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    out = std::string("error: ") + sqlite3_errmsg(raw);
  }
  while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
    const auto* text = sqlite3_column_text(stmt, 0);
    out += text == nullptr ? "NULL" : reinterpret_cast<const char*>(text);
    out += '\n';
  }
  sqlite3_finalize(stmt);
  sqlite3_close(raw);
  return out;
}

std::string last_line(const std::string& text) {
  std::istringstream lines(text);
  std::string last;
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) last = line;
  }
  return last;
}

bool wait_healthy(int port, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(0, 200000);
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto res = client.Get("/healthz"); res && res->status == 200) return true;
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

TEST(Crash, ServerSurvivesSigkillDuringIngest) {
  TempDir dir;
  const auto db = dir / "server.db";
  {
    ChildProcess demo({kServer, "demo", "--db", db.string(), "--out", (dir / "out").string(),
                       "--assets", MUSTER_SOURCE_DIR "/assets/demo"});
    ASSERT_EQ(demo.wait_exit(120s), 0);
  }
  std::string code;
  {
    ChildProcess provision({kServer, "provision", "--db", db.string(), "--event",
                            "fall-2026-training", "--name", "Door A"});
    ASSERT_EQ(provision.wait_exit(30s), 0);
    for (const auto& line : provision.remaining_lines()) {
      if (!line.empty()) code = line;
    }
  }
  ASSERT_FALSE(code.empty());
  const std::string session_id =
      last_line(query(db, "SELECT id FROM sessions WHERE event_id = 'fall-2026-training' "
                          "ORDER BY start_ms LIMIT 1"));
  std::string payload;
  {
    std::ifstream tsv(dir / "out" / "badges.tsv");
    std::string line;
    std::getline(tsv, line); // header
    std::getline(tsv, line);
    payload = line.substr(line.rfind('\t') + 1);
  }
  const std::string attendee = payload.substr(9, payload.find('.', 9) - 9); // MU1.DEMO.<id>.
  const auto serial_start = payload.find('.', 9) + 1;
  const std::string serial =
      payload.substr(serial_start, payload.find('.', serial_start) - serial_start);

  const int port = free_port();
  auto serve = [&] {
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{kServer, "serve", "--db", db.string(), "--listen",
                                 "127.0.0.1:" + std::to_string(port)},
        std::vector<std::string>{}, (dir / "server.log").string());
  };
  auto server = serve();
  ASSERT_TRUE(wait_healthy(port, 20s));
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2);
  client.set_read_timeout(5);
  auto res = client.Post("/api/v1/devices", json{{"code", code}}.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 201) << res->body;
  const auto device = json::parse(res->body);
  const std::string device_id = device.at("device_id");
  const httplib::Headers auth{{"Authorization", "Bearer " + device.at("token").get<std::string>()}};

  std::vector<Scan> chain; // the kiosk's log; grows as needed
  const Instant base = std::chrono::time_point_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now() - 1h);
  auto extend_to = [&](std::size_t count) {
    while (chain.size() < count) {
      Scan s;
      s.device_id = device_id;
      s.sequence = chain.size() + 1;
      s.attendee_id = attendee;
      s.badge_serial = serial;
      s.badge_payload = payload;
      s.session_id = session_id;
      s.kind = s.sequence % 2 == 1 ? ScanKind::arrive : ScanKind::leave;
      s.wall_time = base + std::chrono::milliseconds(s.sequence * 100);
      s.monotonic_ms = static_cast<std::int64_t>(s.sequence) * 100;
      seal(s, chain.empty() ? kZeroDigest : chain.back().hash);
      chain.push_back(std::move(s));
    }
  };

  std::mt19937 random(7);
  std::uniform_int_distribution<int> kill_after_ms(0, 60);
  std::uint64_t acked = 0;
  std::atomic<std::uint64_t> batches_acked{0};
  const auto started = std::chrono::steady_clock::now();
  for (int kill = 0; kill < kKills; ++kill) {
    ASSERT_LT(std::chrono::steady_clock::now() - started, 100s) << "too slow at kill " << kill;
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> acked_now{acked};
    std::thread pusher([&] {
      httplib::Client push("127.0.0.1", port);
      push.set_connection_timeout(1);
      push.set_read_timeout(3);
      while (!stop) {
        const std::uint64_t from = acked_now.load();
        extend_to(from + kBatch);
        const std::span<const Scan> batch(chain.data() + from, kBatch);
        auto answer = push.Post("/api/v1/devices/" + device_id + "/scans", auth,
                                scan_batch_to_json(batch), "application/json");
        if (!answer || answer->status != 200) {
          std::this_thread::sleep_for(2ms);
          continue;
        }
        const auto body = json::parse(answer->body, nullptr, false);
        if (body.is_object() && body.contains("acked_through")) {
          acked_now = body["acked_through"].get<std::uint64_t>();
          ++batches_acked;
        }
      }
    });
    // Four kills in five come after the restarted server acknowledged a batch, in the middle
    // of the next ones; the fifth anywhere (also while it starts).
    if (kill % 5 != 0) {
      const auto acked_before = batches_acked.load();
      const auto deadline = std::chrono::steady_clock::now() + 10s;
      while (batches_acked.load() == acked_before && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kill_after_ms(random)));
    server->kill_and_drain();
    stop = true;
    pusher.join();
    acked = acked_now;

    const auto integrity = query(db, "PRAGMA integrity_check");
    ASSERT_EQ(integrity, "ok\n") << "after kill " << kill + 1;
    const auto stored = query(db, "SELECT count(*) || ' ' || coalesce(max(seq), 0) FROM scans "
                                  "WHERE device_id = '" +
                                      device_id + "'");
    std::uint64_t count = 0;
    std::uint64_t max_sequence = 0;
    std::istringstream(stored) >> count >> max_sequence;
    ASSERT_GE(count, acked) << "acknowledged scans lost after kill " << kill + 1;
    ASSERT_EQ(count, max_sequence) << "a gap in the stored chain after kill " << kill + 1;
    ASSERT_EQ(query(db, "SELECT count(*) FROM scans a JOIN scans b ON b.device_id = a.device_id "
                        "AND b.seq = a.seq + 1 WHERE a.device_id = '" +
                            device_id + "' AND b.prev_hash <> a.hash"),
              "0\n")
        << "the stored chain does not link after kill " << kill + 1;
    server = serve();
    ASSERT_TRUE(wait_healthy(port, 20s)) << "the server did not come back after kill " << kill + 1;
  }
  // The kiosk resumes from what the server holds; the server verifies the chain continues.
  auto resumed = client.Post("/api/v1/devices/" + device_id + "/scans", auth, "{\"scans\": []}",
                             "application/json");
  ASSERT_TRUE(resumed);
  ASSERT_EQ(resumed->status, 200) << resumed->body;
  const auto held = json::parse(resumed->body).at("acked_through").get<std::uint64_t>();
  extend_to(held + kBatch);
  auto next = client.Post("/api/v1/devices/" + device_id + "/scans", auth,
                          scan_batch_to_json(std::span<const Scan>(chain.data() + held, kBatch)),
                          "application/json");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200) << next->body;
  std::cout << "crash: server killed " << kKills << " times during ingest, " << batches_acked.load()
            << " batches acknowledged, " << acked << " scans acknowledged, all present, "
            << "integrity ok, chain ok\n";
  EXPECT_GT(acked, 500u) << "hardly anything was pushed: not a crash test";
}

} // namespace
} // namespace muster::test
