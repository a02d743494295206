// The credit engine (progress_engine.hpp), one entry: which rules refuse it, then its hours and
// points placed level by level.
#include "shared/progress_engine.hpp"

#include <algorithm>
#include <cmath>

#include "shared/time.hpp"

namespace muster::progress_engine {

double Engine::course_hours(const std::string& code) const {
  const CoreCourse* course = program_.core_course(code);
  if (course != nullptr && course->hours) return *course->hours;
  const auto it = offered_.find(code);
  return it == offered_.end() ? 0.0 : it->second;
}

double Engine::core_credited(const std::string& code) const {
  const auto it = core_credited_.find(code);
  return it == core_credited_.end() ? 0.0 : it->second;
}

bool Engine::needs_course(std::size_t i, const std::string& code) const {
  const int required = program_.levels[i].core_courses_required;
  return required > 0 && !core_taken_.contains(code) &&
         static_cast<int>(levels_[i].core_done.size()) < required;
}

bool Engine::open_for(std::size_t i, long index) const {
  if (i == 0 || program_.levels[i].carry_in == CarryIn::rolls_into) return true;
  const auto& previous = levels_[i - 1];
  return previous.complete() && previous.completed_index < index;
}

bool Engine::required_courses_taken(std::size_t i) const {
  for (const auto& code : program_.levels[i].required_courses) {
    if (!core_taken_.contains(code)) return false;
  }
  return true;
}

double Engine::room(std::size_t i, bool core, const std::string& code) const {
  const Level& level = program_.levels[i];
  const LevelState& state = levels_[i];
  if (state.held && !is_last(i)) return 0;
  if (is_last(i)) return kUnlimited;
  const double free = std::max(0.0, level.hours - state.total());
  if (!core) return std::max(0.0, std::min(free, level.hours - level.core_hours - state.other));
  double result = free;
  if (!state.complete()) {
    result = std::max(result, level.core_hours - state.core);
    const auto& required = level.required_courses;
    if (std::find(required.begin(), required.end(), code) != required.end() ||
        needs_course(i, code)) {
      result = kUnlimited;
    }
  }
  return std::max(0.0, result);
}

double Engine::place_hours(const LedgerEntry& entry, EntryOutcome& out, double hours, long index,
                           std::optional<std::size_t> limit) {
  const bool outside = entry.source == CreditSource::outside;
  double remaining = hours;
  double refused = 0;
  bool passed_a_level = false; // this credit filled a level and the rest is overflow
  const auto refuse = [&](Refusal reason, std::string message) {
    out.refused.push_back({reason, remaining, 0, std::move(message)});
    if (reason != Refusal::not_carried_over && reason != Refusal::level_not_open) {
      refused += remaining;
    }
    remaining = 0;
  };
  for (std::size_t i = 0; i < levels_.size() && remaining > kEps; ++i) {
    const Level& level = program_.levels[i];
    LevelState& state = levels_[i];
    double can_take = room(i, out.core, entry.course_code);
    if (can_take <= kEps) continue;
    if (limit && i > *limit) {
      refuse(Refusal::left_office_level_done,
             format_hours(remaining) +
                 " h not counted: after leaving office, credit counts only "
                 "toward finishing " +
                 level_name(*limit));
      break;
    }
    if (!open_for(i, index)) {
      if (passed_a_level) {
        refuse(Refusal::not_carried_over, format_hours(remaining) + " h beyond " +
                                              level_name(i - 1) + " do not transfer to " +
                                              level.name + " (program setting: no_transfer)");
      } else {
        refuse(Refusal::level_not_open,
               format_hours(remaining) + " h not counted: " + level_name(i - 1) + " is full and " +
                   level.name + " counts only credits earned after " + level_name(i - 1) +
                   " is complete");
      }
      break;
    }
    bool capped = false;
    if (outside) {
      if (!level.outside_hours_allowed) {
        refuse(Refusal::outside_not_at_level, format_hours(remaining) + " h not counted: " +
                                                  level.name + " takes no non-League hours");
        break;
      }
      if (level.max_outside_hours) {
        const double outside_room = std::max(0.0, *level.max_outside_hours - state.outside);
        if (outside_room < can_take) {
          can_take = outside_room;
          capped = true;
        }
      }
    }
    const double take = std::min(remaining, can_take);
    if (take > kEps) {
      (out.core ? state.core : state.other) += take;
      if (outside) state.outside += take;
      out.placements.push_back({level.id, take, 0});
      last_level_ = i;
      remaining -= take;
      passed_a_level = true;
    }
    if (capped && remaining > kEps) {
      refuse(Refusal::outside_level_cap,
             format_hours(remaining) + " h over the " + format_hours(*level.max_outside_hours) +
                 " h of non-League training that may count toward " + level.name);
      break;
    }
  }
  return refused;
}

std::optional<std::size_t> Engine::points_level() const {
  for (std::size_t i = 0; i < program_.levels.size(); ++i) {
    if (program_.levels[i].points > 0) return i;
  }
  return std::nullopt;
}

void Engine::place_points(const LedgerEntry& entry, EntryOutcome& out, int points, long index,
                          std::optional<std::size_t> limit) {
  const auto target = points_level();
  if (target) {
    if (limit && *target > *limit) {
      out.refused.push_back({Refusal::left_office_level_done, 0, points,
                             "points not counted: after leaving office, credit counts only "
                             "toward finishing " +
                                 level_name(*limit)});
      return;
    }
    if (!open_for(*target, index)) {
      out.refused.push_back({Refusal::level_not_open, 0, points,
                             "points not counted: " + level_name(*target) +
                                 " counts only points earned after " + level_name(*target - 1) +
                                 " is complete"});
      return;
    }
  }
  int awarded = points;
  if (program_.max_points_per_year) {
    int& used = points_by_year_[year_of(entry.date)];
    awarded = std::max(0, std::min(points, *program_.max_points_per_year - used));
    if (awarded < points) {
      out.refused.push_back({Refusal::points_year_cap, 0, points - awarded,
                             std::to_string(points - awarded) + " point(s) over the " +
                                 std::to_string(*program_.max_points_per_year) +
                                 " points allowed in " + std::to_string(year_of(entry.date))});
    }
    used += awarded;
  }
  if (awarded <= 0) return;
  out.points_credited = awarded;
  if (target) {
    levels_[*target].points += awarded;
    auto& placements = out.placements;
    const auto& id = program_.levels[*target].id;
    auto it = std::find_if(placements.begin(), placements.end(),
                           [&](const Placement& p) { return p.level_id == id; });
    if (it == placements.end()) {
      placements.push_back({id, 0, awarded});
    } else {
      it->points += awarded;
    }
  }
}

int Engine::entry_points(const LedgerEntry& entry, EntryOutcome& out) {
  if (entry.points_event.empty()) return 0;
  const PointEvent* event = program_.point_event(entry.points_event);
  if (event == nullptr) {
    out.refused.push_back({Refusal::points_not_qualifying, 0, 0,
                           "'" + entry.points_event + "' is not a qualifying event for points"});
    return 0;
  }
  if (entry.source == CreditSource::online ||
      (entry.source == CreditSource::outside && !event->non_league)) {
    out.refused.push_back(
        {Refusal::points_not_qualifying, 0, event->points,
         event->name + ": points only for attending in person" +
             (entry.source == CreditSource::outside ? std::string(" a League event") : "")});
    return 0;
  }
  if (!entry.event_id.empty() && !points_events_.insert({entry.event_id, event->type}).second) {
    return 0; // one attendance of one event gives its points once, however many sessions
  }
  return event->points;
}

bool Engine::role_eligible(Date date) const { return program_.eligible(official_.role_on(date)); }

bool Engine::online_passed(const LedgerEntry& entry) const {
  if (entry.test_score && program_.online_pass_score) {
    return *entry.test_score + kEps >= *program_.online_pass_score;
  }
  return entry.test_passed;
}

std::string Engine::score_words(const LedgerEntry& entry) const {
  if (!entry.test_score) return "";
  std::string words = " (score " + format_hours(*entry.test_score) + "%";
  if (program_.online_pass_score) {
    words += ", below the pass mark of " + format_hours(*program_.online_pass_score) + "%";
  }
  return words + ")";
}

void Engine::credit_core(const LedgerEntry& entry, double credited) {
  const std::string& code = entry.course_code;
  double& total = core_credited_[code];
  total += credited;
  if (core_taken_.contains(code) || total + kEps < course_hours(code)) return;
  core_taken_.emplace(code, entry.date);
  if (last_level_) levels_[*last_level_].core_done.insert(code);
}

bool Engine::has_category(const std::vector<Category>& list, const std::string& id) const {
  return std::any_of(list.begin(), list.end(), [&](const Category& c) { return c.id == id; });
}

bool Engine::refused_whole(const LedgerEntry& entry, EntryOutcome& out, double hours,
                           std::optional<std::size_t>& limit) const {
  const std::string label = entry.title.empty() ? entry.course_code : entry.title;
  const PointEvent* event = program_.point_event(entry.points_event);
  const int potential_points = event != nullptr ? event->points : 0;
  bool refused_all = false;
  const auto refuse_all = [&](Refusal reason, std::string message) {
    out.refused.push_back({reason, hours, potential_points, std::move(message)});
    refused_all = true;
  };

  if (!entry.programs.empty() && std::find(entry.programs.begin(), entry.programs.end(),
                                           program_.id) == entry.programs.end()) {
    refuse_all(Refusal::program_not_granted, label + ": the event granted credit under " +
                                                 joined_ids(entry.programs) + ", not " +
                                                 program_.name);
  } else if (!role_eligible(entry.date)) {
    refuse_all(Refusal::role_not_eligible,
               "the role " + std::string(to_string(official_.role_on(entry.date))) +
                   " earns no credit in " + program_.name);
  } else if (official_.left_office && program_.left_office_years &&
             sys(entry.date) > sys(*official_.left_office)) {
    const Date window_end = add_years(*official_.left_office, *program_.left_office_years);
    const auto target = static_cast<std::size_t>(program_.level_index(program_.left_office_level));
    if (sys(entry.date) > sys(window_end)) {
      refuse_all(Refusal::left_office_window, "after " + format_date(window_end) +
                                                  ", the end of the window to finish " +
                                                  level_name(target) + " after leaving office on " +
                                                  format_date(*official_.left_office));
    } else if (levels_[target].complete()) {
      refuse_all(Refusal::left_office_level_done,
                 "after leaving office, credit counts only toward finishing " + level_name(target) +
                     ", which is complete");
    } else if (entry.source == CreditSource::league_event &&
               program_.left_office_league_needs_approval && !entry.approved) {
      refuse_all(Refusal::needs_preapproval,
                 "after leaving office, attending a League event in person needs the "
                 "program administrator's pre-approval");
    }
    limit = target;
  }
  if (!refused_all) {
    if (entry.source == CreditSource::outside && program_.outside_needs_approval &&
        !entry.approved) {
      refuse_all(Refusal::outside_not_approved,
                 label + ": non-League training counts only once the League approves it "
                         "(agenda and registration confirmation)");
    } else if (entry.source == CreditSource::online && program_.online_needs_test &&
               !online_passed(entry)) {
      refuse_all(Refusal::online_test_not_passed,
                 label + ": online training counts only with a passed test on the material" +
                     score_words(entry));
    } else if (program_.cycle && program_.cycle->require_category &&
               !has_category(program_.categories, entry.category)) {
      refuse_all(Refusal::category_missing,
                 label + ": " +
                     (entry.category.empty() ? std::string("no PDU category")
                                             : "unknown category '" + entry.category + "'"));
    } else if (program_.cycle && program_.cycle->require_competency &&
               !has_category(program_.competencies, entry.competency)) {
      refuse_all(Refusal::category_missing,
                 label + ": " +
                     (entry.competency.empty() ? std::string("no competency")
                                               : "unknown competency '" + entry.competency + "'"));
    }
  }
  return refused_all;
}

double Engine::apply_repeat_rules(const LedgerEntry& entry, EntryOutcome& out,
                                  double& hours) const {
  const std::string label = entry.title.empty() ? entry.course_code : entry.title;
  double refused = 0;
  if (hours > kEps) {
    if (out.core && program_.core_once_ever) {
      // Never more than the course's hours in total: a retake tops a partial course up.
      const std::string& code = entry.course_code;
      const double full = course_hours(code);
      const double before = core_credited(code);
      const double allowed = std::max(0.0, full - before);
      if (hours > allowed + kEps) {
        const auto taken = core_taken_.find(code);
        const std::string why =
            taken != core_taken_.end()
                ? "was already credited in full (" + format_hours(full) + " h) on " +
                      format_date(taken->second) + " (a core course counts once)"
                : "has " + format_hours(before) + " of its " + format_hours(full) +
                      " h credited already; only the missing " + format_hours(allowed) +
                      " h count (a core course counts once)";
        out.refused.push_back({Refusal::duplicate_core, hours - allowed, 0,
                               label + ": core course " + code + " " + why});
        refused = hours - allowed;
        hours = allowed;
      }
    } else if (program_.topic_repeat_years) {
      const std::string key = lower_ascii(entry.topic.empty() ? entry.course_code : entry.topic);
      const auto last = key.empty() ? topic_last_.end() : topic_last_.find(key);
      if (last != topic_last_.end()) {
        const Date again = add_years(last->second, *program_.topic_repeat_years);
        if (sys(entry.date) < sys(again)) {
          out.refused.push_back({Refusal::topic_repeat, hours, 0,
                                 label + ": the same topic was credited on " +
                                     format_date(last->second) + "; it counts again from " +
                                     format_date(again)});
          refused = hours;
          hours = 0;
        }
      }
    }
  }
  return refused;
}

void Engine::apply_outside_year_cap(const LedgerEntry& entry, EntryOutcome& out, double& hours) {
  if (hours > kEps && entry.source == CreditSource::outside &&
      program_.outside_max_hours_per_year) {
    const double used = outside_by_year_[year_of(entry.date)];
    const double allowed = std::max(0.0, *program_.outside_max_hours_per_year - used);
    if (hours > allowed + kEps) {
      out.refused.push_back({Refusal::outside_year_cap, hours - allowed, 0,
                             format_hours(hours - allowed) + " h over the " +
                                 format_hours(*program_.outside_max_hours_per_year) +
                                 " h of non-League training allowed in " +
                                 std::to_string(year_of(entry.date))});
      hours = allowed;
    }
  }
}

EntryOutcome Engine::apply(const LedgerEntry& entry, long index) {
  EntryOutcome out;
  out.entry = entry;
  out.core = program_.core_course(entry.course_code) != nullptr;
  double hours = std::isfinite(entry.hours) ? std::max(0.0, entry.hours) : 0.0;
  std::optional<std::size_t> limit; // after leaving office: only up to this level
  if (refused_whole(entry, out, hours, limit)) return out;

  // Duplicate rules apply to hours; a qualifying event's point is judged on its own.
  const double repeat_refused = apply_repeat_rules(entry, out, hours);
  const bool outside = entry.source == CreditSource::outside;
  apply_outside_year_cap(entry, out, hours);
  // The Act counts the year's training; level caps only limit what counts toward a level.
  const bool repeats_count = program_.annual && program_.annual->count_repeats;
  out.annual_hours = std::max(0.0, hours) + (repeats_count ? repeat_refused : 0.0);
  if (hours > kEps) {
    double credited = hours;
    last_level_.reset();
    if (!levels_.empty()) credited -= place_hours(entry, out, hours, index, limit);
    out.hours_credited = credited;
    // The yearly non-League allowance is used by the hours it approved, placed or not.
    if (outside) outside_by_year_[year_of(entry.date)] += hours;
    if (credited > kEps) {
      if (out.core) credit_core(entry, credited);
      const std::string key = lower_ascii(entry.topic.empty() ? entry.course_code : entry.topic);
      if (!out.core && !key.empty()) topic_last_[key] = entry.date;
    }
  }
  const int points = entry_points(entry, out);
  if (points > 0) place_points(entry, out, points, index, limit);
  return out;
}

bool Engine::requirements_met(std::size_t i) const {
  const Level& level = program_.levels[i];
  const LevelState& state = levels_[i];
  return state.total() + kEps >= level.hours && state.core + kEps >= level.core_hours &&
         static_cast<int>(state.core_done.size()) >= level.core_courses_required &&
         state.points >= level.points && required_courses_taken(i);
}

void Engine::update_completion(Date date, long index) {
  for (std::size_t i = 0; i < levels_.size(); ++i) {
    auto& state = levels_[i];
    if (state.complete()) continue;
    if (!requirements_met(i)) break; // later levels need this one first
    if (i > 0 && !levels_[i - 1].complete()) break;
    state.completed_on = date;
    state.completed_index = index;
  }
}

} // namespace muster::progress_engine
