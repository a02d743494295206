#include "shared/domain.hpp"

#include <gtest/gtest.h>

namespace muster {
namespace {

TEST(Domain, RolesRoundTripAndTheDefaultEventCreditsOnlyElectedOfficials) {
  for (Role role : all_roles()) {
    const auto parsed = parse_role(to_string(role));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, role);
  }
  EXPECT_EQ(all_roles().size(), kRoleCount);
  EXPECT_EQ(parse_role("manager"), Role::manager);
  const Event alm; // no "programs" in the file: the ALM program, as before
  EXPECT_TRUE(grants_credit(alm, Role::mayor));
  EXPECT_TRUE(grants_credit(alm, Role::councilmember));
  EXPECT_FALSE(grants_credit(alm, Role::clerk));
  EXPECT_FALSE(grants_credit(alm, Role::staff));
  EXPECT_FALSE(grants_credit(alm, Role::guest));
  EXPECT_FALSE(grants_credit(alm, Role::manager));
  EXPECT_TRUE(is_elected(Role::mayor));
  EXPECT_FALSE(is_elected(Role::manager));
  EXPECT_FALSE(parse_role("Mayor"));
  EXPECT_FALSE(parse_role(""));
}

TEST(Domain, AnEventCreditsTheRolesItsProgramsMakeEligible) {
  Event amcto;
  amcto.programs = {"amcto-pdu"};
  amcto.eligible_roles = {Role::clerk, Role::staff, Role::manager};
  EXPECT_TRUE(grants_credit(amcto, Role::clerk));
  EXPECT_TRUE(grants_credit(amcto, Role::manager));
  EXPECT_FALSE(grants_credit(amcto, Role::mayor));
  EXPECT_FALSE(grants_credit(amcto, Role::guest));
}

TEST(Domain, ScanKindsAndCorrectionsRoundTrip) {
  for (ScanKind kind : {ScanKind::arrive, ScanKind::leave, ScanKind::correction}) {
    EXPECT_EQ(parse_scan_kind(to_string(kind)), kind);
  }
  for (Correction c :
       {Correction::none, Correction::arrive, Correction::leave, Correction::void_scan}) {
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

} // namespace
} // namespace muster
