#include "kiosk/app/kiosk_app.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <filesystem>
#include <optional>
#include <string>

#include "kiosk/app/kiosk_settings.hpp"
#include "kiosk/app/package_import.hpp"
#include "shared/badge.hpp"
#include "shared/import.hpp"
#include "shared/kiosk_store.hpp"
#include "shared/scan_export.hpp"
#include "shared/time.hpp"
#include "tests/support/demo_kiosk.hpp"
#include "tests/support/test_support.hpp"

namespace muster::kiosk {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

using test::at;
using test::make_key;

// The demo event (assets/demo/event.json, America/Chicago, 2026-12-03): S1 in Ballroom A
// 08:30-10:00 (1.5 h). RB-0001 Loretta Haynes is a mayor, RB-0003 Patricia Dunlap a clerk.
class KioskAppTest : public test::DemoKioskTest {
protected:
  // Types `text` with scanner timing (3 ms a key) and Enter.
  void wedge(const std::string& text, milliseconds now) {
    auto t = now;
    for (const char c : text) {
      app_->key(KeyEvent{KeyKind::character, static_cast<unsigned char>(c), t}, t);
      t += milliseconds{3};
    }
    app_->key(KeyEvent{KeyKind::enter, 0, t}, t);
  }

  void enter_pin(const std::string& pin, milliseconds now) {
    for (const char c : pin)
      app_->handle(PinDigit{c}, now);
    app_->handle(PinSubmit{}, now);
  }
};

TEST_F(KioskAppTest, StartsOnAttractWithTheDoorSession) {
  EXPECT_EQ(state().screen, Screen::attract);
  const auto session = app_->door_session();
  ASSERT_TRUE(session);
  EXPECT_EQ(session->id, "S1");
}

// A package the background sync applies while the window runs (here: a reprinting desk's
// certificate) is used by the door without a restart, once the attract screen looks again.
TEST_F(KioskAppTest, AttractPicksUpAPackageTheSyncAppliedWithoutARestart) {
  SigningKey desk_key = make_key("DESK-1");
  auto certificate = certify_device("LEAGUE", desk_key.public_key(), std::nullopt, league_key_);
  ASSERT_TRUE(certificate) << certificate.message();
  auto reprint = sign_badge({"LEAGUE", "RB-0001", "RB-0001-R1"}, desk_key);
  ASSERT_TRUE(reprint) << reprint.message();

  scan(*reprint, "2026-12-03T08:35:00-06:00", milliseconds{1000});
  ASSERT_TRUE(state().outcome);
  EXPECT_EQ(state().outcome->result, CheckinResult::rejected); // not trusted yet
  app_->tick(milliseconds{1000} + KioskAppOptions{}.result_timeout);
  ASSERT_EQ(state().screen, Screen::attract);

  // What a sync pass does on the sync thread's own connection: new trust, a new cursor.
  const std::array<PublicKey, 1> keys{league_key_.public_key()};
  const std::array<DeviceCertificate, 1> certificates{*certificate};
  ASSERT_TRUE(save_trust(*store_, "LEAGUE", keys, certificates));
  ASSERT_TRUE(store_->set_cursor(kPackageCursor, "42"));

  const milliseconds later = milliseconds{1000} + KioskAppOptions{}.result_timeout +
                             KioskAppOptions{}.package_check_interval + milliseconds{1};
  ASSERT_TRUE(app_->next_deadline().has_value()); // the attract screen wakes up to look
  app_->tick(later);
  scan(*reprint, "2026-12-03T08:36:00-06:00", later + milliseconds{10});
  ASSERT_TRUE(state().outcome);
  EXPECT_EQ(state().outcome->result, CheckinResult::arrived) << state().outcome->detail;
}

TEST_F(KioskAppTest, ArrivalShowsResultWithGreenFlash) {
  scan(badge("RB-0001"), "2026-12-03T08:31:00-06:00", milliseconds{1000});
  EXPECT_EQ(state().screen, Screen::result);
  ASSERT_TRUE(state().outcome);
  EXPECT_EQ(state().outcome->result, CheckinResult::arrived);
  EXPECT_EQ(state().outcome->display_name, "Loretta Haynes");
  EXPECT_TRUE(state().outcome->credit_eligible);
  EXPECT_EQ(state().flash, Flash::success);
}

TEST_F(KioskAppTest, ClerkArrivalIsAttendanceOnly) {
  scan(badge("RB-0003"), "2026-12-03T08:31:00-06:00", milliseconds{1000});
  ASSERT_TRUE(state().outcome);
  EXPECT_EQ(state().outcome->result, CheckinResult::arrived);
  EXPECT_FALSE(state().outcome->credit_eligible);
}

TEST_F(KioskAppTest, ForgedBadgeIsRefusedWithRedFlash) {
  auto payload = badge("RB-0001");
  payload.back() = payload.back() == 'A' ? 'B' : 'A';
  scan(payload, "2026-12-03T08:31:00-06:00", milliseconds{1000});
  EXPECT_EQ(state().screen, Screen::result);
  ASSERT_TRUE(state().outcome);
  EXPECT_EQ(state().outcome->result, CheckinResult::rejected);
  EXPECT_EQ(state().flash, Flash::failure);
  EXPECT_FALSE(state().outcome->reason.empty());
}

TEST_F(KioskAppTest, FlashEndsAfterItsDuration) {
  scan(badge("RB-0001"), "2026-12-03T08:31:00-06:00", milliseconds{1000});
  app_->tick(milliseconds{1000 + 599});
  EXPECT_EQ(state().flash, Flash::success);
  app_->tick(milliseconds{1000 + 600});
  EXPECT_EQ(state().flash, Flash::none);
  EXPECT_EQ(state().screen, Screen::result);
}

TEST_F(KioskAppTest, ResultReturnsToAttractByItself) {
  scan(badge("RB-0001"), "2026-12-03T08:31:00-06:00", milliseconds{1000});
  app_->tick(milliseconds{5999});
  EXPECT_EQ(state().screen, Screen::result);
  app_->tick(milliseconds{6000});
  EXPECT_EQ(state().screen, Screen::attract);
  EXPECT_FALSE(state().outcome);
}

TEST_F(KioskAppTest, SecondScanAsksLeavingEarlyAndConfirmRecordsLeave) {
  scan(badge("RB-0001"), "2026-12-03T08:31:00-06:00", milliseconds{1000});
  scan(badge("RB-0001"), "2026-12-03T09:15:00-06:00", milliseconds{2000});
  EXPECT_EQ(state().screen, Screen::confirm_leave);
  EXPECT_EQ(state().flash, Flash::none);
  app_->handle(AnswerLeave{true}, milliseconds{2500});
  EXPECT_EQ(state().screen, Screen::result);
  ASSERT_TRUE(state().outcome);
  EXPECT_EQ(state().outcome->result, CheckinResult::left);
  EXPECT_TRUE(state().outcome->early);
  auto scans = store_->scans_for_session("S1");
  ASSERT_TRUE(scans);
  EXPECT_EQ(scans->size(), 2U);
}

TEST_F(KioskAppTest, NoIAmStayingIsRecordedAndKeepsTheOfficialInside) {
  scan(badge("RB-0001"), "2026-12-03T08:31:00-06:00", milliseconds{1000});
  scan(badge("RB-0001"), "2026-12-03T09:15:00-06:00", milliseconds{2000});
  app_->handle(AnswerLeave{false}, milliseconds{2500});
  EXPECT_EQ(state().screen, Screen::attract);
  auto scans = store_->scans_for_session("S1");
  ASSERT_TRUE(scans);
  ASSERT_EQ(scans->size(), 2U) << "the answer is a fact, not nothing";
  EXPECT_EQ(scans->back().kind, ScanKind::arrive);
  EXPECT_EQ(scans->back().details, kStayingDetails);
  // Still inside: the next scan asks "Leaving early?" again.
  scan(badge("RB-0001"), "2026-12-03T09:40:00-06:00", milliseconds{30000});
  EXPECT_EQ(state().screen, Screen::confirm_leave);
}

TEST_F(KioskAppTest, UnansweredLeaveQuestionTimesOutAsAnUnconfirmedLeave) {
  scan(badge("RB-0001"), "2026-12-03T08:31:00-06:00", milliseconds{1000});
  scan(badge("RB-0001"), "2026-12-03T09:15:00-06:00", milliseconds{2000});
  app_->tick(milliseconds{2000 + 19999});
  EXPECT_EQ(state().screen, Screen::confirm_leave);
  app_->tick(milliseconds{2000 + 20000});
  EXPECT_EQ(state().screen, Screen::attract);
  EXPECT_FALSE(checkin_->leave_pending());
  auto scans = store_->scans_for_session("S1");
  ASSERT_TRUE(scans);
  ASSERT_EQ(scans->size(), 2U) << "a scan is never dropped";
  EXPECT_EQ(scans->back().kind, ScanKind::leave);
  EXPECT_TRUE(scans->back().details.empty()) << "nobody confirmed it";
}

// The break: a scan after S1 ended (10:00) and before S2 (10:15) welcomes the official to S2;
// "I am leaving" (the button's intent, or the key l) turns it into a confirmed leave.
TEST_F(KioskAppTest, BreakArrivalOffersIAmLeaving) {
  scan(badge("RB-0001"), "2026-12-03T08:31:00-06:00", milliseconds{1000});
  scan(badge("RB-0001"), "2026-12-03T10:05:00-06:00", milliseconds{60000});
  EXPECT_EQ(state().screen, Screen::result);
  ASSERT_TRUE(state().outcome);
  EXPECT_EQ(state().outcome->result, CheckinResult::arrived);
  EXPECT_EQ(state().outcome->session_id, "S2");
  EXPECT_FALSE(state().outcome->ended_session_title.empty());
  EXPECT_TRUE(app_->leave_instead_offered());
  const auto shown = nlohmann::json::parse(app_->state_json());
  EXPECT_EQ(shown.value("leave_instead", ""), state().outcome->ended_session_title);
  app_->key(KeyEvent{KeyKind::character, U'l', milliseconds{61000}}, milliseconds{61000});
  app_->tick(milliseconds{61500}); // a person's key, not a scanner's burst
  ASSERT_TRUE(state().outcome);
  EXPECT_EQ(state().outcome->result, CheckinResult::left);
  EXPECT_EQ(state().outcome->session_id, "S2");
  auto scans = store_->scans_for_session("S2");
  ASSERT_TRUE(scans);
  ASSERT_EQ(scans->size(), 2U);
  EXPECT_EQ(scans->back().kind, ScanKind::leave);
  EXPECT_EQ(scans->back().details, kConfirmedLeaveDetails);
  EXPECT_FALSE(app_->leave_instead_offered());
}

TEST_F(KioskAppTest, NoBreakOfferAfterAPlainArrival) {
  scan(badge("RB-0001"), "2026-12-03T08:31:00-06:00", milliseconds{1000});
  EXPECT_EQ(state().screen, Screen::result);
  EXPECT_FALSE(app_->leave_instead_offered());
  app_->handle(LeaveInstead{}, milliseconds{1500});
  EXPECT_EQ(state().outcome->result, CheckinResult::arrived) << "nothing to turn around";
  EXPECT_EQ(store_->scans_for_session("S1")->size(), 1U);
}

TEST_F(KioskAppTest, ReentryAfterLeaveIsANewArrival) {
  scan(badge("RB-0001"), "2026-12-03T08:31:00-06:00", milliseconds{1000});
  scan(badge("RB-0001"), "2026-12-03T09:00:00-06:00", milliseconds{2000});
  app_->handle(AnswerLeave{true}, milliseconds{2100});
  scan(badge("RB-0001"), "2026-12-03T09:20:00-06:00", milliseconds{3000});
  ASSERT_TRUE(state().outcome);
  EXPECT_EQ(state().outcome->result, CheckinResult::arrived);
}

TEST_F(KioskAppTest, WedgeBurstBecomesAScan) {
  wedge(badge("RB-0001"), milliseconds{1000});
  EXPECT_EQ(state().screen, Screen::result);
  ASSERT_TRUE(state().outcome);
  EXPECT_EQ(state().outcome->result, CheckinResult::arrived);
  ASSERT_TRUE(state().outcome->recorded);
  EXPECT_EQ(state().outcome->recorded->badge_payload, badge("RB-0001"));
}

TEST_F(KioskAppTest, ScannerEnterDoesNotConfirmALeave) {
  scan(badge("RB-0001"), "2026-12-03T08:31:00-06:00", milliseconds{1000});
  wall_ = at("2026-12-03T09:15:00-06:00");
  wedge(badge("RB-0001"), milliseconds{2000});
  EXPECT_EQ(state().screen, Screen::confirm_leave);
  // Another burst is a new scan (refused here); its Enter suffix must not answer the question.
  wedge("NOT-A-BADGE-PAYLOAD", milliseconds{3000});
  ASSERT_TRUE(state().outcome);
  EXPECT_EQ(state().outcome->result, CheckinResult::rejected);
  auto scans = store_->scans_for_session("S1");
  ASSERT_TRUE(scans);
  EXPECT_EQ(scans->size(), 1U);
}

TEST_F(KioskAppTest, PersonPressingEnterConfirmsLeave) {
  scan(badge("RB-0001"), "2026-12-03T08:31:00-06:00", milliseconds{1000});
  scan(badge("RB-0001"), "2026-12-03T09:15:00-06:00", milliseconds{2000});
  app_->key(KeyEvent{KeyKind::enter, 0, milliseconds{3000}}, milliseconds{3000});
  ASSERT_TRUE(state().outcome);
  EXPECT_EQ(state().outcome->result, CheckinResult::left);
}

TEST_F(KioskAppTest, ScanInStaffModeIsNotRecorded) {
  app_->handle(OpenStaff{}, milliseconds{1000});
  enter_pin("2468", milliseconds{1100});
  ASSERT_EQ(state().screen, Screen::staff);
  scan(badge("RB-0001"), "2026-12-03T08:31:00-06:00", milliseconds{1200});
  EXPECT_EQ(state().screen, Screen::staff);
  EXPECT_TRUE(state().staff_message_error);
  auto scans = store_->scans_for_session("S1");
  ASSERT_TRUE(scans);
  EXPECT_TRUE(scans->empty());
}

TEST_F(KioskAppTest, StaffModeShowsTheDeviceIdAndKeyFingerprint) {
  app_->handle(OpenStaff{}, milliseconds{1000});
  enter_pin("2468", milliseconds{1100});
  ASSERT_EQ(state().screen, Screen::staff);
  auto key = device_key(*store_);
  ASSERT_TRUE(key && key->has_value()) << "made when the door opened";
  EXPECT_EQ(state().sync.device_id, "DOOR-1");
  EXPECT_EQ(state().sync.key_fingerprint, key_fingerprint((*key)->public_key()));
  EXPECT_NE(app_->state_json().find(state().sync.key_fingerprint), std::string::npos);
}

TEST_F(KioskAppTest, WrongPinStaysOnPadWithMessage) {
  app_->handle(OpenStaff{}, milliseconds{1000});
  EXPECT_EQ(state().screen, Screen::staff_pin);
  enter_pin("1111", milliseconds{1100});
  EXPECT_EQ(state().screen, Screen::staff_pin);
  EXPECT_NE(state().pin_message.find("4 attempts left"), std::string::npos) << state().pin_message;
  EXPECT_EQ(state().pin_length, 0U);
}

TEST_F(KioskAppTest, PinDigitsFromKeysAndBackspace) {
  app_->handle(OpenStaff{}, milliseconds{1000});
  for (const char32_t c : {U'2', U'4', U'9', U'\b', U'6', U'8'}) {
    app_->key(KeyEvent{KeyKind::character, c, milliseconds{1100}}, milliseconds{1100});
  }
  EXPECT_EQ(state().pin_length, 4U);
  app_->key(KeyEvent{KeyKind::enter, 0, milliseconds{1200}}, milliseconds{1200});
  EXPECT_EQ(state().screen, Screen::staff);
}

TEST_F(KioskAppTest, StaffSearchAsYouType) {
  app_->handle(OpenStaff{}, milliseconds{1000});
  enter_pin("2468", milliseconds{1100});
  app_->handle(StaffSearch{"hay"}, milliseconds{1200});
  ASSERT_FALSE(state().search_results.empty());
  EXPECT_EQ(state().search_results.front().id, "RB-0001");
  app_->handle(StaffSearch{""}, milliseconds{1300});
  EXPECT_TRUE(state().search_results.empty());
}

TEST_F(KioskAppTest, StaffManualArrivalIsACorrectionAndShowsInside) {
  app_->handle(OpenStaff{}, milliseconds{1000});
  enter_pin("2468", milliseconds{1100});
  EXPECT_EQ(state().staff_session_id, "S1");
  app_->handle(StaffManual{"RB-0003", Correction::arrive, "forgot badge"}, milliseconds{1200});
  EXPECT_FALSE(state().staff_message_error) << state().staff_message;
  auto scans = store_->scans_for_session("S1");
  ASSERT_TRUE(scans);
  ASSERT_EQ(scans->size(), 1U);
  EXPECT_EQ(scans->front().kind, ScanKind::correction);
  EXPECT_EQ(scans->front().reason, "forgot badge");
  EXPECT_EQ(state().inside_count, 1U);
  ASSERT_EQ(state().door_rows.size(), 1U);
  EXPECT_EQ(state().door_rows.front().name, "Patricia Dunlap");
}

TEST_F(KioskAppTest, StaffManualLeaveEndsInside) {
  scan(badge("RB-0001"), "2026-12-03T08:31:00-06:00", milliseconds{1000});
  app_->handle(OpenStaff{}, milliseconds{2000});
  enter_pin("2468", milliseconds{2100});
  EXPECT_EQ(state().inside_count, 1U);
  wall_ = at("2026-12-03T09:40:00-06:00");
  app_->handle(StaffManual{"RB-0001", Correction::leave, "left by side door"}, milliseconds{2200});
  EXPECT_EQ(state().inside_count, 0U);
  ASSERT_EQ(state().door_rows.size(), 1U);
  EXPECT_EQ(state().door_rows.front().leave, "09:40");
  EXPECT_EQ(state().door_rows.front().arrival, "08:31");
}

TEST_F(KioskAppTest, StaffPicksTheDoorSession) {
  app_->handle(OpenStaff{}, milliseconds{1000});
  enter_pin("2468", milliseconds{1100});
  app_->handle(StaffPickSession{std::string("S2")}, milliseconds{1200});
  EXPECT_EQ(state().staff_session_id, "S2");
  EXPECT_EQ(app_->door_session()->id, "S2");
  app_->handle(StaffPickSession{std::nullopt}, milliseconds{1300});
  EXPECT_EQ(state().staff_session_id, "S1");
}

TEST_F(KioskAppTest, SyncStatusReadsTheSyncSettings) {
  scan(badge("RB-0001"), "2026-12-03T08:31:00-06:00", milliseconds{1000});
  ASSERT_TRUE(store_->set_setting(kSettingSyncLastSuccess, "2026-12-03T14:20:00Z"));
  ASSERT_TRUE(store_->set_setting(kSettingSyncLastError, "server unreachable"));
  app_->handle(DismissResult{}, milliseconds{1100});
  app_->handle(OpenStaff{}, milliseconds{1200});
  enter_pin("2468", milliseconds{1300});
  EXPECT_EQ(state().sync.queued, 1U);
  EXPECT_EQ(state().sync.last_success, "2026-12-03T14:20:00Z");
  EXPECT_EQ(state().sync.last_error, "server unreachable");
  EXPECT_TRUE(state().sync.branch_note.empty());
}

TEST_F(KioskAppTest, StaffModeShowsThatTheKioskContinuesOnABranch) {
  ASSERT_TRUE(store_->set_setting(
      kSettingSyncBranchNote,
      "restored from a backup or cloned: continues as branch K-1-B2 (its scans from #7 of K-1 "
      "moved there)"));
  app_->handle(OpenStaff{}, milliseconds{1200});
  enter_pin("2468", milliseconds{1300});
  EXPECT_NE(state().sync.branch_note.find("continues as branch K-1-B2"), std::string::npos);
}

TEST_F(KioskAppTest, ExportWritesCsvOfAttendance) {
  scan(badge("RB-0001"), "2026-12-03T08:31:00-06:00", milliseconds{1000});
  const auto folder = dir_ / "usb";
  std::filesystem::create_directories(folder);
  app_->handle(OpenStaff{}, milliseconds{2000});
  enter_pin("2468", milliseconds{2100});
  app_->handle(StaffExport{folder}, milliseconds{2200});
  EXPECT_FALSE(state().staff_message_error) << state().staff_message;
  int files = 0;
  std::string text;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    ++files;
    text = test::read_file(entry.path());
  }
  EXPECT_EQ(files, 1);
  EXPECT_EQ(text.rfind("event_id,session_id,", 0), 0U);
  EXPECT_NE(text.find("S1,"), std::string::npos);
  EXPECT_NE(text.find("Loretta Haynes"), std::string::npos);
}

TEST_F(KioskAppTest, ExportToMissingFolderFails) {
  app_->handle(OpenStaff{}, milliseconds{1000});
  enter_pin("2468", milliseconds{1100});
  const auto missing = dir_ / "no-such-stick";
  app_->handle(StaffExport{missing}, milliseconds{1200});
  EXPECT_TRUE(state().staff_message_error);
  // Staff read why, with the folder they typed; nothing was written, not even the folder.
  EXPECT_EQ(state().staff_message, "Export failed: no such folder: " + missing.string());
  EXPECT_FALSE(std::filesystem::exists(missing));
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.path())) {
    EXPECT_NE(entry.path().extension(), ".csv") << entry.path();
  }
}

TEST_F(KioskAppTest, StaffModeTimesOutAndForgetsSearch) {
  app_->handle(OpenStaff{}, milliseconds{1000});
  enter_pin("2468", milliseconds{1100});
  app_->handle(StaffSearch{"hay"}, milliseconds{1200});
  app_->tick(milliseconds{1200 + 300000});
  EXPECT_EQ(state().screen, Screen::attract);
  EXPECT_TRUE(state().staff_query.empty());
  EXPECT_TRUE(state().search_results.empty());
}

TEST_F(KioskAppTest, StateJsonDescribesTheScreen) {
  scan(badge("RB-0001"), "2026-12-03T08:31:00-06:00", milliseconds{1000});
  const auto json = nlohmann::json::parse(app_->state_json());
  EXPECT_EQ(json["screen"], "result");
  EXPECT_EQ(json["result"], "arrived");
  EXPECT_EQ(json["attendee"], "RB-0001");
  EXPECT_EQ(json["session"], "S1");
  EXPECT_EQ(json["flash"], "success");
}

TEST_F(KioskAppTest, RevisionChangesOnlyWithState) {
  const auto before = state().revision;
  app_->tick(milliseconds{100});
  EXPECT_EQ(state().revision, before);
  scan(badge("RB-0001"), "2026-12-03T08:31:00-06:00", milliseconds{1000});
  EXPECT_GT(state().revision, before);
}

TEST_F(KioskAppTest, NextDeadlineIsTheResultTimeout) {
  // Idle on attract the only wake-up is the look for a newly synced package, 5 s apart.
  app_->tick(milliseconds{0});
  ASSERT_TRUE(app_->next_deadline());
  EXPECT_EQ(*app_->next_deadline(), KioskAppOptions{}.package_check_interval);
  scan(badge("RB-0001"), "2026-12-03T08:31:00-06:00", milliseconds{1000});
  ASSERT_TRUE(app_->next_deadline());
  EXPECT_EQ(*app_->next_deadline(), milliseconds{1600}); // the flash ends first
  app_->tick(milliseconds{1600});
  EXPECT_EQ(*app_->next_deadline(), milliseconds{6000});
}

} // namespace
} // namespace muster::kiosk
