#include "shared/program.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/test_support.hpp"

namespace muster {
namespace {

std::filesystem::path program_file(const char* name) {
  return std::filesystem::path(MUSTER_SOURCE_DIR) / "assets" / "programs" / name;
}

TEST(Program, AlmFileParsesWithEveryRule) {
  const auto program = read_program(program_file("alm-cmo.jsonc"));
  ASSERT_TRUE(program.ok()) << program.message();
  EXPECT_EQ(program->id, "alm-cmo");
  EXPECT_EQ(program->eligible_roles, (std::vector<Role>{Role::mayor, Role::councilmember}));
  EXPECT_EQ(program->core_courses.size(), 20u);
  EXPECT_TRUE(program->core_once_ever);
  EXPECT_EQ(program->topic_repeat_years, 2);
  EXPECT_TRUE(program->outside_needs_approval);
  EXPECT_EQ(program->outside_max_hours_per_year, 5.0);
  EXPECT_TRUE(program->online_needs_test);
  EXPECT_EQ(program->max_points_per_year, 6);
  ASSERT_EQ(program->point_events.size(), 6u);
  int non_league = 0;
  for (const auto& event : program->point_events)
    non_league += event.non_league ? 1 : 0;
  EXPECT_EQ(non_league, 2); // the two NLC meetings
  ASSERT_EQ(program->levels.size(), 3u);
  const Level& basic = program->levels[0];
  EXPECT_EQ(basic.id, "basic");
  EXPECT_EQ(basic.hours, 40.0);
  EXPECT_EQ(basic.core_hours, 20.0);
  EXPECT_EQ(basic.max_outside_hours, 10.0);
  const Level& advanced = program->levels[1];
  EXPECT_EQ(advanced.hours, 40.0);
  EXPECT_EQ(advanced.carry_in, CarryIn::rolls_into);
  EXPECT_EQ(advanced.max_outside_hours, 10.0);
  const Level& emeritus = program->levels[2];
  EXPECT_EQ(emeritus.hours, 120.0);
  EXPECT_EQ(emeritus.points, 15);
  EXPECT_FALSE(emeritus.outside_hours_allowed);
  EXPECT_EQ(emeritus.carry_in, CarryIn::no_transfer);
  ASSERT_EQ(emeritus.tiers.size(), 3u);
  EXPECT_EQ(emeritus.tiers[2].name, "Emeritus IV");
  EXPECT_EQ(emeritus.tiers[2].hours, 400.0);
  EXPECT_EQ(emeritus.tiers[2].points, 40);
  ASSERT_TRUE(program->annual.has_value());
  EXPECT_EQ(program->annual->hours_per_year, 10.0);
  EXPECT_EQ(program->annual->holder_hours_per_year, 5.0);
  EXPECT_EQ(program->annual->first_term_hours, 40.0);
  EXPECT_EQ(program->annual->effective_from, parse_date("2025-01-01"));
  EXPECT_EQ(program->graduation_deadline_month, 7u);
  EXPECT_EQ(program->graduation_deadline_day, 31u);
  EXPECT_EQ(program->left_office_years, 1);
  EXPECT_EQ(program->left_office_level, "basic");
  EXPECT_TRUE(program->left_office_league_needs_approval);
}

// Issue 12 item 6: the Act 2024-194 § 1(b) subjects replace the CORE-01..20 placeholders.
TEST(Program, ShippedAlmCoreListIsTheActsTwentySubjects) {
  const auto read = read_program(program_file("alm-cmo.jsonc"));
  ASSERT_TRUE(read.ok()) << read.message();
  const Program& alm = *read;
  ASSERT_EQ(alm.core_courses.size(), 20u);
  EXPECT_EQ(alm.core_courses[0].title, "General Powers of Municipalities");
  EXPECT_EQ(alm.core_courses[2].title, "Ethics");
  EXPECT_EQ(alm.core_courses[19].title, "Zoning");
  EXPECT_EQ(alm.levels[0].core_courses_required, 20);
  EXPECT_EQ(alm.online_pass_score, 70);
  EXPECT_EQ(alm.online_hours_per_course, 1);
  for (const auto& course : alm.core_courses)
    EXPECT_EQ(course.code.rfind("CORE-", 0), std::string::npos) << course.code; // no placeholder
}

TEST(Program, AmctoFileParsesWithCycleAndCategories) {
  const auto program = read_program(program_file("amcto-pdu.jsonc"));
  ASSERT_TRUE(program.ok()) << program.message();
  EXPECT_EQ(program->unit, "PDU");
  EXPECT_TRUE(program->levels.empty());
  ASSERT_TRUE(program->cycle.has_value());
  EXPECT_EQ(program->cycle->years, 3);
  EXPECT_EQ(program->cycle->units, 60.0);
  EXPECT_EQ(program->categories.size(), 7u);
  EXPECT_EQ(program->competencies.size(), 8u);
  EXPECT_TRUE(program->eligible_roles.empty());
}

TEST(Program, IcmaFileParsesWithAnnualHours) {
  const auto program = read_program(program_file("icma-cm.jsonc"));
  ASSERT_TRUE(program.ok()) << program.message();
  ASSERT_TRUE(program->annual.has_value());
  EXPECT_EQ(program->annual->hours_per_year, 40.0);
  EXPECT_TRUE(program->annual->roles.empty());
  // No deadline in the file: the calendar year's end.
  EXPECT_EQ(program->annual->deadline(2026), Date{std::chrono::year{2026} / 12 / 31});
}

TEST(Program, AlmFileSetsTheActsDeadlineOnDecember31) {
  // The Act asks for its hours "each year" (docs/officials.md: why not July 31, the
  // graduation deadline).
  const auto program = read_program(program_file("alm-cmo.jsonc"));
  ASSERT_TRUE(program.ok()) << program.message();
  ASSERT_TRUE(program->annual.has_value());
  EXPECT_EQ(program->annual->deadline(2027), Date{std::chrono::year{2027} / 12 / 31});
  EXPECT_EQ(program->graduation_deadline_month, std::optional<unsigned>{7U});
}

TEST(Program, MissingFileNamesThePath) {
  const auto program = read_program("/nonexistent/dir/alm.jsonc");
  ASSERT_FALSE(program.ok());
  EXPECT_EQ(program.error().code.kind, ProgramErrc::io);
  EXPECT_NE(program.message().find("/nonexistent/dir/alm.jsonc"), std::string::npos);
}

TEST(Program, BadFileMessageNamesPathAndField) {
  test::TempDir dir;
  const auto path = dir / "bad.jsonc";
  test::write_file(path, R"({ "format": "muster-program-1", "id": "x", "name": "X",
    // a comment is fine
    "levels": [ { "id": "a", "name": "A", "hours": 10 }, { "id": "b", "name": "B", "hours": "40" } ] })");
  const auto program = read_program(path);
  ASSERT_FALSE(program.ok());
  EXPECT_EQ(program.error().code.kind, ProgramErrc::field);
  EXPECT_EQ(program.error().code.field, "levels[1].hours");
  EXPECT_EQ(program.message(), path.string() + ": levels[1].hours: must be a number, not a string");
}

// ------------------------------------------------------------------ invalid files, one per rule

struct BadCase {
  std::string name;
  std::string body; // inside the top-level object, after format/id/name
  ProgramErrc kind;
  std::string field;
  std::string message_part;
};

class ProgramRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(ProgramRejects, WithFieldAndReason) {
  const BadCase& c = GetParam();
  const std::string text =
      c.kind == ProgramErrc::syntax
          ? c.body
          : R"({ "format": "muster-program-1", "id": "p", "name": "P")" + c.body + "}";
  const auto program = parse_program(text, "p.jsonc");
  ASSERT_FALSE(program.ok());
  EXPECT_EQ(program.error().code.kind, c.kind) << program.message();
  EXPECT_EQ(program.error().code.field, c.field) << program.message();
  EXPECT_NE(program.message().find(c.message_part), std::string::npos) << program.message();
  EXPECT_EQ(program.message().rfind("p.jsonc: ", 0), 0u) << program.message();
}

const std::string kLevel = R"(, "levels": [{ "id": "basic", "name": "Basic", "hours": 40 }])";

INSTANTIATE_TEST_SUITE_P(
    Files, ProgramRejects,
    ::testing::Values(
        BadCase{"NotJson", "{ \"id\": ", ProgramErrc::syntax, "", "not valid JSON"},
        BadCase{"UnknownTopLevelField", kLevel + R"(, "levls": [])", ProgramErrc::field, "levls",
                "unknown field"},
        BadCase{"NoLevelsAnnualOrCycle", "", ProgramErrc::field, "levels",
                "needs levels, an annual requirement or a cycle"},
        BadCase{"HoursNotNumber", R"(, "levels": [{ "id": "a", "name": "A", "hours": "40" }])",
                ProgramErrc::field, "levels[0].hours", "must be a number"},
        BadCase{"HoursMissing", R"(, "levels": [{ "id": "a", "name": "A" }])", ProgramErrc::field,
                "levels[0].hours", "is missing"},
        BadCase{"NegativeHours", R"(, "levels": [{ "id": "a", "name": "A", "hours": -1 }])",
                ProgramErrc::field, "levels[0].hours", "must be between"},
        BadCase{"CoreMoreThanHours",
                R"(, "core_courses": [{"code": "C1", "title": "T"}],
                   "levels": [{ "id": "a", "name": "A", "hours": 10, "core_hours": 20 }])",
                ProgramErrc::field, "levels[0].core_hours", "more than the level's hours"},
        BadCase{"MoreCoreCoursesThanListed",
                R"(, "core_courses": [{"code": "C1", "title": "T"}],
                   "levels": [{ "id": "a", "name": "A", "hours": 40, "core_courses_required": 2 }])",
                ProgramErrc::field, "levels[0].core_courses_required", "more than the 1 courses"},
        BadCase{"CourseHoursNotPositive",
                R"(, "core_courses": [{"code": "C1", "title": "T", "hours": 0}])" + kLevel,
                ProgramErrc::field, "core_courses[0].hours", "must be between"},
        BadCase{"PassScoreOver100", R"(, "online": { "pass_score": 170 })" + kLevel,
                ProgramErrc::field, "online.pass_score", "must be between 0 and 100"},
        BadCase{"CountRepeatsNotBoolean",
                R"(, "annual": { "hours_per_year": 10, "count_repeats": 1 })", ProgramErrc::field,
                "annual.count_repeats", "true or false"},
        BadCase{"AnnualDeadlineNotEveryYear",
                R"(, "annual": { "hours_per_year": 10, "deadline_month": 2, "deadline_day": 29 })",
                ProgramErrc::field, "annual.deadline_day", "in every year"},
        BadCase{"AnnualDeadlineDayAlone",
                R"(, "annual": { "hours_per_year": 10, "deadline_day": 30 })", ProgramErrc::field,
                "annual.deadline_day", "go together"},
        BadCase{"CoreWithoutCourseList",
                R"(, "levels": [{ "id": "a", "name": "A", "hours": 40, "core_hours": 20 }])",
                ProgramErrc::field, "levels[0].core_hours", "core_courses"},
        BadCase{"RequiredCourseNotCore",
                R"(, "core_courses": [{"code": "C1", "title": "T"}],
                   "levels": [{ "id": "a", "name": "A", "hours": 40, "required_courses": ["C9"] }])",
                ProgramErrc::field, "levels[0].required_courses[0]", "'C9' is not in core_courses"},
        BadCase{
            "CoreCodeTwice",
            R"(, "core_courses": [{"code": "C1", "title": "T"}, {"code": "C1", "title": "U"}])" +
                kLevel,
            ProgramErrc::field, "core_courses[1].code", "listed twice"},
        BadCase{"CarryInUnknown",
                R"(, "levels": [{ "id": "a", "name": "A", "hours": 40 },
                                { "id": "b", "name": "B", "hours": 40, "carry_in": "roll" }])",
                ProgramErrc::field, "levels[1].carry_in", "not one of rolls_into, no_transfer"},
        BadCase{
            "CarryInOnFirstLevel",
            R"(, "levels": [{ "id": "a", "name": "A", "hours": 40, "carry_in": "no_transfer" }])",
            ProgramErrc::field, "levels[0].carry_in", "no previous level"},
        BadCase{"LevelIdTwice",
                R"(, "levels": [{ "id": "a", "name": "A", "hours": 40 },
                                { "id": "a", "name": "B", "hours": 40 }])",
                ProgramErrc::field, "levels[1].id", "used twice"},
        BadCase{"TiersDescending",
                R"(, "levels": [{ "id": "e", "name": "E", "hours": 120, "points": 15, "tiers": [
                     {"name": "II", "hours": 200, "points": 20}, {"name": "III", "hours": 150, "points": 30}] }])",
                ProgramErrc::field, "levels[0].tiers[1]", "at least the hours and points"},
        BadCase{"PointsZero",
                R"(, "points": {"events": [{"type": "t", "name": "T", "points": 0}]})" + kLevel,
                ProgramErrc::field, "points.events[0].points", "must be between 1 and 100"},
        BadCase{"PointsFraction", R"(, "points": {"max_per_calendar_year": 6.5})" + kLevel,
                ProgramErrc::field, "points.max_per_calendar_year", "whole number"},
        BadCase{"UnknownRole", R"(, "eligible_roles": ["mayor", "Mayr"])" + kLevel,
                ProgramErrc::field, "eligible_roles[1]", "'Mayr' is not one of"},
        BadCase{"OutsideCapNotNumber",
                R"(, "outside": {"max_hours_per_calendar_year": "5"})" + kLevel, ProgramErrc::field,
                "outside.max_hours_per_calendar_year", "must be a number"},
        BadCase{"OutsideUnknownField", R"(, "outside": {"max_hours_per_year": 5})" + kLevel,
                ProgramErrc::field, "outside.max_hours_per_year", "unknown field"},
        BadCase{
            "HolderLevelUnknown",
            R"(, "annual": {"hours_per_year": 10, "holder_hours_per_year": 5, "holder_level": "cmo"})" +
                kLevel,
            ProgramErrc::field, "annual.holder_level", "'cmo' is not a level id"},
        BadCase{"AnnualBadDate",
                R"(, "annual": {"hours_per_year": 10, "effective_from": "2025-02-30"})",
                ProgramErrc::field, "annual.effective_from", "not a date YYYY-MM-DD"},
        BadCase{
            "CycleCategoriesMissing",
            R"(, "cycle": {"years": 3, "units": 60, "designation": "d", "require_category": true})",
            ProgramErrc::field, "cycle.require_category", "categories"},
        BadCase{"GraduationDayNotInMonth",
                R"(, "graduation": {"deadline_month": 6, "deadline_day": 31})" + kLevel,
                ProgramErrc::field, "graduation.deadline_day", "not a day of that month"},
        BadCase{"LeftOfficeLevelUnknown",
                R"(, "left_office": {"years_to_finish": 1, "level": "basik"})" + kLevel,
                ProgramErrc::field, "left_office.level", "'basik' is not a level id"}),
    [](const ::testing::TestParamInfo<BadCase>& param_info) { return param_info.param.name; });

TEST(Program, TopLevelMustBeAnObject) {
  const auto program = parse_program("[1]", "p.jsonc");
  ASSERT_FALSE(program.ok());
  EXPECT_EQ(program.error().code.kind, ProgramErrc::field);
  EXPECT_EQ(program.message(), "p.jsonc: the top level must be an object {...}, not an array");
}

TEST(Program, FormatVersionIsChecked) {
  const auto program = parse_program(R"({"format": "muster-program-2", "id": "p", "name": "P"})");
  ASSERT_FALSE(program.ok());
  EXPECT_EQ(program.error().code.field, "format");
}

} // namespace
} // namespace muster
