#include "shared/hours.hpp"

#include <gtest/gtest.h>

#include <string>

namespace muster {
namespace {

TEST(Hours, BriefIsForPeople) {
  EXPECT_EQ(format_hours(7.5), "7.5");
  EXPECT_EQ(format_hours(8), "8");
  EXPECT_EQ(format_hours(2.25), "2.25");
  EXPECT_EQ(format_hours(1.0 / 3.0), "0.33");
  EXPECT_EQ(format_hours(-0.001), "0"); // never "-0"
  EXPECT_EQ(format_hours(7.5, HoursStyle::brief), "7.5");
}

TEST(Hours, TwoDecimalsLineUpInColumns) {
  EXPECT_EQ(format_hours(7.5, HoursStyle::two_decimals), "7.50");
  EXPECT_EQ(format_hours(8, HoursStyle::two_decimals), "8.00");
  EXPECT_EQ(format_hours(0, HoursStyle::two_decimals), "0.00");
  EXPECT_EQ(format_hours(1.0 / 3.0, HoursStyle::two_decimals), "0.33");
}

TEST(Hours, ExactReadsBackAsTheSameDouble) {
  EXPECT_EQ(format_hours(0.1, HoursStyle::exact), "0.1");
  EXPECT_EQ(format_hours(8, HoursStyle::exact), "8");
  const double third = 1.0 / 3.0;
  EXPECT_EQ(std::stod(format_hours(third, HoursStyle::exact)), third);
}

} // namespace
} // namespace muster
