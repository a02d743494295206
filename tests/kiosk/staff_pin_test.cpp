#include "kiosk/app/staff_pin.hpp"

#include <gtest/gtest.h>

#include <optional>

#include "shared/kiosk_store.hpp"
#include "shared/time.hpp"
#include "tests/support/test_support.hpp"

namespace muster::kiosk {
namespace {

using std::chrono::seconds;

class StaffPinTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = KioskStore::open(dir_ / "kiosk.db");
    ASSERT_TRUE(opened) << opened.message();
    store_.emplace(std::move(*opened));
  }
  test::TempDir dir_;
  std::optional<KioskStore> store_;
  Instant now_ = *parse_iso8601("2026-12-03T08:00:00Z");
};

TEST_F(StaffPinTest, NotSetUntilSet) {
  StaffPin pin(*store_);
  EXPECT_FALSE(pin.is_set());
  auto checked = pin.check("1234", now_);
  ASSERT_TRUE(checked);
  EXPECT_EQ(checked->verdict, PinVerdict::not_set);
}

TEST_F(StaffPinTest, StoredAsArgon2idHashOnly) {
  StaffPin pin(*store_);
  ASSERT_TRUE(pin.set("902137"));
  const auto hash = store_->setting(kSettingStaffPinHash);
  ASSERT_TRUE(hash);
  ASSERT_TRUE(hash->has_value());
  EXPECT_EQ((*hash)->rfind("$argon2id$", 0), 0U);
  EXPECT_EQ((*hash)->find("902137"), std::string::npos);
}

TEST_F(StaffPinTest, RightPinAcceptedWrongRefused) {
  StaffPin pin(*store_);
  ASSERT_TRUE(pin.set("902137"));
  auto wrong = pin.check("902138", now_);
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->verdict, PinVerdict::wrong);
  EXPECT_EQ(wrong->attempts_left, 4);
  auto right = pin.check("902137", now_);
  ASSERT_TRUE(right);
  EXPECT_EQ(right->verdict, PinVerdict::accepted);
  EXPECT_EQ(pin.failures(), 0);
}

TEST_F(StaffPinTest, RejectsPinsThatAreNotDigits) {
  StaffPin pin(*store_);
  EXPECT_FALSE(pin.set("12a4"));
  EXPECT_FALSE(pin.set("123"));
  EXPECT_FALSE(pin.set("1234567890123"));
  EXPECT_FALSE(pin.is_set());
}

TEST_F(StaffPinTest, FiveWrongPinsLockEvenTheRightOne) {
  StaffPin pin(*store_);
  ASSERT_TRUE(pin.set("2468"));
  for (int i = 0; i < 4; ++i) {
    auto checked = pin.check("0000", now_);
    ASSERT_TRUE(checked);
    EXPECT_EQ(checked->verdict, PinVerdict::wrong);
  }
  auto fifth = pin.check("0000", now_);
  ASSERT_TRUE(fifth);
  EXPECT_EQ(fifth->verdict, PinVerdict::locked);
  EXPECT_EQ(fifth->locked_for, seconds{30});
  auto right = pin.check("2468", now_ + seconds{29});
  ASSERT_TRUE(right);
  EXPECT_EQ(right->verdict, PinVerdict::locked);
  auto later = pin.check("2468", now_ + seconds{30});
  ASSERT_TRUE(later);
  EXPECT_EQ(later->verdict, PinVerdict::accepted);
}

TEST_F(StaffPinTest, LockoutGrowsWithEachFurtherWrongPin) {
  EXPECT_EQ(pin_lockout_after(4), seconds{0});
  EXPECT_EQ(pin_lockout_after(5), seconds{30});
  EXPECT_EQ(pin_lockout_after(6), seconds{60});
  EXPECT_EQ(pin_lockout_after(7), seconds{120});
  EXPECT_EQ(pin_lockout_after(8), seconds{240});
  EXPECT_EQ(pin_lockout_after(9), seconds{300});
  EXPECT_EQ(pin_lockout_after(40), seconds{300});
  StaffPin pin(*store_);
  ASSERT_TRUE(pin.set("2468"));
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(pin.check("0000", now_));
  auto sixth = pin.check("0000", now_ + seconds{31});
  ASSERT_TRUE(sixth);
  EXPECT_EQ(sixth->verdict, PinVerdict::locked);
  EXPECT_EQ(sixth->locked_for, seconds{60});
}

// Issue 15: a passer-by could lock staff mode for an hour. Whatever they tap, the longest
// lockout is 5 minutes, and wrong PINs spread over the day do not add up.
TEST_F(StaffPinTest, APasserByCannotLockStaffOutForLong) {
  StaffPin pin(*store_);
  ASSERT_TRUE(pin.set("2468"));
  Instant t = now_;
  seconds longest{0};
  for (int i = 0; i < 40; ++i) {
    auto checked = pin.check("0000", t);
    ASSERT_TRUE(checked);
    longest = std::max(longest, checked->locked_for);
    t += checked->locked_for + seconds{1}; // taps again the moment the pad unlocks
  }
  EXPECT_LE(longest, seconds{300});
  EXPECT_EQ(pin.check("2468", t)->verdict, PinVerdict::accepted);

  // Four wrong taps now and then, far apart: never locked.
  ASSERT_TRUE(pin.set("2468"));
  for (int i = 0; i < 10; ++i) {
    t += std::chrono::minutes{20};
    auto checked = pin.check("0000", t);
    ASSERT_TRUE(checked);
    EXPECT_EQ(checked->verdict, PinVerdict::wrong) << i;
  }
}

TEST_F(StaffPinTest, LockoutSurvivesARestart) {
  {
    StaffPin pin(*store_);
    ASSERT_TRUE(pin.set("2468"));
    for (int i = 0; i < 5; ++i)
      ASSERT_TRUE(pin.check("0000", now_));
  }
  store_.reset();
  auto reopened = KioskStore::open(dir_ / "kiosk.db");
  ASSERT_TRUE(reopened);
  StaffPin pin(*reopened);
  EXPECT_EQ(pin.failures(), 5);
  EXPECT_EQ(pin.locked_for(now_ + seconds{10}), seconds{20});
  auto checked = pin.check("2468", now_ + seconds{10});
  ASSERT_TRUE(checked);
  EXPECT_EQ(checked->verdict, PinVerdict::locked);
}

TEST_F(StaffPinTest, DemoPinOnlyWhenNoneSet) {
  StaffPin pin(*store_);
  ASSERT_TRUE(pin.ensure_demo());
  auto demo = pin.check(kDemoStaffPin, now_);
  ASSERT_TRUE(demo);
  EXPECT_EQ(demo->verdict, PinVerdict::accepted);
  ASSERT_TRUE(pin.set("97531"));
  ASSERT_TRUE(pin.ensure_demo());
  auto old_demo = pin.check(kDemoStaffPin, now_);
  ASSERT_TRUE(old_demo);
  EXPECT_EQ(old_demo->verdict, PinVerdict::wrong);
}

} // namespace
} // namespace muster::kiosk
