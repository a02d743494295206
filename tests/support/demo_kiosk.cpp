#include "tests/support/demo_kiosk.hpp"

#include <array>
#include <filesystem>
#include <stdexcept>

#include "kiosk/app/kiosk_settings.hpp"
#include "kiosk/scan/raw_scan.hpp"
#include "shared/import.hpp"
#include "shared/time.hpp"

namespace muster::test {

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

void DemoKioskTest::open_kiosk(const std::function<void(Event&)>& adjust, bool confirm_leaves) {
  using namespace kiosk; // NOLINT(google-build-using-namespace)
  app_.reset();          // a test may open the kiosk again with other choices
  checkin_.reset();
  pin_.reset();
  store_.reset();
  auto opened = KioskStore::open(dir_ / "kiosk.db");
  ASSERT_TRUE(opened) << opened.message();
  store_.emplace(std::move(*opened));
  auto event = read_event_json(std::filesystem::path(MUSTER_SOURCE_DIR) / "assets/demo/event.json");
  ASSERT_TRUE(event) << event.message();
  if (adjust) adjust(*event);
  ASSERT_TRUE(store_->replace_event(*event));
  auto roster =
      read_roster_csv(std::filesystem::path(MUSTER_SOURCE_DIR) / "assets/demo/roster.csv");
  ASSERT_TRUE(roster) << roster.message();
  ASSERT_TRUE(store_->upsert_roster(*roster));
  const std::array<PublicKey, 1> keys{league_key_.public_key()};
  ASSERT_TRUE(save_trust(*store_, "LEAGUE", keys, {}));
  ASSERT_TRUE(store_->set_setting(kSettingDeviceId, "DOOR-1"));
  CheckinOptions options;
  options.room = "Ballroom A";
  options.confirm_leaves = confirm_leaves;
  auto checkin = Checkin::open(*store_, options);
  ASSERT_TRUE(checkin) << checkin.message();
  checkin_.emplace(std::move(*checkin));
  pin_.emplace(*store_);
  ASSERT_TRUE(pin_->set("2468"));
  KioskAppOptions app_options;
  app_options.wall_clock = [this] { return wall_; };
  app_.emplace(*store_, *checkin_, *pin_, app_options);
}

std::string DemoKioskTest::badge(const std::string& attendee) const {
  auto payload = sign_badge({"LEAGUE", attendee, attendee + "-1"}, league_key_);
  if (!payload) throw std::runtime_error(payload.message());
  return *payload;
}

void DemoKioskTest::scan(const std::string& payload, const char* iso,
                         std::chrono::milliseconds now) {
  wall_ = at(iso);
  app_->scan(kiosk::RawScan{payload, kiosk::ScanSource::wedge, wall_, now}, now);
}

} // namespace muster::test
