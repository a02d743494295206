// The registration desk (kiosk/app/desk.hpp) without a window: check-in, refusals, staff
// check-in by name, reprints signed by the desk's certified key, and the headless JSON.
#include "kiosk/app/desk.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "kiosk/app/checkin.hpp"
#include "kiosk/app/kiosk_settings.hpp"
#include "kiosk/app/package_import.hpp"
#include "shared/badge.hpp"
#include "shared/event_package.hpp"
#include "shared/import.hpp"
#include "shared/kiosk_store.hpp"
#include "shared/time.hpp"
#include "tests/support/test_support.hpp"

namespace muster::kiosk {
namespace {

using std::chrono::milliseconds;

Instant at(const char* iso) {
  const auto instant = parse_iso8601(iso);
  if (!instant) throw std::runtime_error(std::string("bad instant in test: ") + iso);
  return *instant;
}

SigningKey make_key(const char* id) {
  auto key = SigningKey::generate(id);
  if (!key) throw std::runtime_error(key.message());
  return std::move(*key);
}

RawScan scan(const std::string& payload, const char* iso) {
  const Instant instant = at(iso);
  return RawScan{payload, ScanSource::wedge, instant, instant.time_since_epoch()};
}

// The demo event (assets/demo/event.json, America/Chicago, sessions on 2026-12-03) and roster,
// packaged and signed by a test League key, imported into kiosk stores like a USB stick would.
class DeskTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto event =
        read_event_json(std::filesystem::path(MUSTER_SOURCE_DIR) / "assets/demo/event.json");
    ASSERT_TRUE(event) << event.message();
    auto roster =
        read_roster_csv(std::filesystem::path(MUSTER_SOURCE_DIR) / "assets/demo/roster.csv");
    ASSERT_TRUE(roster) << roster.message();
    package_.league_id = "LEAGUE";
    package_.cursor = 1;
    package_.event = *event;
    package_.attendees = *roster;
    for (auto& attendee : package_.attendees)
      attendee.email.clear();
    package_.league_keys = {league_key_.public_key()};
    package_.generated_at = at("2026-12-01T12:00:00Z");
    desk_store_ = open_store("desk");
    ASSERT_TRUE(import_package(*desk_store_, sign_package(package_, league_key_)));
    ASSERT_TRUE(desk_store_->set_setting(kSettingDeviceId, "DESK-1"));
  }

  std::optional<KioskStore> open_store(const std::string& name) {
    std::filesystem::create_directories(dir_ / name);
    auto opened = KioskStore::open(dir_ / name / "kiosk.db");
    if (!opened) throw std::runtime_error(opened.message());
    return std::move(*opened);
  }

  // The League certifies the desk's key; a full package with the certificate goes to `store`.
  void certify_desk_into(KioskStore& store, std::uint64_t cursor) {
    auto key = ensure_desk_key(*desk_store_);
    ASSERT_TRUE(key) << key.message();
    auto certificate = certify_device("LEAGUE", key->public_key(), std::nullopt, league_key_);
    ASSERT_TRUE(certificate) << certificate.message();
    package_.device_certificates = {*certificate};
    package_.cursor = cursor;
    auto imported = import_package(store, sign_package(package_, league_key_));
    ASSERT_TRUE(imported) << imported.message();
    EXPECT_EQ(imported->device_certificates, 1u);
  }

  Desk open_desk() {
    DeskOptions options;
    options.print_dir = dir_ / "reprints";
    options.printer = ""; // no printer: files only
    auto desk = Desk::open(*desk_store_, options);
    if (!desk) throw std::runtime_error(desk.message());
    return std::move(*desk);
  }

  std::string badge(const std::string& attendee, const std::string& serial) const {
    auto payload = sign_badge({"LEAGUE", attendee, serial}, league_key_);
    if (!payload) throw std::runtime_error(payload.message());
    return *payload;
  }

  test::TempDir dir_;
  SigningKey league_key_ = make_key("LK1");
  EventPackage package_;
  std::optional<KioskStore> desk_store_;
};

TEST_F(DeskTest, ScanChecksInWithGreetingAndTheDaysSessions) {
  auto desk = open_desk();
  const auto outcome = desk.scan(scan(badge("RB-0001", "S-100"), "2026-12-03T08:05:00-06:00"));
  ASSERT_EQ(outcome.result, DeskResult::checked_in) << outcome.detail;
  EXPECT_EQ(outcome.attendee_id, "RB-0001");
  EXPECT_EQ(outcome.display_name, "Loretta Haynes");
  ASSERT_TRUE(outcome.attendee);
  EXPECT_EQ(outcome.attendee->municipality, "City of Riverbend");
  EXPECT_EQ(outcome.checked_in_local, "08:05");
  ASSERT_EQ(outcome.sessions.size(), 6u); // S1..S6, all on 2026-12-03
  EXPECT_EQ(outcome.sessions.front().id, "S1");
  EXPECT_EQ(outcome.sessions.front().room, "Ballroom A");
  ASSERT_TRUE(outcome.recorded);
  EXPECT_EQ(outcome.recorded->kind, ScanKind::checkin);
  EXPECT_TRUE(outcome.recorded->session_id.empty());
  EXPECT_EQ(outcome.recorded->badge_serial, "S-100");
  EXPECT_FALSE(outcome.recorded->badge_payload.empty());
  // Durable: in the store, and a door's Checkin does not count it as an arrival.
  auto stored = desk_store_->scans_for_attendee("RB-0001");
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].kind, ScanKind::checkin);
}

TEST_F(DeskTest, SecondScanSaysAlreadyCheckedInWithoutASecondRecord) {
  auto desk = open_desk();
  const auto payload = badge("RB-0001", "S-100");
  ASSERT_EQ(desk.scan(scan(payload, "2026-12-03T08:05:00-06:00")).result, DeskResult::checked_in);
  const auto again = desk.scan(scan(payload, "2026-12-03T09:40:00-06:00"));
  EXPECT_EQ(again.result, DeskResult::already_checked_in);
  EXPECT_EQ(again.checked_in_local, "08:05");
  EXPECT_FALSE(again.recorded);
  EXPECT_NE(again.detail.find("Already checked in at 08:05"), std::string::npos);
  auto last = desk_store_->last_sequence("DESK-1");
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, 1u);
}

TEST_F(DeskTest, RevokedBadgeIsRefusedWithReason) {
  const std::array<std::string, 1> revoked{"S-100"};
  ASSERT_TRUE(desk_store_->add_revoked_serials(revoked));
  auto desk = open_desk();
  const auto outcome = desk.scan(scan(badge("RB-0001", "S-100"), "2026-12-03T08:05:00-06:00"));
  EXPECT_EQ(outcome.result, DeskResult::rejected);
  EXPECT_EQ(outcome.code, "revoked");
  EXPECT_EQ(outcome.reason, "revoked badge");
  EXPECT_EQ(outcome.display_name, "Loretta Haynes"); // staff see whose badge it was
  auto last = desk_store_->last_sequence("DESK-1");
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, 0u);
}

TEST_F(DeskTest, GenuineBadgeOfSomeoneNotInTheRosterIsNotFound) {
  auto desk = open_desk();
  const auto outcome = desk.scan(scan(badge("ZZ-9999", "S-999"), "2026-12-03T08:05:00-06:00"));
  EXPECT_EQ(outcome.result, DeskResult::rejected);
  EXPECT_EQ(outcome.code, "not_found");
  EXPECT_EQ(outcome.reason, "not found: see staff");
  auto last = desk_store_->last_sequence("DESK-1");
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, 0u);
}

TEST_F(DeskTest, ForgedBadgeIsRefused) {
  auto desk = open_desk();
  auto other = make_key("LK1"); // same id, other bytes: a forgery
  auto forged = sign_badge({"LEAGUE", "RB-0001", "S-100"}, other);
  ASSERT_TRUE(forged);
  const auto outcome = desk.scan(scan(*forged, "2026-12-03T08:05:00-06:00"));
  EXPECT_EQ(outcome.result, DeskResult::rejected);
  EXPECT_EQ(outcome.code, "forged");
}

TEST_F(DeskTest, StaffFindByNameAndCheckInWithoutBadge) {
  auto desk = open_desk();
  auto found = desk.search("hayn");
  ASSERT_TRUE(found);
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].id, "RB-0001");
  // Staff and reason are required.
  EXPECT_EQ(desk.check_in_by_staff("RB-0001", "", "forgot badge", at("2026-12-03T08:10:00-06:00"),
                                   milliseconds{1})
                .result,
            DeskResult::rejected);
  const auto outcome = desk.check_in_by_staff("RB-0001", "ANNA", "left badge at home",
                                              at("2026-12-03T08:10:00-06:00"), milliseconds{2});
  ASSERT_EQ(outcome.result, DeskResult::checked_in) << outcome.detail;
  ASSERT_TRUE(outcome.recorded);
  EXPECT_EQ(outcome.recorded->kind, ScanKind::checkin);
  EXPECT_EQ(outcome.recorded->staff_id, "ANNA");
  EXPECT_EQ(outcome.recorded->reason, "left badge at home");
  EXPECT_TRUE(outcome.recorded->badge_payload.empty());
  EXPECT_TRUE(outcome.recorded->session_id.empty());
  // Then the badge at the desk: already checked in at 08:10.
  const auto scanned = desk.scan(scan(badge("RB-0001", "S-100"), "2026-12-03T08:30:00-06:00"));
  EXPECT_EQ(scanned.result, DeskResult::already_checked_in);
  EXPECT_EQ(scanned.checked_in_local, "08:10");
}

TEST_F(DeskTest, ReprintIsRefusedWithoutACertifiedDeskKey) {
  auto desk = open_desk();
  // No key at all yet.
  auto refused = desk.reprint("RB-0001", "ANNA", "lost badge", at("2026-12-03T08:10:00-06:00"),
                              milliseconds{1}, "S-100");
  EXPECT_FALSE(refused.ok);
  EXPECT_NE(refused.message.find("desk-key"), std::string::npos) << refused.message;
  // A key the League has not certified.
  ASSERT_TRUE(ensure_desk_key(*desk_store_));
  EXPECT_FALSE(desk.can_reprint(at("2026-12-03T08:10:00-06:00")));
  refused = desk.reprint("RB-0001", "ANNA", "lost badge", at("2026-12-03T08:10:00-06:00"),
                         milliseconds{1}, "S-100");
  EXPECT_FALSE(refused.ok);
  EXPECT_NE(refused.message.find("not certified"), std::string::npos) << refused.message;
  // Nothing recorded, nothing revoked.
  auto last = desk_store_->last_sequence("DESK-1");
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, 0u);
  auto revoked = desk_store_->is_revoked("S-100");
  ASSERT_TRUE(revoked);
  EXPECT_FALSE(*revoked);
  // The certificate arrives with a later package (a background sync): the same open Desk
  // reprints now.
  certify_desk_into(*desk_store_, 2);
  EXPECT_TRUE(desk.can_reprint(at("2026-12-03T08:11:00-06:00")));
  const auto done = desk.reprint("RB-0001", "ANNA", "lost badge", at("2026-12-03T08:12:00-06:00"),
                                 milliseconds{2}, "S-100");
  EXPECT_TRUE(done.ok) << done.message;
}

TEST_F(DeskTest, DeskKeyIsMadeOnceAndKept) {
  auto first = ensure_desk_key(*desk_store_);
  ASSERT_TRUE(first);
  auto second = ensure_desk_key(*desk_store_);
  ASSERT_TRUE(second);
  EXPECT_EQ(first->public_key(), second->public_key());
  EXPECT_EQ(first->key_id(), "DESK-DESK-1");
}

TEST_F(DeskTest, ReprintRevokesTheOldBadgeAtOnceAndTheNewOneVerifiesOnASecondKiosk) {
  certify_desk_into(*desk_store_, 2);
  auto desk = open_desk();
  ASSERT_TRUE(desk.can_reprint(at("2026-12-03T08:10:00-06:00")));
  const auto old_payload = badge("RB-0001", "S-100");
  ASSERT_EQ(desk.scan(scan(old_payload, "2026-12-03T08:05:00-06:00")).result,
            DeskResult::checked_in);

  // The old serial comes from the badge this desk saw.
  const auto reprint = desk.reprint("RB-0001", "ANNA", "lost badge",
                                    at("2026-12-03T10:00:00-06:00"), milliseconds{5});
  ASSERT_TRUE(reprint.ok) << reprint.message;
  EXPECT_EQ(reprint.old_serial, "S-100");
  EXPECT_EQ(reprint.new_serial, "S-100-R1");
  EXPECT_FALSE(reprint.sent_to_printer);
  EXPECT_TRUE(std::filesystem::exists(reprint.image)) << reprint.image;
  EXPECT_GT(std::filesystem::file_size(reprint.image), 1000u);
  EXPECT_NE(reprint.message.find(reprint.image.string()), std::string::npos);
  ASSERT_TRUE(reprint.recorded);
  EXPECT_EQ(reprint.recorded->kind, ScanKind::reprint);
  EXPECT_EQ(reprint.recorded->badge_serial, "S-100-R1");
  EXPECT_EQ(reprint.recorded->badge_payload, reprint.payload);
  EXPECT_EQ(reprint.recorded->staff_id, "ANNA");
  EXPECT_EQ(nlohmann::json::parse(reprint.recorded->details)["old_serial"], "S-100");

  // The old badge is refused at the desk at once; the new one says "already checked in".
  EXPECT_EQ(desk.scan(scan(old_payload, "2026-12-03T10:01:00-06:00")).code, "revoked");
  EXPECT_EQ(desk.scan(scan(reprint.payload, "2026-12-03T10:02:00-06:00")).result,
            DeskResult::already_checked_in);
  // ... and at a door on this same kiosk store.
  {
    auto checkin = Checkin::open(*desk_store_, CheckinOptions{"Ballroom A", {}, false});
    ASSERT_TRUE(checkin) << checkin.message();
    EXPECT_EQ(checkin->accept(scan(old_payload, "2026-12-03T10:16:00-06:00")).code,
              CheckinReason::revoked);
  }

  // A second kiosk (a door) that imported the package with the desk's certificate verifies
  // the reprinted badge offline.
  auto door_store = open_store("door");
  certify_desk_into(*door_store, 3);
  ASSERT_TRUE(door_store->set_setting(kSettingDeviceId, "DOOR-1"));
  auto door = Checkin::open(*door_store, CheckinOptions{"Ballroom A", {}, false});
  ASSERT_TRUE(door) << door.message();
  const auto arrived = door->accept(scan(reprint.payload, "2026-12-03T10:20:00-06:00"));
  EXPECT_EQ(arrived.result, CheckinResult::arrived) << arrived.detail;
  EXPECT_EQ(arrived.attendee_id, "RB-0001");
  // Without the certificate the same badge is unknown there.
  auto bare_store = open_store("bare");
  package_.device_certificates.clear();
  ASSERT_TRUE(import_package(*bare_store, sign_package(package_, league_key_)));
  auto bare = Checkin::open(*bare_store, CheckinOptions{"Ballroom A", {}, false});
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->accept(scan(reprint.payload, "2026-12-03T10:20:00-06:00")).code,
            CheckinReason::unknown_badge);

  // A second reprint continues the numbering and revokes the first reprint.
  const auto again = desk.reprint("RB-0001", "ANNA", "lost again", at("2026-12-03T11:00:00-06:00"),
                                  milliseconds{6});
  ASSERT_TRUE(again.ok) << again.message;
  EXPECT_EQ(again.old_serial, "S-100-R1");
  EXPECT_EQ(again.new_serial, "S-100-R2");
  EXPECT_EQ(desk.scan(scan(reprint.payload, "2026-12-03T11:01:00-06:00")).code, "revoked");
}

TEST_F(DeskTest, ReprintSendsToTheConfiguredPrinter) {
  certify_desk_into(*desk_store_, 2);
  // A stand-in for lp that records its arguments.
  const auto fake_lp = dir_ / "fake-lp";
  const auto log = dir_ / "lp.log";
  test::write_file(fake_lp, "#!/bin/sh\necho \"$@\" > '" + log.string() + "'\n");
  std::filesystem::permissions(fake_lp, std::filesystem::perms::owner_all);
  DeskOptions options;
  options.print_dir = dir_ / "prints";
  options.printer = "FrontDesk";
  options.lp_command = fake_lp.string();
  auto desk = Desk::open(*desk_store_, options);
  ASSERT_TRUE(desk);
  const auto reprint = desk->reprint("RB-0003", "ANNA", "lost badge",
                                     at("2026-12-03T10:00:00-06:00"), milliseconds{5}, "S-300");
  ASSERT_TRUE(reprint.ok) << reprint.message;
  EXPECT_TRUE(reprint.sent_to_printer);
  desk->wait_for_printing(); // lp runs on the print queue's thread
  const auto args = test::read_file(log);
  EXPECT_NE(args.find("-d FrontDesk"), std::string::npos) << args;
  EXPECT_NE(args.find(reprint.image.string()), std::string::npos) << args;
}

// Issue 15: the reprint ran lp on the UI thread; a slow print server froze the window.
TEST_F(DeskTest, ReprintDoesNotWaitForThePrinter) {
  certify_desk_into(*desk_store_, 2);
  const auto slow_lp = dir_ / "slow-lp";
  const auto log = dir_ / "lp.log";
  test::write_file(slow_lp, "#!/bin/sh\nsleep 3\necho printed > '" + log.string() + "'\n");
  std::filesystem::permissions(slow_lp, std::filesystem::perms::owner_all);
  DeskOptions options;
  options.print_dir = dir_ / "prints";
  options.printer = "FrontDesk";
  options.lp_command = slow_lp.string();
  auto desk = Desk::open(*desk_store_, options);
  ASSERT_TRUE(desk);
  const auto started = std::chrono::steady_clock::now();
  const auto reprint = desk->reprint("RB-0003", "ANNA", "lost badge",
                                     at("2026-12-03T10:00:00-06:00"), milliseconds{5}, "S-300");
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(reprint.ok) << reprint.message;
  EXPECT_LT(took, std::chrono::milliseconds(1500)) << "the reprint waited for lp";
  desk->wait_for_printing();
  EXPECT_EQ(test::read_file(log), "printed\n");
  EXPECT_EQ(desk->take_print_failures(), 0);
}

TEST_F(DeskTest, HeadlessDeskJson) {
  auto desk = open_desk();
  std::istringstream in("@2026-12-03T08:05:00-06:00 " + badge("RB-0001", "S-100") + "\n" +
                        "@2026-12-03T08:07:00-06:00 " + badge("RB-0001", "S-100") + "\n" +
                        "not a badge\n");
  std::ostringstream out;
  HeadlessOptions options;
  options.simulated_clock = true;
  EXPECT_EQ(run_desk_headless(desk, in, out, options), 3u);
  std::istringstream lines(out.str());
  std::vector<nlohmann::json> objects;
  for (std::string line; std::getline(lines, line);)
    objects.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(objects.size(), 3u);
  EXPECT_EQ(objects[0]["result"], "checked_in");
  EXPECT_EQ(objects[0]["attendee"], "RB-0001");
  EXPECT_EQ(objects[0]["name"], "Loretta Haynes");
  EXPECT_EQ(objects[0]["checked_in_at"], "2026-12-03T14:05:00Z");
  ASSERT_EQ(objects[0]["sessions"].size(), 6u);
  EXPECT_EQ(objects[0]["sessions"][0]["id"], "S1");
  EXPECT_EQ(objects[0]["sessions"][0]["room"], "Ballroom A");
  EXPECT_EQ(objects[0]["sessions"][0]["start"], "2026-12-03T14:30:00Z");
  EXPECT_FALSE(objects[0].contains("reason"));
  EXPECT_EQ(objects[1]["result"], "already_checked_in");
  EXPECT_EQ(objects[1]["checked_in_at"], "2026-12-03T14:05:00Z");
  EXPECT_EQ(objects[2]["result"], "rejected");
  EXPECT_EQ(objects[2]["reason"], "unknown badge");
  EXPECT_TRUE(objects[2]["attendee"].is_null());
}

} // namespace
} // namespace muster::kiosk
