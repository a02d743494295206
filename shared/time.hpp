#pragma once
// Instants are stored in UTC and shown in the event's IANA time zone.
#include <optional>
#include <string>
#include <string_view>

#include "shared/domain.hpp"

namespace muster {

// ISO 8601 with an explicit offset: "2026-03-02T09:00:00-06:00", "...T15:00:00Z",
// optional fractional seconds. A time without an offset is ambiguous and refused.
std::optional<Instant> parse_iso8601(std::string_view text);

// "2026-03-02T15:00:00.250Z" (milliseconds only when non-zero).
std::string format_utc(Instant instant);

// True when the IANA zone database on this machine knows the name.
bool is_known_time_zone(std::string_view zone_name);

// The instant in the zone's local time, formatted with date's strftime-like format
// (default "2026-03-02 09:00 CST"). Falls back to UTC for an unknown zone.
std::string format_local(Instant instant, std::string_view zone_name,
                         std::string_view format = "%Y-%m-%d %H:%M %Z");

// The local calendar date of an instant in a zone, "2026-03-02".
std::string local_date(Instant instant, std::string_view zone_name);

} // namespace muster
