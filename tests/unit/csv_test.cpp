#include "shared/csv.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace muster {
namespace {

using Fields = std::vector<std::string>;

std::vector<CsvRecord> parse_ok(std::string_view text) {
  auto records = parse_csv(text);
  EXPECT_TRUE(records.ok()) << (records.ok() ? "" : records.message());
  return records.ok() ? *records : std::vector<CsvRecord>{};
}

TEST(Csv, SplitsRecordsAndRemembersTheirLines) {
  const auto records = parse_ok("a,b,c\nd,e,f\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].fields, (Fields{"a", "b", "c"}));
  EXPECT_EQ(records[0].line, 1u);
  EXPECT_EQ(records[1].fields, (Fields{"d", "e", "f"}));
  EXPECT_EQ(records[1].line, 2u);
}

TEST(Csv, QuotedFieldKeepsCommasAndSpaces) {
  const auto records = parse_ok("\"Whitfield, Jr.\",\" padded \", unquoted \n");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].fields, (Fields{"Whitfield, Jr.", " padded ", " unquoted "}));
}

TEST(Csv, DoubledQuotesBecomeOneQuote) {
  const auto records = parse_ok("\"Robert \"\"Bob\"\" Lee\",\"\"\"\",\"\"\n");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].fields, (Fields{"Robert \"Bob\" Lee", "\"", ""}));
}

TEST(Csv, QuoteInsideAnUnquotedFieldIsText) {
  const auto records = parse_ok("Robert \"Bob\" Lee,x\n");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].fields, (Fields{"Robert \"Bob\" Lee", "x"}));
}

TEST(Csv, EmbeddedNewlinesCountTowardsLaterLineNumbers) {
  const auto records = parse_ok("h1,h2\n\"first\nsecond\nthird\",x\nnext,y\n\"a\r\nb\",z\nlast,w");
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records[1].fields, (Fields{"first\nsecond\nthird", "x"}));
  EXPECT_EQ(records[1].line, 2u);
  EXPECT_EQ(records[2].fields, (Fields{"next", "y"}));
  EXPECT_EQ(records[2].line, 5u);
  EXPECT_EQ(records[3].fields, (Fields{"a\r\nb", "z"})); // a quoted CR LF is kept as written
  EXPECT_EQ(records[3].line, 6u);
  EXPECT_EQ(records[4].fields, (Fields{"last", "w"}));
  EXPECT_EQ(records[4].line, 8u);
  EXPECT_EQ(parse_ok("h1,h2\n\"a\r\nb\",z\r\nlast,w")[2].line, 4u);
}

TEST(Csv, CrLfLineEndsAreNotPartOfFields) {
  const auto records = parse_ok("a,b\r\nc,d\r\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].fields, (Fields{"a", "b"}));
  EXPECT_EQ(records[1].fields, (Fields{"c", "d"}));
  EXPECT_EQ(records[1].line, 2u);
}

TEST(Csv, FinalLineEndIsOptional) {
  const auto records = parse_ok("a,b\nc,\"d\"");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].fields, (Fields{"c", "d"}));
}

TEST(Csv, BlankLinesAreSkippedButCounted) {
  const auto records = parse_ok("a\n\nb\r\n\r\n\n\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].fields, (Fields{"b"}));
  EXPECT_EQ(records[1].line, 3u);
  EXPECT_TRUE(parse_ok("").empty());
}

TEST(Csv, EmptyFieldsAndTrailingCommaAreKept) {
  const auto records = parse_ok("a,,\n,\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].fields, (Fields{"a", "", ""}));
  EXPECT_EQ(records[1].fields, (Fields{"", ""}));
}

TEST(Csv, UnterminatedQuoteNamesTheLineWhereTheFieldStarts) {
  const auto records = parse_csv("a,b\n\"two\nlines\",ok\nc,\"open\nmore\nstuff\n");
  ASSERT_FALSE(records.ok());
  EXPECT_EQ(records.code().kind, CsvErrc::unterminated_quote);
  EXPECT_EQ(records.code().line, 4u);
  EXPECT_EQ(records.message().rfind("line 4: ", 0), 0u) << records.message();
}

TEST(Csv, TextAfterClosingQuoteIsRefused) {
  const auto records = parse_csv("a,b\n\"x\"y,b\n");
  ASSERT_FALSE(records.ok());
  EXPECT_EQ(records.code().kind, CsvErrc::text_after_quote);
  EXPECT_EQ(records.code().line, 2u);
}

TEST(Csv, StripsOnlyALeadingUtf8Bom) {
  EXPECT_EQ(strip_utf8_bom("\xEF\xBB\xBF"
                           "a,b"),
            "a,b");
  EXPECT_EQ(strip_utf8_bom("a,b"), "a,b");
  EXPECT_EQ(strip_utf8_bom("a\xEF\xBB\xBF"), "a\xEF\xBB\xBF");
}

TEST(Csv, LineOfOffsetCountsLineFeeds) {
  const std::string_view text = "ab\ncd\r\nef";
  EXPECT_EQ(line_of_offset(text, 0), 1u);
  EXPECT_EQ(line_of_offset(text, 2), 1u); // the LF itself ends line 1
  EXPECT_EQ(line_of_offset(text, 3), 2u);
  EXPECT_EQ(line_of_offset(text, 7), 3u);
  EXPECT_EQ(line_of_offset(text, 100), 3u);
}

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_FALSE(find_invalid_utf8("").has_value());
  EXPECT_FALSE(find_invalid_utf8("plain ASCII, O'Neal").has_value());
  EXPECT_FALSE(find_invalid_utf8("Ren\xC3\xA9"
                                 "e Jos\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 "
                                 "\xED\x9F\xBF \xEE\x80\x80 \xF4\x8F\xBF\xBF")
                   .has_value());
}

struct BadUtf8 {
  const char* name;
  std::string text;
  std::size_t offset;
};

class Utf8Invalid : public ::testing::TestWithParam<BadUtf8> {};

TEST_P(Utf8Invalid, ReportsTheFirstBadByte) {
  const auto bad = find_invalid_utf8(GetParam().text);
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(*bad, GetParam().offset);
}

INSTANTIATE_TEST_SUITE_P(Utf8, Utf8Invalid,
                         ::testing::Values(BadUtf8{"Latin1",
                                                   "Ren\xE9"
                                                   "e",
                                                   3},
                                           BadUtf8{"Windows1252Quote", "it\x92s", 2},
                                           BadUtf8{"LoneContinuation", "a\x80", 1},
                                           BadUtf8{"Overlong", "x\xC0\xAF", 1},
                                           BadUtf8{"OverlongThreeBytes", "\xE0\x80\xAF", 0},
                                           BadUtf8{"Surrogate", "ok \xED\xA0\x80", 3},
                                           BadUtf8{"AboveU10FFFF", "\xF4\x90\x80\x80", 0},
                                           BadUtf8{"Truncated", "ab\xE2\x82", 2},
                                           BadUtf8{"BadSecondByte", "\xC3(", 0}),
                         [](const ::testing::TestParamInfo<BadUtf8>& param_info) {
                           return std::string(param_info.param.name);
                         });

} // namespace
} // namespace muster

namespace muster {
namespace {

TEST(CsvWriter, CellsThatASpreadsheetWouldRunAreNeutralised) {
  EXPECT_EQ(csv_cell("Ana"), "Ana");
  EXPECT_EQ(csv_cell(""), "");
  EXPECT_EQ(csv_cell("=1+2"), "'=1+2");
  EXPECT_EQ(csv_cell("+1"), "'+1");
  EXPECT_EQ(csv_cell("-2"), "'-2");
  EXPECT_EQ(csv_cell("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(csv_cell("\tx"), "'\tx");
  EXPECT_EQ(csv_cell("\rx"), "\"'\rx\"");
  EXPECT_EQ(csv_cell("=HYPERLINK(\"a\",\"b\")"), "\"'=HYPERLINK(\"\"a\"\",\"\"b\"\")\"");
  EXPECT_EQ(csv_cell("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_cell("O'Neal"), "O'Neal");
  EXPECT_EQ(csv_row({"=x", "y", "a\"b"}), "'=x,y,\"a\"\"b\"\n");
  // What the writer wrote reads back as the neutralised text.
  auto parsed = parse_csv(csv_row({"=cmd|' /C calc'!A0", "x,y"}));
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].fields[0], "'=cmd|' /C calc'!A0");
  EXPECT_EQ((*parsed)[0].fields[1], "x,y");
}

} // namespace
} // namespace muster
