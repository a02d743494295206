#include "shared/progress.hpp"
#include "shared/progress_engine.hpp"

#include <algorithm>
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

namespace progress_engine {

Progress Engine::run(std::span<const LedgerEntry> ledger) {
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

void Engine::mark_designations() {
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

} // namespace progress_engine

Progress evaluate(const Program& program, const Official& official,
                  std::span<const LedgerEntry> ledger, Date as_of) {
  return progress_engine::Engine(program, official, as_of).run(ledger);
}

} // namespace muster
