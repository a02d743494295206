#include "shared/domain.hpp"

#include <gtest/gtest.h>

namespace muster {
namespace {

TEST(Domain, RolesRoundTripAndOnlyElectedOfficialsEarnCredit) {
  for (Role role : {Role::mayor, Role::councilmember, Role::clerk, Role::staff, Role::guest}) {
    const auto parsed = parse_role(to_string(role));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, role);
  }
  EXPECT_TRUE(earns_cmo_credit(Role::mayor));
  EXPECT_TRUE(earns_cmo_credit(Role::councilmember));
  EXPECT_FALSE(earns_cmo_credit(Role::clerk));
  EXPECT_FALSE(earns_cmo_credit(Role::staff));
  EXPECT_FALSE(earns_cmo_credit(Role::guest));
  EXPECT_FALSE(parse_role("Mayor"));
  EXPECT_FALSE(parse_role(""));
}

TEST(Domain, ScanKindsAndCorrectionsRoundTrip) {
  for (ScanKind kind : {ScanKind::arrive, ScanKind::leave, ScanKind::correction}) {
    EXPECT_EQ(parse_scan_kind(to_string(kind)), kind);
  }
  for (Correction c : {Correction::none, Correction::arrive, Correction::leave, Correction::void_scan}) {
    EXPECT_EQ(parse_correction(to_string(c)), c);
  }
  EXPECT_FALSE(parse_scan_kind("depart"));
}

TEST(Domain, CorrectedTimeAddsTheClockOffsetToWhatTheScanAsserts) {
  Scan scan;
  scan.wall_time = Instant{std::chrono::hours{100}};
  scan.clock_offset_ms = -3 * 3600 * 1000;
  EXPECT_EQ(corrected_time(scan), Instant{std::chrono::hours{97}});
  scan.kind = ScanKind::correction;
  scan.correction = Correction::leave;
  scan.effective_time = Instant{std::chrono::hours{110}};
  EXPECT_EQ(corrected_time(scan), Instant{std::chrono::hours{107}});
}

}  // namespace
}  // namespace muster
