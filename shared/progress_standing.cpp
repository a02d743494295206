// The credit engine (progress_engine.hpp), where the official stands: each level's progress, the
// annual requirement, the cycle, graduation and the left-office window.
#include "shared/progress_engine.hpp"

#include <algorithm>
#include <cmath>

#include "shared/time.hpp"

namespace muster::progress_engine {

std::vector<std::string> Engine::core_missing() const {
  std::vector<std::string> codes;
  for (const auto& course : program_.core_courses) {
    if (!core_taken_.contains(course.code)) codes.push_back(course.code);
  }
  return codes;
}

std::string Engine::titles(const std::vector<std::string>& codes) const {
  std::vector<std::string> names;
  for (const auto& code : codes)
    names.push_back(program_.core_course(code)->title);
  return join(names);
}

namespace {

// A met level's tier (the highest reached) and what the next one needs.
void name_tiers(const Level& level, const LevelState& state, LevelProgress& p) {
  for (const auto& tier : level.tiers) {
    if (state.total() + kEps >= tier.hours && state.points >= tier.points) p.tier = tier.name;
  }
  for (const auto& tier : level.tiers) {
    if (state.total() + kEps >= tier.hours && state.points >= tier.points) continue;
    std::vector<std::string> needs;
    if (state.total() + kEps < tier.hours) {
      needs.push_back(plural(tier.hours - state.total(), "more hour", "more hours"));
    }
    if (state.points < tier.points) {
      needs.push_back(plural(tier.points - state.points, "more point", "more points"));
    }
    p.next_tier = tier.name + ": " + join(needs);
    break;
  }
}

} // namespace

LevelProgress Engine::level_progress(std::size_t i) const {
  LevelProgress p = level_counts(i);
  if (p.met) {
    name_tiers(program_.levels[i], levels_[i], p);
  } else {
    p.missing = level_missing(i, p);
  }
  return p;
}

LevelProgress Engine::level_counts(std::size_t i) const {
  const Level& level = program_.levels[i];
  const LevelState& state = levels_[i];
  LevelProgress p;
  p.id = level.id;
  p.name = level.name;
  p.hours_required = level.hours;
  p.hours_counted = state.total();
  p.core_hours_required = level.core_hours;
  p.core_hours_counted = state.core;
  p.outside_hours_counted = state.outside;
  p.outside_hours_cap = level.max_outside_hours;
  p.points_required = level.points;
  p.points_counted = state.points;
  p.held_before = state.held;
  p.met = state.complete();
  p.completed_on = state.completed_on;
  p.core_courses_required = level.core_courses_required;
  p.core_courses_counted = static_cast<int>(state.core_done.size());
  if (level.core_hours > 0 || level.core_courses_required > 0) {
    p.core_courses_missing = core_missing();
    for (const auto& code : p.core_courses_missing) {
      const double credited = core_credited(code);
      if (credited <= kEps) continue;
      p.core_courses_partial.push_back(code + ": " + format_hours(credited) + " of " +
                                       format_hours(course_hours(code)) + " h");
    }
  }
  return p;
}

std::vector<std::string> Engine::level_missing(std::size_t i, const LevelProgress& p) const {
  const Level& level = program_.levels[i];
  const LevelState& state = levels_[i];
  std::vector<std::string> missing;
  const double hours_short = std::max(0.0, level.hours - state.total());
  const double core_short = std::max(0.0, level.core_hours - state.core);
  const int courses_short = level.core_courses_required - p.core_courses_counted;
  if (courses_short > 0) {
    std::string text = plural(courses_short, "more core course", "more core courses") +
                       ": not yet completed: " + titles(p.core_courses_missing);
    if (!p.core_courses_partial.empty()) {
      text += " (started: " + join(p.core_courses_partial) + ")";
    }
    missing.push_back(text);
  } else if (core_short > kEps) {
    missing.push_back(plural(core_short, "more core hour", "more core hours") +
                      ": courses not yet taken: " + titles(p.core_courses_missing));
  }
  const double other_short = hours_short - std::min(hours_short, core_short);
  if (other_short > kEps) {
    missing.push_back(level.core_hours > 0 ? plural(other_short, "more hour", "more hours") +
                                                 " of other approved training"
                                           : plural(other_short, "more hour", "more hours"));
  }
  std::vector<std::string> required_missing;
  for (const auto& code : level.required_courses) {
    if (!core_taken_.contains(code)) required_missing.push_back(code);
  }
  if (!required_missing.empty() && core_short <= kEps) {
    missing.push_back("required core courses not yet taken: " + titles(required_missing));
  }
  if (state.points < level.points) {
    std::string text = plural(level.points - state.points, "more point", "more points");
    if (program_.max_points_per_year) {
      text += " (at most " + std::to_string(*program_.max_points_per_year) + " a year)";
    }
    missing.push_back(text);
  }
  if (i > 0 && !levels_[i - 1].complete()) {
    missing.push_back(program_.levels[i - 1].name + " must be complete first");
  }
  return missing;
}

bool Engine::holder_in(int year) const {
  const auto& annual = *program_.annual;
  if (annual.holder_level.empty()) return false;
  const auto& state = levels_[static_cast<std::size_t>(program_.level_index(annual.holder_level))];
  const Date new_year{std::chrono::year{year}, std::chrono::January, std::chrono::day{1}};
  return state.complete() && sys(*state.completed_on) < sys(new_year);
}

std::optional<AnnualCompliance> Engine::annual(const std::vector<EntryOutcome>& outcomes) const {
  if (!program_.annual) return std::nullopt;
  const auto& rule = *program_.annual;
  AnnualCompliance result;
  result.year = year_of(as_of_);
  const Date new_year{as_of_.year(), std::chrono::January, std::chrono::day{1}};
  const Role role = official_.role_on(as_of_); // the role held on the day of the check
  const bool role_ok = rule.roles.empty() ||
                       std::find(rule.roles.begin(), rule.roles.end(), role) != rule.roles.end();
  for (const auto& outcome : outcomes) {
    const auto& date = outcome.entry.date;
    if (year_of(date) == result.year) result.earned += outcome.annual_hours;
  }
  if (!role_ok) {
    result.why = "the role " + std::string(to_string(role)) + " has no annual requirement";
  } else if (rule.effective_from && year_of(*rule.effective_from) > result.year) {
    result.why = "the annual requirement starts on " + format_date(*rule.effective_from);
  } else if (official_.left_office && sys(*official_.left_office) < sys(new_year)) {
    result.why = "not in office in " + std::to_string(result.year);
  } else {
    result.applies = true;
  }
  if (!result.applies) {
    result.message = std::to_string(result.year) + ": no annual requirement: " + result.why;
    return result;
  }
  const bool holder = rule.holder_hours_per_year && holder_in(result.year);
  result.required = holder ? *rule.holder_hours_per_year : rule.hours_per_year;
  std::string who;
  if (holder) {
    who = "holders of " +
          program_.levels[static_cast<std::size_t>(program_.level_index(rule.holder_level))].name;
  }
  const std::string words =
      who.empty() || rule.basis.empty() ? who + rule.basis : who + ", " + rule.basis;
  result.why =
      format_hours(result.required) + " h a year" + (words.empty() ? "" : " (" + words + ")");
  result.behind_by = std::max(0.0, result.required - result.earned);
  result.met = result.behind_by <= kEps;
  result.message = std::to_string(result.year) + ": " + format_hours(result.earned) + " of " +
                   format_hours(result.required) + " hours" +
                   (words.empty() ? "" : " (" + words + ")") +
                   (result.met ? ", met" : ", behind by " + format_hours(result.behind_by));
  if (rule.first_term_hours && official_.first_term && official_.term_start) {
    const Date term_end = add_years(*official_.term_start, rule.term_years);
    result.term_required = rule.first_term_hours;
    result.term_ends = term_end;
    for (const auto& outcome : outcomes) {
      const auto day = sys(outcome.entry.date);
      if (day < sys(*official_.term_start) || day >= sys(term_end)) continue;
      if (rule.effective_from && day < sys(*rule.effective_from)) continue;
      result.term_earned += outcome.annual_hours;
    }
    result.message += "; first term: " + format_hours(result.term_earned) + " of " +
                      format_hours(*rule.first_term_hours) + " hours by " + format_date(term_end);
  }
  return result;
}

std::optional<CycleProgress> Engine::cycle(const std::vector<EntryOutcome>& outcomes) const {
  if (!program_.cycle) return std::nullopt;
  const auto& rule = *program_.cycle;
  CycleProgress result;
  result.required = rule.units;
  std::optional<Date> anchor;
  for (const auto& designation : official_.designations) {
    if (designation.level_id == rule.designation) anchor = designation.earned_on;
  }
  if (!anchor) {
    result.message = "no " + rule.designation + " designation on record: no cycle to maintain yet";
    return result;
  }
  result.start = *anchor;
  for (int k = 1; sys(add_years(*anchor, k * rule.years)) <= sys(as_of_); ++k) {
    result.start = add_years(*anchor, k * rule.years);
  }
  result.end = add_years(result.start, rule.years);
  std::map<std::string, double> categories;
  std::map<std::string, double> competencies;
  for (const auto& outcome : outcomes) {
    const auto day = sys(outcome.entry.date);
    if (day < sys(result.start) || day >= sys(result.end)) continue;
    const double units = outcome.hours_credited * program_.units_per_hour;
    result.earned += units;
    if (!outcome.entry.category.empty()) categories[outcome.entry.category] += units;
    if (!outcome.entry.competency.empty()) competencies[outcome.entry.competency] += units;
  }
  result.by_category.assign(categories.begin(), categories.end());
  result.by_competency.assign(competencies.begin(), competencies.end());
  result.met = result.earned + kEps >= result.required;
  const Date last_day{std::chrono::sys_days{result.end} - std::chrono::days{1}};
  result.message = "cycle " + format_date(result.start) + " to " + format_date(last_day) + ": " +
                   format_hours(result.earned) + " of " + format_hours(result.required) + " " +
                   program_.unit +
                   (result.met ? ", met"
                               : ", " + format_hours(result.required - result.earned) + " " +
                                     program_.unit + " still needed by " + format_date(last_day));
  return result;
}

std::optional<Graduation> Engine::graduation() const {
  if (!program_.graduation_deadline_month || levels_.empty()) return std::nullopt;
  Graduation result;
  result.year = year_of(as_of_);
  const std::chrono::month month{*program_.graduation_deadline_month};
  const std::chrono::day day{*program_.graduation_deadline_day};
  result.deadline = Date{as_of_.year(), month, day};
  const Date previous{as_of_.year() - std::chrono::years{1}, month, day};
  std::vector<std::string> names;
  for (std::size_t i = 0; i < levels_.size(); ++i) {
    const auto& state = levels_[i];
    if (!state.complete() || state.held) continue;
    const auto done = sys(*state.completed_on);
    if (done > sys(previous) && done <= sys(result.deadline)) {
      result.qualifies.push_back(program_.levels[i].id);
      names.push_back(program_.levels[i].name);
    }
  }
  const std::string ceremony = program_.graduation_ceremony.empty()
                                   ? ""
                                   : ", ceremony in the " + program_.graduation_ceremony;
  const std::string head = "graduation " + std::to_string(result.year) + " (qualify by " +
                           format_date(result.deadline) + ceremony + "): ";
  if (!names.empty()) {
    result.message = head + "qualifies for " + join(names);
  } else if (sys(as_of_) <= sys(result.deadline)) {
    result.message = head + "not qualified yet";
  } else {
    const Date next{as_of_.year() + std::chrono::years{1}, month, day};
    result.message = head + "did not qualify; next deadline " + format_date(next);
  }
  return result;
}

std::optional<LeftOfficeWindow> Engine::left_office_window() const {
  if (!official_.left_office || !program_.left_office_years) return std::nullopt;
  LeftOfficeWindow result;
  result.left_on = *official_.left_office;
  result.window_ends = add_years(result.left_on, *program_.left_office_years);
  result.open = sys(as_of_) <= sys(result.window_ends);
  const auto target = static_cast<std::size_t>(program_.level_index(program_.left_office_level));
  result.level_complete = levels_[target].complete();
  const std::string name = level_name(target);
  if (result.level_complete) {
    result.message = name + " is complete";
  } else if (result.open) {
    result.message = "left office on " + format_date(result.left_on) + ": until " +
                     format_date(result.window_ends) + " to finish " + name;
  } else {
    result.message = "left office on " + format_date(result.left_on) + ": the window to finish " +
                     name + " closed on " + format_date(result.window_ends);
  }
  return result;
}

} // namespace muster::progress_engine
