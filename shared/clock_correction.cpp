#include "shared/clock_correction.hpp"

#include "shared/boot_id.hpp"

#include <algorithm>
#include <limits>
#include <tuple>

namespace muster {
namespace {

std::int64_t abs_distance(std::int64_t a, std::int64_t b) {
  const std::int64_t d = saturating_sub(a, b);
  return d == std::numeric_limits<std::int64_t>::min() ? std::numeric_limits<std::int64_t>::max()
                                                       : (d < 0 ? -d : d);
}

std::int64_t ms(Instant when) { return clamp_plausible_ms(when.time_since_epoch().count()); }

// The sample nearest the scan in monotonic time; ties broken by fields only, so the choice
// does not depend on the order the samples arrived in.
const ClockSample* nearest_sample(const Scan& scan, std::span<const ClockSample> samples) {
  const ClockSample* best = nullptr;
  auto key = [&](const ClockSample& s) {
    return std::make_tuple(abs_distance(scan.monotonic_ms, s.monotonic_ms), s.uncertainty_ms,
                           s.monotonic_ms, ms(s.server_time), ms(s.device_wall));
  };
  for (const ClockSample& sample : samples) {
    if (sample.boot_id != scan.boot_id) continue;
    if (best == nullptr || key(sample) < key(*best)) best = &sample;
  }
  return best;
}

} // namespace

std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) {
    return b > 0 ? std::numeric_limits<std::int64_t>::max()
                 : std::numeric_limits<std::int64_t>::min();
  }
  return out;
}

std::int64_t saturating_sub(std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (__builtin_sub_overflow(a, b, &out)) {
    return b < 0 ? std::numeric_limits<std::int64_t>::max()
                 : std::numeric_limits<std::int64_t>::min();
  }
  return out;
}

std::int64_t clamp_plausible_ms(std::int64_t value) {
  return std::clamp(value, kPlausibleMinMs, kPlausibleMaxMs);
}

ScanClock correct_scan_clock(const Scan& scan, std::span<const ClockSample> device_samples,
                             std::optional<Instant> received_at) {
  ScanClock clock;
  // Offsets beyond the plausible span are as meaningless as such times.
  constexpr std::int64_t kSpan = kPlausibleMaxMs - kPlausibleMinMs;
  clock.carried_offset_ms = std::clamp<std::int64_t>(scan.clock_offset_ms, -kSpan, kSpan);
  clock.offset_ms = clock.carried_offset_ms;
  // `headless --simulated-clock` (drills, rehearsals, replays of an event's scans): the operator
  // asserts the times, which may lie anywhere; there is no clock to correct or to bound.
  if (scan.boot_id == kSimulatedBootId) return clock;
  const std::int64_t wall = ms(scan.wall_time);
  if (!scan.boot_id.empty()) {
    if (const ClockSample* sample = nearest_sample(scan, device_samples)) {
      // Exact within the boot: the monotonic clock neither jumps nor is reset until reboot.
      const std::int64_t elapsed = saturating_sub(scan.monotonic_ms, sample->monotonic_ms);
      const std::int64_t true_at =
          clamp_plausible_ms(saturating_add(ms(sample->server_time), elapsed));
      clock.offset_ms = true_at - wall;
      clock.verified = true;
    }
  }
  if (received_at) {
    const Instant asserted =
        scan.kind == ScanKind::correction ? scan.effective_time : scan.wall_time;
    const std::int64_t at = ms(asserted) + clock.offset_ms; // both bounded: cannot overflow
    // Attendance counts times rounded to the second (counted_time): the latest instant that
    // does not round past the receipt is its second's start + 499 ms.
    const std::int64_t receipt = std::chrono::floor<std::chrono::seconds>(
                                     Instant{std::chrono::milliseconds{ms(*received_at)}})
                                         .time_since_epoch()
                                         .count() *
                                     1000 +
                                 499;
    if (at > receipt) {
      // A sample's own uncertainty may put a scan a few ms after its receipt; that is noise,
      // not a clock the server must distrust.
      constexpr std::int64_t kNoiseMs = 1000;
      if (!clock.verified || at - receipt > kNoiseMs) clock.bounded = true;
      clock.offset_ms = receipt - ms(asserted);
    }
  }
  return clock;
}

std::string describe_clock_change(std::int64_t change_ms) {
  const bool negative = change_ms < 0;
  const std::int64_t magnitude = negative ? -std::max(change_ms, -kPlausibleMaxMs) : change_ms;
  std::int64_t minutes = (magnitude + 30'000) / 60'000;
  const std::int64_t days = minutes / (24 * 60);
  minutes -= days * 24 * 60;
  const std::int64_t hours = minutes / 60;
  minutes -= hours * 60;
  std::string text = negative ? "-" : "+";
  if (days > 0) text += std::to_string(days) + " d ";
  text += std::to_string(hours) + " h ";
  if (minutes < 10) text += "0";
  text += std::to_string(minutes) + " min";
  return text;
}

} // namespace muster
