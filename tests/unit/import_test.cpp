#include "shared/import.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <string>

#include "shared/badge.hpp" // is_valid_badge_id: the ids imports accept
#include "shared/time.hpp"
#include "tests/support/test_support.hpp"

namespace muster {
namespace {

using nlohmann::json;

const std::string kHeader = "attendee_id,first_name,last_name,role,municipality,email\n";

std::filesystem::path demo_file(const char* name) {
  return std::filesystem::path(MUSTER_SOURCE_DIR) / "assets" / "demo" / name;
}

bool starts_with(const std::string& text, std::string_view prefix) {
  return text.rfind(prefix, 0) == 0;
}

// ------------------------------------------------------------------------------------ roster

TEST(Roster, DemoFileParses) {
  const auto roster = read_roster_csv(demo_file("roster.csv"));
  ASSERT_TRUE(roster.ok()) << roster.message();
  ASSERT_EQ(roster->size(), 12u);
  const Attendee& first = roster->front();
  EXPECT_EQ(first.id, "RB-0001");
  EXPECT_EQ(first.first_name, "Loretta");
  EXPECT_EQ(first.last_name, "Haynes");
  EXPECT_EQ(first.role, Role::mayor);
  EXPECT_EQ(first.municipality, "City of Riverbend");
  EXPECT_EQ(first.email, "lhaynes@riverbend.example.org");
  EXPECT_EQ((*roster)[1].last_name, "O'Neal");
  EXPECT_EQ((*roster)[3].last_name, "Whitfield, Jr.");
  EXPECT_EQ((*roster)[4].first_name, "Ren\xC3\xA9"
                                     "e");
  EXPECT_EQ((*roster)[4].email, "");
  EXPECT_EQ((*roster)[2].role, Role::clerk);
  EXPECT_EQ((*roster)[8].role, Role::staff);
  EXPECT_EQ(roster->back().role, Role::guest);
  EXPECT_EQ(roster->back().municipality, "");
}

TEST(Roster, AcceptsBomCrLfAnyColumnOrderAndRoleInAnyCase) {
  const std::string csv = "\xEF\xBB\xBF"
                          "Email, Role ,attendee_id,last_name,first_name,municipality\r\n"
                          "ann@town.example.org,Mayor ,A-1,Lee,Ann,Town of Elm\r\n"
                          ",COUNCILMEMBER,A-2,Diaz,Bo,Town of Elm";
  const auto roster = parse_roster_csv(csv);
  ASSERT_TRUE(roster.ok()) << roster.message();
  ASSERT_EQ(roster->size(), 2u);
  EXPECT_EQ((*roster)[0].id, "A-1");
  EXPECT_EQ((*roster)[0].first_name, "Ann");
  EXPECT_EQ((*roster)[0].last_name, "Lee");
  EXPECT_EQ((*roster)[0].role, Role::mayor);
  EXPECT_EQ((*roster)[0].municipality, "Town of Elm");
  EXPECT_EQ((*roster)[0].email, "ann@town.example.org");
  EXPECT_EQ((*roster)[1].role, Role::councilmember);
  EXPECT_EQ((*roster)[1].email, "");
}

TEST(Roster, KeepsNamesExactly) {
  const std::string csv = kHeader +
                          "X1,Zo\xC3\xAB,\"Robert'); DROP TABLE attendees;--\",guest,,\n"
                          "X2,\"Mary \"\"Mae\"\"\",\"d'Arcy, III\",clerk,\"Town of\nTwo Lines\",\n";
  const auto roster = parse_roster_csv(csv);
  ASSERT_TRUE(roster.ok()) << roster.message();
  ASSERT_EQ(roster->size(), 2u);
  EXPECT_EQ((*roster)[0].first_name, "Zo\xC3\xAB");
  EXPECT_EQ((*roster)[0].last_name, "Robert'); DROP TABLE attendees;--");
  EXPECT_EQ((*roster)[1].first_name, "Mary \"Mae\"");
  EXPECT_EQ((*roster)[1].last_name, "d'Arcy, III");
  EXPECT_EQ((*roster)[1].municipality, "Town of\nTwo Lines");
}

struct BadRow {
  const char* name;
  std::string rows; // after the header, which is line 1
  ImportErrc kind;
  std::size_t line;
  std::string column;
  std::string message_part;
};

void PrintTo(const BadRow& row, std::ostream* out) { *out << row.name; }

class RosterBadRow : public ::testing::TestWithParam<BadRow> {};

TEST_P(RosterBadRow, FailsWholeImportNamingLineAndColumn) {
  const BadRow& bad = GetParam();
  const auto roster = parse_roster_csv(kHeader + "OK-1,Ann,Lee,mayor,Elm,\n" + bad.rows);
  ASSERT_FALSE(roster.ok());
  EXPECT_EQ(roster.code().kind, bad.kind);
  EXPECT_EQ(roster.code().line, bad.line);
  EXPECT_EQ(roster.code().field, bad.column);
  std::string prefix = "roster.csv line " + std::to_string(bad.line);
  if (!bad.column.empty()) prefix += ", column " + bad.column;
  EXPECT_TRUE(starts_with(roster.message(), prefix + ": ")) << roster.message();
  EXPECT_NE(roster.message().find(bad.message_part), std::string::npos) << roster.message();
}

INSTANTIATE_TEST_SUITE_P(
    Roster, RosterBadRow,
    ::testing::Values(
        BadRow{"EmptyId", ",Bo,Diaz,guest,,\n", ImportErrc::field, 3, "attendee_id", "required"},
        BadRow{"IdWithSpace", "B 2,Bo,Diaz,guest,,\n", ImportErrc::field, 3, "attendee_id",
               "'B 2' may only use"},
        BadRow{"IdTooLong", std::string(65, 'x') + ",Bo,Diaz,guest,,\n", ImportErrc::field, 3,
               "attendee_id", "1 to 64"},
        BadRow{"EmptyFirstName", "B2, ,Diaz,guest,,\n", ImportErrc::field, 3, "first_name",
               "is empty but required"},
        BadRow{"EmptyLastName", "B2,Bo,,guest,,\n", ImportErrc::field, 3, "last_name",
               "is empty but required"},
        BadRow{"UnknownRole", "B2,Bo,Diaz,guest,,\nB3,Cy,Ray,Mayr,Elm,\n", ImportErrc::field, 4,
               "role", "'Mayr' is not one of mayor, councilmember, clerk, staff, guest"},
        BadRow{"EmptyRole", "B2,Bo,Diaz,,,\n", ImportErrc::field, 3, "role", "required"},
        BadRow{"MayorWithoutMunicipality", "B2,Bo,Diaz,mayor,,\n", ImportErrc::field, 3,
               "municipality", "required for a mayor"},
        BadRow{"CouncilmemberWithoutMunicipality", "B2,Bo,Diaz,councilmember,  ,\n",
               ImportErrc::field, 3, "municipality", "required for a councilmember"},
        BadRow{"EmailWithoutAt", "B2,Bo,Diaz,guest,,bo.example.org\n", ImportErrc::field, 3,
               "email", "'bo.example.org' does not look like an e-mail address"},
        BadRow{"EmailWithSpace", "B2,Bo,Diaz,guest,,bo diaz@example.org\n", ImportErrc::field, 3,
               "email", "does not look like"},
        BadRow{"EmailWithoutDottedDomain", "B2,Bo,Diaz,guest,,bo@localhost\n", ImportErrc::field, 3,
               "email", "does not look like"},
        BadRow{"TabInName", "B2,\"Bo\tDiaz\",Diaz,guest,,\n", ImportErrc::field, 3, "first_name",
               "U+0009"},
        BadRow{"TooFewValues", "B2,Bo,Diaz,guest,\n", ImportErrc::field, 3, "",
               "5 values but the header has 6 columns"},
        BadRow{"UnquotedComma", "B2,Bo,Diaz, Jr.,guest,,\n", ImportErrc::field, 3, "",
               "7 values but the header has 6 columns"},
        BadRow{"AfterMultiLineField", "B2,Bo,Diaz,clerk,\"Town\nof\nElm\",\nB3,Cy,Ray,boss,,\n",
               ImportErrc::field, 6, "role", "'boss'"},
        BadRow{"UnterminatedQuote", "B2,Bo,Diaz,guest,,\nB3,\"Cy,Ray,guest,,\nB4,Di,Fox,guest,,\n",
               ImportErrc::syntax, 4, "", "closing quote"},
        BadRow{"DuplicateIdIgnoringCase", "B2,Bo,Diaz,guest,,\n\nok-1,Cy,Ray,guest,,\n",
               ImportErrc::duplicate, 5, "attendee_id", "'ok-1' is already used on line 2"}),
    [](const ::testing::TestParamInfo<BadRow>& param_info) {
      return std::string(param_info.param.name);
    });

TEST(Roster, NoPartialImportWhenTheLastRowIsBad) {
  std::string csv = kHeader;
  for (int i = 1; i <= 40; ++i) {
    csv += "P-" + std::to_string(i) + ",First,Last,councilmember,Elm,\n";
  }
  EXPECT_TRUE(parse_roster_csv(csv).ok());
  csv += "P-41,First,Last,councilmember,Elm,not-an-address\n";
  const auto roster = parse_roster_csv(csv);
  ASSERT_FALSE(roster.ok()); // 40 good rows, yet nothing is returned
  EXPECT_EQ(roster.code().line, 42u);
  EXPECT_EQ(roster.code().field, "email");
}

TEST(Roster, MissingHeaderColumnIsNamed) {
  const auto roster = parse_roster_csv(
      "attendee_id,first_name,last_name,role,email\nA1,Ann,Lee,guest,\n", "people.csv");
  ASSERT_FALSE(roster.ok());
  EXPECT_EQ(roster.code().kind, ImportErrc::header);
  EXPECT_EQ(roster.code().line, 1u);
  EXPECT_TRUE(starts_with(roster.message(), "people.csv line 1: missing column(s) municipality."))
      << roster.message();
}

TEST(Roster, UnknownOrRepeatedHeaderColumnIsRefused) {
  const auto unknown = parse_roster_csv(
      "attendee_id,first_name,last_name,role,municipality,email,notes\nA1,Ann,Lee,guest,,,x\n");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.code().kind, ImportErrc::header);
  EXPECT_NE(unknown.message().find("unknown column(s) 'notes'"), std::string::npos)
      << unknown.message();

  const auto repeated = parse_roster_csv(
      "attendee_id,first_name,last_name,role,municipality,email,Role\nA1,Ann,Lee,guest,,,x\n");
  ASSERT_FALSE(repeated.ok());
  EXPECT_EQ(repeated.code().kind, ImportErrc::header);
  EXPECT_EQ(repeated.code().field, "role");
  EXPECT_NE(repeated.message().find("columns 4 and 7"), std::string::npos) << repeated.message();
}

TEST(Roster, Latin1ExportIsRefusedNamingTheLine) {
  const std::string csv = kHeader + "A1,Ann,Lee,guest,,\nA2,Bo,Diaz,guest,,\nA3,Ren\xE9"
                                    "e,Roy,guest,,\n";
  const auto roster = parse_roster_csv(csv);
  ASSERT_FALSE(roster.ok());
  EXPECT_EQ(roster.code().kind, ImportErrc::encoding);
  EXPECT_EQ(roster.code().line, 4u);
  EXPECT_TRUE(starts_with(roster.message(), "roster.csv line 4: not valid UTF-8 (byte 0xE9)"))
      << roster.message();
}

TEST(Roster, Utf16ExportIsRefused) {
  const std::string csv("\xFF\xFE"
                        "a\0t\0",
                        6);
  const auto roster = parse_roster_csv(csv);
  ASSERT_FALSE(roster.ok());
  EXPECT_EQ(roster.code().kind, ImportErrc::encoding);
  EXPECT_NE(roster.message().find("UTF-16"), std::string::npos) << roster.message();
}

TEST(Roster, SkipsBlankRowsButKeepsLineNumbers) {
  const std::string csv =
      kHeader + ",,,,,\n\n  , ,,,,\r\nA1,Ann,Lee,guest,,\n,,,,,\nA2,Bo,Diaz,Mayr,,\n";
  const auto roster = parse_roster_csv(csv);
  ASSERT_FALSE(roster.ok());
  EXPECT_EQ(roster.code().line, 7u);
  EXPECT_EQ(roster.code().field, "role");
  const auto fine = parse_roster_csv(kHeader + ",,,,,\nA1,Ann,Lee,guest,,\n,,,,,\n\n");
  ASSERT_TRUE(fine.ok()) << fine.message();
  EXPECT_EQ(fine->size(), 1u);
}

TEST(Roster, EmptyFileOrHeaderOnlyIsRefused) {
  const auto empty = parse_roster_csv("\xEF\xBB\xBF");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.code().kind, ImportErrc::empty);
  const auto header_only = parse_roster_csv(kHeader + ",,,,,\n");
  ASSERT_FALSE(header_only.ok());
  EXPECT_EQ(header_only.code().kind, ImportErrc::empty);
  EXPECT_NE(header_only.message().find("no attendee rows"), std::string::npos);
}

TEST(Roster, MissingFileOrDirectoryIsAnIoError) {
  const test::TempDir dir;
  const auto missing = read_roster_csv(dir / "nope.csv");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.code().kind, ImportErrc::io);
  EXPECT_NE(missing.message().find("nope.csv"), std::string::npos);
  EXPECT_NE(missing.message().find("no such file"), std::string::npos) << missing.message();
  const auto directory = read_roster_csv(dir.path());
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.code().kind, ImportErrc::io);
  EXPECT_NE(directory.message().find("directory"), std::string::npos) << directory.message();
}

TEST(Roster, FileVariantNamesTheFileInMessages) {
  const test::TempDir dir;
  test::write_file(dir / "spring.csv", kHeader + "A1,Ann,Lee,boss,,\n");
  const auto roster = read_roster_csv(dir / "spring.csv");
  ASSERT_FALSE(roster.ok());
  EXPECT_TRUE(starts_with(roster.message(), "spring.csv line 2, column role: "))
      << roster.message();
}

TEST(Roster, SafeIds) {
  EXPECT_TRUE(is_valid_badge_id("AL-2026_0001"));
  EXPECT_TRUE(is_valid_badge_id(std::string(64, 'a')));
  EXPECT_FALSE(is_valid_badge_id(std::string(65, 'a')));
  EXPECT_FALSE(is_valid_badge_id(""));
  EXPECT_FALSE(is_valid_badge_id("a:b"));
  EXPECT_FALSE(is_valid_badge_id("Jos\xC3\xA9"));
}

// ------------------------------------------------------------------------------------- event

json base_event() {
  return json::parse(R"({
    "id": "ev-1", "name": "Winter Training", "timezone": "America/Chicago",
    "location": "Civic Center",
    "credit_policy": {"arrival_grace_min": 5, "leave_grace_min": 15, "increment_hours": 0.5,
                      "debounce_s": 30},
    "sessions": [
      {"id": "S1", "title": "Ethics", "room": "A", "start": "2026-12-03T08:30:00-06:00",
       "end": "2026-12-03T10:00:00-06:00", "credit_hours": 1.5, "course_code": "ETH-1",
       "core": true, "topic": "ethics"},
      {"id": "S2", "title": "Budget", "room": "B", "start": "2026-12-03T09:00:00-06:00",
       "end": "2026-12-03T10:00:00-06:00", "credit_hours": 1}
    ]})");
}

TEST(Event, DemoFileParsesWithTimesInUtc) {
  const auto event = read_event_json(demo_file("event.json"));
  ASSERT_TRUE(event.ok()) << event.message();
  EXPECT_EQ(event->id, "fall-2026-training");
  EXPECT_EQ(event->timezone, "America/Chicago");
  ASSERT_EQ(event->sessions.size(), 6u);
  const Session& first = event->sessions[0];
  EXPECT_EQ(first.id, "S1");
  EXPECT_EQ(format_utc(first.start), "2026-12-03T14:30:00Z"); // 08:30 CST = 14:30 UTC
  EXPECT_EQ(format_utc(first.end), "2026-12-03T16:00:00Z");
  EXPECT_EQ(format_local(first.start, event->timezone), "2026-12-03 08:30 CST");
  EXPECT_DOUBLE_EQ(first.credit_hours, 1.5);
  EXPECT_TRUE(first.core);
  EXPECT_EQ(first.course_code, "CMO-ETH-101");
  EXPECT_EQ(first.topic, "ethics");
  EXPECT_FALSE(event->sessions[2].core);
  // Parallel sessions in different rooms.
  EXPECT_EQ(event->sessions[1].start, event->sessions[2].start);
  EXPECT_NE(event->sessions[1].room, event->sessions[2].room);
  EXPECT_EQ(event->credit_policy.arrival_grace, std::chrono::minutes(10));
  EXPECT_EQ(event->credit_policy.debounce, std::chrono::seconds(60));
}

TEST(Event, LocalEveningBecomesNextUtcDay) {
  json doc = base_event();
  doc["sessions"][1]["start"] = "2026-12-03T18:30:00-06:00";
  doc["sessions"][1]["end"] = "2026-12-03T19:15:00-06:00";
  const auto event = parse_event_json(doc.dump());
  ASSERT_TRUE(event.ok()) << event.message();
  EXPECT_EQ(format_utc(event->sessions[1].start), "2026-12-04T00:30:00Z");
  EXPECT_EQ(format_utc(event->sessions[1].end), "2026-12-04T01:15:00Z");
  EXPECT_EQ(local_date(event->sessions[1].end, "America/Chicago"), "2026-12-03");
  EXPECT_EQ(event->credit_policy.arrival_grace, std::chrono::minutes(5));
  EXPECT_EQ(event->credit_policy.leave_grace, std::chrono::minutes(15));
  EXPECT_DOUBLE_EQ(event->credit_policy.increment_hours, 0.5);
  EXPECT_EQ(event->credit_policy.debounce, std::chrono::seconds(30));
  EXPECT_EQ(event->sessions[1].course_code, "");
  EXPECT_FALSE(event->sessions[1].core);
}

TEST(Event, UtcTimesAndSummerOffsetsAreAccepted) {
  json doc = base_event();
  doc["sessions"][0]["start"] = "2026-12-03T14:30:00Z";
  doc["sessions"][1]["start"] = "2026-07-01T09:00:00-05:00"; // CDT in July
  doc["sessions"][1]["end"] = "2026-07-01T10:00:00-05:00";
  const auto event = parse_event_json(doc.dump());
  ASSERT_TRUE(event.ok()) << event.message();
  EXPECT_EQ(format_utc(event->sessions[0].start), "2026-12-03T14:30:00Z");
  EXPECT_EQ(format_utc(event->sessions[1].start), "2026-07-01T14:00:00Z");
}

TEST(Event, CreditPolicyDefaultsWhenOmitted) {
  json doc = base_event();
  doc.erase("credit_policy");
  const auto event = parse_event_json(doc.dump());
  ASSERT_TRUE(event.ok()) << event.message();
  EXPECT_EQ(event->credit_policy.arrival_grace, std::chrono::minutes(10));
  EXPECT_EQ(event->credit_policy.leave_grace, std::chrono::minutes(10));
  EXPECT_DOUBLE_EQ(event->credit_policy.increment_hours, 0.25);
  EXPECT_EQ(event->credit_policy.debounce, std::chrono::seconds(60));

  doc["credit_policy"] = {{"leave_grace_min", 0}};
  const auto partial = parse_event_json(doc.dump());
  ASSERT_TRUE(partial.ok()) << partial.message();
  EXPECT_EQ(partial->credit_policy.leave_grace, std::chrono::minutes(0));
  EXPECT_EQ(partial->credit_policy.arrival_grace, std::chrono::minutes(10));
}

struct BadEvent {
  const char* name;
  std::function<void(json&)> mutate;
  ImportErrc kind;
  std::string path;
  std::string message_part;
};

void PrintTo(const BadEvent& event, std::ostream* out) { *out << event.name; }

class EventBadField : public ::testing::TestWithParam<BadEvent> {};

TEST_P(EventBadField, FailsNamingTheJsonPath) {
  json doc = base_event();
  GetParam().mutate(doc);
  const auto event = parse_event_json(doc.dump(2));
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.code().kind, GetParam().kind);
  EXPECT_EQ(event.code().field, GetParam().path);
  EXPECT_TRUE(starts_with(event.message(), "event.json: " + GetParam().path + ": "))
      << event.message();
  EXPECT_NE(event.message().find(GetParam().message_part), std::string::npos) << event.message();
}

INSTANTIATE_TEST_SUITE_P(
    Event, EventBadField,
    ::testing::Values(
        BadEvent{"MissingName", [](json& d) { d.erase("name"); }, ImportErrc::field, "name",
                 "missing (required)"},
        BadEvent{"NameNotString", [](json& d) { d["name"] = 7; }, ImportErrc::field, "name",
                 "must be a string, not a number"},
        BadEvent{"UnsafeEventId", [](json& d) { d["id"] = "ev 1"; }, ImportErrc::field, "id",
                 "may only use"},
        BadEvent{"UnknownTimeZone", [](json& d) { d["timezone"] = "America/Chicagoo"; },
                 ImportErrc::field, "timezone", "'America/Chicagoo' is not a time zone"},
        BadEvent{"UnknownTopLevelField", [](json& d) { d["venue"] = "x"; }, ImportErrc::field,
                 "venue", "unknown field"},
        BadEvent{"NoSessions", [](json& d) { d["sessions"] = json::array(); }, ImportErrc::empty,
                 "sessions", "no sessions"},
        BadEvent{"SessionsNotArray", [](json& d) { d["sessions"] = json::object(); },
                 ImportErrc::field, "sessions", "must be an array"},
        BadEvent{"StartWithoutOffset",
                 [](json& d) { d["sessions"][1]["start"] = "2026-12-03T09:00:00"; },
                 ImportErrc::field, "sessions[1].start", "not an ISO 8601 time with an offset"},
        BadEvent{"EndBeforeStart",
                 [](json& d) { d["sessions"][1]["end"] = "2026-12-03T08:59:00-06:00"; },
                 ImportErrc::field, "sessions[1].end", "no later than it starts"},
        BadEvent{"EndEqualsStart",
                 [](json& d) { d["sessions"][1]["end"] = d["sessions"][1]["start"]; },
                 ImportErrc::field, "sessions[1].end", "no later than it starts"},
        BadEvent{"OffsetNotTheZones",
                 [](json& d) { d["sessions"][0]["start"] = "2026-12-03T08:30:00-05:00"; },
                 ImportErrc::field, "sessions[0].start", "is at UTC-06:00 then"},
        BadEvent{"NegativeCreditHours", [](json& d) { d["sessions"][0]["credit_hours"] = -0.5; },
                 ImportErrc::field, "sessions[0].credit_hours", "-0.5 is out of range (0 to 24)"},
        BadEvent{"CreditHoursAsText", [](json& d) { d["sessions"][0]["credit_hours"] = "1.5"; },
                 ImportErrc::field, "sessions[0].credit_hours", "must be a number, not a string"},
        BadEvent{"MissingCreditHours", [](json& d) { d["sessions"][1].erase("credit_hours"); },
                 ImportErrc::field, "sessions[1].credit_hours", "missing"},
        BadEvent{"CoreNotBool", [](json& d) { d["sessions"][1]["core"] = "yes"; },
                 ImportErrc::field, "sessions[1].core", "true or false"},
        BadEvent{"CoreWithoutCourseCode", [](json& d) { d["sessions"][0].erase("course_code"); },
                 ImportErrc::field, "sessions[0].course_code", "core session needs"},
        BadEvent{"UnknownSessionField", [](json& d) { d["sessions"][1]["credit_hour"] = 1; },
                 ImportErrc::field, "sessions[1].credit_hour", "unknown field"},
        BadEvent{"SessionNotObject", [](json& d) { d["sessions"][1] = "S2"; }, ImportErrc::field,
                 "sessions[1]", "must be an object"},
        BadEvent{"DuplicateSessionId", [](json& d) { d["sessions"][1]["id"] = "s1"; },
                 ImportErrc::duplicate, "sessions[1].id", "already the id of sessions[0]"},
        BadEvent{"ArrivalGraceTooLong",
                 [](json& d) { d["credit_policy"]["arrival_grace_min"] = 241; }, ImportErrc::field,
                 "credit_policy.arrival_grace_min", "out of range (0 to 240)"},
        BadEvent{"LeaveGraceNotWhole", [](json& d) { d["credit_policy"]["leave_grace_min"] = 2.5; },
                 ImportErrc::field, "credit_policy.leave_grace_min", "not a whole number"},
        BadEvent{"IncrementZero", [](json& d) { d["credit_policy"]["increment_hours"] = 0; },
                 ImportErrc::field, "credit_policy.increment_hours",
                 "0 is out of range (must be more than 0 and at most 8)"},
        BadEvent{"IncrementTooLarge", [](json& d) { d["credit_policy"]["increment_hours"] = 8.5; },
                 ImportErrc::field, "credit_policy.increment_hours", "out of range"},
        BadEvent{"DebounceTooLong", [](json& d) { d["credit_policy"]["debounce_s"] = 3601; },
                 ImportErrc::field, "credit_policy.debounce_s", "out of range (0 to 3600)"}),
    [](const ::testing::TestParamInfo<BadEvent>& param_info) {
      return std::string(param_info.param.name);
    });

TEST(Event, MalformedJsonNamesTheLine) {
  const auto event =
      parse_event_json("{\n  \"id\": \"ev-1\",\n  \"name\": \"x\"\n  \"timezone\": 1\n}");
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.code().kind, ImportErrc::syntax);
  EXPECT_EQ(event.code().line, 4u);
  EXPECT_TRUE(starts_with(event.message(), "event.json line 4: not valid JSON (parse error at "
                                           "line 4, column"))
      << event.message();
}

TEST(Event, TopLevelMustBeAnObject) {
  const auto event = parse_event_json("[1, 2]");
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.code().kind, ImportErrc::field);
  EXPECT_EQ(event.message(), "event.json: the top level must be a JSON object {...}, not an array");
}

TEST(Event, RepeatedKeyIsRefused) {
  std::string text = base_event().dump();
  text.insert(1, "\"name\": \"Shadowed\", ");
  const auto event = parse_event_json(text);
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.code().kind, ImportErrc::syntax);
  EXPECT_EQ(event.code().field, "name");
  EXPECT_NE(event.message().find("'name' appears twice"), std::string::npos) << event.message();
}

TEST(Event, InvalidUtf8IsAnEncodingError) {
  std::string text = base_event().dump(2);
  const auto at = text.find("Winter");
  text[at] = '\xE9';
  const auto event = parse_event_json(text);
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.code().kind, ImportErrc::encoding);
  // dump(2) sorts keys: "{", credit_policy on lines 2-7, id, location, then name on line 10.
  EXPECT_EQ(event.code().line, 10u);
}

TEST(Event, MissingFileIsAnIoError) {
  const test::TempDir dir;
  const auto event = read_event_json(dir / "event.json");
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.code().kind, ImportErrc::io);
  EXPECT_NE(event.message().find("no such file"), std::string::npos) << event.message();
}

// ------------------------------------------------------------------- issue 12: people, programs

TEST(Roster, MunicipalityIdColumnIsOptionalAndManagerIsARole) {
  const auto without = parse_roster_csv(kHeader + "A1,Ann,Lee,mayor,Riverbend,\n");
  ASSERT_TRUE(without.ok()) << without.message();
  EXPECT_EQ((*without)[0].municipality_id, "");

  const auto with =
      parse_roster_csv("municipality_id,attendee_id,first_name,last_name,role,municipality,email\n"
                       "RIV,A1,Ann,Lee,councilmember,,\n"
                       "RVB,A2,Bo,Diaz,mayor,Riverbend,\n"
                       ",M1,Cy,Park,manager,,\n");
  ASSERT_TRUE(with.ok()) << with.message();
  EXPECT_EQ((*with)[0].municipality_id, "RIV");
  EXPECT_EQ((*with)[0].municipality, ""); // the id is enough for an elected official
  EXPECT_EQ((*with)[1].municipality_id, "RVB");
  EXPECT_EQ((*with)[2].role, Role::manager);

  const auto bad =
      parse_roster_csv("attendee_id,first_name,last_name,role,municipality,email,municipality_id\n"
                       "A1,Ann,Lee,mayor,Riverbend,,Town of X\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.code().field, "municipality_id");

  const auto neither =
      parse_roster_csv("attendee_id,first_name,last_name,role,municipality,email,municipality_id\n"
                       "A1,Ann,Lee,mayor,,,\n");
  ASSERT_FALSE(neither.ok());
  EXPECT_EQ(neither.code().field, "municipality");
}

TEST(Event, ProgramsDefaultToAlmAndAreListedById) {
  const auto plain = parse_event_json(base_event().dump());
  ASSERT_TRUE(plain.ok()) << plain.message();
  EXPECT_EQ(plain->programs, std::vector<std::string>{"alm-cmo"});
  EXPECT_EQ(plain->eligible_roles, (std::vector<Role>{Role::mayor, Role::councilmember}));

  json both = base_event();
  both["programs"] = {"alm-cmo", "amcto-pdu"};
  const auto listed = parse_event_json(both.dump());
  ASSERT_TRUE(listed.ok()) << listed.message();
  EXPECT_EQ(listed->programs, (std::vector<std::string>{"alm-cmo", "amcto-pdu"}));

  json roles = base_event();
  roles["eligible_roles"] = {"clerk", "manager"};
  const auto with_roles = parse_event_json(roles.dump());
  ASSERT_TRUE(with_roles.ok()) << with_roles.message();
  EXPECT_EQ(with_roles->eligible_roles, (std::vector<Role>{Role::clerk, Role::manager}));
}

TEST(Event, BadProgramsListsAreRefusedWithTheirPath) {
  for (const json& programs : {json::array(), json("alm-cmo"), json({"alm cmo"}),
                               json({"icma-cm", "icma-cm"}), json({1})}) {
    json event = base_event();
    event["programs"] = programs;
    const auto parsed = parse_event_json(event.dump());
    ASSERT_FALSE(parsed.ok()) << programs.dump();
    EXPECT_EQ(parsed.code().field.rfind("programs", 0), 0u) << parsed.code().field;
  }
  json event = base_event();
  event["eligible_roles"] = {"mayr"};
  const auto parsed = parse_event_json(event.dump());
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.code().field, "eligible_roles[0]");
}

TEST(Municipalities, ParseByIdWithSeatsInAnyColumnOrder) {
  const auto list = parse_municipalities_csv("\xEF\xBB\xBFname,council_seats,id\r\n"
                                             "\"City of Riverbend\",5,AL-RVB\r\n"
                                             ",,\r\n"
                                             "City of River Bend,0,AL-RBD\r\n");
  ASSERT_TRUE(list.ok()) << list.message();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0], (Municipality{"AL-RVB", "City of Riverbend", 5}));
  EXPECT_EQ((*list)[1], (Municipality{"AL-RBD", "City of River Bend", 0}));
}

TEST(Municipalities, BadFilesNameTheLineAndColumn) {
  struct Case {
    const char* text;
    ImportErrc kind;
    std::size_t line;
    const char* field;
  };
  for (const Case& c : {
           Case{"id,name\nA,B\n", ImportErrc::header, 1, ""},
           Case{"id,name,council_seats,notes\nA,B,1,x\n", ImportErrc::header, 1, ""},
           Case{"id,name,council_seats\nA B,Town,1\n", ImportErrc::field, 2, "id"},
           Case{"id,name,council_seats\nA,,1\n", ImportErrc::field, 2, "name"},
           Case{"id,name,council_seats\nA,Town,-1\n", ImportErrc::field, 2, "council_seats"},
           Case{"id,name,council_seats\nA,Town,2.5\n", ImportErrc::field, 2, "council_seats"},
           Case{"id,name,council_seats\nA,Town,1\na,Other,2\n", ImportErrc::duplicate, 3, "id"},
           Case{"id,name,council_seats\n", ImportErrc::empty, 1, ""},
       }) {
    const auto list = parse_municipalities_csv(c.text, "towns.csv");
    ASSERT_FALSE(list.ok()) << c.text;
    EXPECT_EQ(list.code().kind, c.kind) << c.text << ": " << list.message();
    EXPECT_EQ(list.code().line, c.line) << c.text;
    EXPECT_EQ(list.code().field, c.field) << c.text;
    EXPECT_EQ(list.message().rfind("towns.csv", 0), 0u) << list.message();
  }
}

} // namespace
} // namespace muster
