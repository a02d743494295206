#pragma once
// A credit program as data: levels, core courses, caps, duplicate rules, points, annual and
// cycle requirements, graduation and leaving-office rules. Read from a commented JSON file
// (assets/programs/*.jsonc, format in docs/programs.md) and validated as a whole; the engine
// (progress.hpp) only ever sees a valid Program.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shared/domain.hpp"
#include "shared/ledger.hpp"
#include "shared/result.hpp"

namespace muster {

// How hours from before a level opened reach it (the ALM texts conflict for Emeritus).
enum class CarryIn : std::uint8_t {
  rolls_into,  // hours beyond the previous level's needs flow straight into this level
  no_transfer, // the level counts only credits earned after the previous level was complete
};
std::string_view to_string(CarryIn carry_in);

struct CoreCourse {
  std::string code;
  std::string title;
  // The course's full hours: credit for it never exceeds them, and it is complete once they are
  // credited. None: the largest hours the course was offered with (LedgerEntry::offered_hours).
  std::optional<double> hours;
};

struct Tier { // a recognition within a level reached at more hours and points (Emeritus II..IV)
  std::string name;
  double hours = 0;
  int points = 0;
};

struct Level {
  std::string id;        // "basic"
  std::string name;      // "Basic"
  double hours = 0;      // credit hours the level needs (the last level keeps counting beyond)
  int points = 0;        // points the level needs (0: none)
  double core_hours = 0; // of `hours`, how many must be core courses
  int core_courses_required = 0; // distinct core courses to complete (each to its full hours)
  std::vector<std::string> required_courses; // core codes that must be among them
  std::optional<double> max_outside_hours;   // non-League hours usable toward this level
  bool outside_hours_allowed = true;         // false: no non-League hours at all (Emeritus)
  CarryIn carry_in = CarryIn::rolls_into;    // ignored for the first level
  std::vector<Tier> tiers;                   // ascending
};

struct PointEvent {
  std::string type; // the ledger entry's points_event
  std::string name; // "Attendance at the ALM Convention"
  int points = 1;
  bool non_league = false; // a non-League meeting: gives its points (never hours) at levels
                           // that take no non-League hours
};

struct AnnualRequirement {
  double hours_per_year = 0;
  std::optional<Date> effective_from;          // no requirement for earlier years
  std::vector<Role> roles;                     // who must comply; empty: everyone
  std::optional<double> holder_hours_per_year; // for holders of `holder_level`
  std::string holder_level;
  std::optional<double> first_term_hours; // total during a first term
  int term_years = 4;
  std::string basis; // "Act 2024-194", shown in messages
  // The date in the year by which its hours are due, shown in mail, reminders and on /me/
  // ("due December 31"). The engine counts the calendar year's hours whatever it is.
  unsigned deadline_month = 12;
  unsigned deadline_day = 31;
  [[nodiscard]] Date deadline(int year) const {
    return Date{std::chrono::year{year}, std::chrono::month{deadline_month},
                std::chrono::day{deadline_day}};
  }
  // The duplicate rules (core once, same topic) limit program credit; true: hours they refused
  // still count as the year's training (the Act asks for training each year, not new topics).
  bool count_repeats = false;
};

struct Category {
  std::string id;
  std::string name;
};

struct Cycle { // maintenance in cycles (AMCTO: 60 PDUs per 3 years)
  int years = 3;
  double units = 0;        // in the program's unit
  std::string designation; // the cycle starts on the date this designation was earned
  bool require_category = false;
  bool require_competency = false;
};

struct Program {
  std::string path; // where it was read from, for messages
  std::string id;
  std::string name;
  std::string unit = "hours"; // "hours", "PDU"
  double units_per_hour = 1;
  std::vector<Role> eligible_roles; // empty: everyone
  std::vector<CoreCourse> core_courses;
  bool core_once_ever = true;            // a core course earns credit only once
  std::optional<int> topic_repeat_years; // other topics: again only after N years
  bool outside_needs_approval = true;
  std::optional<double> outside_max_hours_per_year; // per calendar year
  bool online_needs_test = true;
  std::optional<double> online_pass_score;       // percent; an entry's test_score must reach it
  std::optional<double> online_hours_per_course; // what recording an online course posts
  std::vector<PointEvent> point_events;
  std::optional<int> max_points_per_year;
  std::vector<Level> levels;
  std::optional<AnnualRequirement> annual;
  std::optional<Cycle> cycle;
  std::vector<Category> categories;
  std::vector<Category> competencies;
  std::optional<unsigned> graduation_deadline_month; // graduation: qualified by the end of it
  std::optional<unsigned> graduation_deadline_day;
  std::string graduation_ceremony;      // "fall", for messages
  std::optional<int> left_office_years; // after separation, this long to finish
  std::string left_office_level;        // ... this level (ALM: basic); nothing else counts
  bool left_office_league_needs_approval = false; // in-person League events need pre-approval

  // The role earns credit in this program (eligible_roles lists it, or is empty).
  [[nodiscard]] bool eligible(Role role) const;
  [[nodiscard]] const CoreCourse* core_course(std::string_view code) const;
  [[nodiscard]] const PointEvent* point_event(std::string_view type) const;
  [[nodiscard]] int level_index(std::string_view level_id) const; // -1 when unknown
};

// The roles that earn credit at an event granting credit under all of `programs` (any one
// program making the role eligible is enough), in enum order.
std::vector<Role> eligible_roles(std::span<const Program> programs);

enum class ProgramErrc : std::uint8_t {
  io,     // missing, unreadable, too large
  syntax, // not JSON (with comments)
  field,  // a field is missing, of the wrong type, out of range, unknown or inconsistent
};

// `field` is the JSON path of the problem ("levels[1].hours"), empty for io/syntax. The Result's
// message names the file and the path: "alm-cmo.jsonc: levels[1].hours: must be a number ...".
struct ProgramError {
  ProgramErrc kind;
  std::string field;
};

template <class T> using ProgramResult = Result<T, ProgramError>;

ProgramResult<Program> parse_program(std::string_view text,
                                     std::string_view source_name = "program.jsonc");
ProgramResult<Program> read_program(const std::filesystem::path& path);

} // namespace muster
