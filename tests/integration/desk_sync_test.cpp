// The registration desk end to end with the real server (HttpServer over SQLite) and the real
// sync client: certify-desk, packages to a desk and a door kiosk, check-in and a reprint at the
// desk, sync; the server revokes the old serial and records the new badge, the door's next
// package delta revokes the old serial, and the reprinted badge's arrival at the door is
// accepted by the server.
#include <gtest/gtest.h>

#include <libpq-fe.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <utility>

#include "kiosk/app/checkin.hpp"
#include "kiosk/app/desk.hpp"
#include "sync/server/credit_commands.hpp"
#include "tests/fault/sync_world.hpp"

namespace muster::test {
namespace {

kiosk::RawScan scan_at(const std::string& payload, const char* iso) {
  const Instant instant = at(iso);
  return kiosk::RawScan{payload, kiosk::ScanSource::wedge, instant, instant.time_since_epoch()};
}

sync::SyncReport sync_now(KioskStore& kiosk) {
  sync::HttpClient http;
  sync::SyncPassOptions pass;
  pass.measure_clock = false;
  return sync::run_sync_pass(kiosk, http, pass, kiosk::package_applier());
}

void reprint_end_to_end(std::string database) {
  SyncWorld world;
  world.setup(4, std::move(database));
  // A1's badge as the League issued it (serial SER1, see SyncWorld).
  auto key = parse_signing_key(read_file(world.dir() / "league.key")
                                   .substr(0, read_file(world.dir() / "league.key").find('\n')));
  ASSERT_TRUE(key.ok()) << key.message();
  auto old_payload = sign_badge({SyncWorld::kLeague, "A1", "SER1"}, *key);
  ASSERT_TRUE(old_payload.ok());
  ASSERT_TRUE(world.store()
                  .add_badge({"SER1", "A1", SyncWorld::kEvent, "K1", *old_payload,
                              at("2026-02-01T00:00:00Z"), std::nullopt})
                  .ok());

  auto desk_store = world.provision_kiosk("desk");
  ASSERT_TRUE(desk_store);
  auto door_store = world.provision_kiosk("door");
  ASSERT_TRUE(door_store);

  // The desk makes its key; the League certifies it with the real command.
  auto desk_key = kiosk::ensure_desk_key(*desk_store);
  ASSERT_TRUE(desk_key.ok()) << desk_key.message();
  {
    server::CertifyDeskOptions certify;
    certify.database = world.database();
    certify.league_key = world.dir() / "league.key";
    certify.public_key = to_text(desk_key->public_key());
    certify.device_name = "Registration desk";
    std::ostringstream out;
    std::ostringstream err;
    ASSERT_EQ(server::run_certify_desk(certify, out, err), 0) << err.str();
    EXPECT_NE(out.str().find("MUC1."), std::string::npos) << out.str();
  }
  auto certificates = world.store().device_certificates();
  ASSERT_TRUE(certificates.ok());
  ASSERT_EQ(certificates->size(), 1u);
  EXPECT_EQ((*certificates)[0].key_id, desk_key->key_id());
  // The file package carries it too.
  auto file_package =
      server::build_event_package(world.store(), SyncWorld::kEvent, 0, at("2026-03-01T00:00:00Z"));
  ASSERT_TRUE(file_package.ok()) << file_package.message();
  ASSERT_EQ(file_package->device_certificates.size(), 1u);
  EXPECT_EQ(file_package->device_certificates[0].device_key, desk_key->public_key());

  // Both kiosks learn the certificate from their next package delta (HTTP).
  ASSERT_TRUE(sync_now(*desk_store).ok);
  ASSERT_TRUE(sync_now(*door_store).ok);
  EXPECT_NE(kiosk::setting_or(*door_store, kiosk::kSettingDeviceCertificates, "").find("MUC1."),
            std::string::npos);

  // At the desk: check-in, then the lost badge is reprinted.
  std::string new_payload;
  {
    kiosk::DeskOptions options;
    options.print_dir = world.dir() / "reprints";
    options.printer = "";
    auto desk = kiosk::Desk::open(*desk_store, options);
    ASSERT_TRUE(desk.ok()) << desk.message();
    const auto checked = desk->scan(scan_at(*old_payload, "2026-03-02T14:40:00Z"));
    ASSERT_EQ(checked.result, kiosk::DeskResult::checked_in) << checked.detail;
    const auto reprint = desk->reprint("A1", "STAFF-1", "lost badge", at("2026-03-02T14:50:00Z"),
                                       std::chrono::milliseconds{10});
    ASSERT_TRUE(reprint.ok) << reprint.message;
    EXPECT_EQ(reprint.old_serial, "SER1");
    EXPECT_EQ(reprint.new_serial, "SER1-R1");
    new_payload = reprint.payload;
  }

  // The door has not synced since: it still accepts the old badge, and already verifies the
  // reprinted one offline (the certificate came in the package).
  {
    auto door = kiosk::Checkin::open(*door_store, kiosk::CheckinOptions{"Hall", {}, false});
    ASSERT_TRUE(door.ok()) << door.message();
    const auto arrived = door->accept(scan_at(new_payload, "2026-03-02T15:01:00Z"));
    EXPECT_EQ(arrived.result, kiosk::CheckinResult::arrived) << arrived.detail;
  }

  // The desk syncs: the server accepts the checkin and the reprint (verified with the desk's
  // certificate), revokes SER1 and records SER1-R1.
  const auto desk_report = sync_now(*desk_store);
  ASSERT_TRUE(desk_report.ok) << (desk_report.error ? desk_report.error->message : "");
  EXPECT_EQ(desk_report.queued, 0u);
  world.expect_server_holds_exactly(*desk_store);
  auto old_badge = world.store().badge("SER1");
  ASSERT_TRUE(old_badge.ok());
  ASSERT_TRUE(old_badge->revoked_at.has_value());
  EXPECT_EQ(*old_badge->revoked_at, at("2026-03-02T14:50:00Z"));
  auto new_badge = world.store().badge("SER1-R1");
  ASSERT_TRUE(new_badge.ok()) << new_badge.message();
  EXPECT_EQ(new_badge->attendee_id, "A1");
  EXPECT_EQ(new_badge->payload, new_payload);
  EXPECT_EQ(new_badge->key_id, desk_key->key_id());
  EXPECT_FALSE(new_badge->revoked_at.has_value());

  // The door syncs: its arrival with the new badge is accepted; its package delta revokes SER1.
  const auto door_report = sync_now(*door_store);
  ASSERT_TRUE(door_report.ok) << (door_report.error ? door_report.error->message : "");
  EXPECT_EQ(door_report.queued, 0u);
  world.expect_server_holds_exactly(*door_store);
  auto revoked = door_store->is_revoked("SER1");
  ASSERT_TRUE(revoked.ok());
  EXPECT_TRUE(*revoked);
  {
    auto door = kiosk::Checkin::open(*door_store, kiosk::CheckinOptions{"Hall", {}, false});
    ASSERT_TRUE(door.ok());
    EXPECT_EQ(door->accept(scan_at(*old_payload, "2026-03-02T15:30:00Z")).code,
              kiosk::CheckinReason::revoked);
  }

  // The server's credits count the reprinted badge's arrival, and show the check-in time.
  auto event = world.store().event(SyncWorld::kEvent);
  ASSERT_TRUE(event.ok());
  auto rows = server::compute_credits(world.store(), *event);
  ASSERT_TRUE(rows.ok()) << rows.message();
  bool found = false;
  for (const auto& row : *rows) {
    if (row.attendee.id == "A1" && row.session.id == "S1") {
      found = true;
      EXPECT_GT(row.attendance.credit_hours, 0.0);
      ASSERT_TRUE(row.checked_in_at.has_value());
      EXPECT_EQ(*row.checked_in_at, at("2026-03-02T14:40:00Z"));
    }
  }
  EXPECT_TRUE(found);
  // The credit form shows it ("checked in at"), in the event's time zone (America/Chicago).
  auto form = server::build_credit_form(world.store(), SyncWorld::kEvent, "A1");
  ASSERT_TRUE(form.ok()) << form.message();
  ASSERT_TRUE(form->checked_in_at.has_value());
  EXPECT_EQ(*form->checked_in_at, at("2026-03-02T14:40:00Z"));
  const auto csv = server::credit_form_csv(*form);
  EXPECT_NE(csv.find(",checked_in_at\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",08:40 CST\n"), std::string::npos) << csv;
}

TEST(DeskSync, ReprintAtTheDeskRevokesTheOldBadgeEverywhereAndTheNewOneIsAccepted) {
  reprint_end_to_end("");
}

// The same on a server over PostgreSQL (the name gives it the CTest PostgreSQL fixture).
TEST(DeskSync, ReprintEndToEndOn_postgresql) {
  const auto base = postgres_fixture_url();
  if (!base) GTEST_SKIP() << kNoPostgres;
  const auto database = create_postgres_database(*base, "muster_desk_");
  ASSERT_EQ(database.error, "");
  reprint_end_to_end(database.url);
}

std::string quoted(const std::string& text) {
  std::string out = "'";
  for (const char c : text)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs a command line; returns its exit code and stdout (stderr appended after a marker).
std::pair<int, std::string> run(const std::string& command, const std::string& input = "") {
  TempDir scratch;
  write_file(scratch / "in.txt", input);
  const int status =
      std::system(("timeout 120 " + command + " < " + quoted((scratch / "in.txt").string()) +
                   " > " + quoted((scratch / "out.txt").string()) + " 2>&1")
                      .c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(scratch / "out.txt")};
}

// The offline path with the real programs: desk-key, certify-desk, package, import-package,
// then the desk's headless JSON.
TEST(DeskSync, OfflineDeskKeyCertifyPackageImportAndHeadlessCheckIn) {
  const std::string kiosk = quoted(std::string(MUSTER_BINARY_DIR) + "/kiosk/muster-kiosk");
  const std::string server = quoted(std::string(MUSTER_BINARY_DIR) + "/sync/server/muster-server");
  SyncWorld world;
  world.setup(2);
  const auto data = quoted((world.dir() / "desk").string());
  const auto key_file = quoted((world.dir() / "league.key").string());
  const auto db = quoted(world.database());

  const auto key = run(kiosk + " --data " + data + " desk-key");
  ASSERT_EQ(key.first, 0) << key.second;
  ASSERT_EQ(key.second.rfind("MUPK1.DESK-", 0), 0u) << key.second;
  write_file(world.dir() / "desk.pub", key.second);
  EXPECT_EQ(run(kiosk + " --data " + data + " desk-key").second, key.second); // made once

  const auto certified =
      run(server + " certify-desk --db " + db + " --league-key " + key_file + " --public-key @" +
          quoted((world.dir() / "desk.pub").string()) + " --name 'Registration desk'");
  ASSERT_EQ(certified.first, 0) << certified.second;
  const auto package = quoted((world.dir() / "event.pkg").string());
  const auto packaged = run(server + " package --db " + db + " --league-key " + key_file +
                            " --event EV1 --out " + package);
  ASSERT_EQ(packaged.first, 0) << packaged.second;
  const auto imported = run(kiosk + " --data " + data + " import-package " + package);
  ASSERT_EQ(imported.first, 0) << imported.second;
  EXPECT_NE(imported.second.find("1 device certificates"), std::string::npos) << imported.second;

  auto league_key =
      parse_signing_key(read_file(world.dir() / "league.key")
                            .substr(0, read_file(world.dir() / "league.key").find('\n')));
  ASSERT_TRUE(league_key.ok());
  auto payload = sign_badge({SyncWorld::kLeague, "A1", "SER1"}, *league_key);
  ASSERT_TRUE(payload.ok());
  const auto desk =
      run(kiosk + " --data " + data + " --desk headless --simulated-clock",
          "@2026-03-02T14:40:00Z " + *payload + "\n@2026-03-02T14:45:00Z " + *payload + "\n");
  ASSERT_EQ(desk.first, 0) << desk.second;
  std::istringstream lines(desk.second);
  std::string first;
  std::string second;
  std::getline(lines, first);
  std::getline(lines, second);
  const auto checked = nlohmann::json::parse(first);
  EXPECT_EQ(checked["result"], "checked_in");
  EXPECT_EQ(checked["attendee"], "A1");
  EXPECT_EQ(checked["checked_in_at"], "2026-03-02T14:40:00Z");
  ASSERT_EQ(checked["sessions"].size(), 2u);
  EXPECT_EQ(checked["sessions"][1]["id"], "S2");
  EXPECT_EQ(checked["sessions"][1]["room"], "Hall");
  const auto again = nlohmann::json::parse(second);
  EXPECT_EQ(again["result"], "already_checked_in");
  EXPECT_EQ(again["checked_in_at"], "2026-03-02T14:40:00Z");
}

TEST(DeskSync, AReprintFromAnUncertifiedKeyIsRefusedByTheServer) {
  SyncWorld world;
  world.setup(2);
  auto desk_store = world.provision_kiosk("desk");
  ASSERT_TRUE(desk_store);
  // A rogue kiosk signs a badge with a key the League never certified and records a reprint.
  auto rogue = SigningKey::generate("ROGUE");
  ASSERT_TRUE(rogue.ok());
  auto payload = sign_badge({SyncWorld::kLeague, "A1", "SER1-R1"}, *rogue);
  ASSERT_TRUE(payload.ok());
  Scan draft;
  draft.device_id = SyncWorld::device_id(*desk_store);
  draft.attendee_id = "A1";
  draft.badge_serial = "SER1-R1";
  draft.badge_payload = *payload;
  draft.kind = ScanKind::reprint;
  draft.wall_time = at("2026-03-02T14:50:00Z");
  draft.staff_id = "X";
  draft.reason = "lost";
  draft.details = R"({"old_serial":"SER1"})";
  ASSERT_TRUE(desk_store->append_scan(draft).ok());
  const auto report = sync_now(*desk_store);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.queued, 1u);
  EXPECT_FALSE(world.store().badge("SER1-R1").ok());
}

} // namespace
} // namespace muster::test
