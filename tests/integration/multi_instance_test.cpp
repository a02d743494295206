// Two muster-server instances on ONE PostgreSQL database (a League behind a load balancer),
// several simulated kiosks pushing overlapping batches to both instances at the same time:
// every scan is stored exactly once and every device's chain verifies.
// The test name contains "postgresql", so CTest gives it the PostgreSQL fixture.
#include <gtest/gtest.h>
#include <httplib.h>
#include <libpq-fe.h>
#include <sodium.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "shared/badge.hpp"
#include "shared/scan_json.hpp"
#include "shared/scan_log.hpp"
#include "shared/sodium_init.hpp"
#include "sync/server/http_api.hpp"
#include "sync/server/server_store.hpp"
#include "tests/support/postgres.hpp"
#include "tests/support/test_support.hpp"

namespace muster::server {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr int kKiosks = 4;
constexpr std::uint64_t kScansPerKiosk = 240;
constexpr std::uint64_t kBatch = 40;
constexpr std::uint64_t kStep = 20; // batches overlap by half
constexpr auto kDeadline = 90s;     // the whole push phase is bounded

Instant now_ms() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

struct Kiosk {
  std::string id;
  std::string token;
  std::vector<Scan> chain;
};

httplib::Client client_for(const HttpServer& server) {
  httplib::Client cli("127.0.0.1", server.port());
  cli.set_connection_timeout(5);
  cli.set_read_timeout(30);
  return cli;
}

TEST(MultiInstance, TwoServersOnOnePostgresqlStoreEveryScanExactlyOnce) {
  ASSERT_TRUE(muster::sodium_started());
  const auto base_url = test::postgres_fixture_url();
  ASSERT_TRUE(base_url) << test::kNoPostgres;
  const auto created = test::create_postgres_database(*base_url, "muster_multi_");
  ASSERT_EQ(created.error, "");
  const std::string& database = created.name;
  const std::string& url = created.url;
  test::TempDir dir;

  // The League: key, roster, an event live now, badges and one provisioning code per kiosk.
  auto store = open_server_store(url);
  ASSERT_TRUE(store.ok()) << store.message();
  ASSERT_TRUE((*store)->initialise({"L1", "Test League"}).ok());
  auto key = SigningKey::generate("K1");
  ASSERT_TRUE(key.ok());
  ASSERT_TRUE((*store)->add_league_key({"K1", to_text(key->public_key()), now_ms(), true}).ok());
  test::write_file(dir / "league.key", key->to_secret_text() + "\n");
  std::filesystem::permissions(dir / "league.key", std::filesystem::perms::owner_read |
                                                       std::filesystem::perms::owner_write);
  const std::vector<Attendee> roster = {
      {"A1", "Ada", "Mayor", Role::mayor, "Springfield", ""},
      {"A2", "Bo", "Council", Role::councilmember, "Springfield", ""}};
  ASSERT_TRUE((*store)->upsert_roster(roster).ok());
  Event event;
  event.id = "E1";
  event.name = "Conference";
  event.timezone = "America/Chicago";
  Session session;
  session.id = "S1";
  session.title = "Ethics";
  session.room = "Ballroom";
  session.start = now_ms() - 1h;
  session.end = now_ms() + 1h;
  session.credit_hours = 2.0;
  event.sessions = {session};
  ASSERT_TRUE((*store)->upsert_event(event).ok());
  std::map<std::string, std::string> payloads;
  for (const auto& person : roster) {
    auto payload = sign_badge({"L1", person.id, "SER-" + person.id}, *key);
    ASSERT_TRUE(payload.ok());
    payloads[person.id] = *payload;
  }
  for (int k = 0; k < kKiosks; ++k) {
    ASSERT_TRUE((*store)
                    ->add_provisioning_code(hash_secret("CODE-" + std::to_string(k)), "E1",
                                            "Door " + std::to_string(k), now_ms() + 1h)
                    .ok());
  }

  // Two server instances on the same database.
  HttpOptions options;
  options.database = url;
  options.port = 0;
  options.league_key_file = dir / "league.key";
  options.log_requests = false;
  options.threads = 4;
  auto first = HttpServer::start(options);
  ASSERT_TRUE(first.ok()) << first.message();
  auto second = HttpServer::start(options);
  ASSERT_TRUE(second.ok()) << second.message();
  std::array<HttpServer*, 2> servers{first->get(), second->get()};

  // Each kiosk provisions through one instance and builds its chain offline.
  std::vector<Kiosk> kiosks(kKiosks);
  for (int k = 0; k < kKiosks; ++k) {
    auto res = client_for(*servers[static_cast<std::size_t>(k % 2)])
                   .Post("/api/v1/devices", json{{"code", "CODE-" + std::to_string(k)}}.dump(),
                         "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 201) << res->body;
    const json body = json::parse(res->body);
    kiosks[static_cast<std::size_t>(k)].id = body.at("device_id");
    kiosks[static_cast<std::size_t>(k)].token = body.at("token");
    Digest previous = kZeroDigest;
    for (std::uint64_t seq = 1; seq <= kScansPerKiosk; ++seq) {
      Scan scan;
      scan.device_id = kiosks[static_cast<std::size_t>(k)].id;
      scan.sequence = seq;
      scan.attendee_id = seq % 3 == 0 ? "A2" : "A1";
      scan.badge_serial = "SER-" + scan.attendee_id;
      scan.badge_payload = payloads[scan.attendee_id];
      scan.session_id = "S1";
      scan.kind = seq % 2 == 1 ? ScanKind::arrive : ScanKind::leave;
      scan.wall_time = session.start + std::chrono::seconds(seq * 10);
      scan.monotonic_ms = static_cast<std::int64_t>(seq) * 10000;
      seal(scan, previous);
      previous = scan.hash;
      kiosks[static_cast<std::size_t>(k)].chain.push_back(std::move(scan));
    }
  }

  // Every kiosk sends each overlapping window to BOTH instances at once, from two threads, and
  // resends from what the server acknowledged when a batch raced ahead of the chain (409).
  std::mutex failures_mutex;
  std::vector<std::string> failures;
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int k = 0; k < kKiosks; ++k) {
    for (int s = 0; s < 2; ++s) {
      threads.emplace_back([&, k, s] {
        const Kiosk& kiosk = kiosks[static_cast<std::size_t>(k)];
        auto cli = client_for(*servers[static_cast<std::size_t>((k + s) % 2)]);
        const httplib::Headers auth{{"Authorization", "Bearer " + kiosk.token}};
        std::uint64_t from = 1;
        while (from <= kScansPerKiosk) {
          if (std::chrono::steady_clock::now() - started > kDeadline) {
            std::lock_guard lock(failures_mutex);
            failures.push_back(kiosk.id + ": deadline passed at sequence " + std::to_string(from));
            return;
          }
          const std::uint64_t to = std::min(kScansPerKiosk, from + kBatch - 1);
          const std::span<const Scan> window(kiosk.chain.data() + from - 1, to - from + 1);
          auto res = cli.Post("/api/v1/devices/" + kiosk.id + "/scans", auth,
                              scan_batch_to_json(window), "application/json");
          if (!res || (res->status != 200 && res->status != 409 && res->status != 503)) {
            std::lock_guard lock(failures_mutex);
            failures.push_back(kiosk.id + ": unexpected answer " +
                               (res ? std::to_string(res->status) + " " + res->body : "none"));
            return;
          }
          const json body = json::parse(res->body, nullptr, false);
          const std::uint64_t acked = body.is_object() ? body.value("acked_through", 0ULL) : 0ULL;
          // Move on by the overlap step, but never past what is acknowledged + 1.
          from = std::min(from + kStep, acked + 1);
          if (res->status != 200) std::this_thread::sleep_for(5ms);
        }
      });
    }
  }
  for (auto& thread : threads)
    thread.join();
  ASSERT_TRUE(failures.empty()) << failures.front();

  // Exactly once: the count, each chain, and the two instances' counters together.
  auto count = (*store)->scan_count();
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, kKiosks * kScansPerKiosk);
  for (const auto& kiosk : kiosks) {
    auto stored = (*store)->scans_for_device(kiosk.id);
    ASSERT_TRUE(stored.ok()) << stored.message();
    ASSERT_EQ(stored->size(), kScansPerKiosk);
    EXPECT_FALSE(verify_device_chain(kiosk.id, *stored).has_value());
    for (std::size_t i = 0; i < stored->size(); ++i) {
      EXPECT_EQ((*stored)[i].hash, kiosk.chain[i].hash) << kiosk.id << " #" << i + 1;
    }
  }
  std::uint64_t stored_total = 0;
  for (auto* server : servers) {
    auto res = client_for(*server).Get("/metrics");
    ASSERT_TRUE(res);
    std::istringstream lines(res->body);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("muster_scans_stored_total ", 0) == 0) {
        stored_total += std::stoull(line.substr(line.find(' ') + 1));
      }
    }
  }
  EXPECT_EQ(stored_total, kKiosks * kScansPerKiosk);

  for (auto* server : servers)
    server->stop();
  store->reset();
  test::drop_postgres_database(*base_url, database);
}

// Issue 19: ingest writes a batch's rows in multi-row statements. The same batches (300 scans:
// several statements of different sizes) go to BOTH instances at the same moment, and each
// sender alternates between the instances from one batch to the next: each scan is stored
// exactly once, each chain is the kiosk's, and the instances' counters add up to the scans.
TEST(MultiInstance, TwoServersOnOnePostgresqlStoreSameAndInterleavedBulkPushesOnce) {
  constexpr int kBulkKiosks = 3;
  constexpr std::uint64_t kBulkScans = 700;
  constexpr std::uint64_t kBulkBatch = 300;
  ASSERT_TRUE(muster::sodium_started());
  const auto base_url = test::postgres_fixture_url();
  ASSERT_TRUE(base_url) << test::kNoPostgres;
  const auto created = test::create_postgres_database(*base_url, "muster_bulk_");
  ASSERT_EQ(created.error, "");
  test::TempDir dir;
  auto store = open_server_store(created.url);
  ASSERT_TRUE(store.ok()) << store.message();
  ASSERT_TRUE((*store)->initialise({"L1", "Test League"}).ok());
  auto key = SigningKey::generate("K1");
  ASSERT_TRUE(key.ok());
  ASSERT_TRUE((*store)->add_league_key({"K1", to_text(key->public_key()), now_ms(), true}).ok());
  test::write_file(dir / "league.key", key->to_secret_text() + "\n");
  std::filesystem::permissions(dir / "league.key", std::filesystem::perms::owner_read |
                                                       std::filesystem::perms::owner_write);
  const std::vector<Attendee> roster = {{"A1", "Ada", "Mayor", Role::mayor, "Springfield", ""}};
  ASSERT_TRUE((*store)->upsert_roster(roster).ok());
  Event event;
  event.id = "E1";
  event.name = "Conference";
  event.timezone = "America/Chicago";
  Session session;
  session.id = "S1";
  session.title = "Ethics";
  session.room = "Ballroom";
  session.start = now_ms() - 1h;
  session.end = now_ms() + 1h;
  session.credit_hours = 2.0;
  event.sessions = {session};
  ASSERT_TRUE((*store)->upsert_event(event).ok());
  auto payload = sign_badge({"L1", "A1", "SER-A1"}, *key);
  ASSERT_TRUE(payload.ok());
  for (int k = 0; k < kBulkKiosks; ++k) {
    ASSERT_TRUE((*store)
                    ->add_provisioning_code(hash_secret("BULK-" + std::to_string(k)), "E1",
                                            "Door " + std::to_string(k), now_ms() + 1h)
                    .ok());
  }
  HttpOptions options;
  options.database = created.url;
  options.port = 0;
  options.league_key_file = dir / "league.key";
  options.log_requests = false;
  options.threads = 4;
  auto first = HttpServer::start(options);
  ASSERT_TRUE(first.ok()) << first.message();
  auto second = HttpServer::start(options);
  ASSERT_TRUE(second.ok()) << second.message();
  std::array<HttpServer*, 2> servers{first->get(), second->get()};

  std::vector<Kiosk> kiosks(kBulkKiosks);
  for (int k = 0; k < kBulkKiosks; ++k) {
    Kiosk& kiosk = kiosks[static_cast<std::size_t>(k)];
    auto res = client_for(*servers[static_cast<std::size_t>(k % 2)])
                   .Post("/api/v1/devices", json{{"code", "BULK-" + std::to_string(k)}}.dump(),
                         "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 201) << res->body;
    const json body = json::parse(res->body);
    kiosk.id = body.at("device_id");
    kiosk.token = body.at("token");
    Digest previous = kZeroDigest;
    for (std::uint64_t seq = 1; seq <= kBulkScans; ++seq) {
      Scan scan;
      scan.device_id = kiosk.id;
      scan.sequence = seq;
      scan.attendee_id = "A1";
      scan.badge_serial = "SER-A1";
      scan.badge_payload = *payload;
      scan.session_id = "S1";
      scan.kind = seq % 2 == 1 ? ScanKind::arrive : ScanKind::leave;
      scan.wall_time = session.start + std::chrono::seconds(seq);
      scan.monotonic_ms = static_cast<std::int64_t>(seq) * 1000;
      seal(scan, previous);
      previous = scan.hash;
      kiosk.chain.push_back(std::move(scan));
    }
  }

  std::mutex failures_mutex;
  std::vector<std::string> failures;
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int k = 0; k < kBulkKiosks; ++k) {
    for (std::size_t s = 0; s < 2; ++s) {
      threads.emplace_back([&, k, s] {
        const Kiosk& kiosk = kiosks[static_cast<std::size_t>(k)];
        std::array<httplib::Client, 2> clients{client_for(*servers[0]), client_for(*servers[1])};
        const httplib::Headers auth{{"Authorization", "Bearer " + kiosk.token}};
        std::uint64_t from = 1;
        for (std::size_t push = 0; from <= kBulkScans; ++push) {
          if (std::chrono::steady_clock::now() - started > kDeadline || push == 2000) {
            std::lock_guard lock(failures_mutex);
            failures.push_back(kiosk.id + ": deadline passed at sequence " + std::to_string(from));
            return;
          }
          const std::uint64_t to = std::min(kBulkScans, from + kBulkBatch - 1);
          const std::span<const Scan> window(kiosk.chain.data() + from - 1, to - from + 1);
          // The two senders of a kiosk push the same window to different instances.
          auto res = clients[(push + s) % 2].Post("/api/v1/devices/" + kiosk.id + "/scans", auth,
                                                  scan_batch_to_json(window), "application/json");
          if (!res || (res->status != 200 && res->status != 409 && res->status != 503)) {
            std::lock_guard lock(failures_mutex);
            failures.push_back(kiosk.id + ": unexpected answer " +
                               (res ? std::to_string(res->status) + " " + res->body : "none"));
            return;
          }
          const json body = json::parse(res->body, nullptr, false);
          const std::uint64_t acked = body.is_object() ? body.value("acked_through", 0ULL) : 0ULL;
          if (res->status == 200 && acked < to) {
            std::lock_guard lock(failures_mutex);
            failures.push_back(kiosk.id + ": 200 but acked only " + std::to_string(acked));
            return;
          }
          from = std::max(from, acked + 1);
          if (res->status != 200) std::this_thread::sleep_for(5ms);
        }
      });
    }
  }
  for (auto& thread : threads)
    thread.join();
  ASSERT_TRUE(failures.empty()) << failures.front();

  auto count = (*store)->scan_count();
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, kBulkKiosks * kBulkScans);
  for (const auto& kiosk : kiosks) {
    auto stored = (*store)->scans_for_device(kiosk.id);
    ASSERT_TRUE(stored.ok()) << stored.message();
    ASSERT_EQ(stored->size(), kBulkScans);
    EXPECT_FALSE(verify_device_chain(kiosk.id, *stored).has_value());
    for (std::size_t i = 0; i < stored->size(); ++i) {
      EXPECT_EQ((*stored)[i].hash, kiosk.chain[i].hash) << kiosk.id << " #" << i + 1;
    }
  }
  std::uint64_t stored_total = 0;
  for (auto* server : servers) {
    auto res = client_for(*server).Get("/metrics");
    ASSERT_TRUE(res);
    std::istringstream lines(res->body);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("muster_scans_stored_total ", 0) == 0) {
        stored_total += std::stoull(line.substr(line.find(' ') + 1));
      }
    }
  }
  EXPECT_EQ(stored_total, kBulkKiosks * kBulkScans);
  for (auto* server : servers)
    server->stop();
  store->reset();
  test::drop_postgres_database(*base_url, created.name);
}

} // namespace
} // namespace muster::server
