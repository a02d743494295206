#include "shared/credit.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <tuple>
#include <utility>

#include "shared/time.hpp"

namespace muster {
namespace {

using std::chrono::milliseconds;

enum class Action : std::uint8_t { arrive, leave };

// One scan reduced to what attendance needs. Ordered by content only, never by input position.
struct Mark {
  Instant time;
  Action action = Action::arrive;
  std::string_view device;
  std::uint64_t sequence = 0;
  bool correction = false;

  [[nodiscard]] auto key() const { return std::tie(time, action, device, sequence, correction); }
  bool operator<(const Mark& other) const { return key() < other.key(); }
};

// An interval as the state machine saw it, before clipping and grace.
struct RawStay {
  Instant arrived;
  std::optional<Instant> left;
  std::vector<std::string_view> devices; // every scan that opened, confirmed or closed it
};

// A note keyed by the time it is about, so notes read in time order whatever the input order.
using Note = std::pair<Instant, std::string>;

std::string show_time(Instant instant, std::string_view time_zone) {
  const bool whole_minute = std::chrono::floor<std::chrono::minutes>(instant) ==
                            std::chrono::floor<std::chrono::seconds>(instant);
  return format_local(instant, time_zone, whole_minute ? "%H:%M" : "%H:%M:%S");
}

std::string show_scan(std::string_view device, std::uint64_t sequence) {
  return "(" + std::string(device) + " #" + std::to_string(sequence) + ")";
}

using ScanKey = std::pair<std::string_view, std::uint64_t>;

// Rule 2: voids first. Returns the (device, sequence) keys that no longer count.
std::set<ScanKey> collect_voids(std::span<const Scan* const> scans, std::string_view time_zone,
                                std::vector<Note>& notes) {
  std::set<ScanKey> present;
  for (const Scan* scan : scans)
    present.emplace(scan->device_id, scan->sequence);
  std::set<ScanKey> voided;
  for (const Scan* scan : scans) {
    if (scan->kind != ScanKind::correction || scan->correction != Correction::void_scan) continue;
    const ScanKey target{scan->voids_device_id, scan->voids_sequence};
    voided.insert(target);
    if (!present.contains(target)) {
      const Instant at = counted_time(*scan);
      notes.emplace_back(at, "void at " + show_time(at, time_zone) + " " +
                                 show_scan(scan->device_id, scan->sequence) + " names scan " +
                                 show_scan(target.first, target.second) +
                                 ", which is not in this session: nothing voided");
    }
  }
  return voided;
}

// Rules 1-3: the counted scans as marks, sorted by content, each (device, sequence) once.
std::vector<Mark> collect_marks(std::span<const Scan* const> scans, const std::set<ScanKey>& voided,
                                std::string_view time_zone, std::vector<Note>& notes) {
  std::vector<Mark> marks;
  for (const Scan* scan : scans) {
    if (!is_attendance(scan->kind)) continue; // check-ins, surveys, ...: not attendance
    if (voided.contains(ScanKey{scan->device_id, scan->sequence})) continue;
    Mark mark{counted_time(*scan), Action::arrive, scan->device_id, scan->sequence, false};
    if (scan->kind == ScanKind::leave) {
      mark.action = Action::leave;
    } else if (scan->kind == ScanKind::correction) {
      mark.correction = true;
      if (scan->correction == Correction::void_scan) continue;
      if (scan->correction == Correction::none) {
        notes.emplace_back(mark.time, "correction at " + show_time(mark.time, time_zone) + " " +
                                          show_scan(mark.device, mark.sequence) +
                                          " says neither arrival nor leave: ignored");
        continue;
      }
      mark.action = scan->correction == Correction::leave ? Action::leave : Action::arrive;
    }
    marks.push_back(mark);
  }
  std::sort(marks.begin(), marks.end());
  std::set<ScanKey> seen;
  std::erase_if(marks, [&seen](const Mark& mark) {
    return !seen.emplace(mark.device, mark.sequence).second;
  });
  return marks;
}

// Rules 4-5: the arrive/leave state machine over sorted marks.
std::vector<RawStay> follow_marks(std::span<const Mark> marks, std::chrono::milliseconds debounce,
                                  std::string_view time_zone, std::vector<Note>& notes) {
  std::vector<RawStay> stays;
  bool present = false;
  std::optional<Instant> last_leave; // the counted leave of the current absence, if any
  for (const Mark& mark : marks) {
    if (mark.action == Action::arrive) {
      if (!present) {
        stays.push_back(RawStay{mark.time, std::nullopt, {}});
        present = true;
        last_leave.reset();
      }
      stays.back().devices.push_back(mark.device); // a second door confirms the stay
    } else if (present) {
      stays.back().left = mark.time;
      stays.back().devices.push_back(mark.device);
      present = false;
      last_leave = mark.time;
    } else if (!mark.correction && last_leave && mark.time - *last_leave < debounce) {
      stays.back().devices.push_back(mark.device); // the same leave seen at another door
    } else {
      notes.emplace_back(mark.time, "leave at " + show_time(mark.time, time_zone) + " " +
                                        show_scan(mark.device, mark.sequence) +
                                        " without an arrival: not counted");
    }
  }
  return stays;
}

struct Counted {
  Interval interval;
  const RawStay* stay;
};

// Rule 6: clip to the session and apply grace; stays that leave nothing are noted.
std::vector<Counted> clip_stays(std::span<const RawStay> stays, const Session& session,
                                const CreditPolicy& policy, std::string_view time_zone,
                                std::vector<Note>& notes) {
  const auto arrival_grace = std::max(milliseconds{policy.arrival_grace}, milliseconds{0});
  const auto leave_grace = std::max(milliseconds{policy.leave_grace}, milliseconds{0});
  std::vector<Counted> counted;
  for (const RawStay& stay : stays) {
    const Instant left = stay.left.value_or(session.end);
    Interval interval{std::max(stay.arrived, session.start), std::min(left, session.end)};
    if (interval.to <= interval.from) {
      std::string words;
      if (stay.arrived >= session.end) {
        words = "arrival at " + show_time(stay.arrived, time_zone) + " after the session ended";
      } else if (left <= session.start) {
        words = "arrival at " + show_time(stay.arrived, time_zone) + " and leave at " +
                show_time(left, time_zone) + " before the session started";
      } else {
        words = "arrival and leave both at " + show_time(stay.arrived, time_zone);
      }
      notes.emplace_back(stay.arrived, words + ": not counted");
      continue;
    }
    if (interval.from <= session.start + arrival_grace) interval.from = session.start;
    if (interval.to >= session.end - leave_grace) interval.to = session.end;
    counted.push_back(Counted{interval, &stay});
  }
  return counted;
}

// Grace can make neighbours touch or overlap; the input is sorted by `from`.
std::vector<Interval> merge_intervals(std::span<const Counted> counted) {
  std::vector<Interval> merged;
  for (const Counted& item : counted) {
    if (!merged.empty() && item.interval.from <= merged.back().to) {
      merged.back().to = std::max(merged.back().to, item.interval.to);
    } else {
      merged.push_back(item.interval);
    }
  }
  return merged;
}

} // namespace

double round_down_to_increment(double hours, double increment) {
  if (!std::isfinite(hours) || hours <= 0) return 0;
  if (!std::isfinite(increment) || increment <= 0) return hours;
  // The epsilon keeps 3.0 / 0.25 from landing on 11.999... and losing a whole increment.
  return std::floor(hours / increment + 1e-9) * increment;
}

Attendance compute_attendance(const Session& session, const CreditPolicy& policy, bool eligible,
                              std::span<const Scan> scans, std::string_view time_zone) {
  Attendance result;
  result.eligible = eligible;
  std::vector<Note> notes;

  if (session.end <= session.start) {
    result.notes.push_back("session " + session.id +
                           " ends at or before its start: no attendance or credit");
    return result;
  }

  std::vector<const Scan*> in_session;
  for (const Scan& scan : scans) {
    if (scan.session_id == session.id) in_session.push_back(&scan);
  }
  const auto voided = collect_voids(in_session, time_zone, notes);
  const auto marks = collect_marks(in_session, voided, time_zone, notes);
  const auto debounce = std::max(milliseconds{policy.debounce}, milliseconds{0});
  const auto stays = follow_marks(marks, debounce, time_zone, notes);
  const auto counted = clip_stays(stays, session, policy, time_zone, notes);
  result.intervals = merge_intervals(counted);

  if (!counted.empty()) {
    result.first_arrival = counted.front().stay->arrived;
    result.final_leave = counted.back().stay->left;
  }
  std::set<std::string_view> devices;
  for (const Counted& item : counted)
    devices.insert(item.stay->devices.begin(), item.stay->devices.end());
  result.devices.assign(devices.begin(), devices.end());

  for (std::size_t i = 0; i < result.intervals.size(); ++i) {
    result.attended += result.intervals[i].to - result.intervals[i].from;
    if (i + 1 < result.intervals.size()) {
      result.absences.push_back(Absence{result.intervals[i].to, result.intervals[i + 1].from});
    }
  }
  if (!result.intervals.empty() && result.intervals.back().to < session.end) {
    result.early_leave = true;
    result.early_leave_time = result.intervals.back().to;
    result.absences.push_back(Absence{result.intervals.back().to, std::nullopt});
  }

  if (result.eligible) {
    const double fraction = static_cast<double>(result.attended.count()) /
                            static_cast<double>((session.end - session.start).count());
    const double hours =
        round_down_to_increment(session.credit_hours * fraction, policy.increment_hours);
    result.credit_hours = std::min(hours, std::max(session.credit_hours, 0.0));
  }

  std::sort(notes.begin(), notes.end());
  for (auto& note : notes)
    result.notes.push_back(std::move(note.second));
  return result;
}

} // namespace muster
