#include "shared/time.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <charconv>
#include <exception>

namespace muster {
namespace {

bool read_int(std::string_view text, std::size_t pos, std::size_t digits, int& out) {
  if (pos + digits > text.size()) return false;
  for (std::size_t i = pos; i < pos + digits; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  const auto* first = text.data() + pos;
  return std::from_chars(first, first + digits, out).ec == std::errc{};
}

const date::time_zone* find_zone(std::string_view zone_name) {
  try {
    return date::locate_zone(zone_name);
  } catch (const std::exception&) {
    return nullptr;
  }
}

} // namespace

std::optional<Instant> parse_iso8601(std::string_view text) {
  // YYYY-MM-DDTHH:MM[:SS[.fff]](Z|+HH:MM|-HH:MM)
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!read_int(text, 0, 4, year) || text.size() < 16 || text[4] != '-' ||
      !read_int(text, 5, 2, month) || text[7] != '-' || !read_int(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !read_int(text, 11, 2, hour) ||
      text[13] != ':' || !read_int(text, 14, 2, minute)) {
    return std::nullopt;
  }
  std::size_t pos = 16;
  int millis = 0;
  if (pos < text.size() && text[pos] == ':') {
    if (!read_int(text, pos + 1, 2, second)) return std::nullopt;
    pos += 3;
    if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
      ++pos;
      int scale = 100;
      const std::size_t digits_start = pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        millis += (text[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
      if (pos == digits_start) return std::nullopt;
    }
  }
  if (pos >= text.size()) return std::nullopt; // no offset: refuse
  int offset_minutes = 0;
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    const int sign = text[pos] == '-' ? -1 : 1;
    int off_h = 0, off_m = 0;
    if (!read_int(text, pos + 1, 2, off_h)) return std::nullopt;
    std::size_t mpos = pos + 3;
    if (mpos < text.size() && text[mpos] == ':') ++mpos;
    if (!read_int(text, mpos, 2, off_m)) return std::nullopt;
    if (off_h > 18 || off_m > 59) return std::nullopt;
    offset_minutes = sign * (off_h * 60 + off_m);
    pos = mpos + 2;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
  const date::year_month_day ymd{date::year{year}, date::month{static_cast<unsigned>(month)},
                                 date::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  const auto days = date::sys_days{ymd};
  const auto local = std::chrono::sys_time<std::chrono::milliseconds>{days.time_since_epoch()} +
                     std::chrono::hours{hour} + std::chrono::minutes{minute} +
                     std::chrono::seconds{second} + std::chrono::milliseconds{millis};
  return local - std::chrono::minutes{offset_minutes};
}

std::string format_utc(Instant instant) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(instant);
  std::string text = date::format("%Y-%m-%dT%H:%M:%S", seconds);
  const auto millis = (instant - seconds).count();
  if (millis != 0) {
    char buffer[8];
    const auto printed = std::snprintf(buffer, sizeof buffer, ".%03d", static_cast<int>(millis));
    text.append(buffer, static_cast<std::size_t>(printed));
  }
  text += 'Z';
  return text;
}

bool is_known_time_zone(std::string_view zone_name) { return find_zone(zone_name) != nullptr; }

std::string format_local(Instant instant, std::string_view zone_name, std::string_view format) {
  const std::string fmt(format);
  const auto seconds = std::chrono::floor<std::chrono::seconds>(instant);
  if (const auto* zone = find_zone(zone_name)) {
    return date::format(fmt, date::make_zoned(zone, seconds));
  }
  return date::format(fmt, date::make_zoned(date::locate_zone("UTC"), seconds));
}

std::string local_date(Instant instant, std::string_view zone_name) {
  return format_local(instant, zone_name, "%Y-%m-%d");
}

} // namespace muster
