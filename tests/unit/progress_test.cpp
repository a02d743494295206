// The rules engine against every rule of ../shared/domain.md, with hand-computed expectations.
// Each table row names the rule it checks; the conflicting statements run with both settings.
#include "shared/progress.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <random>
#include <sstream>
#include <string>

#include "shared/time.hpp"

namespace muster {
namespace {

// ----------------------------------------------------------------------------------- helpers

const Program& shipped(const std::string& file) {
  static std::map<std::string, Program> cache;
  auto it = cache.find(file);
  if (it == cache.end()) {
    const auto path = std::filesystem::path(MUSTER_SOURCE_DIR) / "assets" / "programs" / file;
    auto program = read_program(path);
    if (!program.ok()) throw std::runtime_error(program.message());
    it = cache.emplace(file, std::move(program).value()).first;
  }
  return it->second;
}

Date d(const char* text) {
  const auto date = parse_date(text);
  if (!date) throw std::runtime_error(std::string("bad test date ") + text);
  return *date;
}

std::string padded(const std::string& prefix, int n) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "%03d", n);
  return prefix + "-" + buffer;
}

using Ledger = std::vector<LedgerEntry>;

LedgerEntry league(const std::string& id, const char* date, double hours,
                   const std::string& code = "", const std::string& topic = "") {
  LedgerEntry entry;
  entry.id = id;
  entry.date = d(date);
  entry.hours = hours;
  entry.course_code = code;
  entry.topic = topic.empty() && code.empty() ? "topic " + id : topic;
  entry.title = "Course " + id;
  entry.source = CreditSource::league_event;
  return entry;
}

LedgerEntry outside(const std::string& id, const char* date, double hours, bool approved = true) {
  LedgerEntry entry = league(id, date, hours);
  entry.source = CreditSource::outside;
  entry.approved = approved;
  entry.documents_ref = "docs/" + id + ".pdf";
  return entry;
}

LedgerEntry online(const std::string& id, const char* date, double hours, bool passed,
                   const std::string& code = "") {
  LedgerEntry entry = league(id, date, hours, code);
  entry.source = CreditSource::online;
  entry.test_passed = passed;
  return entry;
}

LedgerEntry points(const std::string& id, const char* date, const std::string& type,
                   const std::string& event_id, double hours = 0,
                   CreditSource source = CreditSource::league_event) {
  LedgerEntry entry = league(id, date, hours);
  entry.points_event = type;
  entry.event_id = event_id;
  entry.source = source;
  entry.approved = true;
  entry.test_passed = true;
  return entry;
}

// The code of the n-th (from 1) core course of the shipped ALM list, Act 2024-194 § 1(b)(n).
std::string code(int n) {
  return shipped("alm-cmo.jsonc").core_courses.at(static_cast<std::size_t>(n - 1)).code;
}

// Core courses from .. to of the list, one hour each.
Ledger core(int from, int to, const char* date) {
  Ledger out;
  for (int n = from; n <= to; ++n)
    out.push_back(league(padded("core", n), date, 1, code(n)));
  return out;
}

// Core course n of the list attended for `hours` of a session offered with `offered` hours.
LedgerEntry core_of(const std::string& id, int n, const char* date, double hours,
                    double offered = 0) {
  LedgerEntry entry = league(id, date, hours, code(n));
  entry.offered_hours = offered;
  return entry;
}

// Core courses from .. to, `hours` each (all attended in full).
Ledger long_core(int from, int to, const char* date, double hours) {
  Ledger out;
  for (int n = from; n <= to; ++n)
    out.push_back(core_of(padded("long", n), n, date, hours, hours));
  return out;
}

// `count` credits of `hours` each, every one a different topic.
Ledger other(int count, const char* date, const std::string& prefix, double hours = 1) {
  Ledger out;
  for (int n = 1; n <= count; ++n)
    out.push_back(league(padded(prefix, n), date, hours));
  return out;
}

Ledger cat(std::initializer_list<Ledger> parts) {
  Ledger out;
  for (const auto& part : parts)
    out.insert(out.end(), part.begin(), part.end());
  return out;
}

// Basic complete on 2025-02-10; Advanced complete on 2025-03-10.
Ledger basic_done() { return cat({core(1, 20, "2025-01-10"), other(20, "2025-02-10", "b")}); }
Ledger advanced_done() { return cat({basic_done(), other(40, "2025-03-10", "a")}); }

// Point entries in a year, one per distinct event.
Ledger points_in(int year, int count, const std::string& type = "alm_standing_committee") {
  Ledger out;
  for (int n = 1; n <= count; ++n) {
    char date[40];
    std::snprintf(date, sizeof date, "%04d-%02d-01", year, n);
    const std::string id = padded("pt" + std::to_string(year), n);
    out.push_back(points(id, date, type, id));
  }
  return out;
}

// Emeritus hours: `tens` credits of 10 hours, different topics, from 2026 on.
Ledger emeritus_hours(int tens) {
  Ledger out;
  for (int n = 1; n <= tens; ++n) {
    char date[40];
    std::snprintf(date, sizeof date, "%04d-%02d-15", 2026 + (n - 1) / 12, (n - 1) % 12 + 1);
    out.push_back(league(padded("em", n), date, 10));
  }
  return out;
}

Official councilmember() {
  Official official;
  official.id = "AL-0001";
  official.role = Role::councilmember;
  official.term_start = d("2020-11-02");
  return official;
}

Official with(std::function<void(Official&)> change) {
  Official official = councilmember();
  change(official);
  return official;
}

void old_core_rule(Program& program) { // seed 002: 10 core hours = 2 required + 8 elective
  program.levels[0].core_hours = 10;
  program.levels[0].core_courses_required = 0;
  // Before 2025 the required two: Duties of the Mayor and Council, General Powers.
  program.levels[0].required_courses = {code(2), code(1)};
}
void emeritus_rolls_into(Program& program) { program.levels[2].carry_in = CarryIn::rolls_into; }

std::string join_all(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines)
    out += line + "\n";
  return out;
}

// ------------------------------------------------------------------------ level and credit rules

struct LevelExpect {
  std::string id;
  double hours;
  double core;
  int points;
  bool met;
};

struct RefusalExpect {
  Refusal reason;
  double hours;
  int points;
};

struct RuleCase {
  std::string name;
  std::function<void(Program&)> tweak; // the setting under test, or nullptr
  Official official;
  Ledger ledger;
  const char* as_of;
  std::vector<LevelExpect> levels;     // the levels checked
  std::vector<RefusalExpect> refusals; // every refused part, in evaluation order
  std::vector<std::string> missing;    // substrings of the current level's missing words
  const char* tier = nullptr;          // Emeritus tier name expected, when given
};

std::ostream& operator<<(std::ostream& out, const RuleCase& c) { return out << c.name; }

class Rules : public ::testing::TestWithParam<RuleCase> {};

TEST_P(Rules, HandComputed) {
  const RuleCase& c = GetParam();
  Program program = shipped("alm-cmo.jsonc");
  if (c.tweak) c.tweak(program);
  const Progress progress = evaluate(program, c.official, c.ledger, d(c.as_of));
  for (const auto& want : c.levels) {
    const LevelProgress* level = progress.level(want.id);
    ASSERT_NE(level, nullptr) << want.id;
    EXPECT_DOUBLE_EQ(level->hours_counted, want.hours) << want.id;
    EXPECT_DOUBLE_EQ(level->core_hours_counted, want.core) << want.id;
    EXPECT_EQ(level->points_counted, want.points) << want.id;
    EXPECT_EQ(level->met, want.met) << want.id;
  }
  const auto refused = progress.refusals();
  ASSERT_EQ(refused.size(), c.refusals.size()) << [&] {
    std::string all;
    for (const auto& r : refused)
      all += std::string(to_string(r.reason)) + ": " + r.message + "\n";
    return all;
  }();
  for (std::size_t i = 0; i < refused.size(); ++i) {
    EXPECT_EQ(refused[i].reason, c.refusals[i].reason) << i << ": " << refused[i].message;
    EXPECT_DOUBLE_EQ(refused[i].hours, c.refusals[i].hours) << i << ": " << refused[i].message;
    EXPECT_EQ(refused[i].points, c.refusals[i].points) << i << ": " << refused[i].message;
    EXPECT_FALSE(refused[i].message.empty());
  }
  const std::string missing = join_all(progress.missing);
  for (const auto& part : c.missing) {
    EXPECT_NE(missing.find(part), std::string::npos) << "missing:\n" << missing << "want: " << part;
  }
  if (c.tier != nullptr) {
    EXPECT_EQ(progress.levels.back().tier, c.tier);
  }
}

const std::vector<RuleCase> kRuleCases =
    {
        // --- Basic: 40 hours of which 20 core (current rule)
        {"BasicNeeds20CoreAnd20Other",
         nullptr,
         councilmember(),
         basic_done(),
         "2025-06-01",
         {{"basic", 40, 20, 0, true}, {"advanced", 0, 0, 0, false}},
         {},
         {"40 more hours"}},
        {"FortyOtherHoursWithoutCoreIsNotBasic",
         nullptr,
         councilmember(),
         other(40, "2025-03-01", "o"),
         "2025-06-01",
         {{"basic", 20, 0, 0, false}, {"advanced", 20, 0, 0, false}},
         {},
         {"20 more core courses: not yet completed: General Powers of Municipalities, Duties of "
          "the Mayor and Council, Ethics"}},
        {"MissingCoreInWords",
         nullptr,
         councilmember(),
         cat({core(1, 12, "2025-01-10"), other(20, "2025-02-10", "o")}),
         "2025-06-01",
         {{"basic", 32, 12, 0, false}},
         {},
         {"8 more core courses: not yet completed: Municipal Revenue Sources, Competitive Bid "
          "Laws, Budgeting, Audit Requirements, The Public Purpose Doctrine, The Open Meetings "
          "Act, Municipal Boards, Zoning"}},
        {"MissingOtherHoursInWords",
         nullptr,
         councilmember(),
         cat({core(1, 20, "2025-01-10"), other(5, "2025-02-10", "o")}),
         "2025-06-01",
         {{"basic", 25, 20, 0, false}},
         {},
         {"15 more hours of other approved training"}},
        {"CoreCourseTwiceTheSameDayCountsOnce",
         nullptr,
         councilmember(),
         cat({core(1, 20, "2025-01-10"), other(20, "2025-02-10", "o"), core(20, 20, "2025-01-10")}),
         "2025-06-01",
         {{"basic", 40, 20, 0, true}},
         {{Refusal::duplicate_core, 1, 0}},
         {}},
        // --- conflicting core rule: old 10 (2 required + 8 elective) vs current 20
        {"OldRule10CoreCompletesBasic",
         old_core_rule,
         councilmember(),
         cat({core(1, 10, "2025-01-10"), other(30, "2025-02-10", "o")}),
         "2025-06-01",
         {{"basic", 40, 10, 0, true}, {"advanced", 0, 0, 0, false}},
         {},
         {}},
        {"CurrentRuleSameLedgerIsNotBasic",
         nullptr,
         councilmember(),
         cat({core(1, 10, "2025-01-10"), other(30, "2025-02-10", "o")}),
         "2025-06-01",
         {{"basic", 30, 10, 0, false}, {"advanced", 10, 0, 0, false}},
         {},
         {"10 more core courses"}},
        {"OldRuleNeedsTheTwoRequiredCourses",
         old_core_rule,
         councilmember(),
         cat({core(3, 12, "2025-01-10"), other(30, "2025-02-10", "o")}),
         "2025-06-01",
         {{"basic", 40, 10, 0, false}},
         {},
         {"required core courses not yet taken: Duties of the Mayor and Council, General Powers "
          "of Municipalities"}},
        {"OldRuleRequiredCourseLaterStillCountsTowardBasic",
         old_core_rule,
         councilmember(),
         cat({core(3, 12, "2025-01-10"), other(30, "2025-02-10", "o"), core(1, 2, "2025-05-01")}),
         "2025-06-01",
         {{"basic", 42, 12, 0, true}, {"advanced", 0, 0, 0, false}},
         {},
         {}},
        // --- issue 12 item 6: twenty distinct core courses, not twenty core hours
        {"SevenThreeHourCoreCoursesAreNotBasic",
         nullptr,
         councilmember(),
         cat({long_core(1, 7, "2025-01-10", 3), other(20, "2025-02-10", "o")}),
         "2025-06-01",
         {{"basic", 40, 21, 0, false}, {"advanced", 1, 0, 0, false}},
         {},
         {"13 more core courses: not yet completed: Legislative Advocacy, Municipal Liability"}},
        {"TwentyThreeHourCoreCoursesAreBasic", // each needed course fits: 60 of 40 hours
         nullptr,
         councilmember(),
         long_core(1, 20, "2025-01-10", 3),
         "2025-06-01",
         {{"basic", 60, 60, 0, true}, {"advanced", 0, 0, 0, false}},
         {},
         {"40 more hours"}},
        {"OldRuleCountsCoreHoursNotCourses", // the same seven courses under core_hours: 10
         old_core_rule,
         councilmember(),
         cat({long_core(1, 7, "2025-01-10", 3), other(20, "2025-02-10", "o")}),
         "2025-06-01",
         {{"basic", 40, 21, 0, true}, {"advanced", 1, 0, 0, false}},
         {},
         {}},
        {"NineteenCompleteAndOnePartIsNotBasic",
         nullptr,
         councilmember(),
         cat({core(1, 19, "2025-01-10"),
              {core_of("part", 20, "2025-01-20", 2, 3)},
              other(20, "2025-02-10", "o")}),
         "2025-06-01",
         {{"basic", 40, 21, 0, false}, {"advanced", 1, 0, 0, false}},
         {},
         {"1 more core course: not yet completed: Zoning (started: " + code(20) + ": 2 of 3 h)"}},
        // --- issue 12 item 7: a retake tops a partly attended core course up to its hours
        {"RetakeTopsUpAPartlyAttendedCoreCourse",
         nullptr,
         councilmember(),
         {core_of("first", 3, "2025-03-01", 2, 3), core_of("again", 3, "2025-09-01", 3, 3)},
         "2025-12-01",
         {{"basic", 3, 3, 0, false}},
         {{Refusal::duplicate_core, 2, 0}},
         {"19 more core courses"}},
        {"RetakeCompletesTheTwentiethCourse",
         nullptr,
         councilmember(),
         cat({core(1, 19, "2025-01-10"),
              {core_of("part", 20, "2025-01-20", 2, 3)},
              other(20, "2025-02-10", "o"),
              {core_of("retake", 20, "2025-05-01", 3, 3)}}),
         "2025-06-01",
         {{"basic", 41, 22, 0, true}, {"advanced", 1, 0, 0, false}},
         {{Refusal::duplicate_core, 2, 0}},
         {}},
        {"CourseHoursAreTheLargestOffered", // offered hours unknown: the 3-hour attendance
         nullptr,
         councilmember(),
         {core_of("first", 3, "2025-03-01", 2), core_of("again", 3, "2025-09-01", 3),
          core_of("third", 3, "2026-02-01", 1)},
         "2026-12-01",
         {{"basic", 3, 3, 0, false}},
         {{Refusal::duplicate_core, 2, 0}, {Refusal::duplicate_core, 1, 0}},
         {}},
        {"CourseHoursFromTheProgramList",
         [](Program& p) { p.core_courses[2].hours = 1.5; },
         councilmember(),
         {core_of("long", 3, "2025-03-01", 3, 3)},
         "2025-12-01",
         {{"basic", 1.5, 1.5, 0, false}},
         {{Refusal::duplicate_core, 1.5, 0}},
         {}},
        {"DuplicateCoreIsASetting",
         [](Program& p) { p.core_once_ever = false; },
         councilmember(),
         {core_of("first", 3, "2025-03-01", 2, 3), core_of("again", 3, "2025-09-01", 3, 3)},
         "2025-12-01",
         {{"basic", 5, 5, 0, false}},
         {},
         {}},
        // --- duplicates
        {"DuplicateCoreRefused",
         nullptr,
         councilmember(),
         {league("x1", "2025-03-01", 1, code(1)), league("x2", "2025-05-01", 1, code(1))},
         "2025-06-01",
         {{"basic", 1, 1, 0, false}},
         {{Refusal::duplicate_core, 1, 0}},
         {}},
        {"DuplicateCoreRefusedEvenYearsLater",
         nullptr,
         councilmember(),
         {league("x1", "2025-03-01", 1, code(7)), league("x2", "2030-03-01", 1, code(7))},
         "2030-06-01",
         {{"basic", 1, 1, 0, false}},
         {{Refusal::duplicate_core, 1, 0}},
         {}},
        {"SameTopicWithinTwoYearsRefused",
         nullptr,
         councilmember(),
         {league("t1", "2025-03-01", 2, "", "Budget basics"),
          league("t2", "2027-02-28", 2, "", "Budget basics")},
         "2027-06-01",
         {{"basic", 2, 0, 0, false}},
         {{Refusal::topic_repeat, 2, 0}},
         {}},
        {"SameTopicAfterTwoYearsCounts",
         nullptr,
         councilmember(),
         {league("t1", "2025-03-01", 2, "", "Budget basics"),
          league("t2", "2027-03-01", 2, "", "Budget basics")},
         "2027-06-01",
         {{"basic", 4, 0, 0, false}},
         {},
         {}},
        {"SameTopicIgnoresLetterCase",
         nullptr,
         councilmember(),
         {league("t1", "2025-03-01", 2, "", "Budget Basics"),
          league("t2", "2026-03-01", 2, "", "budget basics")},
         "2027-06-01",
         {{"basic", 2, 0, 0, false}},
         {{Refusal::topic_repeat, 2, 0}},
         {}},
        {"TopicFallsBackToCourseCode",
         nullptr,
         councilmember(),
         {league("t1", "2025-03-01", 1, "GEN-7"), league("t2", "2026-03-01", 1, "GEN-7")},
         "2027-06-01",
         {{"basic", 1, 0, 0, false}},
         {{Refusal::topic_repeat, 1, 0}},
         {}},
        {"TopicRepeatYearsIsASetting",
         [](Program& p) { p.topic_repeat_years = 3; },
         councilmember(),
         {league("t1", "2025-03-01", 2, "", "Budget basics"),
          league("t2", "2027-03-01", 2, "", "Budget basics")},
         "2027-06-01",
         {{"basic", 2, 0, 0, false}},
         {{Refusal::topic_repeat, 2, 0}},
         {}},
        // --- non-League (outside) training
        {"OutsideNeedsApproval",
         nullptr,
         councilmember(),
         {outside("n1", "2025-04-01", 3, false)},
         "2025-06-01",
         {{"basic", 0, 0, 0, false}},
         {{Refusal::outside_not_approved, 3, 0}},
         {}},
        {"OutsideAtMost5HoursPerCalendarYear",
         nullptr,
         councilmember(),
         {outside("n1", "2025-02-01", 3), outside("n2", "2025-05-01", 4)},
         "2025-06-01",
         {{"basic", 5, 0, 0, false}},
         {{Refusal::outside_year_cap, 2, 0}},
         {}},
        {"OutsideYearCapResetsOnJanuaryFirst",
         nullptr,
         councilmember(),
         {outside("n1", "2025-12-15", 5), outside("n2", "2026-01-10", 5)},
         "2026-06-01",
         {{"basic", 10, 0, 0, false}},
         {},
         {}},
        {"OutsideAtMost10HoursPerLevel",
         nullptr,
         councilmember(),
         {outside("n1", "2025-02-01", 5), outside("n2", "2026-02-01", 5),
          outside("n3", "2027-02-01", 5)},
         "2027-06-01",
         {{"basic", 10, 0, 0, false}, {"advanced", 0, 0, 0, false}},
         {{Refusal::outside_level_cap, 5, 0}},
         {}},
        {"OutsideLevelCapPartial",
         nullptr,
         councilmember(),
         {outside("n1", "2024-02-01", 5), outside("n2", "2025-02-01", 3),
          outside("n3", "2026-02-01", 4)},
         "2026-06-01",
         {{"basic", 10, 0, 0, false}},
         {{Refusal::outside_level_cap, 2, 0}},
         {}},
        {"OutsideCountsTowardAdvancedAfterBasic",
         nullptr,
         councilmember(),
         cat({basic_done(), {outside("n1", "2026-02-01", 5)}}),
         "2026-06-01",
         {{"basic", 40, 20, 0, true}, {"advanced", 5, 0, 0, false}},
         {},
         {}},
        {"EmeritusTakesNoOutsideHours",
         nullptr,
         councilmember(),
         cat({advanced_done(), {outside("n1", "2026-02-01", 3)}}),
         "2026-06-01",
         {{"advanced", 40, 0, 0, true}, {"emeritus", 0, 0, 0, false}},
         {{Refusal::outside_not_at_level, 3, 0}},
         {}},
        {"NlcMeetingGivesPointNotHoursAtEmeritus",
         nullptr,
         councilmember(),
         cat({advanced_done(),
              {points("nlc", "2026-03-10", "nlc_congressional_city_conference", "nlc-ccc-2026", 4,
                      CreditSource::outside)}}),
         "2026-06-01",
         {{"emeritus", 0, 0, 1, false}},
         {{Refusal::outside_not_at_level, 4, 0}},
         {}},
        {"NonLeagueEventOtherThanNlcGivesNoPoints",
         nullptr,
         councilmember(),
         cat({advanced_done(),
              {points("conv", "2026-03-10", "alm_convention", "x", 0, CreditSource::outside)}}),
         "2026-06-01",
         {{"emeritus", 0, 0, 0, false}},
         {{Refusal::points_not_qualifying, 0, 1}},
         {}},
        // --- online
        {"OnlineNeedsPassedTest",
         nullptr,
         councilmember(),
         {online("w1", "2025-04-01", 2, false, code(3))},
         "2025-06-01",
         {{"basic", 0, 0, 0, false}},
         {{Refusal::online_test_not_passed, 2, 0}},
         {}},
        {"OnlineWithPassedTestCountsAsCore",
         nullptr,
         councilmember(),
         {online("w1", "2025-04-01", 1, true, code(3))},
         "2025-06-01",
         {{"basic", 1, 1, 0, false}},
         {},
         {}},
        // --- Advanced and carry-over
        {"HoursBeyondBasicRollIntoAdvanced",
         nullptr,
         councilmember(),
         cat({core(1, 20, "2025-01-10"), other(30, "2025-02-10", "o")}),
         "2025-06-01",
         {{"basic", 40, 20, 0, true}, {"advanced", 10, 0, 0, false}},
         {},
         {"30 more hours"}},
        {"AdvancedNeedsBasicFirst",
         nullptr,
         councilmember(),
         other(60, "2025-03-01", "o"),
         "2025-06-01",
         {{"basic", 20, 0, 0, false}, {"advanced", 40, 0, 0, false}},
         {},
         {"20 more core courses"}},
        {"AdvancedCompleteWhenBasicCompletes",
         nullptr,
         councilmember(),
         cat({other(60, "2025-03-01", "o"), core(1, 20, "2025-04-01")}),
         "2025-06-01",
         {{"basic", 40, 20, 0, true}, {"advanced", 40, 0, 0, true}},
         {},
         {"120 more hours"}},
        {"EmeritusNoTransferDefault",
         nullptr,
         councilmember(),
         cat({basic_done(),
              other(38, "2025-03-10", "a"),
              {league("big", "2025-05-01", 6)},
              {league("next", "2025-06-01", 3)}}),
         "2025-07-01",
         {{"advanced", 40, 0, 0, true}, {"emeritus", 3, 0, 0, false}},
         {{Refusal::not_carried_over, 4, 0}},
         {"117 more hours", "15 more points"}},
        {"EmeritusRollsIntoSetting",
         emeritus_rolls_into,
         councilmember(),
         cat({basic_done(),
              other(38, "2025-03-10", "a"),
              {league("big", "2025-05-01", 6)},
              {league("next", "2025-06-01", 3)}}),
         "2025-07-01",
         {{"advanced", 40, 0, 0, true}, {"emeritus", 7, 0, 0, false}},
         {},
         {"113 more hours"}},
        {"EmeritusNotOpenWhileBasicIncompleteNoTransfer",
         nullptr,
         councilmember(),
         cat({other(60, "2025-03-01", "o"), {league("more", "2025-04-01", 2)}}),
         "2025-06-01",
         {{"advanced", 40, 0, 0, false}, {"emeritus", 0, 0, 0, false}},
         {{Refusal::level_not_open, 2, 0}},
         {}},
        {"EmeritusTakesOverflowWhenRollsInto",
         emeritus_rolls_into,
         councilmember(),
         cat({other(60, "2025-03-01", "o"), {league("more", "2025-04-01", 2)}}),
         "2025-06-01",
         {{"advanced", 40, 0, 0, false}, {"emeritus", 2, 0, 0, false}},
         {},
         {}},
        {"PointsBeforeAdvancedDoNotCountNoTransfer",
         nullptr,
         councilmember(),
         {points("c1", "2025-08-01", "alm_convention", "conv-2025")},
         "2025-09-01",
         {{"emeritus", 0, 0, 0, false}},
         {{Refusal::level_not_open, 0, 1}},
         {}},
        {"PointsBeforeAdvancedCountWhenRollsInto",
         emeritus_rolls_into,
         councilmember(),
         {points("c1", "2025-08-01", "alm_convention", "conv-2025")},
         "2025-09-01",
         {{"emeritus", 0, 0, 1, false}},
         {},
         {}},
        // --- Emeritus points
        {"OnePointPerEventNotPerSession",
         nullptr,
         councilmember(),
         cat({advanced_done(),
              {points("s1", "2026-06-01", "alm_convention", "conv-2026", 1),
               points("s2", "2026-06-01", "alm_convention", "conv-2026", 1),
               points("s3", "2026-06-02", "alm_convention", "conv-2026", 1)}}),
         "2026-07-01",
         {{"emeritus", 3, 0, 1, false}},
         {},
         {}},
        {"AtMostSixPointsPerYear",
         nullptr,
         councilmember(),
         cat({advanced_done(), points_in(2026, 8)}),
         "2026-12-31",
         {{"emeritus", 0, 0, 6, false}},
         {{Refusal::points_year_cap, 0, 1}, {Refusal::points_year_cap, 0, 1}},
         {"9 more points"}},
        {"PointCapResetsEachYear",
         nullptr,
         councilmember(),
         cat({advanced_done(), points_in(2026, 6), points_in(2027, 6)}),
         "2027-12-31",
         {{"emeritus", 0, 0, 12, false}},
         {},
         {}},
        {"OnlyQualifyingEventsGivePoints",
         nullptr,
         councilmember(),
         cat({advanced_done(), {points("f1", "2026-05-01", "county_fair", "fair")}}),
         "2026-12-31",
         {{"emeritus", 0, 0, 0, false}},
         {{Refusal::points_not_qualifying, 0, 0}},
         {}},
        {"OnlineEventGivesNoPoints",
         nullptr,
         councilmember(),
         cat({advanced_done(),
              {points("w", "2026-05-01", "legislative_advocacy", "adv-2026", 0,
                      CreditSource::online)}}),
         "2026-12-31",
         {{"emeritus", 0, 0, 0, false}},
         {{Refusal::points_not_qualifying, 0, 1}},
         {}},
        // --- Emeritus: 120 h AND 15 points; tiers
        {"EmeritusNeedsHoursAndPoints",
         nullptr,
         councilmember(),
         cat({advanced_done(), emeritus_hours(12), points_in(2026, 6), points_in(2027, 6),
              points_in(2028, 3)}),
         "2028-12-31",
         {{"emeritus", 120, 0, 15, true}},
         {},
         {"Emeritus II: 80 more hours"},
         ""},
        {"EmeritusHoursWithoutEnoughPoints",
         nullptr,
         councilmember(),
         cat({advanced_done(), emeritus_hours(12), points_in(2026, 6), points_in(2027, 6),
              points_in(2028, 2)}),
         "2028-12-31",
         {{"emeritus", 120, 0, 14, false}},
         {},
         {"1 more point"},
         ""},
        {"EmeritusPointsWithoutEnoughHours",
         nullptr,
         councilmember(),
         cat({advanced_done(), emeritus_hours(11), points_in(2026, 6), points_in(2027, 6),
              points_in(2028, 6)}),
         "2028-12-31",
         {{"emeritus", 110, 0, 18, false}},
         {},
         {"10 more hours"},
         ""},
        {"EmeritusTwoTier",
         nullptr,
         councilmember(),
         cat({advanced_done(), emeritus_hours(20), points_in(2026, 6), points_in(2027, 6),
              points_in(2028, 6), points_in(2029, 2)}),
         "2029-12-31",
         {{"emeritus", 200, 0, 20, true}},
         {},
         {"Emeritus III: 100 more hours"},
         "Emeritus II"},
        {"EmeritusTierNeedsBothHoursAndPoints",
         nullptr,
         councilmember(),
         cat({advanced_done(), emeritus_hours(30), points_in(2026, 6), points_in(2027, 6),
              points_in(2028, 6), points_in(2029, 6), points_in(2030, 1)}),
         "2030-12-31",
         {{"emeritus", 300, 0, 25, true}},
         {},
         {"Emeritus III: 5 more points"},
         "Emeritus II"},
        {"EmeritusFourTier",
         nullptr,
         councilmember(),
         cat({advanced_done(), emeritus_hours(40), points_in(2026, 6), points_in(2027, 6),
              points_in(2028, 6), points_in(2029, 6), points_in(2030, 6), points_in(2031, 6),
              points_in(2032, 4)}),
         "2032-12-31",
         {{"emeritus", 400, 0, 40, true}},
         {},
         {},
         "Emeritus IV"},
        // --- who earns credit
        {"ClerksEarnNoCmoCredit",
         nullptr,
         with([](Official& o) { o.role = Role::clerk; }),
         {league("c", "2025-03-01", 3, code(1))},
         "2025-06-01",
         {{"basic", 0, 0, 0, false}},
         {{Refusal::role_not_eligible, 3, 0}},
         {}},
        {"MayorsEarnCredit",
         nullptr,
         with([](Official& o) { o.role = Role::mayor; }),
         {league("c", "2025-03-01", 1, code(1))},
         "2025-06-01",
         {{"basic", 1, 1, 0, false}},
         {},
         {}},
        {"HeldDesignationStartsAtNextLevel",
         nullptr,
         with(
             [](Official& o) {
               o.designations = {{"basic", d("2020-05-01")}};
             }),
         other(10, "2025-03-01", "o"),
         "2025-06-01",
         {{"basic", 0, 0, 0, true}, {"advanced", 10, 0, 0, false}},
         {},
         {"30 more hours"}},
        {"EntriesAfterAsOfAreIgnored",
         nullptr,
         councilmember(),
         cat({core(1, 20, "2025-03-01"), other(20, "2025-09-01", "o")}),
         "2025-08-01",
         {{"basic", 20, 20, 0, false}},
         {},
         {"20 more hours of other approved training"}},
        // --- leaving office: one year to finish Basic
        {"LeftOfficeOnlineWithinYearCounts",
         nullptr,
         with([](Official& o) { o.left_office = d("2026-01-15"); }),
         {online("w", "2026-06-01", 2, true)},
         "2026-07-01",
         {{"basic", 2, 0, 0, false}},
         {},
         {}},
        {"LeftOfficeLastDayOfWindowCounts",
         nullptr,
         with([](Official& o) { o.left_office = d("2026-01-15"); }),
         {online("w", "2027-01-15", 2, true)},
         "2027-02-01",
         {{"basic", 2, 0, 0, false}},
         {},
         {}},
        {"LeftOfficeAfterWindowRefused",
         nullptr,
         with([](Official& o) { o.left_office = d("2026-01-15"); }),
         {online("w", "2027-01-16", 2, true)},
         "2027-02-01",
         {{"basic", 0, 0, 0, false}},
         {{Refusal::left_office_window, 2, 0}},
         {}},
        {"LeftOfficeLeagueEventNeedsPreapproval",
         nullptr,
         with([](Official& o) { o.left_office = d("2026-01-15"); }),
         {league("e", "2026-03-01", 2)},
         "2026-07-01",
         {{"basic", 0, 0, 0, false}},
         {{Refusal::needs_preapproval, 2, 0}},
         {}},
        {"LeftOfficePreapprovedLeagueEventCounts",
         nullptr,
         with([](Official& o) { o.left_office = d("2026-01-15"); }),
         {[] {
           auto e = league("e", "2026-03-01", 2);
           e.approved = true;
           return e;
         }()},
         "2026-07-01",
         {{"basic", 2, 0, 0, false}},
         {},
         {}},
        {"LeftOfficeCreditOnlyFinishesBasic",
         nullptr,
         with([](Official& o) { o.left_office = d("2026-01-15"); }),
         cat({core(1, 20, "2025-01-10"),
              other(19, "2025-02-10", "o"),
              {online("w", "2026-03-01", 3, true)}}),
         "2026-07-01",
         {{"basic", 40, 20, 0, true}, {"advanced", 0, 0, 0, false}},
         {{Refusal::left_office_level_done, 2, 0}},
         {}},
        {"LeftOfficeAfterBasicNothingCounts",
         nullptr,
         with([](Official& o) { o.left_office = d("2026-01-15"); }),
         cat({basic_done(), {online("w", "2026-03-01", 3, true)}}),
         "2026-07-01",
         {{"advanced", 0, 0, 0, false}},
         {{Refusal::left_office_level_done, 3, 0}},
         {}},
};

INSTANTIATE_TEST_SUITE_P(Alm, Rules, ::testing::ValuesIn(kRuleCases),
                         [](const ::testing::TestParamInfo<RuleCase>& param_info) {
                           return param_info.param.name;
                         });

// ------------------------------------------------------------------ annual requirements

struct AnnualCase {
  std::string name;
  std::string file;
  Official official;
  Ledger ledger;
  const char* as_of;
  bool applies;
  double required;
  double earned;
  double behind_by;
  std::optional<double> term_earned; // first-term total, when the official is in a first term
  std::string message_part;
};

std::ostream& operator<<(std::ostream& out, const AnnualCase& c) { return out << c.name; }

class Annual : public ::testing::TestWithParam<AnnualCase> {};

TEST_P(Annual, HandComputed) {
  const AnnualCase& c = GetParam();
  const Progress progress = evaluate(shipped(c.file), c.official, c.ledger, d(c.as_of));
  ASSERT_TRUE(progress.annual.has_value());
  const AnnualCompliance& annual = *progress.annual;
  EXPECT_EQ(annual.applies, c.applies) << annual.message;
  EXPECT_DOUBLE_EQ(annual.required, c.required) << annual.message;
  EXPECT_DOUBLE_EQ(annual.earned, c.earned) << annual.message;
  EXPECT_DOUBLE_EQ(annual.behind_by, c.behind_by) << annual.message;
  EXPECT_EQ(annual.met, c.applies && c.behind_by == 0) << annual.message;
  EXPECT_EQ(annual.term_required.has_value(), c.term_earned.has_value()) << annual.message;
  if (c.term_earned) {
    EXPECT_DOUBLE_EQ(annual.term_earned, *c.term_earned) << annual.message;
  }
  EXPECT_NE(annual.message.find(c.message_part), std::string::npos) << annual.message;
}

const std::vector<AnnualCase> kAnnualCases = {
    {"NoRequirementBefore2025", "alm-cmo.jsonc", councilmember(), other(2, "2024-03-01", "o"),
     "2024-10-01", false, 0, 2, 0, std::nullopt, "starts on 2025-01-01"},
    {"TenHoursBehindBy4", "alm-cmo.jsonc", councilmember(), other(6, "2026-03-01", "o"),
     "2026-10-01", true, 10, 6, 4, std::nullopt, "2026: 6 of 10 hours (Act 2024-194), behind by 4"},
    {"TenHoursMet", "alm-cmo.jsonc", councilmember(), other(12, "2026-03-01", "o"), "2026-10-01",
     true, 10, 12, 0, std::nullopt, "met"},
    {"OnlyThisCalendarYearCounts", "alm-cmo.jsonc", councilmember(),
     cat({other(8, "2025-12-31", "p"), other(3, "2026-01-01", "o")}), "2026-10-01", true, 10, 3, 7,
     std::nullopt, "behind by 7"},
    {"HoldersNeedFive", "alm-cmo.jsonc", with([](Official& o) {
       o.designations = {{"basic", d("2019-11-01")}};
     }),
     other(5, "2026-03-01", "o"), "2026-10-01", true, 5, 5, 0, std::nullopt, "holders of Basic"},
    {"HolderByLedgerCompletionLastYear", "alm-cmo.jsonc", councilmember(),
     cat({basic_done(), other(2, "2026-03-01", "o")}), "2026-10-01", true, 5, 2, 3, std::nullopt,
     "behind by 3"},
    {"CompletedThisYearStillNeedsTen", "alm-cmo.jsonc", councilmember(), basic_done(), "2025-10-01",
     true, 10, 40, 0, std::nullopt, "40 of 10 hours"},
    {"RefusedHoursDoNotCount", "alm-cmo.jsonc", councilmember(),
     cat({core(1, 6, "2025-03-01"), core(1, 4, "2026-03-01"), other(6, "2026-04-01", "o")}),
     "2026-10-01", true, 10, 6, 4, std::nullopt, "behind by 4"},
    {"HoursNotCarriedOverStillCountForTheLaw", "alm-cmo.jsonc", councilmember(),
     cat({other(60, "2025-03-01", "o"), {league("more", "2026-04-01", 2)}}), "2026-10-01", true, 10,
     2, 8, std::nullopt, "behind by 8"},
    // issue 12 item 8: level caps limit what counts toward a level, not the Act's yearly hours.
    // Advanced held: Emeritus takes no non-League hours, yet the 4 approved hours are training.
    {"NonLeagueHoursRefusedAtEmeritusCountForTheLaw",
     "alm-cmo.jsonc",
     with([](Official& o) {
       o.designations = {{"advanced", d("2020-06-30")}};
     }),
     {outside("n1", "2026-03-01", 4)},
     "2026-10-01",
     true,
     5,
     4,
     1,
     std::nullopt,
     "behind by 1"},
    // Basic held; Advanced's 10 non-League hours are used by 2024 and 2025: 2026's 5 are over
    // the level cap and still the year's training.
    {"HoursOverTheLevelCapCountForTheLaw",
     "alm-cmo.jsonc",
     with([](Official& o) {
       o.designations = {{"basic", d("2020-06-30")}};
     }),
     {outside("n1", "2024-03-01", 5), outside("n2", "2025-03-01", 5),
      outside("n3", "2026-03-01", 5)},
     "2026-10-01",
     true,
     5,
     5,
     0,
     std::nullopt,
     "5 of 5 hours"},
    // The yearly non-League cap is an approval limit: it still applies (5 of 7 count).
    {"NonLeagueYearCapStillLimitsTheLaw",
     "alm-cmo.jsonc",
     councilmember(),
     {outside("n1", "2026-03-01", 3), outside("n2", "2026-04-01", 4)},
     "2026-10-01",
     true,
     10,
     5,
     5,
     std::nullopt,
     "behind by 5"},
    {"ClerksHaveNoRequirement", "alm-cmo.jsonc", with([](Official& o) { o.role = Role::clerk; }),
     other(2, "2026-03-01", "o"), "2026-10-01", false, 0, 0, 0, std::nullopt,
     "no annual requirement"},
    {"NotInOfficeNoRequirement",
     "alm-cmo.jsonc",
     with([](Official& o) { o.left_office = d("2025-11-30"); }),
     {},
     "2026-10-01",
     false,
     0,
     0,
     0,
     std::nullopt,
     "not in office in 2026"},
    {"FirstTermFortyHours", "alm-cmo.jsonc", with([](Official& o) {
       o.term_start = d("2025-11-03");
       o.first_term = true;
     }),
     cat({other(4, "2025-12-01", "p"), other(8, "2026-03-01", "o")}), "2026-10-01", true, 10, 8, 2,
     12.0, "first term: 12 of 40 hours by 2029-11-03"},
    {"FirstTermCountsFromTheLaw", "alm-cmo.jsonc", with([](Official& o) {
       o.term_start = d("2024-06-01");
       o.first_term = true;
     }),
     cat({other(4, "2024-08-01", "p"), other(10, "2025-03-01", "o")}), "2025-10-01", true, 10, 10,
     0, 10.0, "first term: 10 of 40 hours"},
    {"IcmaFortyHoursAYear", "icma-cm.jsonc", with([](Official& o) { o.role = Role::staff; }),
     cat({other(30, "2026-03-01", "o"), {outside("conf", "2026-05-01", 5)}}), "2026-12-01", true,
     40, 35, 5, std::nullopt, "35 of 40 hours (ICMA Code of Ethics, Tenet 8), behind by 5"},
    {"IcmaMet", "icma-cm.jsonc", with([](Official& o) { o.role = Role::staff; }),
     other(40, "2026-03-01", "o"), "2026-12-01", true, 40, 40, 0, std::nullopt, "met"},
};

INSTANTIATE_TEST_SUITE_P(Programs, Annual, ::testing::ValuesIn(kAnnualCases),
                         [](const ::testing::TestParamInfo<AnnualCase>& param_info) {
                           return param_info.param.name;
                         });

// ------------------------------------------------------------------ graduation (end of July)

struct GraduationCase {
  std::string name;
  Ledger ledger;
  const char* as_of;
  std::vector<std::string> qualifies;
  std::string message_part;
};

std::ostream& operator<<(std::ostream& out, const GraduationCase& c) { return out << c.name; }

class GraduationDeadline : public ::testing::TestWithParam<GraduationCase> {};

TEST_P(GraduationDeadline, HandComputed) {
  const GraduationCase& c = GetParam();
  const Progress progress =
      evaluate(shipped("alm-cmo.jsonc"), councilmember(), c.ledger, d(c.as_of));
  ASSERT_TRUE(progress.graduation.has_value());
  EXPECT_EQ(progress.graduation->qualifies, c.qualifies) << progress.graduation->message;
  EXPECT_NE(progress.graduation->message.find(c.message_part), std::string::npos)
      << progress.graduation->message;
}

Ledger basic_on(const char* last_day) {
  return cat(
      {core(1, 20, "2025-09-01"), other(19, "2025-10-01", "o"), {league("last", last_day, 1)}});
}

const std::vector<GraduationCase> kGraduationCases = {
    {"QualifiedBeforeDeadline",
     basic_on("2026-05-10"),
     "2026-08-01",
     {"basic"},
     "graduation 2026 (qualify by 2026-07-31, ceremony in the fall): qualifies for Basic"},
    {"DeadlineDayCounts", basic_on("2026-07-31"), "2026-08-01", {"basic"}, "qualifies for Basic"},
    {"AfterDeadlineWaitsForNextYear",
     basic_on("2026-08-01"),
     "2026-09-01",
     {},
     "did not qualify; next deadline 2027-07-31"},
    {"AfterDeadlineQualifiesNextYear",
     basic_on("2026-08-01"),
     "2027-03-01",
     {"basic"},
     "graduation 2027"},
    {"LastYearsClassIsNotThisYears",
     cat({core(1, 20, "2025-03-01"), other(20, "2025-07-15", "o")}),
     "2026-05-01",
     {},
     "graduation 2026"},
    {"NotYetBeforeDeadline", core(1, 20, "2026-03-01"), "2026-05-01", {}, "not qualified yet"},
    {"BasicAndAdvancedTheSameYear",
     cat({core(1, 20, "2025-09-01"),
          other(59, "2025-10-01", "o"),
          {league("last", "2026-06-01", 1)}}),
     "2026-07-01",
     {"basic", "advanced"},
     "qualifies for Basic, Advanced"},
};

INSTANTIATE_TEST_SUITE_P(Alm, GraduationDeadline, ::testing::ValuesIn(kGraduationCases),
                         [](const ::testing::TestParamInfo<GraduationCase>& param_info) {
                           return param_info.param.name;
                         });

// ------------------------------------------------------------------ AMCTO PDU cycle

LedgerEntry pdu(const std::string& id, const char* date, double hours, const std::string& category,
                const std::string& competency) {
  LedgerEntry entry = outside(id, date, hours, false); // no approval needed in this program
  entry.category = category;
  entry.competency = competency;
  return entry;
}

struct CycleCase {
  std::string name;
  Official official;
  Ledger ledger;
  const char* as_of;
  double earned;
  bool met;
  std::vector<RefusalExpect> refusals;
  std::string message_part;
};

std::ostream& operator<<(std::ostream& out, const CycleCase& c) { return out << c.name; }

class PduCycle : public ::testing::TestWithParam<CycleCase> {};

TEST_P(PduCycle, HandComputed) {
  const CycleCase& c = GetParam();
  const Progress progress = evaluate(shipped("amcto-pdu.jsonc"), c.official, c.ledger, d(c.as_of));
  ASSERT_TRUE(progress.cycle.has_value());
  EXPECT_DOUBLE_EQ(progress.cycle->earned, c.earned) << progress.cycle->message;
  EXPECT_EQ(progress.cycle->met, c.met) << progress.cycle->message;
  EXPECT_NE(progress.cycle->message.find(c.message_part), std::string::npos)
      << progress.cycle->message;
  const auto refused = progress.refusals();
  ASSERT_EQ(refused.size(), c.refusals.size());
  for (std::size_t i = 0; i < refused.size(); ++i) {
    EXPECT_EQ(refused[i].reason, c.refusals[i].reason) << refused[i].message;
    EXPECT_DOUBLE_EQ(refused[i].hours, c.refusals[i].hours) << refused[i].message;
  }
}

Official cmo_since(const char* date) {
  return with([date](Official& o) {
    o.role = Role::clerk;
    o.designations = {{"amcto-cmo", d(date)}};
  });
}

const std::vector<CycleCase> kCycleCases = {
    // Issue 12: an online activity with a failed test still counts (AMCTO has no test rule);
    // one without its competency is refused.
    {"OnlineActivityCountsWhateverTheScore",
     cmo_since("2025-01-15"),
     {[] {
        LedgerEntry e = pdu("w1", "2025-06-02", 2, "self_directed", "financial_management");
        e.source = CreditSource::online;
        e.test_score = 50;
        return e;
      }(),
      pdu("w2", "2025-07-02", 3, "teaching", "")},
     "2026-03-01",
     2,
     false,
     {{Refusal::category_missing, 3, 0}},
     "cycle 2025-01-15 to 2028-01-14: 2 of 60 PDU, 58 PDU still needed by 2028-01-14"},
    {"SixtyPdusInThreeYearsMet",
     cmo_since("2023-04-01"),
     {pdu("c1", "2023-05-01", 30, "continuing_education", "leadership"),
      pdu("c2", "2025-05-01", 30, "teaching", "communication")},
     "2026-03-01",
     60,
     true,
     {},
     "cycle 2023-04-01 to 2026-03-31: 60 of 60 PDU, met"},
    {"NewCycleStartsAtZero",
     cmo_since("2023-04-01"),
     {pdu("c1", "2023-05-01", 60, "continuing_education", "leadership"),
      pdu("c2", "2026-05-01", 20, "self_directed", "financial_management")},
     "2026-06-01",
     20,
     false,
     {},
     "40 PDU still needed by 2029-03-31"},
    {"EveryActivityNeedsACategory",
     cmo_since("2023-04-01"),
     {pdu("c1", "2024-05-01", 7, "", "leadership")},
     "2024-06-01",
     0,
     false,
     {{Refusal::category_missing, 7, 0}},
     "0 of 60 PDU"},
    {"UnknownCompetencyRefused",
     cmo_since("2023-04-01"),
     {pdu("c1", "2024-05-01", 7, "teaching", "golf")},
     "2024-06-01",
     0,
     false,
     {{Refusal::category_missing, 7, 0}},
     "0 of 60 PDU"},
    {"NoDesignationNoCycle",
     with([](Official& o) { o.role = Role::clerk; }),
     {pdu("c1", "2024-05-01", 7, "teaching", "leadership")},
     "2024-06-01",
     0,
     false,
     {},
     "no amcto-cmo designation on record"},
};

INSTANTIATE_TEST_SUITE_P(Amcto, PduCycle, ::testing::ValuesIn(kCycleCases),
                         [](const ::testing::TestParamInfo<CycleCase>& param_info) {
                           return param_info.param.name;
                         });

TEST(PduCycle, SumsPerCategoryAndCompetency) {
  const Ledger ledger = {pdu("c1", "2024-05-01", 7, "teaching", "leadership"),
                         pdu("c2", "2024-06-01", 3, "teaching", "communication"),
                         pdu("c3", "2024-07-01", 5, "professional_writing", "leadership")};
  const Progress progress =
      evaluate(shipped("amcto-pdu.jsonc"), cmo_since("2023-04-01"), ledger, d("2024-12-01"));
  ASSERT_TRUE(progress.cycle.has_value());
  using Sums = std::vector<std::pair<std::string, double>>;
  EXPECT_EQ(progress.cycle->by_category, (Sums{{"professional_writing", 5}, {"teaching", 10}}));
  EXPECT_EQ(progress.cycle->by_competency, (Sums{{"communication", 3}, {"leadership", 12}}));
}

// ------------------------------------------------------------------ determinism, words, ledger

std::string summary(const Progress& progress) {
  std::ostringstream out;
  for (const auto& level : progress.levels) {
    out << level.id << " " << level.hours_counted << " " << level.core_hours_counted << " "
        << level.points_counted << " " << level.met << " "
        << (level.completed_on ? format_date(*level.completed_on) : "-") << "\n";
  }
  for (const auto& entry : progress.entries) {
    out << entry.entry.id << " " << entry.hours_credited << " " << entry.points_credited;
    for (const auto& p : entry.placements)
      out << " " << p.level_id << ":" << p.hours;
    for (const auto& r : entry.refused)
      out << " [" << to_string(r.reason) << " " << r.hours << "]";
    out << "\n";
  }
  out << join_all(progress.missing);
  if (progress.annual) out << progress.annual->message << "\n";
  return out.str();
}

TEST(Annual, RepeatsCountIsASetting) {
  // A core course again in 2026 and a topic within two years: refused as duplicates (no credit
  // toward a level) but counted as the year's training with count_repeats.
  Program program = shipped("alm-cmo.jsonc");
  const Ledger ledger = cat(
      {core(1, 6, "2025-03-01"),
       core(1, 4, "2026-03-01"),
       {league("t1", "2025-05-01", 2, "", "Budget"), league("t2", "2026-05-01", 2, "", "Budget")}});
  const Progress strict = evaluate(program, councilmember(), ledger, d("2026-10-01"));
  EXPECT_DOUBLE_EQ(strict.annual->earned, 0);
  program.annual->count_repeats = true;
  const Progress counted = evaluate(program, councilmember(), ledger, d("2026-10-01"));
  EXPECT_DOUBLE_EQ(counted.annual->earned, 6);
  EXPECT_DOUBLE_EQ(counted.level("basic")->hours_counted, 8); // levels unchanged
}

TEST(Progress, OnlineTestScoreDecidesAgainstThePassMark) {
  // ALM: 70% passes; the score decides even when test_passed says otherwise.
  LedgerEntry failed = online("w1", "2026-02-01", 1, true, code(10));
  failed.test_score = 65;
  LedgerEntry passed = online("w2", "2026-03-01", 1, false, code(18));
  passed.test_score = 70;
  const Progress alm =
      evaluate(shipped("alm-cmo.jsonc"), councilmember(), Ledger{failed, passed}, d("2026-12-01"));
  ASSERT_EQ(alm.entries.size(), 2u);
  EXPECT_DOUBLE_EQ(alm.entries[0].hours_credited, 0);
  ASSERT_EQ(alm.entries[0].refused.size(), 1u);
  EXPECT_EQ(alm.entries[0].refused[0].reason, Refusal::online_test_not_passed);
  EXPECT_NE(alm.entries[0].refused[0].message.find("(score 65%, below the pass mark of 70%)"),
            std::string::npos)
      << alm.entries[0].refused[0].message;
  EXPECT_DOUBLE_EQ(alm.entries[1].hours_credited, 1);
  EXPECT_TRUE(alm.entries[1].core);
  EXPECT_DOUBLE_EQ(alm.level("basic")->core_hours_counted, 1);
  EXPECT_EQ(alm.level("basic")->core_courses_counted, 1);
  // ICMA takes online training without a test.
  const Progress icma =
      evaluate(shipped("icma-cm.jsonc"), with([](Official& o) { o.role = Role::staff; }),
               Ledger{failed, passed}, d("2026-12-01"));
  EXPECT_DOUBLE_EQ(icma.annual->earned, 2);
}

TEST(Progress, LedgerOrderDoesNotMatter) {
  Ledger ledger = cat(
      {core(1, 20, "2025-01-10"),
       core(3, 4, "2025-02-01"),
       other(30, "2025-02-10", "o"),
       other(45, "2025-03-10", "a"),
       {outside("n1", "2025-04-01", 4), outside("n2", "2025-04-01", 4),
        league("t1", "2025-05-01", 2, "", "Budget"), league("t2", "2025-05-01", 2, "", "Budget")},
       points_in(2026, 8)});
  const Program& program = shipped("alm-cmo.jsonc");
  const std::string expected = summary(evaluate(program, councilmember(), ledger, d("2026-12-31")));
  std::mt19937 random(20260302); // fixed seed: the same permutations on every run
  for (int round = 0; round < 25; ++round) {
    std::shuffle(ledger.begin(), ledger.end(), random);
    EXPECT_EQ(summary(evaluate(program, councilmember(), ledger, d("2026-12-31"))), expected)
        << "round " << round;
  }
}

TEST(Progress, RefusalsExplainThemselves) {
  const Ledger ledger = {league("x1", "2025-03-01", 1, code(5)),
                         league("x2", "2025-05-01", 1, code(5)), outside("n1", "2025-04-01", 7)};
  const Progress progress =
      evaluate(shipped("alm-cmo.jsonc"), councilmember(), ledger, d("2025-06-01"));
  const auto refused = progress.refusals();
  ASSERT_EQ(refused.size(), 2u);
  EXPECT_EQ(refused[0].message, "2 h over the 5 h of non-League training allowed in 2025");
  EXPECT_EQ(refused[1].message, "Course x2: core course " + code(5) +
                                    " was already credited in full (1 h) on "
                                    "2025-03-01 (a core course counts once)");
}

TEST(Progress, EveryHourIsPlacedOrRefused) {
  const Ledger ledger =
      cat({advanced_done(),
           other(5, "2026-01-10", "e", 3),
           {outside("n1", "2026-04-01", 4), league("dup", "2026-05-01", 1, code(1))}});
  const Progress progress =
      evaluate(shipped("alm-cmo.jsonc"), councilmember(), ledger, d("2026-12-31"));
  for (const auto& outcome : progress.entries) {
    double placed = 0;
    double refused = 0;
    for (const auto& p : outcome.placements)
      placed += p.hours;
    for (const auto& r : outcome.refused)
      refused += r.hours;
    EXPECT_DOUBLE_EQ(placed + refused, outcome.entry.hours) << outcome.entry.id;
  }
  EXPECT_EQ(progress.current_level, "emeritus");
}

TEST(Progress, LeftOfficeWindowInWords) {
  const Official official = with([](Official& o) { o.left_office = d("2026-01-15"); });
  const Progress open = evaluate(shipped("alm-cmo.jsonc"), official, {}, d("2026-06-01"));
  ASSERT_TRUE(open.left_office.has_value());
  EXPECT_TRUE(open.left_office->open);
  EXPECT_EQ(open.left_office->window_ends, d("2027-01-15"));
  EXPECT_EQ(open.left_office->message,
            "left office on 2026-01-15: until 2027-01-15 to finish Basic");
  const Progress closed = evaluate(shipped("alm-cmo.jsonc"), official, {}, d("2027-02-01"));
  EXPECT_FALSE(closed.left_office->open);
  EXPECT_NE(closed.left_office->message.find("closed on 2027-01-15"), std::string::npos);
}

TEST(Progress, CompletionDateIsTheDayTheLastNeedWasMet) {
  const Progress progress =
      evaluate(shipped("alm-cmo.jsonc"), councilmember(), advanced_done(), d("2025-12-31"));
  EXPECT_EQ(progress.level("basic")->completed_on, d("2025-02-10"));
  EXPECT_EQ(progress.level("advanced")->completed_on, d("2025-03-10"));
  EXPECT_EQ(progress.current_level, "emeritus");
}

TEST(Ledger, LeagueEntryUsesTheEventsLocalDate) {
  Event event;
  event.id = "ev-1";
  event.timezone = "America/Chicago";
  Session session;
  session.id = "s3";
  session.title = "Open Meetings";
  session.course_code = code(6);
  session.topic = "open meetings";
  session.start = *parse_iso8601("2026-03-03T03:00:00Z"); // 21:00 on March 2 in Chicago
  const LedgerEntry entry = make_league_entry(event, session, "AL-1", 0.75);
  EXPECT_EQ(entry.id, "ev-1/s3");
  EXPECT_EQ(entry.date, d("2026-03-02"));
  EXPECT_EQ(entry.course_code, code(6));
  EXPECT_DOUBLE_EQ(entry.hours, 0.75);
  EXPECT_EQ(entry.source, CreditSource::league_event);
}

TEST(Ledger, DatesAreStrict) {
  EXPECT_EQ(format_date(d("2024-02-29")), "2024-02-29");
  EXPECT_FALSE(parse_date("2025-02-29"));
  EXPECT_FALSE(parse_date("2025-2-01"));
  EXPECT_FALSE(parse_date("2025-02-01T00"));
  EXPECT_EQ(add_years(d("2024-02-29"), 1), d("2025-03-01"));
  EXPECT_EQ(format_hours(7.5), "7.5");
  EXPECT_EQ(format_hours(8), "8");
  EXPECT_EQ(format_hours(2.25), "2.25");
}

// ------------------------------------------------- issue 12: roles over time, per-program roles

Instant sys_days_instant(Date date) {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::sys_days{date}) +
         std::chrono::hours{15};
}

TEST(Ledger, RoleOnADateIsTheLatestChangeOnOrBeforeIt) {
  const std::vector<RoleChange> history = {{d("2026-06-01"), Role::clerk},
                                           {d("2025-01-01"), Role::councilmember},
                                           {d("2026-09-15"), Role::mayor}};
  EXPECT_EQ(role_on(history, d("2025-01-01"), Role::guest), Role::councilmember);
  EXPECT_EQ(role_on(history, d("2026-05-31"), Role::guest), Role::councilmember);
  EXPECT_EQ(role_on(history, d("2026-06-01"), Role::guest), Role::clerk);
  EXPECT_EQ(role_on(history, d("2026-09-14"), Role::guest), Role::clerk);
  EXPECT_EQ(role_on(history, d("2030-01-01"), Role::guest), Role::mayor);
  // Before the first fact: the role the attendee first came in with.
  EXPECT_EQ(role_on(history, d("2020-03-02"), Role::guest), Role::councilmember);
  EXPECT_EQ(role_on({}, d("2020-03-02"), Role::staff), Role::staff);
  Official official;
  official.role = Role::mayor;
  official.roles = history;
  EXPECT_EQ(official.role_on(d("2026-07-01")), Role::clerk);
}

TEST(Progress, RoleIsJudgedOnTheDayOfEachEntry) {
  // A councilmember until 2026-06-01, a clerk since: the ALM credit earned before stays; the
  // session after the change earns nothing, with the clerk role named.
  Official official = councilmember();
  official.role = Role::clerk; // today's roster
  official.roles = {{d("2024-01-01"), Role::councilmember}, {d("2026-06-01"), Role::clerk}};
  const Ledger ledger = {league("before", "2026-03-02", 3), league("after", "2026-07-10", 2)};
  const Progress alm = evaluate(shipped("alm-cmo.jsonc"), official, ledger, d("2026-12-31"));
  ASSERT_EQ(alm.entries.size(), 2u);
  EXPECT_DOUBLE_EQ(alm.entries[0].hours_credited, 3);
  EXPECT_TRUE(alm.entries[0].refused.empty());
  EXPECT_DOUBLE_EQ(alm.entries[1].hours_credited, 0);
  ASSERT_EQ(alm.entries[1].refused.size(), 1u);
  EXPECT_EQ(alm.entries[1].refused[0].reason, Refusal::role_not_eligible);
  EXPECT_EQ(alm.entries[1].refused[0].message,
            "the role clerk earns no credit in ALM Certified Municipal Official");
  EXPECT_DOUBLE_EQ(alm.level("basic")->hours_counted, 3);

  // The same ledger under ICMA (every role): both count.
  const Progress icma = evaluate(shipped("icma-cm.jsonc"), official, ledger, d("2026-12-31"));
  EXPECT_DOUBLE_EQ(icma.entries[0].hours_credited + icma.entries[1].hours_credited, 5);

  // The other way round: a clerk who became mayor gets only the later session under ALM.
  Official mayor = councilmember();
  mayor.role = Role::mayor;
  mayor.roles = {{d("2025-05-01"), Role::clerk}, {d("2026-06-01"), Role::mayor}};
  const Progress later = evaluate(shipped("alm-cmo.jsonc"), mayor, ledger, d("2026-12-31"));
  EXPECT_DOUBLE_EQ(later.entries[0].hours_credited, 0);
  EXPECT_DOUBLE_EQ(later.entries[1].hours_credited, 2);
}

TEST(Program, EligibleRolesOfAnEventAreTheUnionOfItsPrograms) {
  const std::vector<Program> alm = {shipped("alm-cmo.jsonc")};
  EXPECT_EQ(eligible_roles(alm), (std::vector<Role>{Role::mayor, Role::councilmember}));
  EXPECT_TRUE(alm[0].eligible(Role::mayor));
  EXPECT_FALSE(alm[0].eligible(Role::clerk));
  const std::vector<Program> both = {shipped("alm-cmo.jsonc"), shipped("amcto-pdu.jsonc")};
  EXPECT_EQ(eligible_roles(both), all_roles()); // AMCTO names no roles: every role
  Program managers = shipped("icma-cm.jsonc");
  managers.eligible_roles = {Role::manager, Role::clerk};
  const std::vector<Program> mixed = {shipped("alm-cmo.jsonc"), managers};
  EXPECT_EQ(eligible_roles(mixed),
            (std::vector<Role>{Role::mayor, Role::councilmember, Role::clerk, Role::manager}));
}

TEST(Progress, AnEventsCreditCountsOnlyUnderTheProgramsItGranted) {
  LedgerEntry alm_only = league("alm/S1", "2026-03-02", 3);
  alm_only.programs = {"alm-cmo"};
  LedgerEntry both = league("both/S1", "2026-04-02", 2);
  both.programs = {"alm-cmo", "icma-cm"};
  const LedgerEntry older = league("old/S1", "2026-05-02", 1); // posted before: any program
  Official manager = councilmember();
  manager.role = Role::manager;
  const Ledger ledger = {alm_only, both, older};
  const Progress icma = evaluate(shipped("icma-cm.jsonc"), manager, ledger, d("2026-12-31"));
  ASSERT_EQ(icma.entries.size(), 3u);
  EXPECT_DOUBLE_EQ(icma.entries[0].hours_credited, 0);
  ASSERT_EQ(icma.entries[0].refused.size(), 1u);
  EXPECT_EQ(icma.entries[0].refused[0].reason, Refusal::program_not_granted);
  EXPECT_EQ(icma.entries[0].refused[0].message,
            "Course alm/S1: the event granted credit under alm-cmo, not ICMA Credentialed "
            "Manager professional development");
  EXPECT_DOUBLE_EQ(icma.entries[1].hours_credited, 2);
  EXPECT_DOUBLE_EQ(icma.entries[2].hours_credited, 1);
  // Under ALM the same manager earns nothing: the role, not the program, refuses it.
  const Progress alm = evaluate(shipped("alm-cmo.jsonc"), manager, ledger, d("2026-12-31"));
  EXPECT_EQ(alm.entries[1].refused[0].reason, Refusal::role_not_eligible);
}

TEST(Ledger, LeagueEntryCarriesTheEventsPrograms) {
  Event event;
  event.id = "ev";
  event.timezone = "UTC";
  event.programs = {"amcto-pdu"};
  Session session;
  session.id = "S1";
  session.start = sys_days_instant(d("2026-03-02"));
  EXPECT_EQ(make_league_entry(event, session, "X", 1).programs,
            std::vector<std::string>{"amcto-pdu"});
  EXPECT_EQ(session_date(event, session), d("2026-03-02"));
}

} // namespace
} // namespace muster
