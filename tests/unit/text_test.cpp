#include "shared/text.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
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

TEST(Text, TrimTakesOnlyTheNamedCharactersOffTheEnds) {
  EXPECT_EQ(trim(" \tAna Ruiz \t"), "Ana Ruiz");
  EXPECT_EQ(trim("a b"), "a b");                       // inside stays
  EXPECT_EQ(trim(" MU1.x\r\n"), "MU1.x\r\n");          // blanks only by default
  EXPECT_EQ(trim(" MU1.x\r\n", kWhitespace), "MU1.x"); // a wedge scanner's line end
  EXPECT_EQ(trim(" \t \n", kWhitespace), "");
  EXPECT_EQ(trim(""), "");
  const std::string blank = "  ";
  EXPECT_EQ(trim(blank).data(), blank.data() + 2); // empty, but never a null pointer (SQLite binds
                                                   // a null text as NULL)
  EXPECT_EQ(trim_start("  x  "), "x  ");
  EXPECT_EQ(trim_end("  x  "), "  x");
  EXPECT_EQ(trim_end("error: no\n", "\n "), "error: no");
  // A CR LF file's line: blanks at the start, blanks and the CR at the end.
  EXPECT_EQ(trim_start(trim_end(" key MU1 \r", " \t\r")), "key MU1");
}

TEST(Text, LowerAsciiLowersOnlyAToZ) {
  EXPECT_EQ(lower_ascii("Ballroom A-1"), "ballroom a-1");
  EXPECT_EQ(lower_ascii("ÉTÉ"), "ÉtÉ"); // UTF-8 bytes are left alone
  EXPECT_EQ(lower_ascii(""), "");
}

TEST(Text, LowerHexHasOneSpellingPerValue) {
  const std::array<std::uint8_t, 3> bytes{0x00, 0xAB, 0x7F};
  EXPECT_EQ(lower_hex(bytes), "00ab7f");
  std::array<std::uint8_t, 3> back{};
  ASSERT_TRUE(parse_lower_hex("00ab7f", back));
  EXPECT_EQ(back, bytes);
  EXPECT_FALSE(parse_lower_hex("00AB7F", back)); // upper case is another spelling: refused
  EXPECT_FALSE(parse_lower_hex("00ab7", back));  // one digit short
  EXPECT_FALSE(parse_lower_hex("00ab7f00", back));
  EXPECT_FALSE(parse_lower_hex("00ab7g", back));
}

} // namespace
} // namespace muster
