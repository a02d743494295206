#include "shared/text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace muster {
namespace {

TEST(Text, PrintableReplacesControlsAndBrokenUtf8) {
  EXPECT_EQ(printable("Ana Ruiz"), "Ana Ruiz");
  EXPECT_EQ(printable("Zoë"), "Zoë");
  EXPECT_EQ(printable("a\x1b[2Jb"), "a?[2Jb");
  EXPECT_EQ(printable("\x1b]0;title\x07"), "?]0;title?");
  EXPECT_EQ(printable("\xc2\x9b"
                      "31m"),
            "??31m"); // C1 CSI
  EXPECT_EQ(printable("\xff"), "?");
  EXPECT_EQ(printable(std::string("a\0b", 3)), "a?b");
}

TEST(Text, WalkInIdsAreTheDevicesOwn) {
  EXPECT_TRUE(is_walk_in_id_of("WALKIN-dev-1a-1", "dev-1a"));
  EXPECT_TRUE(is_walk_in_id_of("WALKIN-dev-1a-120", "dev-1a"));
  EXPECT_FALSE(is_walk_in_id_of("WALKIN-dev-1b-1", "dev-1a"));
  EXPECT_FALSE(is_walk_in_id_of("WALKIN-dev-1a-0", "dev-1a"));
  EXPECT_FALSE(is_walk_in_id_of("WALKIN-dev-1a-01", "dev-1a"));
  EXPECT_FALSE(is_walk_in_id_of("WALKIN-dev-1a-", "dev-1a"));
  EXPECT_FALSE(is_walk_in_id_of("WALKIN-dev-1a-1-2", "dev-1a"));
  EXPECT_FALSE(is_walk_in_id_of("RB-0001", "dev-1a"));
  EXPECT_FALSE(is_walk_in_id_of("WALKIN--1", ""));
}

TEST(Text, WalkInFieldsAreShortAndPrintable) {
  EXPECT_TRUE(is_valid_walk_in_field("Elm Creek"));
  EXPECT_TRUE(is_valid_walk_in_field(""));
  EXPECT_TRUE(is_valid_walk_in_field(std::string(80, 'a')));
  EXPECT_FALSE(is_valid_walk_in_field(std::string(81, 'a')));
  EXPECT_FALSE(is_valid_walk_in_field("Ana\tRuiz"));
  EXPECT_FALSE(is_valid_walk_in_field("\x1b[31mAna"));
}

} // namespace
} // namespace muster
