// Progress in words (progress_words.hpp).
#include "sync/server/mail/progress_words.hpp"

#include <algorithm>
#include <array>

namespace muster::server::mail {

namespace {

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) out += ", ";
    out += part;
  }
  return out;
}

std::string count_words(int n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

} // namespace

std::string long_date(Date date) {
  static constexpr std::array<const char*, 12> kMonths{
      "January", "February", "March",     "April",   "May",      "June",
      "July",    "August",   "September", "October", "November", "December"};
  return std::string(kMonths.at(static_cast<unsigned>(date.month()) - 1)) + " " +
         std::to_string(static_cast<unsigned>(date.day())) + ", " +
         std::to_string(static_cast<int>(date.year()));
}

std::vector<std::string> progress_lines(const Program& program, const Progress& progress) {
  std::vector<std::string> lines;
  for (const auto& level : progress.levels) {
    if (level.met) {
      std::string line = level.name + ": complete";
      if (level.held_before) {
        line += " (designation on record)";
      } else if (level.completed_on) {
        line += " since " + long_date(*level.completed_on);
      }
      if (!level.tier.empty()) line += ", " + level.tier;
      if (!level.next_tier.empty()) line += "; next: " + level.next_tier;
      lines.push_back(line);
      continue;
    }
    std::string line = level.name + ": " + format_hours(level.hours_counted) + " of " +
                       format_hours(level.hours_required) + " hours";
    if (level.points_required > 0) {
      line += ", " + std::to_string(level.points_counted) + " of " +
              std::to_string(level.points_required) + " points";
    }
    if (!level.core_courses_missing.empty()) {
      std::vector<std::string> titles;
      for (const auto& code : level.core_courses_missing) {
        const auto* course = program.core_course(code);
        titles.push_back(course != nullptr && !course->title.empty() ? course->title : code);
      }
      const int still = level.core_courses_required > 0
                            ? std::max(0, level.core_courses_required - level.core_courses_counted)
                            : static_cast<int>(titles.size());
      line += "; " + count_words(still, "core course still to take", "core courses still to take") +
              ": " + join(titles);
    } else if (level.core_hours_required > level.core_hours_counted) {
      line += "; " + format_hours(level.core_hours_required - level.core_hours_counted) +
              " core hours still needed";
    }
    lines.push_back(line);
    break; // the levels after the current one open only when it is complete
  }
  if (auto annual = annual_line(program, progress); !annual.empty()) lines.push_back(annual);
  if (progress.annual && progress.annual->term_required && progress.annual->term_ends) {
    const auto& a = *progress.annual;
    lines.push_back("First term: " + format_hours(a.term_earned) + " of " +
                    format_hours(*a.term_required) + " hours by " + long_date(*a.term_ends));
  }
  if (progress.cycle && progress.cycle->required > 0) lines.push_back(progress.cycle->message);
  if (progress.graduation && !progress.graduation->qualifies.empty()) {
    lines.push_back("Graduation " + std::to_string(progress.graduation->year) +
                    ": you qualify (the deadline is " + long_date(progress.graduation->deadline) +
                    ")");
  }
  return lines;
}

std::string annual_line(const Program& program, const Progress& progress) {
  if (!progress.annual || !progress.annual->applies) return {};
  const auto& a = *progress.annual;
  const std::string basis =
      program.annual && !program.annual->basis.empty() ? program.annual->basis : "Yearly training";
  const Date due =
      program.annual ? program.annual->deadline(a.year)
                     : Date{std::chrono::year{a.year}, std::chrono::December, std::chrono::day{31}};
  std::string line = basis + ": " + format_hours(a.earned) + " of " + format_hours(a.required) +
                     " hours in " + std::to_string(a.year);
  if (a.met) return line + ", met";
  return line + ", " + format_hours(a.behind_by) + " still needed by " + long_date(due);
}

} // namespace muster::server::mail
