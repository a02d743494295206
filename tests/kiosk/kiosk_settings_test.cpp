// kiosk_settings.cpp: the kiosk's identity (device id and device key); the event's programs and
// eligible roles kept beside the stored event, and the door's answer (credit_eligible) following
// them.
#include "kiosk/app/kiosk_settings.hpp"

#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <optional>
#include <string>

#include "kiosk/app/checkin.hpp"
#include "kiosk/app/desk.hpp"
#include "kiosk/app/package_import.hpp"
#include "shared/badge.hpp"
#include "shared/event_package.hpp"
#include "shared/import.hpp"
#include "shared/kiosk_store.hpp"
#include "shared/time.hpp"
#include "tests/support/test_support.hpp"

namespace muster::kiosk {
namespace {

const std::filesystem::path kDemo = std::filesystem::path(MUSTER_SOURCE_DIR) / "assets/demo";

class EventProgramsTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = KioskStore::open(dir_ / "kiosk.db");
    ASSERT_TRUE(opened) << opened.message();
    store_.emplace(std::move(*opened));
    ASSERT_TRUE(store_->set_setting(kSettingDeviceId, "DOOR-1"));
  }

  // Imports the demo event and roster as a signed package, the event granting `roles` credit.
  void import(const std::vector<std::string>& programs, const std::vector<Role>& roles) {
    auto event = read_event_json(kDemo / "event.json");
    ASSERT_TRUE(event) << event.message();
    event->programs = programs;
    event->eligible_roles = roles;
    auto roster = read_roster_csv(kDemo / "roster.csv");
    ASSERT_TRUE(roster) << roster.message();
    EventPackage package;
    package.league_id = "LEAGUE";
    package.cursor = ++cursor_;
    package.event = *event;
    package.attendees = *roster;
    package.league_keys = {key_.public_key()};
    package.generated_at = *parse_iso8601("2026-12-01T12:00:00Z");
    auto imported = import_package(*store_, sign_package(package, key_));
    ASSERT_TRUE(imported) << imported.message();
  }

  bool eligible_at_the_door(const std::string& attendee) {
    CheckinOptions options;
    options.room = "Ballroom A";
    auto checkin = Checkin::open(*store_, options);
    EXPECT_TRUE(checkin) << checkin.message();
    auto payload = sign_badge({"LEAGUE", attendee, attendee + "-1"}, key_);
    EXPECT_TRUE(payload);
    const Instant when = *parse_iso8601("2026-12-03T08:31:00-06:00");
    const auto outcome =
        checkin->accept(RawScan{*payload, ScanSource::wedge, when, when.time_since_epoch()});
    EXPECT_EQ(outcome.result, CheckinResult::arrived) << outcome.reason;
    return outcome.credit_eligible;
  }

  static SigningKey make_key() {
    auto key = SigningKey::generate("LK1");
    if (!key) throw std::runtime_error(key.message());
    return std::move(*key);
  }

  test::TempDir dir_;
  std::optional<KioskStore> store_;
  SigningKey key_ = make_key();
  std::uint64_t cursor_ = 0;
};

TEST_F(EventProgramsTest, SavedAndLoadedBesideTheEvent) {
  Event event;
  event.programs = {"amcto-pdu", "icma-cm"};
  event.eligible_roles = {Role::clerk, Role::staff};
  ASSERT_TRUE(save_event_programs(*store_, event));
  Event loaded; // the defaults, as the store's event table gives them
  load_event_programs(*store_, loaded);
  EXPECT_EQ(loaded.programs, event.programs);
  EXPECT_EQ(loaded.eligible_roles, event.eligible_roles);
  Event nobody;
  nobody.eligible_roles = {};
  ASSERT_TRUE(save_event_programs(*store_, nobody));
  load_event_programs(*store_, loaded);
  EXPECT_TRUE(loaded.eligible_roles.empty()); // "no role" stays no role, not the default
}

TEST_F(EventProgramsTest, TheDoorShowsCreditForTheRolesTheEventsProgramsCredit) {
  // The demo roster: RB-0001 mayor, RB-0003 clerk.
  import({"alm-cmo"}, {Role::mayor, Role::councilmember});
  EXPECT_TRUE(eligible_at_the_door("RB-0001"));
  EXPECT_FALSE(eligible_at_the_door("RB-0003"));
  // A later package makes it an AMCTO event for clerks and staff: the door follows it.
  import({"amcto-pdu"}, {Role::clerk, Role::staff});
  EXPECT_TRUE(eligible_at_the_door("PC-0003"));  // staff
  EXPECT_FALSE(eligible_at_the_door("PC-0001")); // a mayor
}

TEST_F(EventProgramsTest, AKioskWithoutSavedProgramsKeepsTheAlmDefault) {
  Event event;
  load_event_programs(*store_, event);
  EXPECT_EQ(event.programs, Event::default_event_programs());
  EXPECT_EQ(event.eligible_roles, Event::default_eligible_roles());
}

// A kiosk's identity: made at its first start, one key for the door and the desk.
TEST(DeviceIdentity, FirstStartMakesTheDeviceIdAndItsKeyOnce) {
  test::TempDir dir;
  auto store = KioskStore::open(dir.path() / "kiosk.db");
  ASSERT_TRUE(store) << store.message();
  auto none = device_key(*store);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  auto id = ensure_device_id(*store);
  ASSERT_TRUE(id) << id.message();
  EXPECT_EQ(id->rfind("K-", 0), 0U);
  auto made = device_key(*store);
  ASSERT_TRUE(made && made->has_value()) << "the key comes with the id";
  EXPECT_EQ((*made)->key_id(), "DESK-" + *id);
  auto again = ensure_device_key(*store);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->public_key(), (*made)->public_key());
  auto desk = ensure_desk_key(*store);
  ASSERT_TRUE(desk);
  EXPECT_EQ(desk->public_key(), again->public_key()) << "a desk's key is its device key";
}

TEST(DeviceIdentity, ADeskStoreFromBeforeKeepsItsKeyAsTheDeviceKey) {
  test::TempDir dir;
  auto store = KioskStore::open(dir.path() / "kiosk.db");
  ASSERT_TRUE(store) << store.message();
  auto old = SigningKey::generate("DESK-K-OLD");
  ASSERT_TRUE(old);
  ASSERT_TRUE(store->set_setting("device_id", "K-0123456789AB"));
  ASSERT_TRUE(store->set_setting("desk.secret_key", old->to_secret_text()));
  auto key = ensure_device_key(*store);
  ASSERT_TRUE(key) << key.message();
  EXPECT_EQ(key->public_key(), old->public_key());
}

} // namespace
} // namespace muster::kiosk
