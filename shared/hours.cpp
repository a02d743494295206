#include "shared/hours.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace muster {

std::string format_hours(double hours, HoursStyle style) {
  switch (style) {
  case HoursStyle::brief: {
    std::array<char, 32> buffer{};
    std::snprintf(buffer.data(), buffer.size(), "%.2f", std::round(hours * 100.0) / 100.0);
    std::string text = buffer.data();
    while (text.back() == '0')
      text.pop_back();
    if (text.back() == '.') text.pop_back();
    return text == "-0" ? "0" : text;
  }
  case HoursStyle::two_decimals: {
    std::array<char, 32> buffer{};
    std::snprintf(buffer.data(), buffer.size(), "%.2f", hours);
    return buffer.data();
  }
  case HoursStyle::exact: {
    // 64 characters hold any double's shortest form, so to_chars cannot fail here.
    std::array<char, 64> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), hours);
    return result.ec == std::errc{} ? std::string(buffer.data(), result.ptr) : std::string("0");
  }
  }
  return {};
}

} // namespace muster
