#pragma once
// The rules engine: evaluate(program, official, ledger, as_of) -> where the official stands.
// A pure, deterministic function: the ledger is sorted by ledger_order() first, so the order
// entries come in never matters. Entries dated after `as_of` are ignored. Every credit is either
// placed in levels or refused (wholly or partly) with a reason and words a person can read.
// The rules, in order, for each entry (docs/programs.md has the same list for administrators):
//  1. role not eligible (the role on the entry's date; or the entry's event did not grant credit
//  under this program); 2. left office (after the window, after the level is done, League event
//  without pre-approval); 3. outside not approved / online without a passed test; 4. AMCTO
//  category/competency missing or unknown; 5. duplicate core course (once ever); 6. same topic
//  within N years; 7. non-League hours over the calendar-year cap; 8. points: only qualifying
//  events, non-League meetings only when marked so, over the yearly point cap; 9. placement in
//  levels in order (core room, non-League cap per level, no non-League hours where not allowed,
//  carry-over setting between levels).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shared/hours.hpp" // format_hours, for every caller that words progress
#include "shared/ledger.hpp"
#include "shared/program.hpp"

namespace muster {

enum class Refusal : std::uint8_t {
  role_not_eligible,      // the official's role earns no credit in this program
  left_office_window,     // dated after the window to finish (one year after leaving office)
  left_office_level_done, // after leaving office, credit only counts toward finishing a level
  needs_preapproval,      // after leaving office, an in-person League event needs pre-approval
  outside_not_approved,   // non-League training the League has not approved
  online_test_not_passed, // online course without a passed test
  category_missing,       // cycle program: no or unknown PDU category / competency
  duplicate_core,         // a core course earns credit once
  topic_repeat,           // the same topic again within N years
  outside_year_cap,       // over the non-League hours allowed per calendar year
  outside_level_cap,      // over the non-League hours allowed toward one level
  outside_not_at_level,   // the level takes no non-League hours (Emeritus)
  not_carried_over,       // hours beyond the previous level that do not transfer (setting)
  level_not_open,         // the next level opens only when the previous one is complete
  points_not_qualifying,  // the event type gives no points (or not as a non-League meeting)
  points_year_cap,        // over the points allowed per calendar year
  program_not_granted,    // the entry's event granted credit under other programs only
};
std::string_view to_string(Refusal reason);

struct Placement {
  std::string level_id;
  double hours = 0;
  int points = 0;
};

struct RefusedPart {
  Refusal reason;
  double hours = 0;    // hours refused for this reason
  int points = 0;      // points refused for this reason
  std::string message; // "Ethics Law was already credited on 2025-03-02 (core courses count once)"
};

// What became of one ledger entry (in evaluation order): the transcript's rows.
struct EntryOutcome {
  LedgerEntry entry;
  bool core = false;
  double hours_credited = 0; // valid credit (counts for the cycle), placed in a level or not
  // Hours of training the annual requirement counts: the valid hours whatever the level caps
  // (and, with annual.count_repeats, the duplicate rules) made of them.
  double annual_hours = 0;
  int points_credited = 0;
  std::vector<Placement> placements; // which level(s) the hours and points counted toward
  std::vector<RefusedPart> refused;
};

struct LevelProgress {
  std::string id;
  std::string name;
  double hours_required = 0;
  double hours_counted = 0;
  double core_hours_required = 0;
  double core_hours_counted = 0;
  int core_courses_required = 0;
  int core_courses_counted = 0; // distinct core courses completed toward this level
  double outside_hours_counted = 0;
  std::optional<double> outside_hours_cap;
  int points_required = 0;
  int points_counted = 0;
  bool held_before = false;         // a designation from the official's record, not the ledger
  bool met = false;                 // its own needs and every level before it
  std::optional<Date> completed_on; // the day it became met
  std::string tier;                 // highest tier reached (name), "" when none
  std::string next_tier;            // when met: "Emeritus II: 80 more hours, 5 more points"
  std::vector<std::string> core_courses_missing; // codes of core courses not yet completed
  std::vector<std::string> core_courses_partial; // "CMO-ETH-101: 2 of 3 h", started, not complete
  std::vector<std::string> missing; // in words: "8 more core hours: courses not yet taken: ..."
};

struct AnnualCompliance {
  bool applies = false; // false: the role is not covered, the year is before the law, ...
  int year = 0;
  double required = 0;
  double earned = 0;
  double behind_by = 0; // 0 when met
  bool met = false;
  std::string why; // basis of the requirement, or why it does not apply
  // First term only (Act 2024-194: 40 hours during the first term).
  std::optional<double> term_required;
  double term_earned = 0;
  std::optional<Date> term_ends;
  std::string message; // "2026: 6 of 10 hours (Act 2024-194), behind by 4"
};

struct CycleProgress {
  Date start{};
  Date end{}; // exclusive
  double required = 0;
  double earned = 0; // in the program's unit
  bool met = false;
  std::vector<std::pair<std::string, double>> by_category;   // category id -> units
  std::vector<std::pair<std::string, double>> by_competency; // competency id -> units
  std::string message;
};

struct Graduation {
  int year = 0;
  Date deadline{};                    // e.g. 2026-07-31
  std::vector<std::string> qualifies; // level ids completed in (last deadline, deadline]
  std::string message;
};

struct LeftOfficeWindow {
  Date left_on{};
  Date window_ends{}; // last day credits count
  bool open = false;  // as_of is within the window
  bool level_complete = false;
  std::string message;
};

struct Progress {
  std::string program_id;
  std::string official_id;
  Date as_of{};
  std::vector<LevelProgress> levels;
  std::vector<EntryOutcome> entries; // in evaluation order; entries after as_of are left out
  std::optional<AnnualCompliance> annual;
  std::optional<CycleProgress> cycle;
  std::optional<Graduation> graduation;
  std::optional<LeftOfficeWindow> left_office;
  std::string current_level;        // id of the first level not met, "" when all are met
  std::vector<std::string> missing; // the current level's missing items, in words

  // Every refused part, flattened (for "credits refused and why").
  [[nodiscard]] std::vector<RefusedPart> refusals() const;
  [[nodiscard]] const LevelProgress* level(std::string_view id) const;
};

Progress evaluate(const Program& program, const Official& official,
                  std::span<const LedgerEntry> ledger, Date as_of);

} // namespace muster
