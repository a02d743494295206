// A restored or cloned kiosk loses nothing (sync/PROTOCOL.md "Branches"): a kiosk store put
// back from a backup taken before its last sync, or copied onto a second kiosk, records new scans
// under sequence numbers the server already holds with other content. The sync client must
// never mark those acknowledged; it continues on a branch of its identity and delivers them.
// The sync client's 409 cases run in-process against the real server on 127.0.0.1; the restore
// and the clone run the real `muster-kiosk headless --simulated-clock` and `sync --once`
// processes and the real `muster-server devices` / `credits`.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/fault/sync_world.hpp"
#include "tests/support/kiosk_doors.hpp"
#include "tests/support/process.hpp"

namespace muster::test {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// The shared runner (tests/support/process.hpp), under the short names these tests use.
std::string quote(const std::string& text) { return quoted(text); }
Ran run(const std::string& command) { return run_shell(command); }

std::string server_binary() {
  return std::string(MUSTER_BINARY_DIR) + "/sync/server/muster-server";
}

sync::SyncReport sync_pass(KioskStore& kiosk, std::size_t batch_size = 500) {
  sync::HttpClient http;
  sync::SyncPassOptions pass;
  pass.measure_clock = false;
  pass.batch_size = batch_size;
  return sync::run_sync_pass(kiosk, http, pass, kiosk::package_applier());
}

// Every scan the kiosk holds as its own (every device id it recorded or continued under) is on
// the server exactly as the kiosk holds it; returns how many.
std::size_t expect_all_on_server(const fs::path& kiosk_db, server::ServerStore& server_store) {
  auto kiosk = KioskStore::open(kiosk_db, {.read_only = true});
  EXPECT_TRUE(kiosk.ok()) << kiosk.message();
  if (!kiosk) return 0;
  auto devices = server_store.devices();
  EXPECT_TRUE(devices.ok());
  std::size_t count = 0;
  for (const auto& device : *devices) {
    auto local = kiosk->scans_after(device.id, 0, 100000);
    EXPECT_TRUE(local.ok());
    if (local->empty()) continue;
    auto remote = server_store.scans_for_device(device.id);
    EXPECT_TRUE(remote.ok());
    for (const Scan& scan : *local) {
      EXPECT_GE(remote->size(), scan.sequence) << device.id << " #" << scan.sequence;
      if (remote->size() < scan.sequence) continue;
      EXPECT_EQ((*remote)[scan.sequence - 1].hash, scan.hash) << device.id << " #" << scan.sequence;
      ++count;
    }
  }
  EXPECT_EQ(*kiosk->unacked_count(), 0U);
  return count;
}

std::size_t server_scan_count(server::ServerStore& store) {
  auto count = store.scan_count();
  EXPECT_TRUE(count.ok());
  return count.ok() ? static_cast<std::size_t>(*count) : 0;
}

std::optional<server::DeviceRecord> server_device(server::ServerStore& store,
                                                  const std::string& id) {
  auto device = store.device(id);
  if (!device) return std::nullopt;
  return *device;
}

// ---- The sync client's 409 cases, in-process against the real server ------------------------

class Sync409 : public ::testing::Test {
protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(world_.setup(8)); }

  Scan record(KioskStore& kiosk, const std::string& attendee, const char* time) {
    return world_.record(kiosk, attendee, "S1", ScanKind::arrive, at(time));
  }

  // Closes the kiosk, copies its files (the "backup" or the clone) and opens it again.
  KioskStore copy_store(std::optional<KioskStore>& kiosk, const std::string& name,
                        const std::string& to) {
    const fs::path from_dir = world_.dir() / name;
    kiosk.reset();
    fs::create_directories(world_.dir() / to);
    for (const auto& entry : fs::directory_iterator(from_dir))
      fs::copy_file(entry.path(), world_.dir() / to / entry.path().filename(),
                    fs::copy_options::overwrite_existing);
    auto reopened = KioskStore::open(from_dir / "kiosk.db");
    EXPECT_TRUE(reopened.ok());
    kiosk.emplace(std::move(reopened.value()));
    auto copy = KioskStore::open(world_.dir() / to / "kiosk.db");
    EXPECT_TRUE(copy.ok());
    return std::move(copy.value());
  }

  SyncWorld world_;
};

TEST_F(Sync409, AGapResendsFromTheServersAcknowledgement) {
  auto kiosk = world_.provision_kiosk("door1");
  ASSERT_TRUE(kiosk);
  const std::string device = SyncWorld::device_id(*kiosk);
  for (const char* t : {"2026-03-02T15:00:00Z", "2026-03-02T15:01:00Z", "2026-03-02T15:02:00Z"})
    record(*kiosk, "A1", t);
  ASSERT_TRUE(sync_pass(*kiosk).ok);
  for (int i = 0; i < 4; ++i)
    record(*kiosk, "A2", "2026-03-02T15:10:00Z");
  // The kiosk believes the server holds through 5 (it lost track); the server holds 3.
  ASSERT_TRUE(kiosk->mark_acked(device, 5, at("2026-03-02T15:20:00Z")).ok());
  const auto report = sync_pass(*kiosk);
  ASSERT_TRUE(report.ok) << (report.error ? report.error->message : "");
  EXPECT_EQ(report.batches, 2U); // refused as a gap, then resent from 4
  EXPECT_TRUE(report.branched_to.empty());
  world_.expect_server_holds_exactly(*kiosk);
}

TEST_F(Sync409, TheSameBadSequenceTwiceStopsWithTheMessageAndMarksNothing) {
  auto kiosk = world_.provision_kiosk("door1");
  ASSERT_TRUE(kiosk);
  const std::string device = SyncWorld::device_id(*kiosk);
  for (const char* t : {"2026-03-02T15:00:00Z", "2026-03-02T15:01:00Z", "2026-03-02T15:02:00Z"})
    record(*kiosk, "A1", t);
  ASSERT_TRUE(sync_pass(*kiosk).ok);
  // Another store under the same identity whose first three scans differ but are marked as
  // acknowledged (a store that lies about what the server holds): its scan 4 cannot continue
  // the server's chain, and no branch can be asked for below what the kiosk calls acknowledged.
  fs::create_directories(world_.dir() / "liar");
  auto liar = KioskStore::open(world_.dir() / "liar" / "kiosk.db");
  ASSERT_TRUE(liar.ok());
  for (const auto key : {sync::kSettingServerUrl, sync::kSettingDeviceToken,
                         sync::kSettingSyncDeviceId, sync::kSettingEventId}) {
    ASSERT_TRUE(liar->set_setting(key, kiosk::setting_or(*kiosk, key, "")).ok());
  }
  for (const char* t : {"2026-03-02T16:00:00Z", "2026-03-02T16:01:00Z", "2026-03-02T16:02:00Z",
                        "2026-03-02T16:03:00Z"}) {
    record(*liar, "A3", t);
  }
  ASSERT_TRUE(liar->mark_acked(device, 3, at("2026-03-02T16:05:00Z")).ok());
  const auto report = sync_pass(*liar);
  ASSERT_FALSE(report.ok);
  ASSERT_TRUE(report.error);
  EXPECT_EQ(report.error->code, sync::SyncError::chain_mismatch);
  EXPECT_NE(report.error->message.find("records do not match the server (sequence 4)"),
            std::string::npos)
      << report.error->message;
  EXPECT_EQ(report.batches, 2U);
  EXPECT_EQ(*liar->acked_through(device), 3U);
  EXPECT_EQ(*liar->unacked_count(), 1U);
  EXPECT_EQ(world_.store().devices()->size(), 1U); // no branch
  EXPECT_EQ(server_scan_count(world_.store()), 3U);
}

TEST_F(Sync409, ADivergenceBelowTheHeadContinuesOnABranchAndLosesNothing) {
  auto kiosk = world_.provision_kiosk("door1");
  ASSERT_TRUE(kiosk);
  const std::string device = SyncWorld::device_id(*kiosk);
  record(*kiosk, "A1", "2026-03-02T15:00:00Z");
  record(*kiosk, "A2", "2026-03-02T15:01:00Z");
  ASSERT_TRUE(sync_pass(*kiosk).ok);
  record(*kiosk, "A3", "2026-03-02T15:02:00Z");
  record(*kiosk, "A4", "2026-03-02T15:03:00Z");
  // The backup holds 1..4, of which the server acknowledged 1..2.
  KioskStore backup = copy_store(kiosk, "door1", "backup");
  ASSERT_TRUE(sync_pass(*kiosk).ok);
  record(*kiosk, "A5", "2026-03-02T15:04:00Z");
  record(*kiosk, "A6", "2026-03-02T15:05:00Z");
  ASSERT_TRUE(sync_pass(*kiosk).ok); // the server holds 1..6
  ASSERT_EQ(server_scan_count(world_.store()), 6U);

  // Restored: 5..7 are other scans than the server's 5..6. Batches of two: the first batch
  // (3, 4) is acknowledged through 6 by the server, which proves nothing about 5 and 6 here.
  record(backup, "A7", "2026-03-02T15:10:00Z");
  record(backup, "A8", "2026-03-02T15:11:00Z");
  record(backup, "A1", "2026-03-02T15:40:00Z");
  const auto report = sync_pass(backup, 2);
  ASSERT_TRUE(report.ok) << (report.error ? report.error->message : "");
  EXPECT_EQ(report.branched_from, device);
  EXPECT_EQ(report.branched_to, device + "-B1");
  EXPECT_EQ(report.branch_diverged_at, 5U);
  EXPECT_EQ(report.branch_moved, 3U);
  EXPECT_EQ(kiosk::setting_or(backup, sync::kSettingSyncDeviceId, ""), device + "-B1");
  EXPECT_NE(kiosk::setting_or(backup, kSettingSyncBranchNote, "").find(device + "-B1"),
            std::string::npos);

  // Both histories, every scan once: 1..6 of the parent, 1..3 of the branch.
  EXPECT_EQ(server_scan_count(world_.store()), 9U);
  EXPECT_EQ(expect_all_on_server(world_.dir() / "door1" / "kiosk.db", world_.store()), 6U);
  kiosk.reset();
  const auto branch = server_device(world_.store(), device + "-B1");
  ASSERT_TRUE(branch);
  EXPECT_EQ(branch->parent_id, device);
  EXPECT_EQ(branch->diverged_at, 5U);
  EXPECT_EQ(server_device(world_.store(), device)->rollbacks, 1U);
  auto moved = world_.store().scans_for_device(device + "-B1");
  ASSERT_TRUE(moved.ok());
  ASSERT_EQ(moved->size(), 3U);
  EXPECT_EQ((*moved)[0].attendee_id, "A7");
  EXPECT_EQ((*moved)[2].wall_time, at("2026-03-02T15:40:00Z"));
  EXPECT_FALSE(verify_device_chain(device + "-B1", *moved).has_value());

  // New scans go to the branch; a re-send changes nothing.
  record(backup, "A2", "2026-03-02T15:50:00Z");
  const auto again = sync_pass(backup);
  ASSERT_TRUE(again.ok) << (again.error ? again.error->message : "");
  EXPECT_TRUE(again.branched_to.empty());
  EXPECT_EQ(server_scan_count(world_.store()), 10U);
  ASSERT_TRUE(backup.mark_acked(device + "-B1", 4, at("2026-03-02T16:00:00Z")).ok());
  const auto resent = sync_pass(backup);
  ASSERT_TRUE(resent.ok);
  EXPECT_EQ(server_scan_count(world_.store()), 10U);
  EXPECT_EQ(world_.store().devices()->size(), 2U);

  // The branch may void a scan of the history it shares with its parent (before #5).
  const auto void_of = [&](std::uint64_t sequence) {
    Scan draft;
    draft.device_id = device; // a window that started before the branch still holds this id
    draft.attendee_id = "A1";
    draft.session_id = "S1";
    draft.kind = ScanKind::correction;
    draft.correction = Correction::void_scan;
    draft.staff_id = "staff-1";
    draft.reason = "scanned twice";
    draft.voids_device_id = device;
    draft.voids_sequence = sequence;
    draft.wall_time = at("2026-03-02T16:10:00Z");
    auto stored = backup.append_scan(draft);
    EXPECT_TRUE(stored.ok()) << stored.message();
    return stored.ok() ? *stored : draft;
  };
  EXPECT_EQ(void_of(1).device_id, device + "-B1");
  ASSERT_TRUE(sync_pass(backup).ok);
  EXPECT_EQ(server_scan_count(world_.store()), 11U);
  // This kiosk's own scan 5 moved: a void naming it names it where it went.
  const Scan moved_void = void_of(5);
  EXPECT_EQ(moved_void.voids_device_id, device + "-B1");
  EXPECT_EQ(moved_void.voids_sequence, 1U);
  ASSERT_TRUE(sync_pass(backup).ok);
  EXPECT_EQ(server_scan_count(world_.store()), 12U);
}

TEST_F(Sync409, ALostBranchAnswerIsAskedAgainAndNamesTheSameBranch) {
  auto kiosk = world_.provision_kiosk("door1");
  ASSERT_TRUE(kiosk);
  const std::string device = SyncWorld::device_id(*kiosk);
  record(*kiosk, "A1", "2026-03-02T15:00:00Z");
  ASSERT_TRUE(sync_pass(*kiosk).ok);
  KioskStore clone = copy_store(kiosk, "door1", "clone");
  record(*kiosk, "A2", "2026-03-02T15:01:00Z");
  ASSERT_TRUE(sync_pass(*kiosk).ok);
  const Scan own = record(clone, "A3", "2026-03-02T15:02:00Z");
  // The clone asked once and its answer was lost (crash before the store commit).
  sync::HttpClient http;
  const std::string token = kiosk::setting_or(clone, sync::kSettingDeviceToken, "");
  const std::string body = json{{"diverged_at", 2}, {"hash", to_hex(own.hash)}}.dump();
  auto first =
      http.post_json(world_.url() + "/api/v1/devices/" + device + "/branches", body, token);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->status, 201) << first->body;
  EXPECT_EQ(json::parse(first->body).at("device_id"), device + "-B1");
  const auto report = sync_pass(clone);
  ASSERT_TRUE(report.ok) << (report.error ? report.error->message : "");
  EXPECT_EQ(report.branched_to, device + "-B1");
  EXPECT_EQ(world_.store().devices()->size(), 2U);
  EXPECT_EQ(server_device(world_.store(), device)->rollbacks, 1U);
  EXPECT_EQ(server_scan_count(world_.store()), 3U);
  // The token of the lost answer no longer works; the kiosk's does.
  const std::string lost = json::parse(first->body).at("token");
  auto old_token = http.get(world_.url() + "/api/v1/events/EV1/package", lost);
  ASSERT_TRUE(old_token.ok());
  EXPECT_EQ(old_token->status, 401);
}

TEST_F(Sync409, TheBranchEndpointChecksWhatItIsAsked) {
  auto kiosk = world_.provision_kiosk("door1");
  auto other = world_.provision_kiosk("door2");
  ASSERT_TRUE(kiosk && other);
  const std::string device = SyncWorld::device_id(*kiosk);
  const Scan first = record(*kiosk, "A1", "2026-03-02T15:00:00Z");
  record(*kiosk, "A2", "2026-03-02T15:01:00Z");
  ASSERT_TRUE(sync_pass(*kiosk).ok);
  const std::string token = kiosk::setting_or(*kiosk, sync::kSettingDeviceToken, "");
  const std::string url = world_.url() + "/api/v1/devices/" + device + "/branches";
  sync::HttpClient http;
  const auto post = [&](const json& body, const std::string& with) {
    auto response = http.post_json(url, body.dump(), with);
    EXPECT_TRUE(response.ok());
    return response.ok() ? *response : sync::HttpResponse{};
  };
  const std::string a(64, 'a');
  const std::string b(64, 'b');
  EXPECT_EQ(post({{"diverged_at", 2}, {"hash", a}}, "").status, 401);
  EXPECT_EQ(post({{"diverged_at", 2}, {"hash", a}},
                 kiosk::setting_or(*other, sync::kSettingDeviceToken, ""))
                .status,
            403);
  EXPECT_EQ(post({{"hash", a}}, token).status, 400);
  EXPECT_EQ(post({{"diverged_at", 0}, {"hash", a}}, token).status, 400);
  EXPECT_EQ(post({{"diverged_at", 1}, {"hash", "xyz"}}, token).status, 400);
  // Nothing diverged: beyond what the server holds, or the very scan it holds.
  EXPECT_EQ(post({{"diverged_at", 3}, {"hash", a}}, token).status, 409);
  EXPECT_EQ(post({{"diverged_at", 1}, {"hash", to_hex(first.hash)}}, token).status, 409);
  EXPECT_EQ(world_.store().devices()->size(), 2U);
  // Two clones diverging differently get two branches; the same request again, the same one.
  const auto one = post({{"diverged_at", 2}, {"hash", a}}, token);
  EXPECT_EQ(one.status, 201);
  const auto two = post({{"diverged_at", 2}, {"hash", b}}, token);
  EXPECT_EQ(two.status, 201);
  const auto repeat = post({{"diverged_at", 2}, {"hash", a}}, token);
  EXPECT_EQ(repeat.status, 200);
  EXPECT_EQ(json::parse(one.body).at("device_id"), device + "-B1");
  EXPECT_EQ(json::parse(two.body).at("device_id"), device + "-B2");
  EXPECT_EQ(json::parse(repeat.body).at("device_id"), device + "-B1");
  EXPECT_EQ(json::parse(one.body).at("parent_device_id"), device);
  EXPECT_EQ(server_device(world_.store(), device)->rollbacks, 2U);
  EXPECT_EQ(server_device(world_.store(), device + "-B2")->name, "door1");
  auto metrics = http.get(world_.url() + "/metrics", "");
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(metrics->body.find("muster_device_rollbacks_total 2"), std::string::npos);
  EXPECT_NE(
      metrics->body.find("muster_device_rollbacks{device=\"" + device + "\",name=\"door1\"} 2"),
      std::string::npos)
      << metrics->body;
}

// ---- Real kiosk processes: a restore from a backup, and a cloned store -----------------------

class RestoredKiosk : public ::testing::Test {
protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(world_.setup(6)); }

  fs::path door(const std::string& name) { return doors_.door(name); }

  void provision(const std::string& name) {
    const std::string code = "DOOR-CODE-" + name;
    auto added = world_.store().add_provisioning_code(
        server::hash_secret(code), SyncWorld::kEvent, "Hall door " + name,
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()) +
            std::chrono::hours{1});
    ASSERT_TRUE(added.ok()) << added.message();
    const Ran ran = doors_.provision(name, world_.url(), code);
    ASSERT_EQ(ran.exit_code, 0) << ran.out;
  }

  // Scans at the door: (UTC time, attendee) through headless --simulated-clock.
  std::vector<json> scan(const std::string& name,
                         const std::vector<std::pair<std::string, std::string>>& scans) {
    return doors_.scan(name, scans);
  }

  Ran sync(const std::string& name) {
    Ran ran = doors_.sync(name);
    EXPECT_EQ(ran.exit_code, 0) << ran.out;
    return ran;
  }

  // A copy of the kiosk's data folder while no kiosk process runs (a backup, or a cloned card).
  void copy_door(const std::string& from, const std::string& to) {
    fs::remove_all(door(to));
    fs::copy(door(from), door(to), fs::copy_options::recursive);
  }

  Ran server(const std::string& args) {
    return run(server_binary() + " " + args + " --db " + quote(world_.database()));
  }

  std::string device_of(const std::string& name) {
    auto kiosk = KioskStore::open(door(name) / "kiosk.db", {.read_only = true});
    EXPECT_TRUE(kiosk.ok()) << kiosk.message();
    return kiosk ? kiosk::setting_or(*kiosk, sync::kSettingSyncDeviceId, "") : "";
  }

  SyncWorld world_;
  KioskDoors doors_{world_.dir(), [this](const std::string& a) { return world_.payload(a); }};
};

TEST_F(RestoredKiosk, ARestoreFromABackupBeforeTheLastSyncLosesNothing) {
  ASSERT_NO_FATAL_FAILURE(provision("1"));
  const std::string device = device_of("1");
  scan("1", {{"2026-03-02T15:00:00Z", "A1"}, {"2026-03-02T15:05:00Z", "A2"}});
  sync("1");
  copy_door("1", "backup");
  scan("1", {{"2026-03-02T15:10:00Z", "A3"}, {"2026-03-02T15:20:00Z", "A4"}});
  sync("1");
  ASSERT_EQ(server_scan_count(world_.store()), 4U);

  // The SD card is restored from the backup: the kiosk knows nothing of 3 and 4.
  copy_door("backup", "1");
  const auto after = scan("1", {{"2026-03-02T15:30:00Z", "A5"}, {"2026-03-02T15:50:00Z", "A1"}});
  ASSERT_EQ(after.size(), 2U);
  EXPECT_EQ(after[1].at("result"), "left");
  const Ran synced = sync("1");
  EXPECT_NE(synced.out.find("continue as device " + device + "-B1"), std::string::npos)
      << synced.out;
  EXPECT_NE(synced.out.find("all scans acknowledged"), std::string::npos) << synced.out;
  EXPECT_EQ(device_of("1"), device + "-B1");

  // Every scan of both histories, exactly once.
  EXPECT_EQ(server_scan_count(world_.store()), 6U);
  EXPECT_EQ(world_.store().scans_for_device(device)->size(), 4U);
  EXPECT_EQ(world_.store().scans_for_device(device + "-B1")->size(), 2U);
  EXPECT_EQ(expect_all_on_server(door("1") / "kiosk.db", world_.store()), 4U); // 1, 2 + B1's 2

  // The server says so: devices, and the metric.
  const Ran devices = server("devices");
  ASSERT_EQ(devices.exit_code, 0) << devices.out;
  EXPECT_NE(devices.out.find("rolled back 1 time"), std::string::npos) << devices.out;
  EXPECT_NE(devices.out.find("continues as " + device + "-B1"), std::string::npos) << devices.out;
  EXPECT_NE(devices.out.find("branch of " + device + " from #3"), std::string::npos) << devices.out;
  const Ran devices_json = server("devices --format json");
  ASSERT_EQ(devices_json.exit_code, 0) << devices_json.out;
  const json listed = json::parse(devices_json.out);
  ASSERT_EQ(listed.size(), 2U);
  EXPECT_EQ(listed[0].at("rollbacks"), 1);
  EXPECT_EQ(listed[1].at("parent_device_id"), device);
  sync::HttpClient http;
  auto metrics = http.get(world_.url() + "/metrics", "");
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(metrics->body.find("muster_device_rollbacks{device=\"" + device + "\""),
            std::string::npos)
      << metrics->body;
  // Staff mode reads this note (kiosk/app/kiosk_app.cpp).
  {
    auto kiosk = KioskStore::open(door("1") / "kiosk.db", {.read_only = true});
    ASSERT_TRUE(kiosk.ok());
    EXPECT_NE(kiosk::setting_or(*kiosk, kSettingSyncBranchNote, "")
                  .find("restored from a backup or cloned: continues as branch " + device + "-B1"),
              std::string::npos);
  }

  // Both histories count in credit: A1 arrived on the parent, left on the branch (15:00-15:50
  // of 2 h: 50 min -> 0.75 h, early); A4 (the lost history) and A5 (the branch) count too.
  const Ran credits = server("credits --event EV1 --format json");
  ASSERT_EQ(credits.exit_code, 0) << credits.out;
  std::map<std::pair<std::string, std::string>, json> rows;
  const json credit_doc = json::parse(credits.out);
  for (const auto& person : credit_doc.at("attendees")) {
    for (const auto& session : person.at("sessions"))
      rows[{person.at("attendee_id").get<std::string>(),
            session.at("session_id").get<std::string>()}] = session;
  }
  const auto row = [&](const char* attendee) {
    const auto found = rows.find({attendee, "S1"});
    EXPECT_NE(found, rows.end()) << attendee << " has no S1 row: " << credits.out;
    return found == rows.end() ? json{{"credit_hours", -1.0}, {"early_leave", false}}
                               : found->second;
  };
  EXPECT_DOUBLE_EQ(row("A1").at("credit_hours").get<double>(), 0.75) << credits.out;
  EXPECT_EQ(row("A1").at("early_leave"), true);
  EXPECT_DOUBLE_EQ(row("A4").at("credit_hours").get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(row("A5").at("credit_hours").get<double>(), 1.5);
  const Ran review = server("review --event EV1");
  EXPECT_EQ(review.exit_code, 0) << review.out;

  // A second sync changes nothing.
  const Ran again = sync("1");
  EXPECT_EQ(again.out.find("continue as device"), std::string::npos) << again.out;
  EXPECT_EQ(server_scan_count(world_.store()), 6U);
  const Ran devices_again = server("devices");
  EXPECT_NE(devices_again.out.find("rolled back 1 time"), std::string::npos) << devices_again.out;
  EXPECT_EQ(devices_again.out.find("-B2"), std::string::npos) << devices_again.out;
  EXPECT_EQ(world_.store().devices()->size(), 2U);
  EXPECT_EQ(server_device(world_.store(), device)->rollbacks, 1U);

  // The restored door learned its lost history from the server as another door's scans: A3,
  // who arrived there at 15:10, is leaving now.
  const auto leaving = scan("1", {{"2026-03-02T16:00:00Z", "A3"}});
  ASSERT_EQ(leaving.size(), 1U);
  EXPECT_EQ(leaving[0].at("result"), "left") << leaving[0].dump();
}

TEST_F(RestoredKiosk, ACloneOnTwoMoreKiosksDeliversEverythingEachOnItsOwnBranch) {
  ASSERT_NO_FATAL_FAILURE(provision("1"));
  const std::string device = device_of("1");
  scan("1", {{"2026-03-02T15:00:00Z", "A1"}});
  sync("1");
  copy_door("1", "2");
  copy_door("1", "3");
  scan("1", {{"2026-03-02T15:05:00Z", "A2"}});
  scan("2", {{"2026-03-02T15:06:00Z", "A3"}});
  scan("3", {{"2026-03-02T15:07:00Z", "A4"}});
  sync("1");
  sync("2");
  sync("3");
  scan("1", {{"2026-03-02T15:10:00Z", "A5"}});
  scan("2", {{"2026-03-02T15:11:00Z", "A6"}});
  scan("3", {{"2026-03-02T15:40:00Z", "A1"}});
  for (const char* name : {"1", "2", "3"})
    sync(name);

  const std::set<std::string> identities{device_of("1"), device_of("2"), device_of("3")};
  EXPECT_EQ(identities, (std::set<std::string>{device, device + "-B1", device + "-B2"}));
  EXPECT_EQ(server_scan_count(world_.store()), 7U);
  std::size_t held = 0;
  for (const char* name : {"1", "2", "3"})
    held += expect_all_on_server(door(name) / "kiosk.db", world_.store());
  EXPECT_EQ(held, 9U); // A1's first scan is held by all three kiosks
  EXPECT_EQ(server_device(world_.store(), device)->rollbacks, 2U);
  // A second round changes nothing.
  for (const char* name : {"1", "2", "3"})
    sync(name);
  EXPECT_EQ(server_scan_count(world_.store()), 7U);
  EXPECT_EQ(world_.store().devices()->size(), 3U);
}

} // namespace
} // namespace muster::test
