#include "kiosk/scan/raw_scan.hpp"

#include <array>
#include <utility>

namespace muster::kiosk {

namespace {
constexpr std::array<std::pair<ScanSource, std::string_view>, 4> kSourceNames{{
    {ScanSource::wedge, "wedge"},
    {ScanSource::camera, "camera"},
    {ScanSource::standard_input, "stdin"},
    {ScanSource::staff, "staff"},
}};
} // namespace

std::string_view to_string(ScanSource source) {
  for (const auto& [value, name] : kSourceNames) {
    if (value == source) return name;
  }
  return "unknown";
}

std::optional<ScanSource> parse_scan_source(std::string_view text) {
  for (const auto& [value, name] : kSourceNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

Instant wall_clock_now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

std::chrono::milliseconds monotonic_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now().time_since_epoch());
}

RawScan raw_scan_now(std::string text, ScanSource source) {
  return RawScan{std::move(text), source, wall_clock_now(), monotonic_now()};
}

} // namespace muster::kiosk
