#pragma once
// The demo kiosk for tests of the kiosk's state machine: a real kiosk store in a temporary
// directory with the demo event (assets/demo/event.json: America/Chicago, 2026-12-03; S1 in
// Ballroom A 08:30-10:00, S3 in Room 104 10:15-11:15) and roster (RB-0001 Loretta Haynes is a
// mayor, RB-0003 Patricia Dunlap a clerk), a trusted League key "LEAGUE", device DOOR-1 in
// Ballroom A, staff PIN 2468, and a KioskApp whose wall clock is `wall_`.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "kiosk/app/checkin.hpp"
#include "kiosk/app/kiosk_app.hpp"
#include "kiosk/app/staff_pin.hpp"
#include "shared/badge.hpp"
#include "shared/domain.hpp"
#include "shared/kiosk_store.hpp"
#include "tests/support/test_support.hpp"

namespace muster::test {

// An ISO 8601 time with offset; throws on a typo in the test.
Instant at(const char* iso);
// A fresh signing key; throws if libsodium fails.
SigningKey make_key(const char* id);

class DemoKioskTest : public ::testing::Test {
protected:
  void SetUp() override { open_kiosk(); }

  // Opens the store and the app. `adjust` may change the demo event before it is stored;
  // `confirm_leaves`: the kiosk asks "Leaving early?".
  void open_kiosk(const std::function<void(Event&)>& adjust = {}, bool confirm_leaves = true);

  // A badge for `attendee` signed by the League key (serial "<attendee>-1").
  [[nodiscard]] std::string badge(const std::string& attendee) const;
  // A scan at wall time `iso`, `now` on the monotonic clock.
  void scan(const std::string& payload, const char* iso, std::chrono::milliseconds now);
  [[nodiscard]] const kiosk::KioskState& state() const { return app_->state(); }

  TempDir dir_;
  std::optional<KioskStore> store_;
  std::optional<kiosk::Checkin> checkin_;
  std::optional<kiosk::StaffPin> pin_;
  std::optional<kiosk::KioskApp> app_;
  SigningKey league_key_ = make_key("LK1");
  Instant wall_ = at("2026-12-03T08:35:00-06:00");
};

} // namespace muster::test
