#include "shared/progress.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <set>

namespace muster {

std::string_view to_string(Refusal reason) {
  switch (reason) {
  case Refusal::role_not_eligible:
    return "role_not_eligible";
  case Refusal::program_not_granted:
    return "program_not_granted";
  case Refusal::left_office_window:
    return "left_office_window";
  case Refusal::left_office_level_done:
    return "left_office_level_done";
  case Refusal::needs_preapproval:
    return "needs_preapproval";
  case Refusal::outside_not_approved:
    return "outside_not_approved";
  case Refusal::online_test_not_passed:
    return "online_test_not_passed";
  case Refusal::category_missing:
    return "category_missing";
  case Refusal::duplicate_core:
    return "duplicate_core";
  case Refusal::topic_repeat:
    return "topic_repeat";
  case Refusal::outside_year_cap:
    return "outside_year_cap";
  case Refusal::outside_level_cap:
    return "outside_level_cap";
  case Refusal::outside_not_at_level:
    return "outside_not_at_level";
  case Refusal::not_carried_over:
    return "not_carried_over";
  case Refusal::level_not_open:
    return "level_not_open";
  case Refusal::points_not_qualifying:
    return "points_not_qualifying";
  case Refusal::points_year_cap:
    return "points_year_cap";
  }
  return "unknown";
}

std::string format_hours(double hours) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", std::round(hours * 100.0) / 100.0);
  std::string text = buffer;
  while (text.back() == '0')
    text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text == "-0" ? "0" : text;
}

std::vector<RefusedPart> Progress::refusals() const {
  std::vector<RefusedPart> all;
  for (const auto& outcome : entries) {
    all.insert(all.end(), outcome.refused.begin(), outcome.refused.end());
  }
  return all;
}

const LevelProgress* Progress::level(std::string_view id) const {
  for (const auto& candidate : levels) {
    if (candidate.id == id) return &candidate;
  }
  return nullptr;
}

namespace {

// "alm-cmo, icma-cm"
std::string joined_ids(const std::vector<std::string>& ids) {
  std::string text;
  for (const auto& id : ids)
    text += (text.empty() ? "" : ", ") + id;
  return text;
}

constexpr double kEps = 1e-9;
constexpr double kUnlimited = std::numeric_limits<double>::infinity();

int year_of(Date date) { return static_cast<int>(date.year()); }

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string plural(double amount, std::string_view one, std::string_view many) {
  return format_hours(amount) + " " + std::string(std::abs(amount - 1.0) < kEps ? one : many);
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : ", ") + item;
  return out;
}

struct LevelState {
  double core = 0;
  double other = 0; // non-core hours, non-League included
  double outside = 0;
  int points = 0;
  std::set<std::string> core_done; // core courses whose completing hours were placed here
  bool held = false;
  std::optional<Date> completed_on;
  long completed_index = 0; // entry index that completed it; -1: before the ledger (held)
  [[nodiscard]] double total() const { return core + other; }
  [[nodiscard]] bool complete() const { return completed_on.has_value(); }
};

class Engine {
public:
  Engine(const Program& program, const Official& official, Date as_of)
      : program_(program), official_(official), as_of_(as_of), levels_(program.levels.size()) {
    mark_designations();
  }

  Progress run(std::span<const LedgerEntry> ledger) {
    std::vector<LedgerEntry> sorted;
    for (const auto& entry : ledger) {
      if (!entry.official_id.empty() && entry.official_id != official_.id) continue;
      if (sys(entry.date) > sys(as_of_)) continue;
      sorted.push_back(entry);
    }
    std::sort(sorted.begin(), sorted.end(), ledger_order);
    for (const auto& entry : sorted) {
      if (program_.core_course(entry.course_code) == nullptr) continue;
      const double offered = entry.offered_hours > 0 ? entry.offered_hours : entry.hours;
      double& largest = offered_[entry.course_code];
      if (std::isfinite(offered)) largest = std::max(largest, offered);
    }

    Progress progress;
    progress.program_id = program_.id;
    progress.official_id = official_.id;
    progress.as_of = as_of_;
    for (std::size_t k = 0; k < sorted.size(); ++k) {
      progress.entries.push_back(apply(sorted[k], static_cast<long>(k)));
      update_completion(sorted[k].date, static_cast<long>(k));
    }
    for (std::size_t i = 0; i < levels_.size(); ++i)
      progress.levels.push_back(level_progress(i));
    for (const auto& level : progress.levels) {
      if (!level.met) {
        progress.current_level = level.id;
        progress.missing = level.missing;
        break;
      }
    }
    if (progress.current_level.empty() && !progress.levels.empty() &&
        !progress.levels.back().next_tier.empty()) {
      progress.missing = {progress.levels.back().next_tier};
    }
    progress.annual = annual(progress.entries);
    progress.cycle = cycle(progress.entries);
    progress.graduation = graduation();
    progress.left_office = left_office_window();
    return progress;
  }

private:
  static std::chrono::sys_days sys(Date date) { return std::chrono::sys_days{date}; }

  void mark_designations() {
    for (const auto& designation : official_.designations) {
      const int index = program_.level_index(designation.level_id);
      for (int i = 0; i <= index; ++i) {
        auto& state = levels_[static_cast<std::size_t>(i)];
        if (state.held && sys(*state.completed_on) <= sys(designation.earned_on)) continue;
        state.held = true;
        state.completed_on = designation.earned_on;
        state.completed_index = -1;
      }
    }
  }

  [[nodiscard]] bool is_last(std::size_t i) const { return i + 1 == levels_.size(); }

  // A core course's full hours: the program's, else the largest it was offered with.
  [[nodiscard]] double course_hours(const std::string& code) const {
    const CoreCourse* course = program_.core_course(code);
    if (course != nullptr && course->hours) return *course->hours;
    const auto it = offered_.find(code);
    return it == offered_.end() ? 0.0 : it->second;
  }

  [[nodiscard]] double core_credited(const std::string& code) const {
    const auto it = core_credited_.find(code);
    return it == core_credited_.end() ? 0.0 : it->second;
  }

  // The level still needs distinct core courses, and this one is not complete yet.
  [[nodiscard]] bool needs_course(std::size_t i, const std::string& code) const {
    const int required = program_.levels[i].core_courses_required;
    return required > 0 && !core_taken_.contains(code) &&
           static_cast<int>(levels_[i].core_done.size()) < required;
  }

  // The level takes credits only after the previous one was complete (no_transfer setting).
  [[nodiscard]] bool open_for(std::size_t i, long index) const {
    if (i == 0 || program_.levels[i].carry_in == CarryIn::rolls_into) return true;
    const auto& previous = levels_[i - 1];
    return previous.complete() && previous.completed_index < index;
  }

  [[nodiscard]] bool required_courses_taken(std::size_t i) const {
    for (const auto& code : program_.levels[i].required_courses) {
      if (!core_taken_.contains(code)) return false;
    }
    return true;
  }

  // Hours of this kind level i can still take. A core course the level still needs always fits
  // (even past the level's hours), so Basic can never be blocked by hours it did not need.
  [[nodiscard]] double room(std::size_t i, bool core, const std::string& code) const {
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

  [[nodiscard]] std::string level_name(std::size_t i) const { return program_.levels[i].name; }

  // Places `hours` of the entry level by level; returns the hours refused on the way.
  double place_hours(const LedgerEntry& entry, EntryOutcome& out, double hours, long index,
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
                 format_hours(remaining) + " h not counted: " + level_name(i - 1) +
                     " is full and " + level.name + " counts only credits earned after " +
                     level_name(i - 1) + " is complete");
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

  [[nodiscard]] std::optional<std::size_t> points_level() const {
    for (std::size_t i = 0; i < program_.levels.size(); ++i) {
      if (program_.levels[i].points > 0) return i;
    }
    return std::nullopt;
  }

  void place_points(const LedgerEntry& entry, EntryOutcome& out, int points, long index,
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

  // Points the entry could give, and why not when it cannot.
  int entry_points(const LedgerEntry& entry, EntryOutcome& out) {
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

  // Judged by the role held on the entry's date, not today's (a councilmember who later became
  // a clerk keeps the credit earned as a councilmember).
  [[nodiscard]] bool role_eligible(Date date) const {
    return program_.eligible(official_.role_on(date));
  }

  [[nodiscard]] bool online_passed(const LedgerEntry& entry) const {
    if (entry.test_score && program_.online_pass_score) {
      return *entry.test_score + kEps >= *program_.online_pass_score;
    }
    return entry.test_passed;
  }

  [[nodiscard]] std::string score_words(const LedgerEntry& entry) const {
    if (!entry.test_score) return "";
    std::string words = " (score " + format_hours(*entry.test_score) + "%";
    if (program_.online_pass_score) {
      words += ", below the pass mark of " + format_hours(*program_.online_pass_score) + "%";
    }
    return words + ")";
  }

  // Adds credited hours to a core course; the hours that complete it make it count (toward the
  // level that took them) as one of the distinct courses a level needs.
  void credit_core(const LedgerEntry& entry, double credited) {
    const std::string& code = entry.course_code;
    double& total = core_credited_[code];
    total += credited;
    if (core_taken_.contains(code) || total + kEps < course_hours(code)) return;
    core_taken_.emplace(code, entry.date);
    if (last_level_) levels_[*last_level_].core_done.insert(code);
  }

  [[nodiscard]] bool has_category(const std::vector<Category>& list, const std::string& id) const {
    return std::any_of(list.begin(), list.end(), [&](const Category& c) { return c.id == id; });
  }

  EntryOutcome apply(const LedgerEntry& entry, long index) {
    EntryOutcome out;
    out.entry = entry;
    out.core = program_.core_course(entry.course_code) != nullptr;
    double hours = std::isfinite(entry.hours) ? std::max(0.0, entry.hours) : 0.0;
    const std::string label = entry.title.empty() ? entry.course_code : entry.title;

    const PointEvent* event = program_.point_event(entry.points_event);
    const int potential_points = event != nullptr ? event->points : 0;
    bool refused_all = false;
    const auto refuse_all = [&](Refusal reason, std::string message) {
      out.refused.push_back({reason, hours, potential_points, std::move(message)});
      refused_all = true;
    };

    std::optional<std::size_t> limit; // after leaving office: only up to this level
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
      const auto target =
          static_cast<std::size_t>(program_.level_index(program_.left_office_level));
      if (sys(entry.date) > sys(window_end)) {
        refuse_all(Refusal::left_office_window,
                   "after " + format_date(window_end) + ", the end of the window to finish " +
                       level_name(target) + " after leaving office on " +
                       format_date(*official_.left_office));
      } else if (levels_[target].complete()) {
        refuse_all(Refusal::left_office_level_done,
                   "after leaving office, credit counts only toward finishing " +
                       level_name(target) + ", which is complete");
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
                       (entry.competency.empty()
                            ? std::string("no competency")
                            : "unknown competency '" + entry.competency + "'"));
      }
    }
    if (refused_all) return out;

    // Duplicate rules apply to hours; a qualifying event's point is judged on its own.
    double repeat_refused = 0;
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
          repeat_refused = hours - allowed;
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
            repeat_refused = hours;
            hours = 0;
          }
        }
      }
    }
    const bool outside = entry.source == CreditSource::outside;
    if (hours > kEps && outside && program_.outside_max_hours_per_year) {
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

  [[nodiscard]] bool requirements_met(std::size_t i) const {
    const Level& level = program_.levels[i];
    const LevelState& state = levels_[i];
    return state.total() + kEps >= level.hours && state.core + kEps >= level.core_hours &&
           static_cast<int>(state.core_done.size()) >= level.core_courses_required &&
           state.points >= level.points && required_courses_taken(i);
  }

  void update_completion(Date date, long index) {
    for (std::size_t i = 0; i < levels_.size(); ++i) {
      auto& state = levels_[i];
      if (state.complete()) continue;
      if (!requirements_met(i)) break; // later levels need this one first
      if (i > 0 && !levels_[i - 1].complete()) break;
      state.completed_on = date;
      state.completed_index = index;
    }
  }

  std::vector<std::string> core_missing() const {
    std::vector<std::string> codes;
    for (const auto& course : program_.core_courses) {
      if (!core_taken_.contains(course.code)) codes.push_back(course.code);
    }
    return codes;
  }

  std::string titles(const std::vector<std::string>& codes) const {
    std::vector<std::string> names;
    for (const auto& code : codes)
      names.push_back(program_.core_course(code)->title);
    return join(names);
  }

  LevelProgress level_progress(std::size_t i) const {
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
    if (p.met) {
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
      return p;
    }
    const double hours_short = std::max(0.0, level.hours - state.total());
    const double core_short = std::max(0.0, level.core_hours - state.core);
    const int courses_short = level.core_courses_required - p.core_courses_counted;
    if (courses_short > 0) {
      std::string text = plural(courses_short, "more core course", "more core courses") +
                         ": not yet completed: " + titles(p.core_courses_missing);
      if (!p.core_courses_partial.empty()) {
        text += " (started: " + join(p.core_courses_partial) + ")";
      }
      p.missing.push_back(text);
    } else if (core_short > kEps) {
      p.missing.push_back(plural(core_short, "more core hour", "more core hours") +
                          ": courses not yet taken: " + titles(p.core_courses_missing));
    }
    const double other_short = hours_short - std::min(hours_short, core_short);
    if (other_short > kEps) {
      p.missing.push_back(level.core_hours > 0 ? plural(other_short, "more hour", "more hours") +
                                                     " of other approved training"
                                               : plural(other_short, "more hour", "more hours"));
    }
    std::vector<std::string> required_missing;
    for (const auto& code : level.required_courses) {
      if (!core_taken_.contains(code)) required_missing.push_back(code);
    }
    if (!required_missing.empty() && core_short <= kEps) {
      p.missing.push_back("required core courses not yet taken: " + titles(required_missing));
    }
    if (state.points < level.points) {
      std::string text = plural(level.points - state.points, "more point", "more points");
      if (program_.max_points_per_year) {
        text += " (at most " + std::to_string(*program_.max_points_per_year) + " a year)";
      }
      p.missing.push_back(text);
    }
    if (i > 0 && !levels_[i - 1].complete()) {
      p.missing.push_back(program_.levels[i - 1].name + " must be complete first");
    }
    return p;
  }

  [[nodiscard]] bool holder_in(int year) const {
    const auto& annual = *program_.annual;
    if (annual.holder_level.empty()) return false;
    const auto& state =
        levels_[static_cast<std::size_t>(program_.level_index(annual.holder_level))];
    const Date new_year{std::chrono::year{year}, std::chrono::January, std::chrono::day{1}};
    return state.complete() && sys(*state.completed_on) < sys(new_year);
  }

  std::optional<AnnualCompliance> annual(const std::vector<EntryOutcome>& outcomes) const {
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

  std::optional<CycleProgress> cycle(const std::vector<EntryOutcome>& outcomes) const {
    if (!program_.cycle) return std::nullopt;
    const auto& rule = *program_.cycle;
    CycleProgress result;
    result.required = rule.units;
    std::optional<Date> anchor;
    for (const auto& designation : official_.designations) {
      if (designation.level_id == rule.designation) anchor = designation.earned_on;
    }
    if (!anchor) {
      result.message =
          "no " + rule.designation + " designation on record: no cycle to maintain yet";
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

  std::optional<Graduation> graduation() const {
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

  std::optional<LeftOfficeWindow> left_office_window() const {
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

  const Program& program_;
  const Official& official_;
  Date as_of_;
  std::vector<LevelState> levels_;
  std::map<std::string, Date> core_taken_;      // core course code -> day it was complete
  std::map<std::string, double> core_credited_; // core course code -> hours credited so far
  std::map<std::string, double> offered_;       // core course code -> largest hours offered
  std::optional<std::size_t> last_level_;       // the last level the current entry went to
  std::map<std::string, Date> topic_last_; // lower-case topic -> day last credited
  std::map<int, double> outside_by_year_;
  std::map<int, int> points_by_year_;
  std::set<std::pair<std::string, std::string>> points_events_; // (event id, type) that paid
};

} // namespace

Progress evaluate(const Program& program, const Official& official,
                  std::span<const LedgerEntry> ledger, Date as_of) {
  return Engine(program, official, as_of).run(ledger);
}

} // namespace muster
