#pragma once
// `muster-kiosk headless`: scans from a stream, one per line, and one JSON object per line out,
// written (and flushed) only after the scan is durably committed:
//   {"result": "arrived"|"left"|"rejected"|"ignored", "attendee": ..., "session": ...,
//    "early": bool (left only), "credit_hours": number (left only),
//    "reason": ... (rejected/ignored only)}
// attendee and session are null when unknown. A second scan in a session is a leave at once.
// With a simulated clock, a line may start with "@<ISO 8601 instant> " to set the scan's time;
// the clock then runs on from there until the next "@".
#include <cstddef>
#include <iosfwd>
#include <string>

#include "kiosk/app/checkin.hpp"

namespace muster::kiosk {

struct HeadlessOptions {
  bool simulated_clock = false;
};

// The issue's JSON object for one outcome, on one line.
std::string outcome_json(const CheckinOutcome& outcome);

// Reads until end of input; returns the number of lines answered.
std::size_t run_headless(Checkin& checkin, std::istream& in, std::ostream& out,
                         const HeadlessOptions& options);

} // namespace muster::kiosk
