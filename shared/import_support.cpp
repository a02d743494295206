// The importers' shared checks and JSON field getters (import_support.hpp).
#include "shared/import_support.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>

#include "shared/csv.hpp"
#include "shared/time.hpp"

namespace muster {

namespace import_support {
namespace {

// "-0600", "-06:00", "+05:30" -> minutes east of UTC.
std::optional<int> offset_minutes(std::string_view text) {
  if (text.size() < 5 || (text[0] != '+' && text[0] != '-')) return std::nullopt;
  const std::size_t minute_pos = text[3] == ':' ? 4 : 3;
  if (text.size() < minute_pos + 2) return std::nullopt;
  const auto digits = [&](std::size_t pos) {
    return (text[pos] - '0') * 10 + (text[pos + 1] - '0');
  };
  const int minutes = digits(1) * 60 + digits(minute_pos);
  return text[0] == '-' ? -minutes : minutes;
}

} // namespace

std::string in_quotes(std::string_view text) { return "'" + std::string(text) + "'"; }

std::optional<unsigned char> find_control(std::string_view text, bool allow_line_breaks) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != 0x7F) continue;
    if (allow_line_breaks && c == '\n') continue;
    if (allow_line_breaks && c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    return c;
  }
  return std::nullopt;
}

std::string describe_control(unsigned char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string text = "a control character (U+00";
  text += kHex[c >> 4];
  text += kHex[c & 0xF];
  text += c == '\t' ? ", a tab)" : ")";
  return text;
}

bool looks_like_email(std::string_view text) {
  if (text.size() > kMaxEmailBytes) return false;
  const auto at = text.find('@');
  if (at == std::string_view::npos || text.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  const auto local = text.substr(0, at);
  const auto domain = text.substr(at + 1);
  if (local.empty() || local.size() > 64 || domain.empty()) return false;
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return false;
  }
  for (const char c : local) {
    if (static_cast<unsigned char>(c) <= 0x20 || std::strchr("\"(),:;<>[\\]", c) != nullptr) {
      return false;
    }
  }
  if (domain.find('.') == std::string_view::npos || domain.front() == '.' || domain.back() == '.' ||
      domain.front() == '-' || domain.find("..") != std::string_view::npos) {
    return false;
  }
  return std::all_of(domain.begin(), domain.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.'; // bytes >= 0x80: an IDN in UTF-8
  });
}

std::optional<Error<ImportError>> check_utf8(std::string_view text, std::string_view source) {
  if (text.size() >= 2 &&
      ((text[0] == '\xFF' && text[1] == '\xFE') || (text[0] == '\xFE' && text[1] == '\xFF'))) {
    return fail(ImportError{ImportErrc::encoding, 1, {}},
                std::string(source) + " line 1: the file is UTF-16; save it as UTF-8 "
                                      "(in a spreadsheet: \"CSV UTF-8\")");
  }
  const auto bad = find_invalid_utf8(text);
  if (!bad) return std::nullopt;
  const std::size_t line = line_of_offset(text, *bad);
  const auto byte = static_cast<unsigned char>(text[*bad]);
  static constexpr char kHex[] = "0123456789ABCDEF";
  const std::string hex{'0', 'x', kHex[byte >> 4], kHex[byte & 0xF]};
  return fail(ImportError{ImportErrc::encoding, line, {}},
              std::string(source) + " line " + std::to_string(line) + ": not valid UTF-8 (byte " +
                  hex +
                  "); the file was probably saved as Latin-1 or Windows-1252. Save it as "
                  "UTF-8 (in a spreadsheet: \"CSV UTF-8\") and import again");
}

ImportResult<std::string> read_import_file(const std::filesystem::path& path) {
  const auto io_fail = [&](const std::string& why) {
    return fail(ImportError{ImportErrc::io, 0, {}},
                "cannot read " + in_quotes(path.string()) + ": " + why);
  };
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) return io_fail(ec.message());
  if (!std::filesystem::exists(status)) return io_fail("no such file");
  if (std::filesystem::is_directory(status)) return io_fail("it is a directory, not a file");
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxImportBytes) {
    return io_fail("it is " + std::to_string(size) + " bytes; an import file may be at most " +
                   std::to_string(kMaxImportBytes / (1024 * 1024)) + " MiB");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_fail(std::strerror(errno));
  std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return io_fail("read error");
  return bytes;
}

std::string child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string format_number(double number) {
  if (std::isfinite(number) && std::floor(number) == number && std::fabs(number) < 1e15) {
    return std::to_string(static_cast<std::int64_t>(number));
  }
  return json(number).dump();
}

std::string json_type(const json& value) {
  if (value.is_number()) return "a number";
  if (value.is_boolean()) return "true/false";
  if (value.is_null()) return "null";
  if (value.is_array()) return "an array";
  if (value.is_object()) return "an object";
  return "a string";
}

ImportResult<Ok> check_keys(const JsonContext& ctx, const json& object, const std::string& path,
                            std::span<const std::string_view> allowed) {
  for (const auto& item : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), item.key()) != allowed.end()) continue;
    std::string list;
    for (const auto name : allowed)
      list += (list.empty() ? "" : ", ") + std::string(name);
    return ctx.fail_at(ImportErrc::field, child(path, item.key()),
                       "unknown field (a typo?); expected only: " + list);
  }
  return Ok{};
}

const json* find_value(const json& object, std::string_view key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

ImportResult<std::string> get_string(const JsonContext& ctx, const json& object,
                                     std::string_view key, const std::string& path, Need need) {
  const std::string where = child(path, key);
  const json* value = find_value(object, key);
  if (value == nullptr) {
    if (need == Need::optional) return std::string{};
    return ctx.fail_at(ImportErrc::field, where, "missing (required)");
  }
  if (!value->is_string()) {
    return ctx.fail_at(ImportErrc::field, where, "must be a string, not " + json_type(*value));
  }
  const auto& text = value->get_ref<const std::string&>();
  if (need == Need::required && trim(text).empty()) {
    return ctx.fail_at(ImportErrc::field, where, "must not be empty");
  }
  if (const auto control = find_control(text, false)) {
    return ctx.fail_at(ImportErrc::field, where, "contains " + describe_control(*control));
  }
  if (text.size() > kMaxTextBytes) {
    return ctx.fail_at(ImportErrc::field, where,
                       "is longer than " + std::to_string(kMaxTextBytes) + " bytes");
  }
  return text;
}

ImportResult<std::string> get_id(const JsonContext& ctx, const json& object, std::string_view key,
                                 const std::string& path) {
  auto id = get_string(ctx, object, key, path, Need::required);
  if (!id) return id;
  if (!is_valid_badge_id(*id)) {
    return ctx.fail_at(ImportErrc::field, child(path, key),
                       in_quotes(*id) +
                           " may only use letters A-Z, a-z, digits, '-' and '_' (1 to 64)");
  }
  return id;
}

ImportResult<double> get_number(const JsonContext& ctx, const json& object, std::string_view key,
                                const std::string& path, std::optional<double> fallback,
                                bool whole) {
  const std::string where = child(path, key);
  const json* value = find_value(object, key);
  if (value == nullptr) {
    if (fallback) return *fallback;
    return ctx.fail_at(ImportErrc::field, where, "missing (required)");
  }
  if (!value->is_number()) {
    return ctx.fail_at(ImportErrc::field, where, "must be a number, not " + json_type(*value));
  }
  const double number = value->get<double>();
  if (!std::isfinite(number) || (whole && std::floor(number) != number)) {
    return ctx.fail_at(ImportErrc::field, where, value->dump() + " is not a whole number");
  }
  return number;
}

ImportResult<bool> get_bool(const JsonContext& ctx, const json& object, std::string_view key,
                            const std::string& path, bool fallback) {
  const json* value = find_value(object, key);
  if (value == nullptr) return fallback;
  if (!value->is_boolean()) {
    return ctx.fail_at(ImportErrc::field, child(path, key),
                       "must be true or false, not " + json_type(*value));
  }
  return value->get<bool>();
}

ImportResult<Instant> get_time(const JsonContext& ctx, const json& object, std::string_view key,
                               const std::string& path, const std::string& zone) {
  auto text = get_string(ctx, object, key, path, Need::required);
  if (!text) return text.error();
  const std::string where = child(path, key);
  const auto instant = parse_iso8601(*text);
  if (!instant) {
    return ctx.fail_at(ImportErrc::field, where,
                       in_quotes(*text) + " is not an ISO 8601 time with an offset, e.g. "
                                          "2026-12-03T09:00:00-06:00 (a time without an offset is "
                                          "ambiguous)");
  }
  // parse_iso8601 accepted it, so a numeric offset is the text after the time of day. An offset
  // that is not the zone's (e.g. CDT in December) would shift the session silently: refuse it.
  // "Z" and +00:00 are explicit UTC and always accepted.
  const auto sign = text->find_first_of("+-", 16);
  if (sign == std::string::npos) return *instant;
  const auto written = offset_minutes(std::string_view(*text).substr(sign));
  const std::string zone_offset = format_local(*instant, zone, "%Ez");
  if (written && *written != 0 && written != offset_minutes(zone_offset)) {
    return ctx.fail_at(ImportErrc::field, where,
                       in_quotes(*text) + " has offset " + text->substr(sign) + ", but " + zone +
                           " is at UTC" + zone_offset + " then (that instant is " +
                           format_local(*instant, zone) + " local); write the local time with " +
                           zone_offset);
  }
  return *instant;
}

} // namespace import_support
} // namespace muster
