#pragma once
// `muster-kiosk headless`: scans from a stream, one per line, and one JSON object per line out,
// written (and flushed) only after the scan is durably committed:
//   {"result": "arrived"|"left"|"rejected"|"ignored", "attendee": ..., "session": ...,
//    "early": bool (left only), "credit_hours": number (left only),
//    "reason": ... (rejected/ignored only)}
// attendee and session are null when unknown. A second scan in a session is a leave at once.
// With a simulated clock, a line may start with "@<ISO 8601 instant> " to set the scan's time;
// the clock then runs on from there until the next "@".
#include <chrono>
#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "kiosk/app/checkin.hpp"
#include "kiosk/scan/raw_scan.hpp"
#include "shared/domain.hpp"

namespace muster::kiosk {

struct HeadlessOptions {
  bool simulated_clock = false;
};

// The clock of a line-per-scan stream (headless door and desk). Simulated: the last "@" instant
// plus the real time elapsed since it was read; otherwise the real clocks.
class ScanClock {
public:
  explicit ScanClock(bool simulated) : simulated_(simulated) {}

  // Takes a leading "@<instant> " off the line when simulated. False: a bad instant.
  bool take_time(std::string_view& line);
  // The scan of `text` (read from standard input) at this clock's time.
  [[nodiscard]] RawScan scan(std::string text) const;

private:
  bool simulated_;
  std::optional<Instant> base_;
  std::chrono::milliseconds base_monotonic_{0};
};

// The issue's JSON object for one outcome, on one line.
std::string outcome_json(const CheckinOutcome& outcome);

// Reads until end of input; returns the number of lines answered.
std::size_t run_headless(Checkin& checkin, std::istream& in, std::ostream& out,
                         const HeadlessOptions& options);

} // namespace muster::kiosk
