#pragma once
// Hours (and the other decimal amounts beside them: scores, points, units) as text. One
// formatter, three spellings, because people, forms and stores each need a different one.
#include <cstdint>
#include <string>

namespace muster {

enum class HoursStyle : std::uint8_t {
  brief,        // for people: rounded to 2 decimals, no trailing zeros: "8", "7.5", "2.25"
  two_decimals, // columns that line up (credit forms, CSV exports, the kiosk): "8.00", "7.50"
  exact,        // storage: the shortest text that reads back as the same double: "0.1"
};

std::string format_hours(double hours, HoursStyle style = HoursStyle::brief);

} // namespace muster
