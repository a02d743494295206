// Staff mode's walk-in registration (kiosk/app/walk_in.cpp through KioskApp), the door's room
// picker (StaffSetRoom) and the sound cues of the state machine (no audio device needed).
#include "kiosk/app/walk_in.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "kiosk/app/kiosk_app.hpp"
#include "kiosk/app/kiosk_settings.hpp"
#include "shared/badge.hpp"
#include "shared/import.hpp"
#include "shared/kiosk_store.hpp"
#include "shared/time.hpp"
#include "tests/support/demo_kiosk.hpp"
#include "tests/support/test_support.hpp"

namespace muster::kiosk {
namespace {

using std::chrono::milliseconds;

using test::at;

// The demo event (assets/demo/event.json, America/Chicago, 2026-12-03): S1 in Ballroom A
// 08:30-10:00, S3 in Room 104 10:15-11:15. The door is DOOR-1 in Ballroom A, staff mode open.
class StaffFixture : public test::DemoKioskTest {
protected:
  StaffFixture() { wall_ = at("2026-12-03T08:40:00-06:00"); }

  void open_staff() {
    app_->handle(OpenStaff{}, milliseconds{10});
    for (const char c : std::string("2468"))
      app_->handle(PinDigit{c}, milliseconds{20});
    app_->handle(PinSubmit{}, milliseconds{30});
    ASSERT_EQ(state().screen, Screen::staff);
  }

  static StaffWalkIn ana() {
    return StaffWalkIn{"Ana", "Ruiz", "Town of Elm Creek", "councilmember",
                       "elected last week, not in the roster"};
  }

  std::size_t scan_count() const {
    auto scans = store_->scans_after("DOOR-1", 0, 1000);
    return scans ? scans->size() : 0;
  }
};

class WalkIn : public StaffFixture {};
class DoorRoom : public StaffFixture {};
class SoundCue : public StaffFixture {};

TEST_F(WalkIn, RecordsOneRegistrationThenAnArrival) {
  open_staff();
  app_->handle(ana(), milliseconds{100});
  EXPECT_FALSE(state().staff_message_error) << state().staff_message;
  EXPECT_EQ(state().last_walk_in, "WALKIN-DOOR-1-1");

  auto scans = store_->scans_after("DOOR-1", 0, 100);
  ASSERT_TRUE(scans);
  ASSERT_EQ(scans->size(), 2U);
  const Scan& registration = (*scans)[0];
  EXPECT_EQ(registration.kind, ScanKind::registration);
  EXPECT_EQ(registration.attendee_id, "WALKIN-DOOR-1-1");
  EXPECT_TRUE(registration.session_id.empty());
  EXPECT_EQ(registration.staff_id, "kiosk-staff");
  EXPECT_EQ(registration.reason, "elected last week, not in the roster");
  const auto details = nlohmann::json::parse(registration.details);
  EXPECT_EQ(details["first_name"], "Ana");
  EXPECT_EQ(details["last_name"], "Ruiz");
  EXPECT_EQ(details["role"], "councilmember");
  EXPECT_EQ(details["municipality"], "Town of Elm Creek");

  const Scan& arrival = (*scans)[1];
  EXPECT_EQ(arrival.kind, ScanKind::correction);
  EXPECT_EQ(arrival.correction, Correction::arrive);
  EXPECT_EQ(arrival.session_id, "S1");
  EXPECT_EQ(arrival.attendee_id, "WALKIN-DOOR-1-1");
  EXPECT_EQ(arrival.effective_time, at("2026-12-03T08:40:00-06:00"));
}

TEST_F(WalkIn, RosterListsAndSearchShowTheWalkInAsProvisional) {
  open_staff();
  app_->handle(ana(), milliseconds{100});
  auto attendee = store_->attendee("WALKIN-DOOR-1-1");
  ASSERT_TRUE(attendee) << attendee.message();
  EXPECT_EQ(attendee->first_name, "Ana");
  EXPECT_EQ(attendee->role, Role::councilmember);
  EXPECT_EQ(attendee->municipality, "Town of Elm Creek");

  // Today's list at this door: inside, provisional.
  const DoorRow* row = nullptr;
  for (const auto& r : state().door_rows) {
    if (r.attendee_id == "WALKIN-DOOR-1-1") row = &r;
  }
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->name, "Ana Ruiz");
  EXPECT_TRUE(row->inside);
  EXPECT_TRUE(row->provisional);
  EXPECT_EQ(state().inside_count, 1U);

  app_->handle(StaffSearch{"ruiz"}, milliseconds{200});
  ASSERT_EQ(state().search_results.size(), 1U);
  EXPECT_EQ(state().search_results[0].id, "WALKIN-DOOR-1-1");
  EXPECT_TRUE(is_walk_in_id(state().search_results[0].id));
  EXPECT_FALSE(is_walk_in_id("RB-0001"));

  // The CSV export lists the walk-in, flagged provisional.
  auto file = app_->export_csv(dir_.path());
  ASSERT_TRUE(file) << file.message();
  std::ifstream in(*file);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find(",provisional\n"), std::string::npos);
  EXPECT_NE(text.str().find("WALKIN-DOOR-1-1,Ana Ruiz,Town of Elm Creek,councilmember,08:40,,yes,"),
            std::string::npos)
      << text.str();
  EXPECT_NE(text.str().find(",yes\n"), std::string::npos);
}

TEST_F(WalkIn, TheDoorGreetsTheWalkInByNameAfterward) {
  // The roster entry is what a later badge (a League-signed one for this id) is shown with.
  open_staff();
  app_->handle(ana(), milliseconds{100});
  app_->handle(CloseStaff{}, milliseconds{200});
  wall_ = at("2026-12-03T10:20:00-06:00"); // S2: a new session at this door
  app_->scan(RawScan{badge("WALKIN-DOOR-1-1"), ScanSource::wedge, wall_, milliseconds{5000}},
             milliseconds{5000});
  ASSERT_TRUE(state().outcome);
  EXPECT_EQ(state().outcome->result, CheckinResult::arrived);
  EXPECT_EQ(state().outcome->display_name, "Ana Ruiz");
}

TEST_F(WalkIn, IdsAreNumberedPerKioskAndNeverReused) {
  open_staff();
  app_->handle(ana(), milliseconds{100});
  auto second = ana();
  second.first_name = "Bo";
  app_->handle(second, milliseconds{200});
  EXPECT_EQ(state().last_walk_in, "WALKIN-DOOR-1-2");
  // A counter lost (settings reset) does not reuse an id that has scans.
  ASSERT_TRUE(store_->set_setting(kSettingWalkInNext, "1"));
  second.first_name = "Cy";
  app_->handle(second, milliseconds{300});
  EXPECT_EQ(state().last_walk_in, "WALKIN-DOOR-1-3");
  EXPECT_TRUE(is_valid_badge_id(state().last_walk_in));
}

TEST_F(WalkIn, WithoutASessionNowOnlyTheRegistrationIsRecorded) {
  wall_ = at("2026-12-03T07:00:00-06:00"); // before the first session's lead time
  open_staff();
  app_->handle(ana(), milliseconds{100});
  EXPECT_FALSE(state().staff_message_error) << state().staff_message;
  EXPECT_NE(state().staff_message.find("no arrival"), std::string::npos) << state().staff_message;
  auto scans = store_->scans_after("DOOR-1", 0, 100);
  ASSERT_TRUE(scans);
  ASSERT_EQ(scans->size(), 1U);
  EXPECT_EQ((*scans)[0].kind, ScanKind::registration);
}

TEST_F(WalkIn, InvalidInputRecordsNothing) {
  open_staff();
  const auto refused = [&](StaffWalkIn form, const char* expected) {
    app_->handle(form, milliseconds{100});
    EXPECT_TRUE(state().staff_message_error);
    EXPECT_NE(state().staff_message.find(expected), std::string::npos) << state().staff_message;
    EXPECT_EQ(scan_count(), 0U);
    EXPECT_FALSE(store_->attendee("WALKIN-DOOR-1-1"));
  };
  auto form = ana();
  form.first_name = "   ";
  refused(form, "first name");
  form = ana();
  form.last_name = "";
  refused(form, "last name");
  form = ana();
  form.last_name = std::string(81, 'x');
  refused(form, "too long");
  form = ana();
  form.first_name = "An\ta";
  refused(form, "cannot be printed");
  form = ana();
  form.municipality = "Elm\x01";
  refused(form, "cannot be printed");
  form = ana();
  form.first_name = "\xC3"; // truncated UTF-8
  refused(form, "cannot be printed");
  form = ana();
  form.role = "king";
  refused(form, "role");
  form = ana();
  form.reason = " ";
  refused(form, "reason");
  form = ana();
  form.municipality = ""; // an official needs a municipality
  refused(form, "municipality");
  // Not in staff mode: nothing either.
  app_->handle(CloseStaff{}, milliseconds{200});
  app_->handle(ana(), milliseconds{300});
  EXPECT_EQ(scan_count(), 0U);
}

TEST_F(WalkIn, AGuestMayComeWithoutMunicipalityAndAccentsAreFine) {
  open_staff();
  StaffWalkIn guest{"Zoë", "Łukasik", "", "guest", "speaker's assistant"};
  app_->handle(guest, milliseconds{100});
  EXPECT_FALSE(state().staff_message_error) << state().staff_message;
  auto attendee = store_->attendee(state().last_walk_in);
  ASSERT_TRUE(attendee);
  EXPECT_EQ(attendee->first_name, "Zoë");
  EXPECT_EQ(attendee->role, Role::guest);
}

TEST_F(DoorRoom, ChangingTheRoomChangesTheDoorsSession) {
  wall_ = at("2026-12-03T10:30:00-06:00"); // S2 in Ballroom A, S3 in Room 104
  ASSERT_EQ(app_->door_session()->id, "S2");
  const auto rooms = app_->rooms();
  ASSERT_EQ(rooms.size(), 3U);
  EXPECT_EQ(rooms[0], "Ballroom A");
  EXPECT_EQ(rooms[1], "Room 104");
  open_staff();
  app_->handle(StaffSetRoom{"Room 104"}, milliseconds{100});
  EXPECT_FALSE(state().staff_message_error) << state().staff_message;
  EXPECT_EQ(app_->door_session()->id, "S3");
  EXPECT_EQ(state().staff_session_id, "S3");
  EXPECT_EQ(checkin_->room(), "Room 104");
  EXPECT_EQ(setting_or(*store_, kSettingRoom, ""), "Room 104");
  for (const auto& session : app_->door_sessions())
    EXPECT_EQ(session.room, "Room 104");

  // A scan now arrives in Room 104's session.
  app_->handle(CloseStaff{}, milliseconds{200});
  app_->scan(RawScan{badge("RB-0001"), ScanSource::wedge, wall_, milliseconds{300}},
             milliseconds{300});
  ASSERT_TRUE(state().outcome);
  EXPECT_EQ(state().outcome->session_id, "S3");

  // The room is kept: a Checkin opened later on the same store has it.
  auto reopened = Checkin::open(*store_);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->room(), "Room 104");
}

TEST_F(DoorRoom, AllRoomsAndUnknownRooms) {
  wall_ = at("2026-12-03T10:30:00-06:00");
  open_staff();
  app_->handle(StaffSetRoom{"Attic"}, milliseconds{100});
  EXPECT_TRUE(state().staff_message_error);
  EXPECT_EQ(checkin_->room(), "Ballroom A");
  app_->handle(StaffSetRoom{"room 104"}, milliseconds{150}); // case and spaces do not matter
  EXPECT_FALSE(state().staff_message_error);
  EXPECT_EQ(app_->door_session()->id, "S3");
  // All rooms: two sessions at once is ambiguous, so no session.
  app_->handle(StaffSetRoom{""}, milliseconds{200});
  EXPECT_FALSE(state().staff_message_error);
  EXPECT_EQ(checkin_->room(), "");
  EXPECT_FALSE(app_->door_session());
  EXPECT_EQ(app_->door_sessions().size(), 6U);
}

TEST_F(DoorRoom, ARoomChangeClearsAStaffSessionPick) {
  wall_ = at("2026-12-03T10:30:00-06:00");
  open_staff();
  app_->handle(StaffPickSession{std::string("S1")}, milliseconds{100});
  EXPECT_EQ(app_->door_session()->id, "S1");
  app_->handle(StaffSetRoom{"Room 104"}, milliseconds{200});
  EXPECT_EQ(app_->door_session()->id, "S3");
  EXPECT_FALSE(checkin_->session_override());
}

TEST_F(SoundCue, ArrivalPlaysSuccessRejectionPlaysFailure) {
  EXPECT_EQ(state().sound, Sound::none);
  const auto start = state().sound_serial;
  app_->scan(RawScan{badge("RB-0001"), ScanSource::wedge, wall_, milliseconds{100}},
             milliseconds{100});
  EXPECT_EQ(state().sound, Sound::success);
  EXPECT_EQ(state().sound_serial, start + 1);
  app_->scan(RawScan{"not a badge", ScanSource::wedge, wall_, milliseconds{200}},
             milliseconds{200});
  EXPECT_EQ(state().outcome->result, CheckinResult::rejected);
  EXPECT_EQ(state().sound, Sound::failure);
  EXPECT_EQ(state().sound_serial, start + 2);
  // Another refusal plays again (the serial moves even when the cue is the same).
  app_->scan(RawScan{"still not a badge", ScanSource::wedge, wall_, milliseconds{300}},
             milliseconds{300});
  EXPECT_EQ(state().sound_serial, start + 3);
  const auto json = nlohmann::json::parse(app_->state_json());
  EXPECT_EQ(json["sound"], "failure");
  EXPECT_EQ(json["sound_serial"], start + 3);
}

TEST_F(SoundCue, IgnoredScansAndTheLeaveQuestionAreSilent) {
  app_->scan(RawScan{badge("RB-0001"), ScanSource::wedge, wall_, milliseconds{100}},
             milliseconds{100});
  const auto serial = state().sound_serial;
  // The same badge within the debounce: ignored, no cue.
  app_->scan(RawScan{badge("RB-0001"), ScanSource::wedge, wall_ + std::chrono::seconds{5},
                     milliseconds{5100}},
             milliseconds{5100});
  EXPECT_EQ(state().sound_serial, serial);
  // "Leaving early?" asks without a sound; confirming it plays success.
  wall_ = at("2026-12-03T09:10:00-06:00");
  app_->scan(RawScan{badge("RB-0001"), ScanSource::wedge, wall_, milliseconds{9000}},
             milliseconds{9000});
  ASSERT_EQ(state().screen, Screen::confirm_leave);
  EXPECT_EQ(state().sound_serial, serial);
  app_->handle(AnswerLeave{true}, milliseconds{9500});
  EXPECT_EQ(state().sound, Sound::success);
  EXPECT_EQ(state().sound_serial, serial + 1);
}

} // namespace
} // namespace muster::kiosk
