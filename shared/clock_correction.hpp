#pragma once
// Placing a scan in true time from the device's clock samples (sync/PROTOCOL.md, "Clock").
// A kiosk's wall clock can be wrong (dead RTC battery, wrong time zone, no NTP); its monotonic
// clock cannot jump and counts from the boot. Each sync stores a sample pairing the server's
// clock with the device's wall and monotonic clocks of that boot, so a scan of the same boot is
// placed exactly: true time = sample's server time + (scan's monotonic - sample's monotonic).
// Pure functions: the server runs them at read time over every sample it holds, so any order of
// syncs gives the same result, and the stored scan (original wall time and offset) never changes.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "shared/domain.hpp"

namespace muster {

// One clock measurement of a device, taken at a sync (the middle of the round trip).
struct ClockSample {
  std::string boot_id;             // /proc/sys/kernel/random/boot_id of the device's boot
  Instant server_time;             // the server's clock
  Instant device_wall;             // the device's wall clock at the same moment
  std::int64_t monotonic_ms = 0;   // the device's monotonic clock at the same moment
  std::int64_t uncertainty_ms = 0; // half the round trip
  friend bool operator==(const ClockSample&, const ClockSample&) = default;
};

// Times outside years 1900..9999 are implausible: inputs are clamped to this range before any
// arithmetic, so a forged or corrupt int64 extreme cannot overflow.
inline constexpr std::int64_t kPlausibleMaxMs = 253'402'300'799'999; // 9999-12-31T23:59:59.999Z
inline constexpr std::int64_t kPlausibleMinMs = -2'208'988'800'000;  // 1900-01-01T00:00:00Z
// a + b and a - b, saturated to the int64 range (never undefined behaviour).
std::int64_t saturating_add(std::int64_t a, std::int64_t b);
std::int64_t saturating_sub(std::int64_t a, std::int64_t b);
std::int64_t clamp_plausible_ms(std::int64_t ms);

struct ScanClock {
  std::int64_t offset_ms = 0; // server - device at the scan: corrected_time = asserted + this
  std::int64_t carried_offset_ms = 0; // what the kiosk estimated when it recorded the scan
  bool verified = false;              // placed from a sample of the scan's own boot
  bool bounded = false;               // would have been after the server received it: set to that
  // How far the correction moved the scan from the time its carried offset gives.
  [[nodiscard]] std::int64_t change_ms() const {
    return saturating_sub(offset_ms, carried_offset_ms);
  }
};

// The clock of one scan from its device's samples (any order; samples of other boots are
// ignored). Without a sample of the scan's boot (or without a boot id) the carried offset
// stays and the scan is not verified. A corrected time never counts (to the second,
// counted_time) later than `received_at`; a scan moved back for that is `bounded` (except a
// verified scan within a second of its receipt: the sample's own uncertainty). A scan of the
// simulated clock (kSimulatedBootId) keeps its carried offset, never bounded: its times are
// asserted by whoever replays them.
ScanClock correct_scan_clock(const Scan& scan, std::span<const ClockSample> device_samples,
                             std::optional<Instant> received_at);

// "+2 h 00 min", "-3 d 0 h 00 min": a clock correction for people (rounded to the minute).
std::string describe_clock_change(std::int64_t change_ms);

} // namespace muster
