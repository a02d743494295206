#include "shared/program.hpp"
#include "shared/program_reader.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

namespace muster {

std::string_view to_string(CarryIn carry_in) {
  return carry_in == CarryIn::rolls_into ? "rolls_into" : "no_transfer";
}

bool Program::eligible(Role role) const {
  return eligible_roles.empty() ||
         std::find(eligible_roles.begin(), eligible_roles.end(), role) != eligible_roles.end();
}

std::vector<Role> eligible_roles(std::span<const Program> programs) {
  std::vector<Role> roles;
  for (const Role role : all_roles()) {
    if (std::any_of(programs.begin(), programs.end(),
                    [&](const Program& program) { return program.eligible(role); })) {
      roles.push_back(role);
    }
  }
  return roles;
}

const CoreCourse* Program::core_course(std::string_view code) const {
  if (code.empty()) return nullptr;
  for (const auto& course : core_courses) {
    if (course.code == code) return &course;
  }
  return nullptr;
}

const PointEvent* Program::point_event(std::string_view type) const {
  if (type.empty()) return nullptr;
  for (const auto& event : point_events) {
    if (event.type == type) return &event;
  }
  return nullptr;
}

int Program::level_index(std::string_view level_id) const {
  for (std::size_t i = 0; i < levels.size(); ++i) {
    if (levels[i].id == level_id) return static_cast<int>(i);
  }
  return -1;
}

namespace {

using json = nlohmann::json;
using program_reader::json_type;
using program_reader::Reader;

constexpr std::uintmax_t kMaxProgramBytes = 4u * 1024u * 1024u;
constexpr std::string_view kFormat = "muster-program-1";

#define MUSTER_TRY(var, expr)                                                                      \
  auto var##_result = (expr);                                                                      \
  if (!var##_result) return var##_result.error();                                                  \
  auto var = std::move(var##_result).value()

// An object member: exists, is an object.
ProgramResult<const json*> object_at(const Reader& reader, std::string_view key) {
  const json* value = reader.find(key);
  if (value == nullptr) return static_cast<const json*>(nullptr);
  if (!value->is_object()) {
    return reader.fail(key, "must be an object {...}, not " + json_type(*value));
  }
  return value;
}

ProgramResult<Role> role_from(const Reader& reader, const json& value, const std::string& path) {
  if (!value.is_string()) return reader.fail_at(path, "must be a string, not " + json_type(value));
  const auto role = parse_role(value.get<std::string>());
  if (!role) {
    return reader.fail_at(path, "'" + value.get<std::string>() +
                                    "' is not one of mayor, councilmember, clerk, staff, guest");
  }
  return *role;
}

ProgramResult<std::vector<Role>> roles(const Reader& reader, std::string_view key) {
  std::vector<Role> result;
  auto done =
      reader.array(key, [&](const json& value, const std::string& path) -> ProgramResult<Ok> {
        MUSTER_TRY(role, role_from(reader, value, path));
        result.push_back(role);
        return Ok{};
      });
  if (!done) return done.error();
  return result;
}

ProgramResult<std::string> plain_string(const Reader& reader, const json& value,
                                        const std::string& path) {
  if (!value.is_string()) return reader.fail_at(path, "must be a string, not " + json_type(value));
  auto text = value.get<std::string>();
  if (text.empty()) return reader.fail_at(path, "must not be empty");
  return text;
}

ProgramResult<Ok> parse_core(Program& program, const Reader& reader) {
  std::set<std::string> codes;
  return reader.array("core_courses",
                      [&](const json& value, const std::string& path) -> ProgramResult<Ok> {
                        if (!value.is_object())
                          return reader.fail_at(path, "must be an object, not " + json_type(value));
                        const Reader course = reader.child(value, path);
                        if (auto keys = course.check_keys({"code", "title", "hours"}); !keys)
                          return keys.error();
                        MUSTER_TRY(code, course.text("code", true));
                        MUSTER_TRY(title, course.text("title", true));
                        MUSTER_TRY(hours, course.number("hours", 0.01, 1000));
                        if (!codes.insert(code).second)
                          return course.fail("code", "'" + code + "' is listed twice");
                        program.core_courses.push_back({code, title, hours});
                        return Ok{};
                      });
}

ProgramResult<Ok> parse_categories(std::vector<Category>& out, const Reader& reader,
                                   std::string_view key) {
  std::set<std::string> ids;
  return reader.array(key, [&](const json& value, const std::string& path) -> ProgramResult<Ok> {
    if (!value.is_object())
      return reader.fail_at(path, "must be an object, not " + json_type(value));
    const Reader item = reader.child(value, path);
    if (auto keys = item.check_keys({"id", "name"}); !keys) return keys.error();
    MUSTER_TRY(id, item.text("id", true));
    MUSTER_TRY(name, item.text("name", true));
    if (!ids.insert(id).second) return item.fail("id", "'" + id + "' is listed twice");
    out.push_back({id, name});
    return Ok{};
  });
}

ProgramResult<Ok> parse_rules(Program& program, const Reader& root) {
  MUSTER_TRY(dup, object_at(root, "duplicates"));
  if (dup != nullptr) {
    const Reader r = root.child(*dup, root.at("duplicates"));
    if (auto keys = r.check_keys({"core_once_ever", "topic_repeat_after_years"}); !keys) {
      return keys.error();
    }
    MUSTER_TRY(once, r.boolean("core_once_ever", true));
    MUSTER_TRY(years, r.integer("topic_repeat_after_years", 1, 50));
    program.core_once_ever = once;
    program.topic_repeat_years = years;
  }
  MUSTER_TRY(outside, object_at(root, "outside"));
  if (outside != nullptr) {
    const Reader r = root.child(*outside, root.at("outside"));
    if (auto keys = r.check_keys({"needs_approval", "max_hours_per_calendar_year"}); !keys) {
      return keys.error();
    }
    MUSTER_TRY(approval, r.boolean("needs_approval", true));
    MUSTER_TRY(cap, r.number("max_hours_per_calendar_year", 0, 10000));
    program.outside_needs_approval = approval;
    program.outside_max_hours_per_year = cap;
  }
  MUSTER_TRY(online, object_at(root, "online"));
  if (online != nullptr) {
    const Reader r = root.child(*online, root.at("online"));
    if (auto keys = r.check_keys({"needs_passed_test", "pass_score", "hours_per_course"}); !keys)
      return keys.error();
    MUSTER_TRY(test, r.boolean("needs_passed_test", true));
    MUSTER_TRY(pass, r.number("pass_score", 0, 100));
    MUSTER_TRY(per_course, r.number("hours_per_course", 0.01, 100));
    program.online_needs_test = test;
    program.online_pass_score = pass;
    program.online_hours_per_course = per_course;
  }
  MUSTER_TRY(points, object_at(root, "points"));
  if (points != nullptr) {
    const Reader r = root.child(*points, root.at("points"));
    if (auto keys = r.check_keys({"max_per_calendar_year", "events"}); !keys) return keys.error();
    MUSTER_TRY(cap, r.integer("max_per_calendar_year", 0, 1000));
    program.max_points_per_year = cap;
    std::set<std::string> types;
    auto done =
        r.array("events", [&](const json& value, const std::string& path) -> ProgramResult<Ok> {
          if (!value.is_object())
            return r.fail_at(path, "must be an object, not " + json_type(value));
          const Reader e = r.child(value, path);
          if (auto keys = e.check_keys({"type", "name", "points", "non_league"}); !keys) {
            return keys.error();
          }
          PointEvent event;
          MUSTER_TRY(type, e.text("type", true));
          MUSTER_TRY(name, e.text("name", true));
          MUSTER_TRY(worth, e.integer("points", 1, 100));
          MUSTER_TRY(non_league, e.boolean("non_league", false));
          if (!types.insert(type).second) return e.fail("type", "'" + type + "' is listed twice");
          event.type = type;
          event.name = name;
          event.points = worth.value_or(1);
          event.non_league = non_league;
          program.point_events.push_back(event);
          return Ok{};
        });
    if (!done) return done.error();
  }
  return Ok{};
}

ProgramResult<Level> parse_level(const Program& program, const Reader& r, bool first) {
  if (auto keys = r.check_keys({"id", "name", "hours", "points", "core_hours",
                                "core_courses_required", "required_courses", "max_outside_hours",
                                "outside_hours_allowed", "carry_in", "tiers"});
      !keys) {
    return keys.error();
  }
  Level level;
  MUSTER_TRY(id, r.text("id", true));
  MUSTER_TRY(name, r.text("name", true));
  MUSTER_TRY(hours, r.number("hours", 0, 100000));
  MUSTER_TRY(points, r.integer("points", 0, 100000));
  MUSTER_TRY(core, r.number("core_hours", 0, 100000));
  MUSTER_TRY(core_count, r.integer("core_courses_required", 0, 100000));
  MUSTER_TRY(outside_cap, r.number("max_outside_hours", 0, 100000));
  MUSTER_TRY(outside_ok, r.boolean("outside_hours_allowed", true));
  MUSTER_TRY(carry, r.text("carry_in", false, "rolls_into"));
  if (!hours) return r.fail("hours", "is missing");
  level.id = id;
  level.name = name;
  level.hours = *hours;
  level.points = points.value_or(0);
  level.core_hours = core.value_or(0);
  level.core_courses_required = core_count.value_or(0);
  level.max_outside_hours = outside_cap;
  level.outside_hours_allowed = outside_ok;
  if (carry == "rolls_into") {
    level.carry_in = CarryIn::rolls_into;
  } else if (carry == "no_transfer") {
    level.carry_in = CarryIn::no_transfer;
  } else {
    return r.fail("carry_in", "'" + carry + "' is not one of rolls_into, no_transfer");
  }
  if (first && r.find("carry_in") != nullptr) {
    return r.fail("carry_in", "the first level has no previous level to carry hours from");
  }
  if (level.core_hours > level.hours) {
    return r.fail("core_hours", "is more than the level's hours");
  }
  if (level.core_hours > 0 && program.core_courses.empty()) {
    return r.fail("core_hours", "needs a core_courses list at the top level");
  }
  if (level.core_courses_required > static_cast<int>(program.core_courses.size())) {
    return r.fail("core_courses_required", "is more than the " +
                                               std::to_string(program.core_courses.size()) +
                                               " courses in core_courses");
  }
  auto done = r.array("required_courses",
                      [&](const json& value, const std::string& path) -> ProgramResult<Ok> {
                        MUSTER_TRY(code, plain_string(r, value, path));
                        if (program.core_course(code) == nullptr) {
                          return r.fail_at(path, "'" + code + "' is not in core_courses");
                        }
                        level.required_courses.push_back(code);
                        return Ok{};
                      });
  if (!done) return done.error();
  done = r.array("tiers", [&](const json& value, const std::string& path) -> ProgramResult<Ok> {
    if (!value.is_object()) return r.fail_at(path, "must be an object, not " + json_type(value));
    const Reader t = r.child(value, path);
    if (auto keys = t.check_keys({"name", "hours", "points"}); !keys) return keys.error();
    MUSTER_TRY(tier_name, t.text("name", true));
    MUSTER_TRY(tier_hours, t.number("hours", 0, 100000));
    MUSTER_TRY(tier_points, t.integer("points", 0, 100000));
    if (!tier_hours) return t.fail("hours", "is missing");
    const Tier tier{tier_name, *tier_hours, tier_points.value_or(0)};
    const double floor_hours = level.tiers.empty() ? level.hours : level.tiers.back().hours;
    const int floor_points = level.tiers.empty() ? level.points : level.tiers.back().points;
    if (tier.hours < floor_hours || tier.points < floor_points) {
      return t.fail("", "tiers must ask for at least the hours and points before them");
    }
    level.tiers.push_back(tier);
    return Ok{};
  });
  if (!done) return done.error();
  return level;
}

ProgramResult<Ok> parse_levels(Program& program, const Reader& root) {
  std::set<std::string> ids;
  return root.array("levels", [&](const json& value, const std::string& path) -> ProgramResult<Ok> {
    if (!value.is_object()) return root.fail_at(path, "must be an object, not " + json_type(value));
    const Reader r = root.child(value, path);
    MUSTER_TRY(level, parse_level(program, r, program.levels.empty()));
    if (!ids.insert(level.id).second) return r.fail("id", "'" + level.id + "' is used twice");
    program.levels.push_back(std::move(level));
    return Ok{};
  });
}

ProgramResult<Ok> parse_annual(Program& program, const Reader& root) {
  MUSTER_TRY(object, object_at(root, "annual"));
  if (object == nullptr) return Ok{};
  const Reader r = root.child(*object, root.at("annual"));
  if (auto keys =
          r.check_keys({"hours_per_year", "effective_from", "roles", "holder_hours_per_year",
                        "holder_level", "first_term_hours", "term_years", "basis", "count_repeats",
                        "deadline_month", "deadline_day"});
      !keys) {
    return keys.error();
  }
  AnnualRequirement annual;
  MUSTER_TRY(hours, r.number("hours_per_year", 0, 10000));
  if (!hours) return r.fail("hours_per_year", "is missing");
  MUSTER_TRY(from, r.date("effective_from"));
  MUSTER_TRY(who, roles(r, "roles"));
  MUSTER_TRY(holder_hours, r.number("holder_hours_per_year", 0, 10000));
  MUSTER_TRY(holder_level, r.text("holder_level", false));
  MUSTER_TRY(term_hours, r.number("first_term_hours", 0, 100000));
  MUSTER_TRY(term_years, r.integer("term_years", 1, 20));
  MUSTER_TRY(basis, r.text("basis", false));
  MUSTER_TRY(repeats, r.boolean("count_repeats", false));
  MUSTER_TRY(deadline_month, r.integer("deadline_month", 1, 12));
  MUSTER_TRY(deadline_day, r.integer("deadline_day", 1, 31));
  if (deadline_month.has_value() != deadline_day.has_value()) {
    return r.fail("deadline_day", "deadline_month and deadline_day go together");
  }
  if (deadline_month) {
    // A day every year has (2023: not a leap year), so no year is left without a deadline.
    const Date probe{std::chrono::year{2023},
                     std::chrono::month{static_cast<unsigned>(*deadline_month)},
                     std::chrono::day{static_cast<unsigned>(*deadline_day)}};
    if (!probe.ok()) return r.fail("deadline_day", "is not a day of that month in every year");
    annual.deadline_month = static_cast<unsigned>(*deadline_month);
    annual.deadline_day = static_cast<unsigned>(*deadline_day);
  }
  annual.count_repeats = repeats;
  annual.hours_per_year = *hours;
  annual.effective_from = from;
  annual.roles = who;
  annual.holder_hours_per_year = holder_hours;
  annual.holder_level = holder_level;
  annual.first_term_hours = term_hours;
  annual.term_years = term_years.value_or(4);
  annual.basis = basis;
  if (holder_hours.has_value() != !holder_level.empty()) {
    return r.fail("holder_level", "holder_hours_per_year and holder_level go together");
  }
  if (!holder_level.empty() && program.level_index(holder_level) < 0) {
    return r.fail("holder_level", "'" + holder_level + "' is not a level id");
  }
  program.annual = annual;
  return Ok{};
}

ProgramResult<Ok> parse_cycle(Program& program, const Reader& root) {
  MUSTER_TRY(object, object_at(root, "cycle"));
  if (object == nullptr) return Ok{};
  const Reader r = root.child(*object, root.at("cycle"));
  if (auto keys =
          r.check_keys({"years", "units", "designation", "require_category", "require_competency"});
      !keys) {
    return keys.error();
  }
  Cycle cycle;
  MUSTER_TRY(years, r.integer("years", 1, 50));
  MUSTER_TRY(units, r.number("units", 0, 100000));
  MUSTER_TRY(designation, r.text("designation", true));
  MUSTER_TRY(need_category, r.boolean("require_category", false));
  MUSTER_TRY(need_competency, r.boolean("require_competency", false));
  if (!years) return r.fail("years", "is missing");
  if (!units) return r.fail("units", "is missing");
  cycle.years = *years;
  cycle.units = *units;
  cycle.designation = designation;
  cycle.require_category = need_category;
  cycle.require_competency = need_competency;
  if (need_category && program.categories.empty()) {
    return r.fail("require_category", "needs a categories list at the top level");
  }
  if (need_competency && program.competencies.empty()) {
    return r.fail("require_competency", "needs a competencies list at the top level");
  }
  program.cycle = cycle;
  return Ok{};
}

ProgramResult<Ok> parse_graduation(Program& program, const Reader& root) {
  MUSTER_TRY(object, object_at(root, "graduation"));
  if (object != nullptr) {
    const Reader r = root.child(*object, root.at("graduation"));
    if (auto keys = r.check_keys({"deadline_month", "deadline_day", "ceremony"}); !keys) {
      return keys.error();
    }
    MUSTER_TRY(month, r.integer("deadline_month", 1, 12));
    MUSTER_TRY(day, r.integer("deadline_day", 1, 31));
    MUSTER_TRY(ceremony, r.text("ceremony", false));
    if (!month || !day) return r.fail("", "needs deadline_month and deadline_day");
    const Date probe{std::chrono::year{2024}, std::chrono::month{static_cast<unsigned>(*month)},
                     std::chrono::day{static_cast<unsigned>(*day)}};
    if (!probe.ok()) return r.fail("deadline_day", "is not a day of that month");
    program.graduation_deadline_month = static_cast<unsigned>(*month);
    program.graduation_deadline_day = static_cast<unsigned>(*day);
    program.graduation_ceremony = ceremony;
  }
  MUSTER_TRY(left, object_at(root, "left_office"));
  if (left != nullptr) {
    const Reader r = root.child(*left, root.at("left_office"));
    if (auto keys = r.check_keys({"years_to_finish", "level", "league_events_need_approval"});
        !keys) {
      return keys.error();
    }
    MUSTER_TRY(years, r.integer("years_to_finish", 0, 20));
    MUSTER_TRY(level, r.text("level", true));
    MUSTER_TRY(approval, r.boolean("league_events_need_approval", false));
    if (!years) return r.fail("years_to_finish", "is missing");
    if (program.level_index(level) < 0) return r.fail("level", "'" + level + "' is not a level id");
    program.left_office_years = years;
    program.left_office_level = level;
    program.left_office_league_needs_approval = approval;
  }
  return Ok{};
}

ProgramResult<Program> parse_root(const Reader& root, std::string source) {
  if (auto keys = root.check_keys({"format", "id", "name", "unit", "units_per_hour",
                                   "eligible_roles", "core_courses", "duplicates", "outside",
                                   "online", "points", "levels", "annual", "cycle", "categories",
                                   "competencies", "graduation", "left_office"});
      !keys) {
    return keys.error();
  }
  Program program;
  program.path = std::move(source);
  MUSTER_TRY(format, root.text("format", true));
  if (format != kFormat) {
    return root.fail("format", "'" + format + "' is not " + std::string(kFormat) +
                                   " (a newer Muster may read it)");
  }
  MUSTER_TRY(id, root.text("id", true));
  MUSTER_TRY(name, root.text("name", true));
  MUSTER_TRY(unit, root.text("unit", false, "hours"));
  MUSTER_TRY(per_hour, root.number("units_per_hour", 0.001, 1000));
  MUSTER_TRY(eligible, roles(root, "eligible_roles"));
  program.id = id;
  program.name = name;
  program.unit = unit.empty() ? "hours" : unit;
  program.units_per_hour = per_hour.value_or(1);
  program.eligible_roles = eligible;
  if (auto ok = parse_core(program, root); !ok) return ok.error();
  if (auto ok = parse_rules(program, root); !ok) return ok.error();
  if (auto ok = parse_categories(program.categories, root, "categories"); !ok) return ok.error();
  if (auto ok = parse_categories(program.competencies, root, "competencies"); !ok) {
    return ok.error();
  }
  if (auto ok = parse_levels(program, root); !ok) return ok.error();
  if (auto ok = parse_annual(program, root); !ok) return ok.error();
  if (auto ok = parse_cycle(program, root); !ok) return ok.error();
  if (auto ok = parse_graduation(program, root); !ok) return ok.error();
  if (program.levels.empty() && !program.annual && !program.cycle) {
    return root.fail("levels", "a program needs levels, an annual requirement or a cycle");
  }
  return program;
}

#undef MUSTER_TRY

// nlohmann's what() starts "[json.exception.parse_error.101] "; people need only the rest.
std::string without_prefix(const char* what) {
  std::string text(what);
  const auto close = text.find("] ");
  return close == std::string::npos ? text : text.substr(close + 2);
}

} // namespace

ProgramResult<Program> parse_program(std::string_view text, std::string_view source_name) {
  const std::string source(source_name);
  json root;
  try {
    root = json::parse(text, nullptr, /*allow_exceptions=*/true, /*ignore_comments=*/true);
  } catch (const json::exception& error) {
    return fail(ProgramError{ProgramErrc::syntax, ""},
                source + ": not valid JSON with comments (" + without_prefix(error.what()) + ")");
  }
  if (!root.is_object()) {
    return fail(ProgramError{ProgramErrc::field, ""},
                source + ": the top level must be an object {...}, not " + json_type(root));
  }
  return parse_root(Reader(source, root, ""), source);
}

ProgramResult<Program> read_program(const std::filesystem::path& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  if (error) {
    return fail(ProgramError{ProgramErrc::io, ""},
                path.string() + ": cannot read the program file (" + error.message() + ")");
  }
  if (size > kMaxProgramBytes) {
    return fail(ProgramError{ProgramErrc::io, ""}, path.string() +
                                                       ": too large for a program file (" +
                                                       std::to_string(size) + " bytes)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(ProgramError{ProgramErrc::io, ""},
                path.string() + ": cannot open the program file");
  }
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return parse_program(text, path.string());
}

} // namespace muster
