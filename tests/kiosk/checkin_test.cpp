#include "kiosk/app/checkin.hpp"

#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <optional>
#include <string>

#include "kiosk/app/kiosk_settings.hpp"
#include "shared/badge.hpp"
#include "shared/import.hpp"
#include "shared/kiosk_store.hpp"
#include "shared/presence.hpp"
#include "shared/scan_log.hpp"
#include "shared/time.hpp"
#include "tests/support/test_support.hpp"

namespace muster::kiosk {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

Instant at(const char* iso) {
  const auto instant = parse_iso8601(iso);
  if (!instant) throw std::runtime_error(std::string("bad instant in test: ") + iso);
  return *instant;
}

// The demo event (assets/demo/event.json, America/Chicago, 2026-12-03):
//   S1 Ballroom A 08:30-10:00 1.5 h; S2 Ballroom A 10:15-11:45 1.5 h; S3 Room 104 10:15-11:15;
//   S4 Ballroom A 13:00-14:30; S5 Room 104 13:00-14:00; S6 Room 106 14:45-16:15.
// Roster (assets/demo/roster.csv): RB-0001 mayor, RB-0003 clerk, ...
class CheckinTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = KioskStore::open(dir_ / "kiosk.db");
    ASSERT_TRUE(opened) << opened.message();
    store_.emplace(std::move(*opened));
    auto event =
        read_event_json(std::filesystem::path(MUSTER_SOURCE_DIR) / "assets/demo/event.json");
    ASSERT_TRUE(event) << event.message();
    ASSERT_TRUE(store_->replace_event(*event));
    auto roster =
        read_roster_csv(std::filesystem::path(MUSTER_SOURCE_DIR) / "assets/demo/roster.csv");
    ASSERT_TRUE(roster) << roster.message();
    ASSERT_TRUE(store_->upsert_roster(*roster));
    const std::array<PublicKey, 1> keys{league_key_.public_key()};
    ASSERT_TRUE(save_trust(*store_, "LEAGUE", keys, {}));
    ASSERT_TRUE(store_->set_setting(kSettingDeviceId, "DOOR-1"));
  }

  Checkin open_checkin(CheckinOptions options = {}) {
    if (options.room.empty()) options.room = "Ballroom A";
    auto checkin = Checkin::open(*store_, options);
    if (!checkin) throw std::runtime_error(checkin.message());
    return std::move(*checkin);
  }

  static SigningKey make_key(const char* id) {
    auto key = SigningKey::generate(id);
    if (!key) throw std::runtime_error(key.message());
    return std::move(*key);
  }

  std::string badge(const std::string& attendee, const std::string& serial = "") const {
    auto payload =
        sign_badge({"LEAGUE", attendee, serial.empty() ? attendee + "-1" : serial}, league_key_);
    if (!payload) throw std::runtime_error(payload.message());
    return *payload;
  }

  static RawScan scan(const std::string& payload, const char* iso) {
    const Instant instant = at(iso);
    return RawScan{payload, ScanSource::wedge, instant, instant.time_since_epoch()};
  }

  test::TempDir dir_;
  std::optional<KioskStore> store_;
  SigningKey league_key_ = make_key("LK1");
};

TEST_F(CheckinTest, FirstScanArrives) {
  auto checkin = open_checkin();
  const auto outcome = checkin.accept(scan(badge("RB-0001"), "2026-12-03T08:31:00-06:00"));
  EXPECT_EQ(outcome.result, CheckinResult::arrived);
  EXPECT_EQ(outcome.attendee_id, "RB-0001");
  EXPECT_EQ(outcome.display_name, "Loretta Haynes");
  EXPECT_EQ(outcome.session_id, "S1");
  EXPECT_EQ(outcome.local_time, "08:31");
  EXPECT_TRUE(outcome.credit_eligible);
  ASSERT_TRUE(outcome.recorded);
  EXPECT_EQ(outcome.recorded->kind, ScanKind::arrive);
  EXPECT_EQ(outcome.recorded->sequence, 1u);
}

TEST_F(CheckinTest, SecondScanLeavesWithFullCreditNearTheEnd) {
  auto checkin = open_checkin();
  const auto payload = badge("RB-0001");
  ASSERT_EQ(checkin.accept(scan(payload, "2026-12-03T08:32:00-06:00")).result,
            CheckinResult::arrived);
  const auto left = checkin.accept(scan(payload, "2026-12-03T09:55:00-06:00"));
  EXPECT_EQ(left.result, CheckinResult::left);
  EXPECT_EQ(left.session_id, "S1");
  EXPECT_FALSE(left.early);
  EXPECT_DOUBLE_EQ(left.credit_hours, 1.5);
  ASSERT_TRUE(left.recorded);
  EXPECT_EQ(left.recorded->kind, ScanKind::leave);
}

TEST_F(CheckinTest, EarlyLeaveIsFlaggedWithPartialCredit) {
  auto checkin = open_checkin();
  const auto payload = badge("RB-0001");
  ASSERT_EQ(checkin.accept(scan(payload, "2026-12-03T08:30:00-06:00")).result,
            CheckinResult::arrived);
  const auto left = checkin.accept(scan(payload, "2026-12-03T09:00:00-06:00"));
  EXPECT_EQ(left.result, CheckinResult::left);
  EXPECT_TRUE(left.early);
  EXPECT_DOUBLE_EQ(left.credit_hours, 0.5); // 30 of 90 minutes of 1.5 h
}

TEST_F(CheckinTest, ScanAfterLeaveIsReentry) {
  auto checkin = open_checkin();
  const auto payload = badge("RB-0001");
  ASSERT_EQ(checkin.accept(scan(payload, "2026-12-03T08:30:00-06:00")).result,
            CheckinResult::arrived);
  ASSERT_EQ(checkin.accept(scan(payload, "2026-12-03T09:00:00-06:00")).result, CheckinResult::left);
  EXPECT_EQ(checkin.accept(scan(payload, "2026-12-03T09:20:00-06:00")).result,
            CheckinResult::arrived);
  const auto final_leave = checkin.accept(scan(payload, "2026-12-03T09:55:00-06:00"));
  EXPECT_EQ(final_leave.result, CheckinResult::left);
  EXPECT_FALSE(final_leave.early);
  EXPECT_DOUBLE_EQ(final_leave.credit_hours, 1.0); // 70 of 90 minutes = 1.17 h, down to 0.25
}

TEST_F(CheckinTest, RepeatWithinDebounceIsIgnored) {
  auto checkin = open_checkin();
  const auto payload = badge("RB-0001");
  ASSERT_EQ(checkin.accept(scan(payload, "2026-12-03T08:30:00-06:00")).result,
            CheckinResult::arrived);
  const auto repeat = checkin.accept(scan(payload, "2026-12-03T08:30:40-06:00"));
  EXPECT_EQ(repeat.result, CheckinResult::ignored);
  EXPECT_EQ(repeat.code, CheckinReason::duplicate);
  EXPECT_EQ(repeat.reason, "duplicate scan");
  EXPECT_FALSE(repeat.recorded);
  EXPECT_EQ(*store_->last_sequence("DOOR-1"), 1u);
}

TEST_F(CheckinTest, RepeatAfterDebounceIsALeave) {
  auto checkin = open_checkin();
  const auto payload = badge("RB-0001");
  ASSERT_EQ(checkin.accept(scan(payload, "2026-12-03T08:30:00-06:00")).result,
            CheckinResult::arrived);
  EXPECT_EQ(checkin.accept(scan(payload, "2026-12-03T08:31:01-06:00")).result, CheckinResult::left);
}

TEST_F(CheckinTest, ForgedBadgeIsRejected) {
  auto checkin = open_checkin();
  // Someone else's id on a genuine signature.
  auto payload = badge("RB-0002", "RB-0001-1");
  payload.replace(payload.find("RB-0002."), 8, "RB-0001.");
  const auto outcome = checkin.accept(scan(payload, "2026-12-03T08:31:00-06:00"));
  EXPECT_EQ(outcome.result, CheckinResult::rejected);
  EXPECT_EQ(outcome.code, CheckinReason::forged);
  EXPECT_EQ(outcome.reason, "forged badge");
  EXPECT_TRUE(outcome.attendee_id.empty()); // an unverified payload names nobody
  EXPECT_EQ(*store_->last_sequence("DOOR-1"), 0u);
}

TEST_F(CheckinTest, RevokedSerialIsRejected) {
  const std::array<std::string, 1> revoked{"RB-0001-1"};
  ASSERT_TRUE(store_->add_revoked_serials(revoked));
  auto checkin = open_checkin();
  const auto outcome = checkin.accept(scan(badge("RB-0001"), "2026-12-03T08:31:00-06:00"));
  EXPECT_EQ(outcome.result, CheckinResult::rejected);
  EXPECT_EQ(outcome.code, CheckinReason::revoked);
  EXPECT_EQ(outcome.attendee_id, "RB-0001");
  // The reprint with a new serial is fine.
  EXPECT_EQ(checkin.accept(scan(badge("RB-0001", "RB-0001-2"), "2026-12-03T08:32:00-06:00")).result,
            CheckinResult::arrived);
}

TEST_F(CheckinTest, OtherLeagueIsRejectedAsOtherEvent) {
  auto checkin = open_checkin();
  const auto other_key = make_key("OK1");
  const auto payload = sign_badge({"OTHER", "RB-0001", "X-1"}, other_key);
  ASSERT_TRUE(payload);
  const auto outcome = checkin.accept(scan(*payload, "2026-12-03T08:31:00-06:00"));
  EXPECT_EQ(outcome.result, CheckinResult::rejected);
  EXPECT_EQ(outcome.code, CheckinReason::other_event);
  EXPECT_EQ(outcome.reason, "other event");
}

TEST_F(CheckinTest, BadgeSignedByUntrustedKeyIsUnknown) {
  auto checkin = open_checkin();
  const auto stranger = make_key("LK9");
  const auto payload = sign_badge({"LEAGUE", "RB-0001", "RB-0001-1"}, stranger);
  ASSERT_TRUE(payload);
  const auto outcome = checkin.accept(scan(*payload, "2026-12-03T08:31:00-06:00"));
  EXPECT_EQ(outcome.result, CheckinResult::rejected);
  EXPECT_EQ(outcome.code, CheckinReason::unknown_badge);
}

TEST_F(CheckinTest, GarbageIsAnUnknownBadgeAndEmptyIsIgnored) {
  auto checkin = open_checkin();
  const auto garbage =
      checkin.accept(scan("https://example.org/not-a-badge", "2026-12-03T08:31:00-06:00"));
  EXPECT_EQ(garbage.result, CheckinResult::rejected);
  EXPECT_EQ(garbage.reason, "unknown badge");
  EXPECT_EQ(garbage.session_id, "S1"); // the door's session is still shown
  const auto empty = checkin.accept(scan("  \r", "2026-12-03T08:31:00-06:00"));
  EXPECT_EQ(empty.result, CheckinResult::ignored);
  EXPECT_EQ(empty.code, CheckinReason::empty_scan);
}

TEST_F(CheckinTest, VerifiedBadgeNotInRosterIsAcceptedWithoutName) {
  auto checkin = open_checkin();
  const auto outcome = checkin.accept(scan(badge("NEW-0042"), "2026-12-03T08:31:00-06:00"));
  EXPECT_EQ(outcome.result, CheckinResult::arrived);
  EXPECT_EQ(outcome.attendee_id, "NEW-0042");
  EXPECT_FALSE(outcome.attendee);
  EXPECT_EQ(outcome.display_name, "Attendee NEW-0042");
  ASSERT_TRUE(outcome.recorded);
  EXPECT_EQ(outcome.recorded->attendee_id, "NEW-0042");
}

TEST_F(CheckinTest, NoSessionNowAtThisDoor) {
  auto checkin = open_checkin();
  const auto outcome = checkin.accept(scan(badge("RB-0001"), "2026-12-03T12:00:00-06:00"));
  EXPECT_EQ(outcome.result, CheckinResult::rejected);
  EXPECT_EQ(outcome.code, CheckinReason::no_session);
  EXPECT_EQ(outcome.reason, "no session now at this door");
  EXPECT_TRUE(outcome.session_id.empty());
  EXPECT_EQ(*store_->last_sequence("DOOR-1"), 0u);
}

TEST_F(CheckinTest, SessionIsChosenByTheDoorsRoom) {
  const Instant t = at("2026-12-03T10:30:00-06:00");
  CheckinOptions ballroom;
  ballroom.room = "Ballroom A";
  CheckinOptions room104;
  room104.room = "room 104"; // case and spaces do not matter
  EXPECT_EQ(open_checkin(ballroom).door_session(t)->id, "S2");
  EXPECT_EQ(open_checkin(room104).door_session(t)->id, "S3");
  CheckinOptions room106;
  room106.room = "Room 106";
  EXPECT_FALSE(open_checkin(room106).door_session(t));
}

TEST_F(CheckinTest, NextSessionWithinTheLeadTimeWelcomesEarlyArrivals) {
  auto checkin = open_checkin();
  EXPECT_EQ(checkin.lead_time(), minutes{15});
  // S1 ended at 10:00, S2 starts at 10:15.
  EXPECT_EQ(checkin.door_session(at("2026-12-03T10:00:00-06:00"))->id, "S2");
  EXPECT_EQ(checkin.door_session(at("2026-12-03T09:59:59-06:00"))->id, "S1");
  EXPECT_FALSE(checkin.door_session(at("2026-12-03T12:44:00-06:00")));
  EXPECT_EQ(checkin.door_session(at("2026-12-03T12:45:00-06:00"))->id, "S4");
  const auto early = checkin.accept(scan(badge("RB-0002"), "2026-12-03T12:50:00-06:00"));
  EXPECT_EQ(early.result, CheckinResult::arrived);
  EXPECT_EQ(early.session_id, "S4");
}

// The break trap (issue: "Presence across doors"): nobody scans out at a session's normal end,
// so a scan after S1 ended, within S2's lead time, is an arrival for S2, never a leave of S1.
TEST_F(CheckinTest, ScanInTheBreakIsAnArrivalForTheNextSessionNotALeave) {
  auto checkin = open_checkin();
  const auto payload = badge("RB-0001");
  ASSERT_EQ(checkin.accept(scan(payload, "2026-12-03T08:30:00-06:00")).result,
            CheckinResult::arrived);
  const auto next = checkin.accept(scan(payload, "2026-12-03T10:03:00-06:00")); // S2 is next
  EXPECT_EQ(next.result, CheckinResult::arrived);
  EXPECT_EQ(next.session_id, "S2");
  EXPECT_EQ(next.ended_session_title, checkin.event().sessions[0].title);
  EXPECT_TRUE(checkin.leave_instead_offered());
  // S2 runs: a scan now is a leave of S2, credited by the rule.
  const auto out = checkin.accept(scan(payload, "2026-12-03T11:00:00-06:00"));
  EXPECT_EQ(out.result, CheckinResult::left);
  EXPECT_EQ(out.session_id, "S2");
  EXPECT_TRUE(out.early);
  EXPECT_DOUBLE_EQ(out.credit_hours, 0.75); // 10:15-11:00 = 45 of 90 min of 1.5 h
  EXPECT_FALSE(checkin.leave_instead_offered()) << "another scan drops the offer";
}

TEST_F(CheckinTest, IAmLeavingAfterTheBreakWelcomeRecordsTheOfficialsAnswer) {
  auto checkin = open_checkin();
  const auto payload = badge("RB-0001");
  ASSERT_EQ(checkin.accept(scan(payload, "2026-12-03T08:30:00-06:00")).result,
            CheckinResult::arrived);
  ASSERT_EQ(checkin.accept(scan(payload, "2026-12-03T10:03:00-06:00")).result,
            CheckinResult::arrived);
  const auto going = checkin.leave_instead();
  EXPECT_EQ(going.result, CheckinResult::left);
  EXPECT_EQ(going.session_id, "S2");
  ASSERT_TRUE(going.recorded);
  EXPECT_EQ(going.recorded->details, kConfirmedLeaveDetails);
  EXPECT_EQ(going.recorded->wall_time, at("2026-12-03T10:03:00-06:00"));
  EXPECT_DOUBLE_EQ(going.credit_hours, 0.0);
  EXPECT_EQ(checkin.leave_instead().code, CheckinReason::nothing_to_confirm);
  // S1 keeps its full credit: the official stayed to its end.
  auto history = store_->known_scans_for_attendee("RB-0001");
  ASSERT_TRUE(history);
  const auto credit = compute_event_attendance(
      checkin.event(), [](const Session&) { return true; }, *history);
  ASSERT_FALSE(credit.empty());
  EXPECT_EQ(credit[0].session.id, "S1");
  EXPECT_DOUBLE_EQ(credit[0].attendance.credit_hours, 1.5);
}

// A door learns of the official's arrival at the room's other door from sync: its scan is a
// leave, and in the window it asks "Leaving early?".
TEST_F(CheckinTest, ArrivalAtTheRoomsOtherDoorMakesThisScanALeave) {
  CheckinOptions options;
  options.confirm_leaves = true;
  auto checkin = open_checkin(options);
  Scan other;
  other.device_id = "DOOR-2";
  other.sequence = 1;
  other.attendee_id = "RB-0001";
  other.session_id = "S1";
  other.kind = ScanKind::arrive;
  other.wall_time = at("2026-12-03T08:31:00-06:00");
  const std::array<Scan, 1> peers{other};
  ASSERT_TRUE(store_->add_peer_scans(peers));
  const auto asked = checkin.accept(scan(badge("RB-0001"), "2026-12-03T09:15:00-06:00"));
  EXPECT_EQ(asked.result, CheckinResult::confirm_leave);
  EXPECT_EQ(asked.session_id, "S1");
  EXPECT_TRUE(asked.early);
  EXPECT_DOUBLE_EQ(asked.credit_hours, 0.75); // 08:30-09:15 = 45 of 90 min of 1.5 h
  // The same door without the other's scan would have welcomed the official.
  auto fresh = open_checkin();
  EXPECT_EQ(fresh.accept(scan(badge("RB-0004"), "2026-12-03T09:15:00-06:00")).result,
            CheckinResult::arrived);
}

// One body, one room: an arrival in Room 104 (S3) ends the stay in Ballroom A (S2) for every
// door's view, so a later scan in Ballroom A is an arrival, not a leave.
TEST_F(CheckinTest, ArrivalInAnotherRoomEndsTheStayHere) {
  auto checkin = open_checkin();
  const auto payload = badge("RB-0001");
  ASSERT_EQ(checkin.accept(scan(payload, "2026-12-03T10:15:00-06:00")).result,
            CheckinResult::arrived);
  Scan other;
  other.device_id = "DOOR-104";
  other.sequence = 1;
  other.attendee_id = "RB-0001";
  other.session_id = "S3";
  other.kind = ScanKind::arrive;
  other.wall_time = at("2026-12-03T10:30:00-06:00");
  const std::array<Scan, 1> peers{other};
  ASSERT_TRUE(store_->add_peer_scans(peers));
  const auto back = checkin.accept(scan(payload, "2026-12-03T11:00:00-06:00"));
  EXPECT_EQ(back.result, CheckinResult::arrived);
  EXPECT_EQ(back.session_id, "S2");
}

TEST_F(CheckinTest, LeadTimeIsConfigurable) {
  CheckinOptions options;
  options.lead_time = minutes{5};
  auto checkin = open_checkin(options);
  EXPECT_FALSE(checkin.door_session(at("2026-12-03T10:05:00-06:00")));
  EXPECT_EQ(checkin.door_session(at("2026-12-03T10:10:00-06:00"))->id, "S2");
  ASSERT_TRUE(store_->set_setting(kSettingLeadTimeMin, "30"));
  auto from_settings = open_checkin();
  EXPECT_EQ(from_settings.door_session(at("2026-12-03T12:30:00-06:00"))->id, "S4");
}

TEST_F(CheckinTest, WithoutARoomOnlyAnUnambiguousSessionIsChosen) {
  auto checkin = Checkin::open(*store_, {});
  ASSERT_TRUE(checkin);
  EXPECT_EQ(checkin->door_session(at("2026-12-03T09:00:00-06:00"))->id, "S1");
  EXPECT_FALSE(checkin->door_session(at("2026-12-03T10:30:00-06:00"))); // S2 and S3 at once
}

TEST_F(CheckinTest, StaffOverrideChoosesTheSessionAndIsKept) {
  {
    auto checkin = open_checkin();
    EXPECT_FALSE(checkin.set_session_override(std::string("S99")));
    ASSERT_TRUE(checkin.set_session_override(std::string("S4")));
    const auto outcome = checkin.accept(scan(badge("RB-0001"), "2026-12-03T12:00:00-06:00"));
    EXPECT_EQ(outcome.result, CheckinResult::arrived);
    EXPECT_EQ(outcome.session_id, "S4");
  }
  auto reopened = open_checkin();
  ASSERT_TRUE(reopened.session_override());
  EXPECT_EQ(*reopened.session_override(), "S4");
  ASSERT_TRUE(reopened.set_session_override(std::nullopt));
  EXPECT_FALSE(reopened.door_session(at("2026-12-03T12:00:00-06:00")));
}

TEST_F(CheckinTest, ManualArrivalIsACorrectionWithStaffAndReason) {
  auto checkin = open_checkin();
  StaffCorrection correction;
  correction.attendee_id = "RB-0002";
  correction.kind = Correction::arrive;
  correction.effective_time = at("2026-12-03T08:35:00-06:00");
  correction.at = at("2026-12-03T08:50:00-06:00");
  correction.staff_id = "staff-7";
  correction.reason = "badge left at hotel";
  const auto outcome = checkin.correct(correction);
  EXPECT_EQ(outcome.result, CheckinResult::arrived);
  EXPECT_EQ(outcome.session_id, "S1");
  ASSERT_TRUE(outcome.recorded);
  EXPECT_EQ(outcome.recorded->kind, ScanKind::correction);
  EXPECT_EQ(outcome.recorded->correction, Correction::arrive);
  EXPECT_EQ(outcome.recorded->staff_id, "staff-7");
  EXPECT_EQ(outcome.recorded->reason, "badge left at hotel");
  EXPECT_TRUE(outcome.recorded->badge_serial.empty());
  // A later badge scan in the session is then a leave.
  EXPECT_EQ(checkin.accept(scan(badge("RB-0002"), "2026-12-03T09:58:00-06:00")).result,
            CheckinResult::left);
}

TEST_F(CheckinTest, ManualLeaveCorrectionGivesCredit) {
  auto checkin = open_checkin();
  ASSERT_EQ(checkin.accept(scan(badge("RB-0001"), "2026-12-03T08:30:00-06:00")).result,
            CheckinResult::arrived);
  StaffCorrection correction;
  correction.attendee_id = "RB-0001";
  correction.session_id = "S1";
  correction.kind = Correction::leave;
  correction.effective_time = at("2026-12-03T09:15:00-06:00");
  correction.at = at("2026-12-03T11:00:00-06:00");
  correction.staff_id = "staff-7";
  correction.reason = "forgot to scan out";
  const auto outcome = checkin.correct(correction);
  EXPECT_EQ(outcome.result, CheckinResult::left);
  EXPECT_TRUE(outcome.early);
  EXPECT_DOUBLE_EQ(outcome.credit_hours, 0.75);
}

TEST_F(CheckinTest, CorrectionsWithoutStaffReasonOrSessionAreRefused) {
  auto checkin = open_checkin();
  StaffCorrection correction;
  correction.attendee_id = "RB-0001";
  correction.kind = Correction::arrive;
  correction.effective_time = at("2026-12-03T08:35:00-06:00");
  correction.at = correction.effective_time;
  correction.staff_id = "staff-7";
  EXPECT_EQ(checkin.correct(correction).code, CheckinReason::invalid_correction); // no reason
  correction.reason = "manual";
  correction.staff_id = " ";
  EXPECT_EQ(checkin.correct(correction).code, CheckinReason::invalid_correction);
  correction.staff_id = "staff-7";
  correction.session_id = "S99";
  EXPECT_EQ(checkin.correct(correction).code, CheckinReason::invalid_correction);
  EXPECT_EQ(*store_->last_sequence("DOOR-1"), 0u);
}

TEST_F(CheckinTest, VoidingAScanIsRecordedAsACorrection) {
  auto checkin = open_checkin();
  const auto arrival = checkin.accept(scan(badge("RB-0001"), "2026-12-03T08:30:00-06:00"));
  ASSERT_TRUE(arrival.recorded);
  StaffCorrection correction;
  correction.attendee_id = "RB-0001";
  correction.session_id = "S1";
  correction.kind = Correction::void_scan;
  correction.effective_time = at("2026-12-03T08:40:00-06:00");
  correction.at = correction.effective_time;
  correction.staff_id = "staff-7";
  correction.reason = "scanned the wrong badge";
  correction.voids_device_id = "DOOR-1";
  correction.voids_sequence = arrival.recorded->sequence;
  const auto outcome = checkin.correct(correction);
  EXPECT_EQ(outcome.result, CheckinResult::corrected);
  EXPECT_DOUBLE_EQ(outcome.credit_hours, 0.0);
  // With the arrival voided, the next scan is an arrival again.
  EXPECT_EQ(checkin.accept(scan(badge("RB-0001"), "2026-12-03T08:45:00-06:00")).result,
            CheckinResult::arrived);
}

TEST_F(CheckinTest, AnotherDoorsScanCannotBeVoidedHere) {
  auto checkin = open_checkin();
  StaffCorrection correction;
  correction.attendee_id = "RB-0001";
  correction.session_id = "S1";
  correction.kind = Correction::void_scan;
  correction.effective_time = at("2026-12-03T08:40:00-06:00");
  correction.at = correction.effective_time;
  correction.staff_id = "staff-7";
  correction.reason = "not mine";
  correction.voids_device_id = "DOOR-2";
  correction.voids_sequence = 1;
  EXPECT_EQ(checkin.correct(correction).code, CheckinReason::invalid_correction);
  EXPECT_EQ(*store_->last_sequence("DOOR-1"), 0u);
}

TEST_F(CheckinTest, ScanIsDurableBeforeTheOutcomeIsReturned) {
  auto checkin = open_checkin();
  const auto outcome = checkin.accept(scan(badge("RB-0001"), "2026-12-03T08:31:00-06:00"));
  ASSERT_TRUE(outcome.recorded);
  // A second connection (another process would see the same) finds the committed scan.
  auto other = KioskStore::open(dir_ / "kiosk.db", StoreOptions{.read_only = true});
  ASSERT_TRUE(other) << other.message();
  const auto scans = other->scans_after("DOOR-1", 0, 10);
  ASSERT_TRUE(scans);
  ASSERT_EQ(scans->size(), 1u);
  EXPECT_EQ(scans->front().hash, outcome.recorded->hash);
  EXPECT_EQ(scans->front().session_id, "S1");
  auto chain = other->verify_device_chain("DOOR-1");
  ASSERT_TRUE(chain);
  EXPECT_FALSE(chain->has_value());
}

TEST_F(CheckinTest, ScanCarriesDeviceSerialPayloadAndClockOffset) {
  ASSERT_TRUE(store_->set_setting(kSettingClockOffsetMs, "-1500"));
  auto checkin = open_checkin();
  const auto payload = badge("RB-0001");
  const auto outcome = checkin.accept(scan(payload + "\r", "2026-12-03T08:31:00-06:00"));
  ASSERT_TRUE(outcome.recorded);
  EXPECT_EQ(outcome.recorded->device_id, "DOOR-1");
  EXPECT_EQ(outcome.recorded->badge_serial, "RB-0001-1");
  EXPECT_EQ(outcome.recorded->badge_payload, payload);
  EXPECT_EQ(outcome.recorded->clock_offset_ms, -1500);
  EXPECT_EQ(outcome.recorded->wall_time, at("2026-12-03T08:31:00-06:00"));
}

TEST_F(CheckinTest, UiModeAsksBeforeRecordingALeave) {
  CheckinOptions options;
  options.confirm_leaves = true;
  auto checkin = open_checkin(options);
  const auto payload = badge("RB-0001");
  ASSERT_EQ(checkin.accept(scan(payload, "2026-12-03T08:30:00-06:00")).result,
            CheckinResult::arrived);
  const auto question = checkin.accept(scan(payload, "2026-12-03T09:00:00-06:00"));
  EXPECT_EQ(question.result, CheckinResult::confirm_leave);
  EXPECT_TRUE(question.early);
  EXPECT_DOUBLE_EQ(question.credit_hours, 0.5);
  EXPECT_FALSE(question.recorded);
  EXPECT_TRUE(checkin.leave_pending());
  EXPECT_EQ(*store_->last_sequence("DOOR-1"), 1u);
  const auto left = checkin.confirm_leave(true);
  EXPECT_EQ(left.result, CheckinResult::left);
  ASSERT_TRUE(left.recorded);
  EXPECT_EQ(left.recorded->wall_time, at("2026-12-03T09:00:00-06:00")); // the scan's time
  EXPECT_FALSE(checkin.leave_pending());
  EXPECT_EQ(checkin.confirm_leave(true).code, CheckinReason::nothing_to_confirm);
}

TEST_F(CheckinTest, UiLeaveCancelledRecordsTheStayingAnswer) {
  CheckinOptions options;
  options.confirm_leaves = true;
  auto checkin = open_checkin(options);
  const auto payload = badge("RB-0001");
  ASSERT_EQ(checkin.accept(scan(payload, "2026-12-03T08:30:00-06:00")).result,
            CheckinResult::arrived);
  ASSERT_EQ(checkin.accept(scan(payload, "2026-12-03T09:00:00-06:00")).result,
            CheckinResult::confirm_leave);
  const auto cancelled = checkin.confirm_leave(false);
  EXPECT_EQ(cancelled.result, CheckinResult::ignored);
  EXPECT_EQ(cancelled.code, CheckinReason::leave_cancelled);
  // "No, I am staying" is recorded: every door and the server keep the official inside.
  EXPECT_EQ(*store_->last_sequence("DOOR-1"), 2u);
  ASSERT_TRUE(cancelled.recorded);
  EXPECT_EQ(cancelled.recorded->kind, ScanKind::arrive);
  EXPECT_EQ(cancelled.recorded->details, kStayingDetails);
  EXPECT_EQ(checkin.accept(scan(payload, "2026-12-03T09:30:00-06:00")).result,
            CheckinResult::confirm_leave);
}

TEST_F(CheckinTest, RoleWithoutCreditGetsAttendanceOnly) {
  auto checkin = open_checkin();
  const auto payload = badge("RB-0003"); // clerk
  const auto arrived = checkin.accept(scan(payload, "2026-12-03T08:30:00-06:00"));
  EXPECT_FALSE(arrived.credit_eligible);
  const auto left = checkin.accept(scan(payload, "2026-12-03T09:55:00-06:00"));
  EXPECT_EQ(left.result, CheckinResult::left);
  EXPECT_FALSE(left.early);
  EXPECT_DOUBLE_EQ(left.credit_hours, 0.0);
}

TEST_F(CheckinTest, WithoutEventOrKeysTheKioskIsNotSetUp) {
  auto empty = KioskStore::open(dir_ / "empty.db");
  ASSERT_TRUE(empty);
  auto checkin = Checkin::open(*empty, {});
  ASSERT_FALSE(checkin);
  EXPECT_EQ(checkin.code(), CheckinError::not_set_up);
}

TEST_F(CheckinTest, DeviceIdIsCreatedOnceAndKept) {
  auto fresh = KioskStore::open(dir_ / "fresh.db");
  ASSERT_TRUE(fresh);
  const auto first = ensure_device_id(*fresh);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->rfind("K-", 0), 0u);
  EXPECT_EQ(*ensure_device_id(*fresh), *first);
  EXPECT_TRUE(set_device_id(*fresh, "DOOR-9"));
  // Once scans exist under an id, changing it would split the chain.
  auto checkin = open_checkin();
  ASSERT_TRUE(checkin.accept(scan(badge("RB-0001"), "2026-12-03T08:31:00-06:00")).recorded);
  const auto refused = set_device_id(*store_, "DOOR-2");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.code(), SettingsError::invalid);
}

} // namespace
} // namespace muster::kiosk

namespace muster::kiosk {
namespace {

// Issue 13: a clock sample of this boot places a scan by the monotonic clock, whatever the wall
// clock did since; the kiosk notices and still records.
class CheckinClockTest : public CheckinTest {};

TEST_F(CheckinClockTest, WallClockTwoHoursFastStillChoosesTheTrueSessionAndWarns) {
  // Synced at 08:00 CST (14:00Z) with a true clock, monotonic 1,000,000 ms, boot "boot-a".
  const Instant synced = at("2026-12-03T14:00:00Z");
  ASSERT_TRUE(store_->add_clock_sample({"boot-a", synced, synced, 1'000'000, 2}).ok());
  auto checkin = open_checkin();
  checkin.set_boot_id("boot-a");
  // 45 minutes later (08:45 CST: S1 in progress) the wall clock shows 10:45 CST (S2).
  const Instant wall = at("2026-12-03T16:45:00Z");
  const std::chrono::milliseconds monotonic{1'000'000 + 45 * 60'000};
  const Checkin::ClockView view = checkin.clock_view(wall, monotonic);
  EXPECT_TRUE(view.verified);
  EXPECT_TRUE(view.wall_jumped);
  EXPECT_TRUE(view.suspect);
  EXPECT_EQ(view.offset_ms, -2 * 3'600'000);
  const auto outcome =
      checkin.accept(RawScan{badge("RB-0001"), ScanSource::wedge, wall, monotonic});
  ASSERT_EQ(outcome.result, CheckinResult::arrived) << outcome.detail;
  EXPECT_EQ(outcome.session_id, "S1");
  ASSERT_TRUE(outcome.recorded.has_value());
  EXPECT_EQ(outcome.recorded->boot_id, "boot-a");
  EXPECT_EQ(outcome.recorded->wall_time, wall); // the original is kept
  EXPECT_EQ(corrected_time(*outcome.recorded), at("2026-12-03T14:45:00Z"));
}

TEST_F(CheckinClockTest, ARebootWithADateOutsideTheEventKeepsRecording) {
  const Instant synced = at("2026-12-03T14:00:00Z");
  ASSERT_TRUE(store_->add_clock_sample({"boot-a", synced, synced, 1'000'000, 2}).ok());
  auto checkin = open_checkin();
  checkin.set_boot_id("boot-b");                   // rebooted: no sample of this boot
  const Instant wall = at("2026-11-30T14:45:00Z"); // three days slow
  const auto view = checkin.clock_view(wall, std::chrono::milliseconds{5000});
  EXPECT_FALSE(view.verified);
  EXPECT_TRUE(view.outside_event);
  const auto outcome = checkin.accept(
      RawScan{badge("RB-0001"), ScanSource::wedge, wall, std::chrono::milliseconds{5000}});
  ASSERT_EQ(outcome.result, CheckinResult::arrived) << outcome.detail;
  ASSERT_TRUE(outcome.recorded.has_value());
  EXPECT_EQ(outcome.recorded->boot_id, "boot-b");
  EXPECT_EQ(outcome.recorded->wall_time, wall);
}

} // namespace
} // namespace muster::kiosk
