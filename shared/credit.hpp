#pragma once
// Attendance and credit: a pure, deterministic function from one attendee's scans of a session
// (from any number of doors, in any order) to attended intervals, credit hours and early leave.
//
// The rules, in the order they are applied (design.md, "Credit from attendance"):
//  1. Only scans whose session_id is the session's id count. Every time is counted_time(scan)
//     (corrected_time to the nearest second):
//     the device's time plus its clock-offset estimate, so a kiosk with a wrong clock still
//     counts at the right moment. The scans are assumed to be one attendee's (caller filters).
//  2. Corrections: a Correction::void_scan removes the scan (voids_device_id, voids_sequence)
//     before anything else. Voids are final: voiding a void does not bring its target back
//     (record a new manual arrival or leave instead). Correction::arrive / ::leave act as an
//     arrival / leave at their effective time and are never debounced away.
//  3. The scans are sorted by content (time, arrive before leave, device id, sequence), so the
//     result never depends on the input order. A (device, sequence) seen twice counts once.
//  4. Debounce: a leave within `debounce` of the previous counted leave, with no arrival in
//     between, is the same leave seen twice (two doors, double scan) and is dropped silently.
//     An arrival while present is always a duplicate (which covers arrival bursts).
//  5. State machine: an arrival when absent opens an interval; a leave when present closes it;
//     a leave without an arrival before it is not credited and is noted (staff can correct it).
//     No final leave: present until the session ends.
//  6. Intervals are clipped to [start, end]: time before the start does not count and an
//     arrival after the end gives nothing (noted). Grace: an interval starting at or before
//     start + arrival_grace counts from the start; one ending at or after end - leave_grace
//     counts to the end. Intervals are then merged (grace may close a short gap).
//  7. credit = credit_hours * attended / duration, rounded DOWN to increment_hours (no rounding
//     when the increment is <= 0), never above credit_hours. A zero-length or inverted session
//     gives zero credit and a note.
//  8. Early leave: the last attended interval ends before the end (after grace): the time is
//     kept for the credit form. Every gap inside the session is an Absence {left, returned};
//     leaving and coming back to stay is not an early leave.
//  9. An attendee the caller judges not eligible (the event's programs give their role, on the
//     session's date, no credit: grants_credit) gets the same attendance with eligible = false
//     and zero credit.
// Grace is applied as configured: a policy for very short sessions should use smaller graces.
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shared/domain.hpp"

namespace muster {

// A half-open stretch of time [from, to) on the server's clock.
struct Interval {
  Instant from;
  Instant to;
  bool operator==(const Interval&) const = default;
};

// The attendee left during the session; returned is empty when they did not come back.
struct Absence {
  Instant left;
  std::optional<Instant> returned;
  bool operator==(const Absence&) const = default;
};

struct Attendance {
  std::vector<Interval> intervals;       // attended: clipped, grace applied, merged, sorted
  std::chrono::milliseconds attended{0}; // sum of the intervals
  double credit_hours = 0;               // 0 when not eligible
  bool eligible = false;                 // as the caller decided (the role earns credit)
  std::optional<Instant> first_arrival;  // corrected time of the first arrival that counted
  std::optional<Instant> final_leave;    // corrected time of the last leave that counted
  bool early_leave = false;              // left before end - leave_grace and did not return
  std::optional<Instant> early_leave_time;
  std::vector<Absence> absences;    // for the credit form
  std::vector<std::string> devices; // sorted, unique ids of devices whose scans counted
  std::vector<std::string> notes;   // anomalies in words, in time order, for staff
  bool operator==(const Attendance&) const = default;
};

// Derives one attendee's attendance and credit for a session from their scans (any order).
// time_zone (IANA) is only used to show times in the notes.
Attendance compute_attendance(const Session& session, const CreditPolicy& policy, bool eligible,
                              std::span<const Scan> scans, std::string_view time_zone = "UTC");

// Rounds hours down to a multiple of increment (tolerating floating error); increment <= 0
// returns hours unchanged; negative or non-finite hours give 0.
double round_down_to_increment(double hours, double increment);

} // namespace muster
