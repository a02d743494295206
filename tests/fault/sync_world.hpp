#pragma once
// Test harness shared by the sync tests (tests/fault and tests/integration/sync_*): a real
// muster-server (HttpServer on 127.0.0.1, port 0) over a real store (a SQLite file, or the
// PostgreSQL fixture), a League key, an event with sessions at fixed times, a roster with signed
// badges, and kiosks provisioned through the real API with the real sync client.
#include <gtest/gtest.h>
#include <sodium.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kiosk/app/kiosk_settings.hpp"
#include "kiosk/app/sync_commands.hpp"
#include "shared/badge.hpp"
#include "shared/kiosk_store.hpp"
#include "shared/sodium_init.hpp"
#include "shared/time.hpp"
#include "sync/client/sync_pass.hpp"
#include "sync/server/admin_commands.hpp"
#include "sync/server/http_api.hpp"
#include "sync/server/server_store.hpp"
#include "tests/support/postgres.hpp" // the PostgreSQL tests of every user of this file
#include "tests/support/test_support.hpp"

namespace muster::test {

inline Instant at(const char* iso) {
  auto parsed = parse_iso8601(iso);
  if (!parsed) throw std::runtime_error(std::string("bad test time ") + iso);
  return *parsed;
}

class SyncWorld {
public:
  static constexpr const char* kLeague = "TL";
  static constexpr const char* kEvent = "EV1";

  // database: "" for a SQLite file in the temp dir.
  void setup(int attendees = 12, std::string database = "") {
    ASSERT_TRUE(muster::sodium_started());
    database_ = database.empty() ? (dir_ / "server.db").string() : std::move(database);
    auto opened = server::open_server_store(database_);
    ASSERT_TRUE(opened.ok()) << opened.message();
    store_ = std::move(opened.value());
    ASSERT_TRUE(store_->initialise({kLeague, "Test League"}).ok());
    auto key = SigningKey::generate("K1");
    ASSERT_TRUE(key.ok());
    key_.emplace(std::move(key.value()));
    ASSERT_TRUE(
        store_
            ->add_league_key({"K1", to_text(key_->public_key()), at("2026-01-01T00:00:00Z"), true})
            .ok());
    write_file(dir_ / "league.key", key_->to_secret_text() + "\n");
    std::filesystem::permissions(dir_ / "league.key", std::filesystem::perms::owner_read |
                                                          std::filesystem::perms::owner_write);
    for (int i = 1; i <= attendees; ++i) {
      const std::string id = "A" + std::to_string(i);
      roster_.push_back(Attendee{id, "First" + std::to_string(i), "Last", Role::councilmember,
                                 "Springfield", id + "@example.org"});
      auto payload = sign_badge({kLeague, id, "SER" + std::to_string(i)}, *key_);
      ASSERT_TRUE(payload.ok());
      payloads_[id] = payload.value();
    }
    ASSERT_TRUE(store_->upsert_roster(roster_).ok());
    event_.id = kEvent;
    event_.name = "Spring Training";
    event_.timezone = "America/Chicago";
    event_.location = "Springfield";
    // Two-hour session S1 (two doors), one-hour S2; 1 credit hour per hour.
    event_.sessions = {session("S1", "2026-03-02T15:00:00Z", "2026-03-02T17:00:00Z", 2.0),
                       session("S2", "2026-03-02T17:30:00Z", "2026-03-02T18:30:00Z", 1.0)};
    auto stored = store_->upsert_event(event_);
    ASSERT_TRUE(stored.ok()) << stored.message();
    server::HttpOptions options;
    options.database = database_;
    options.port = 0;
    options.threads = 4;
    options.league_key_file = dir_ / "league.key";
    options.log_requests = false;
    options.provision_attempts_per_window = 1000;
    auto started = server::HttpServer::start(options);
    ASSERT_TRUE(started.ok()) << started.message();
    server_ = std::move(started.value());
  }

  ~SyncWorld() {
    if (server_) server_->stop();
  }

  [[nodiscard]] std::string url() const {
    return "http://127.0.0.1:" + std::to_string(server_->port());
  }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_.path(); }
  server::ServerStore& store() { return *store_; }
  [[nodiscard]] const Event& event() const { return event_; }
  [[nodiscard]] const std::string& database() const { return database_; }
  // The signed badge payload of attendee "A<n>" (what a scanner types).
  [[nodiscard]] const std::string& payload(const std::string& attendee) const {
    return payloads_.at(attendee);
  }

  // A kiosk store provisioned through the API (at `via`, default the server itself) that has
  // pulled the event package once. Fails the test (returns nothing) when that does not work.
  std::optional<KioskStore> provision_kiosk(const std::string& name, std::string via = "",
                                            sync::PackageApplier apply = kiosk::package_applier()) {
    std::string code = "CODE-" + name; // the server upper-cases codes before hashing them
    for (auto& c : code)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    auto added = store_->add_provisioning_code(server::hash_secret(code), kEvent, name,
                                               now() + std::chrono::hours{1});
    EXPECT_TRUE(added.ok()) << added.message();
    std::filesystem::create_directories(dir_ / name);
    auto store = KioskStore::open(dir_ / name / "kiosk.db");
    EXPECT_TRUE(store.ok()) << store.message();
    if (!store) return std::nullopt;
    sync::HttpClient http;
    auto provisioned = sync::provision_device(http, via.empty() ? url() : via, code, name);
    EXPECT_TRUE(provisioned.ok()) << provisioned.message();
    if (!provisioned) return std::nullopt;
    EXPECT_TRUE(kiosk::set_device_id(*store, provisioned->device_id).ok());
    EXPECT_TRUE(sync::save_provisioning(*store, *provisioned, 0).ok());
    // Point the kiosk at the real server even when provisioned through a proxy.
    EXPECT_TRUE(store->set_setting(sync::kSettingServerUrl, url()).ok());
    sync::SyncPassOptions pass;
    pass.measure_clock = false; // offset 0: tests that need a measured offset measure it
    const auto report = sync::run_sync_pass(*store, http, pass, apply);
    EXPECT_TRUE(report.ok) << (report.error ? report.error->message : "");
    if (!report.ok) return std::nullopt;
    return std::move(store.value());
  }

  // Records a scan on the kiosk the way Checkin does: the device's time and the latest offset.
  Scan record(KioskStore& kiosk, const std::string& attendee, const std::string& session_id,
              ScanKind kind, Instant device_time) {
    Scan draft;
    draft.device_id = device_id(kiosk);
    draft.attendee_id = attendee;
    draft.badge_serial = "SER" + attendee.substr(1);
    draft.badge_payload = payloads_.at(attendee);
    draft.session_id = session_id;
    draft.kind = kind;
    draft.wall_time = device_time;
    draft.monotonic_ms = ++monotonic_;
    draft.clock_offset_ms = kiosk::clock_offset_ms(kiosk);
    auto stored = kiosk.append_scan(draft);
    EXPECT_TRUE(stored.ok()) << stored.message();
    return stored.ok() ? stored.value() : draft;
  }

  static std::string device_id(const KioskStore& kiosk) {
    return kiosk::setting_or(kiosk, sync::kSettingSyncDeviceId, "");
  }

  // Every scan of the device on the server, exactly once, equal to the kiosk's, chain intact.
  void expect_server_holds_exactly(const KioskStore& kiosk) {
    const std::string device = device_id(kiosk);
    auto last = kiosk.last_sequence(device);
    ASSERT_TRUE(last.ok());
    auto local = kiosk.scans_after(device, 0, static_cast<std::size_t>(*last) + 1);
    ASSERT_TRUE(local.ok());
    auto fresh = server::open_server_store(database_);
    ASSERT_TRUE(fresh.ok()) << fresh.message();
    auto remote = (*fresh)->scans_for_device(device);
    ASSERT_TRUE(remote.ok()) << remote.message();
    ASSERT_EQ(remote->size(), local->size()) << "device " << device;
    for (std::size_t i = 0; i < remote->size(); ++i) {
      ASSERT_EQ((*remote)[i].sequence, i + 1);
      ASSERT_EQ((*remote)[i].hash, (*local)[i].hash) << "sequence " << i + 1;
      ASSERT_EQ((*remote)[i].wall_time, (*local)[i].wall_time);
    }
    EXPECT_FALSE(verify_device_chain(device, *remote).has_value());
  }

private:
  static Instant now() {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
  }

  static Session session(const char* id, const char* start, const char* end, double hours) {
    Session s;
    s.id = id;
    s.title = std::string("Session ") + id;
    s.room = "Hall";
    s.start = at(start);
    s.end = at(end);
    s.credit_hours = hours;
    s.course_code = std::string("C-") + id;
    return s;
  }

  TempDir dir_;
  std::string database_;
  std::unique_ptr<server::ServerStore> store_;
  std::optional<SigningKey> key_;
  std::unique_ptr<server::HttpServer> server_;
  std::vector<Attendee> roster_;
  std::map<std::string, std::string> payloads_;
  Event event_;
  std::int64_t monotonic_ = 1000;
};

} // namespace muster::test
