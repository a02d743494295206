#pragma once
// The one shape every scanner produces: keyboard wedge, camera, headless stdin and staff entry
// all become a RawScan and go through Checkin::accept (style.md, "One way in for a scan").
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "shared/domain.hpp"

namespace muster::kiosk {

// Where a scan came from. (Not "stdin": that is a macro in <cstdio>.)
enum class ScanSource : std::uint8_t { wedge, camera, standard_input, staff };

std::string_view to_string(ScanSource source);
std::optional<ScanSource> parse_scan_source(std::string_view text);

struct RawScan {
  std::string text; // the payload as read, without the scanner's Enter/Tab suffix
  ScanSource source = ScanSource::standard_input;
  Instant at;                             // the device's wall clock at the scan
  std::chrono::milliseconds monotonic{0}; // the device's monotonic clock at the scan
};

// The device clocks now, for scanners that read them when a scan arrives.
Instant wall_clock_now();
std::chrono::milliseconds monotonic_now();

// A RawScan read now from `source`.
RawScan raw_scan_now(std::string text, ScanSource source);

} // namespace muster::kiosk
