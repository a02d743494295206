#pragma once
// The credit engine behind evaluate() (progress.hpp): one official's ledger, entry by entry in
// date order, placed level by level. Internal to shared/: progress.cpp runs it,
// progress_placement.cpp places one entry's hours and points, progress_standing.cpp says where
// the official stands (levels, annual requirement, cycle, graduation, the left-office window).
#include <cmath>
#include <cstddef>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shared/progress.hpp"
#include "shared/text.hpp"

namespace muster::progress_engine {

// "alm-cmo, icma-cm"
inline std::string joined_ids(const std::vector<std::string>& ids) {
  std::string text;
  for (const auto& id : ids)
    text += (text.empty() ? "" : ", ") + id;
  return text;
}

inline constexpr double kEps = 1e-9;
inline constexpr double kUnlimited = std::numeric_limits<double>::infinity();

inline int year_of(Date date) { return static_cast<int>(date.year()); }

inline std::string plural(double amount, std::string_view one, std::string_view many) {
  return format_hours(amount) + " " + std::string(std::abs(amount - 1.0) < kEps ? one : many);
}

inline std::string join(const std::vector<std::string>& items) {
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

  Progress run(std::span<const LedgerEntry> ledger);

private:
  static std::chrono::sys_days sys(Date date) { return std::chrono::sys_days{date}; }

  void mark_designations();

  [[nodiscard]] bool is_last(std::size_t i) const { return i + 1 == levels_.size(); }

  // A core course's full hours: the program's, else the largest it was offered with.
  [[nodiscard]] double course_hours(const std::string& code) const;

  [[nodiscard]] double core_credited(const std::string& code) const;

  // The level still needs distinct core courses, and this one is not complete yet.
  [[nodiscard]] bool needs_course(std::size_t i, const std::string& code) const;

  // The level takes credits only after the previous one was complete (no_transfer setting).
  [[nodiscard]] bool open_for(std::size_t i, long index) const;

  [[nodiscard]] bool required_courses_taken(std::size_t i) const;

  // Hours of this kind level i can still take. A core course the level still needs always fits
  // (even past the level's hours), so Basic can never be blocked by hours it did not need.
  [[nodiscard]] double room(std::size_t i, bool core, const std::string& code) const;

  [[nodiscard]] std::string level_name(std::size_t i) const { return program_.levels[i].name; }

  // Places `hours` of the entry level by level; returns the hours refused on the way.
  double place_hours(const LedgerEntry& entry, EntryOutcome& out, double hours, long index,
                     std::optional<std::size_t> limit);

  [[nodiscard]] std::optional<std::size_t> points_level() const;

  void place_points(const LedgerEntry& entry, EntryOutcome& out, int points, long index,
                    std::optional<std::size_t> limit);

  // Points the entry could give, and why not when it cannot.
  int entry_points(const LedgerEntry& entry, EntryOutcome& out);

  // Judged by the role held on the entry's date, not today's (a councilmember who later became
  // a clerk keeps the credit earned as a councilmember).
  [[nodiscard]] bool role_eligible(Date date) const;

  [[nodiscard]] bool online_passed(const LedgerEntry& entry) const;

  [[nodiscard]] std::string score_words(const LedgerEntry& entry) const;

  // Adds credited hours to a core course; the hours that complete it make it count (toward the
  // level that took them) as one of the distinct courses a level needs.
  void credit_core(const LedgerEntry& entry, double credited);

  [[nodiscard]] bool has_category(const std::vector<Category>& list, const std::string& id) const;

  // Whether a rule refuses the entry as a whole (recorded in `out`); `limit` becomes the level an
  // official who left office may still finish.
  bool refused_whole(const LedgerEntry& entry, EntryOutcome& out, double hours,
                     std::optional<std::size_t>& limit) const;
  // The duplicate rules (a core course counts once, a topic again only after some years): cut
  // `hours` to what may count; returns the hours they refused.
  double apply_repeat_rules(const LedgerEntry& entry, EntryOutcome& out, double& hours) const;
  // The yearly allowance for non-League training: cuts `hours` to what the year still allows.
  void apply_outside_year_cap(const LedgerEntry& entry, EntryOutcome& out, double& hours);

  EntryOutcome apply(const LedgerEntry& entry, long index);

  [[nodiscard]] bool requirements_met(std::size_t i) const;

  void update_completion(Date date, long index);

  std::vector<std::string> core_missing() const;

  std::string titles(const std::vector<std::string>& codes) const;

  LevelProgress level_progress(std::size_t i) const;
  // Its parts: the figures counted so far, and (not met) what is missing, in words.
  LevelProgress level_counts(std::size_t i) const;
  std::vector<std::string> level_missing(std::size_t i, const LevelProgress& p) const;

  [[nodiscard]] bool holder_in(int year) const;

  std::optional<AnnualCompliance> annual(const std::vector<EntryOutcome>& outcomes) const;

  std::optional<CycleProgress> cycle(const std::vector<EntryOutcome>& outcomes) const;

  std::optional<Graduation> graduation() const;

  std::optional<LeftOfficeWindow> left_office_window() const;

  const Program& program_;
  const Official& official_;
  Date as_of_;
  std::vector<LevelState> levels_;
  std::map<std::string, Date> core_taken_;      // core course code -> day it was complete
  std::map<std::string, double> core_credited_; // core course code -> hours credited so far
  std::map<std::string, double> offered_;       // core course code -> largest hours offered
  std::optional<std::size_t> last_level_;       // the last level the current entry went to
  std::map<std::string, Date> topic_last_;      // lower-case topic -> day last credited
  std::map<int, double> outside_by_year_;
  std::map<int, int> points_by_year_;
  std::set<std::pair<std::string, std::string>> points_events_; // (event id, type) that paid
};

} // namespace muster::progress_engine
