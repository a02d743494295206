#include "shared/import.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <span>

#include <nlohmann/json.hpp>

#include "shared/csv.hpp"
#include "shared/time.hpp"

namespace muster {
namespace {

using json = nlohmann::json;

// ---------------------------------------------------------------------------------------------
// Shared helpers

constexpr std::size_t kMaxTextBytes = 200;  // names, titles: generous, but fits a badge and a form
constexpr std::size_t kMaxEmailBytes = 254; // RFC 5321 path limit
constexpr std::size_t kMaxIdBytes = 64;

std::string in_quotes(std::string_view text) { return "'" + std::string(text) + "'"; }

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

std::string_view trim(std::string_view text) {
  const auto is_blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!text.empty() && is_blank(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back()))
    text.remove_suffix(1);
  return text;
}

// The first control character (C0 or DEL) in `text`; a line break (LF or CR LF) is allowed
// only when `allow_line_breaks` (a quoted CSV cell may hold one, as spreadsheets write it).
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

// Plausibility, not RFC 5322: one '@', a local part, a dotted domain, no spaces.
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

// A readable explanation of the first invalid UTF-8 byte, or nothing when the text is valid.
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

// ---------------------------------------------------------------------------------------------
// Roster CSV

enum Column : std::size_t {
  kId,
  kFirstName,
  kLastName,
  kRole,
  kMunicipality,
  kEmail,
  kMunicipalityId, // optional: the League's municipality id
  kColumnCount
};
constexpr std::size_t kRequiredColumns = kMunicipalityId; // the columns before it

constexpr std::array<std::string_view, kColumnCount> kColumnNames{
    "attendee_id", "first_name", "last_name", "role", "municipality", "email", "municipality_id"};

constexpr std::string_view kRoleList = "mayor, councilmember, clerk, staff, guest, manager";

std::string all_columns() {
  std::string text;
  for (std::size_t column = 0; column < kRequiredColumns; ++column) {
    if (!text.empty()) text += ',';
    text += kColumnNames[column];
  }
  return text + " (and optionally municipality_id)";
}

struct RosterContext {
  std::string_view source;

  Error<ImportError> fail_at(ImportErrc kind, std::size_t line, std::string_view column,
                             const std::string& what) const {
    std::string message = std::string(source) + " line " + std::to_string(line);
    if (!column.empty()) message += ", column " + std::string(column);
    return fail(ImportError{kind, line, std::string(column)}, message + ": " + what);
  }
};

// Maps each of the six columns to its position in the file; refuses missing, unknown or
// repeated columns so that a typo never silently drops a column.
ImportResult<std::array<std::size_t, kColumnCount>> map_header(const RosterContext& ctx,
                                                               const CsvRecord& header) {
  constexpr std::size_t kUnset = static_cast<std::size_t>(-1);
  std::array<std::size_t, kColumnCount> position{};
  position.fill(kUnset);
  std::string unknown;
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    const std::string_view written = trim(header.fields[i]);
    const std::string name = lower_ascii(written);
    const auto known = std::find(kColumnNames.begin(), kColumnNames.end(), name);
    if (known == kColumnNames.end()) {
      unknown += (unknown.empty() ? "" : ", ") +
                 (name.empty() ? "an unnamed column " + std::to_string(i + 1) : in_quotes(written));
      continue;
    }
    const auto column = static_cast<std::size_t>(known - kColumnNames.begin());
    if (position[column] != kUnset) {
      return ctx.fail_at(ImportErrc::header, header.line, name,
                         "the column appears twice (columns " +
                             std::to_string(position[column] + 1) + " and " +
                             std::to_string(i + 1) + ")");
    }
    position[column] = i;
  }
  std::string missing;
  for (std::size_t column = 0; column < kRequiredColumns; ++column) {
    if (position[column] == kUnset) {
      missing += (missing.empty() ? "" : ", ") + std::string(kColumnNames[column]);
    }
  }
  if (!missing.empty() || !unknown.empty()) {
    std::string what;
    if (!missing.empty()) what += "missing column(s) " + missing;
    if (!unknown.empty()) what += (what.empty() ? "" : "; ") + ("unknown column(s) " + unknown);
    return ctx.fail_at(
        ImportErrc::header, header.line, {},
        what + ". The header must name exactly these columns, in any order: " + all_columns());
  }
  return position;
}

ImportResult<Attendee> parse_attendee(const RosterContext& ctx, const CsvRecord& record,
                                      std::span<const std::size_t, kColumnCount> position) {
  const std::size_t line = record.line;
  std::array<std::string_view, kColumnCount> value{};
  for (std::size_t column = 0; column < kColumnCount; ++column) {
    if (position[column] >= record.fields.size()) continue; // an optional column not given
    value[column] = trim(record.fields[position[column]]);
    if (const auto control = find_control(value[column], true)) {
      return ctx.fail_at(ImportErrc::field, line, kColumnNames[column],
                         "contains " + describe_control(*control));
    }
  }
  const auto require_text = [&](Column column) -> std::optional<Error<ImportError>> {
    if (value[column].empty()) {
      return ctx.fail_at(ImportErrc::field, line, kColumnNames[column], "is empty but required");
    }
    if (value[column].size() > kMaxTextBytes) {
      return ctx.fail_at(ImportErrc::field, line, kColumnNames[column],
                         "is longer than " + std::to_string(kMaxTextBytes) + " bytes");
    }
    return std::nullopt;
  };

  Attendee attendee;
  if (value[kId].empty()) {
    return ctx.fail_at(ImportErrc::field, line, kColumnNames[kId], "is empty but required");
  }
  if (!is_safe_id(value[kId])) {
    return ctx.fail_at(ImportErrc::field, line, kColumnNames[kId],
                       in_quotes(value[kId]) +
                           " may only use letters A-Z, a-z, digits, '-' and '_' "
                           "(1 to 64 of them), because it goes into the badge");
  }
  attendee.id = std::string(value[kId]);
  for (const Column column : {kFirstName, kLastName}) {
    if (auto error = require_text(column)) return *error;
  }
  attendee.first_name = std::string(value[kFirstName]);
  attendee.last_name = std::string(value[kLastName]);

  if (value[kRole].empty()) {
    return ctx.fail_at(ImportErrc::field, line, kColumnNames[kRole],
                       "is empty but required (one of " + std::string(kRoleList) + ")");
  }
  const auto role = parse_role(lower_ascii(value[kRole]));
  if (!role) {
    return ctx.fail_at(ImportErrc::field, line, kColumnNames[kRole],
                       in_quotes(value[kRole]) + " is not one of " + std::string(kRoleList));
  }
  attendee.role = *role;

  if (!value[kMunicipalityId].empty() && !is_safe_id(value[kMunicipalityId])) {
    return ctx.fail_at(ImportErrc::field, line, kColumnNames[kMunicipalityId],
                       in_quotes(value[kMunicipalityId]) +
                           " may only use letters A-Z, a-z, digits, '-' and '_' (1 to 64)");
  }
  attendee.municipality_id = std::string(value[kMunicipalityId]);
  if (is_elected(*role) && value[kMunicipality].empty() && value[kMunicipalityId].empty()) {
    return ctx.fail_at(ImportErrc::field, line, kColumnNames[kMunicipality],
                       "is required for a " + std::string(to_string(*role)) +
                           " (credit is reported per municipality; or give municipality_id)");
  }
  if (value[kMunicipality].size() > kMaxTextBytes) {
    return ctx.fail_at(ImportErrc::field, line, kColumnNames[kMunicipality],
                       "is longer than " + std::to_string(kMaxTextBytes) + " bytes");
  }
  attendee.municipality = std::string(value[kMunicipality]);

  if (!value[kEmail].empty() && !looks_like_email(value[kEmail])) {
    return ctx.fail_at(ImportErrc::field, line, kColumnNames[kEmail],
                       in_quotes(value[kEmail]) +
                           " does not look like an e-mail address (name@example.org); leave it "
                           "empty if unknown");
  }
  attendee.email = std::string(value[kEmail]);
  return attendee;
}

bool is_blank_row(const CsvRecord& record) {
  return std::all_of(record.fields.begin(), record.fields.end(),
                     [](const std::string& field) { return trim(field).empty(); });
}

// ---------------------------------------------------------------------------------------------
// Event JSON

struct JsonContext {
  std::string_view source;

  Error<ImportError> fail_at(ImportErrc kind, const std::string& path,
                             const std::string& what) const {
    std::string message = std::string(source) + ": ";
    if (!path.empty()) message += path + ": ";
    return fail(ImportError{kind, 0, path}, message + what);
  }
};

std::string child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// 241 -> "241", 0.25 -> "0.25": numbers in messages as a person would write them.
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

enum class Need : std::uint8_t { required, optional };

// A missing optional key and an explicit null both mean "not given".
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
  if (!is_safe_id(*id)) {
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

ImportResult<CreditPolicy> parse_policy(const JsonContext& ctx, const json& root) {
  CreditPolicy policy;
  const json* object = find_value(root, "credit_policy");
  if (object == nullptr) return policy; // every value has a default
  const std::string path = "credit_policy";
  if (!object->is_object()) {
    return ctx.fail_at(ImportErrc::field, path, "must be an object, not " + json_type(*object));
  }
  static constexpr std::array<std::string_view, 5> kKeys{
      "arrival_grace_min", "leave_grace_min", "increment_hours", "debounce_s", "lead_time_min"};
  if (auto keys = check_keys(ctx, *object, path, kKeys); !keys) return keys.error();

  const auto in_range = [&](std::string_view key, double fallback, double low, double high,
                            bool whole, bool low_open) -> ImportResult<double> {
    auto number = get_number(ctx, *object, key, path, fallback, whole);
    if (!number) return number;
    if (*number > high || *number < low || (low_open && *number == low)) {
      return ctx.fail_at(
          ImportErrc::field, child(path, key),
          format_number(*number) +
              (low_open ? " is out of range (must be more than " : " is out of range (") +
              format_number(low) + (low_open ? " and at most " : " to ") + format_number(high) +
              ")");
    }
    return number;
  };
  const auto arrival = in_range(
      "arrival_grace_min", static_cast<double>(policy.arrival_grace.count()), 0, 240, true, false);
  if (!arrival) return arrival.error();
  const auto leave = in_range("leave_grace_min", static_cast<double>(policy.leave_grace.count()), 0,
                              240, true, false);
  if (!leave) return leave.error();
  const auto increment = in_range("increment_hours", policy.increment_hours, 0, 8, false, true);
  if (!increment) return increment.error();
  const auto debounce =
      in_range("debounce_s", static_cast<double>(policy.debounce.count()), 0, 3600, true, false);
  if (!debounce) return debounce.error();
  const auto lead =
      in_range("lead_time_min", static_cast<double>(policy.lead_time.count()), 0, 240, true, false);
  if (!lead) return lead.error();

  policy.lead_time = std::chrono::minutes(static_cast<std::int64_t>(*lead));
  policy.arrival_grace = std::chrono::minutes(static_cast<std::int64_t>(*arrival));
  policy.leave_grace = std::chrono::minutes(static_cast<std::int64_t>(*leave));
  policy.increment_hours = *increment;
  policy.debounce = std::chrono::seconds(static_cast<std::int64_t>(*debounce));
  return policy;
}

ImportResult<Session> parse_session(const JsonContext& ctx, const json& object,
                                    const std::string& path, const std::string& zone) {
  if (!object.is_object()) {
    return ctx.fail_at(ImportErrc::field, path, "must be an object, not " + json_type(object));
  }
  static constexpr std::array<std::string_view, 9> kKeys{
      "id", "title", "room", "start", "end", "credit_hours", "course_code", "core", "topic"};
  if (auto keys = check_keys(ctx, object, path, kKeys); !keys) return keys.error();

  Session session;
  auto id = get_id(ctx, object, "id", path);
  if (!id) return id.error();
  session.id = std::move(*id);
  auto title = get_string(ctx, object, "title", path, Need::required);
  if (!title) return title.error();
  session.title = std::move(*title);
  auto room = get_string(ctx, object, "room", path, Need::optional);
  if (!room) return room.error();
  session.room = std::move(*room);

  const auto start = get_time(ctx, object, "start", path, zone);
  if (!start) return start.error();
  const auto end = get_time(ctx, object, "end", path, zone);
  if (!end) return end.error();
  if (*end <= *start) {
    return ctx.fail_at(ImportErrc::field, child(path, "end"),
                       "the session ends (" + format_local(*end, zone) +
                           ") no later than it starts (" + format_local(*start, zone) + ")");
  }
  if (*end - *start > std::chrono::hours(24)) {
    return ctx.fail_at(ImportErrc::field, child(path, "end"),
                       "the session lasts more than 24 hours; split it into one session a day");
  }
  session.start = *start;
  session.end = *end;

  const auto hours = get_number(ctx, object, "credit_hours", path, std::nullopt, false);
  if (!hours) return hours.error();
  if (*hours < 0 || *hours > 24) {
    return ctx.fail_at(ImportErrc::field, child(path, "credit_hours"),
                       format_number(*hours) + " is out of range (0 to 24)");
  }
  session.credit_hours = *hours;

  const auto core = get_bool(ctx, object, "core", path, false);
  if (!core) return core.error();
  session.core = *core;
  // Core courses earn credit once per official, recognised by their course code.
  if (session.core && find_value(object, "course_code") == nullptr) {
    return ctx.fail_at(ImportErrc::field, child(path, "course_code"),
                       "missing; a core session needs its course code (core courses earn credit "
                       "once)");
  }
  auto code =
      get_string(ctx, object, "course_code", path, session.core ? Need::required : Need::optional);
  if (!code) return code.error();
  session.course_code = std::move(*code);
  auto topic = get_string(ctx, object, "topic", path, Need::optional);
  if (!topic) return topic.error();
  session.topic = std::move(*topic);
  return session;
}

// Survey text is counted in characters (UTF-8 code points), not bytes: a question in French
// should fit as well as one in English.
std::size_t utf8_length(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
  }));
}

// A survey string: a non-empty single line of at most `max_chars` characters.
ImportResult<std::string> get_survey_text(const JsonContext& ctx, const json& value,
                                          const std::string& where, std::size_t max_chars) {
  if (!value.is_string()) {
    return ctx.fail_at(ImportErrc::field, where, "must be a string, not " + json_type(value));
  }
  const auto& text = value.get_ref<const std::string&>();
  if (trim(text).empty()) return ctx.fail_at(ImportErrc::field, where, "must not be empty");
  if (const auto control = find_control(text, false)) {
    return ctx.fail_at(ImportErrc::field, where, "contains " + describe_control(*control));
  }
  if (utf8_length(text) > max_chars) {
    return ctx.fail_at(ImportErrc::field, where,
                       "is longer than " + std::to_string(max_chars) + " characters");
  }
  return text;
}

ImportResult<SurveyQuestion> parse_question(const JsonContext& ctx, const json& object,
                                            const std::string& path) {
  if (!object.is_object()) {
    return ctx.fail_at(ImportErrc::field, path, "must be an object, not " + json_type(object));
  }
  static constexpr std::array<std::string_view, 3> kKeys{"id", "text", "choices"};
  if (auto keys = check_keys(ctx, object, path, kKeys); !keys) return keys.error();
  SurveyQuestion question;
  auto id = get_id(ctx, object, "id", path);
  if (!id) return id.error();
  question.id = std::move(*id);
  const json* text = find_value(object, "text");
  if (text == nullptr) {
    return ctx.fail_at(ImportErrc::field, child(path, "text"), "missing (required)");
  }
  auto checked = get_survey_text(ctx, *text, child(path, "text"), kMaxSurveyTextChars);
  if (!checked) return checked.error();
  question.text = std::move(*checked);

  const std::string where = child(path, "choices");
  const json* choices = find_value(object, "choices");
  if (choices == nullptr) return ctx.fail_at(ImportErrc::field, where, "missing (required)");
  if (!choices->is_array()) {
    return ctx.fail_at(ImportErrc::field, where,
                       "must be an array [...] of strings, not " + json_type(*choices));
  }
  if (choices->size() < kMinSurveyChoices || choices->size() > kMaxSurveyChoices) {
    return ctx.fail_at(ImportErrc::field, where,
                       "has " + std::to_string(choices->size()) + " choices; a question needs " +
                           std::to_string(kMinSurveyChoices) + " to " +
                           std::to_string(kMaxSurveyChoices));
  }
  for (std::size_t i = 0; i < choices->size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    auto choice = get_survey_text(ctx, (*choices)[i], at, kMaxSurveyChoiceChars);
    if (!choice) return choice.error();
    const auto same = std::find(question.choices.begin(), question.choices.end(), *choice);
    if (same != question.choices.end()) {
      return ctx.fail_at(ImportErrc::duplicate, at,
                         in_quotes(*choice) + " is already choice " +
                             std::to_string(same - question.choices.begin()) +
                             " of this question");
    }
    question.choices.push_back(std::move(*choice));
  }
  return question;
}

// "survey" is optional: absent, null or [] all mean no survey after a leave.
ImportResult<std::vector<SurveyQuestion>> parse_survey(const JsonContext& ctx, const json& root,
                                                       const std::string& path) {
  std::vector<SurveyQuestion> survey;
  const json* list = find_value(root, path);
  if (list == nullptr) return survey;
  if (!list->is_array()) {
    return ctx.fail_at(ImportErrc::field, path,
                       "must be an array [...] of questions, not " + json_type(*list));
  }
  if (list->size() > kMaxSurveyQuestions) {
    return ctx.fail_at(ImportErrc::field, path,
                       "has " + std::to_string(list->size()) + " questions; at most " +
                           std::to_string(kMaxSurveyQuestions) +
                           " (officials answer them at the door)");
  }
  std::map<std::string, std::size_t> index_of_id; // lower-case id -> first index
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string at = path + "[" + std::to_string(i) + "]";
    auto question = parse_question(ctx, (*list)[i], at);
    if (!question) return question.error();
    const auto [it, inserted] = index_of_id.emplace(lower_ascii(question->id), i);
    if (!inserted) {
      return ctx.fail_at(ImportErrc::duplicate, at + ".id",
                         in_quotes(question->id) + " is already the id of " + path + "[" +
                             std::to_string(it->second) + "] (ids are compared ignoring case)");
    }
    survey.push_back(std::move(*question));
  }
  return survey;
}

// "programs": the ids of the credit programs the event grants credit under; absent means the
// League's ALM program (every event before events named programs).
ImportResult<std::vector<std::string>> parse_programs(const JsonContext& ctx, const json& root) {
  const json* list = find_value(root, "programs");
  if (list == nullptr) return Event::default_event_programs();
  if (!list->is_array() || list->empty()) {
    return ctx.fail_at(ImportErrc::field, "programs",
                       "must be a non-empty array of program ids, e.g. [\"alm-cmo\"]");
  }
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string path = "programs[" + std::to_string(i) + "]";
    const json& item = (*list)[i];
    if (!item.is_string() || !is_safe_id(item.get_ref<const std::string&>())) {
      return ctx.fail_at(ImportErrc::field, path,
                         "must be a program id (letters, digits, '-' and '_'), e.g. \"amcto-pdu\"");
    }
    const auto& id = item.get_ref<const std::string&>();
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) {
      return ctx.fail_at(ImportErrc::duplicate, path, in_quotes(id) + " is listed twice");
    }
    ids.push_back(id);
  }
  return ids;
}

// "eligible_roles": written by the server into the event package from the programs' files, so
// a kiosk knows who earns credit; absent means the ALM program's mayors and councilmembers.
ImportResult<std::vector<Role>> parse_eligible_roles(const JsonContext& ctx, const json& root) {
  const json* list = find_value(root, "eligible_roles");
  if (list == nullptr) return Event::default_eligible_roles();
  if (!list->is_array()) {
    return ctx.fail_at(ImportErrc::field, "eligible_roles", "must be an array of role names");
  }
  std::vector<Role> roles;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json& item = (*list)[i];
    const auto role =
        item.is_string() ? parse_role(item.get_ref<const std::string&>()) : std::nullopt;
    if (!role) {
      return ctx.fail_at(ImportErrc::field, "eligible_roles[" + std::to_string(i) + "]",
                         "must be one of " + std::string(kRoleList));
    }
    if (std::find(roles.begin(), roles.end(), *role) == roles.end()) roles.push_back(*role);
  }
  return roles;
}

ImportResult<Event> parse_event(const JsonContext& ctx, const json& root) {
  if (!root.is_object()) {
    return ctx.fail_at(ImportErrc::field, {},
                       "the top level must be a JSON object {...}, not " + json_type(root));
  }
  static constexpr std::array<std::string_view, 9> kKeys{
      "id",       "name",   "timezone", "location",      "credit_policy",
      "sessions", "survey", "programs", "eligible_roles"};
  if (auto keys = check_keys(ctx, root, {}, kKeys); !keys) return keys.error();

  Event event;
  auto id = get_id(ctx, root, "id", {});
  if (!id) return id.error();
  event.id = std::move(*id);
  auto name = get_string(ctx, root, "name", {}, Need::required);
  if (!name) return name.error();
  event.name = std::move(*name);
  auto zone = get_string(ctx, root, "timezone", {}, Need::required);
  if (!zone) return zone.error();
  if (!is_known_time_zone(*zone)) {
    return ctx.fail_at(ImportErrc::field, "timezone",
                       in_quotes(*zone) +
                           " is not a time zone this machine knows; use an IANA name "
                           "such as America/Chicago");
  }
  event.timezone = std::move(*zone);
  auto location = get_string(ctx, root, "location", {}, Need::optional);
  if (!location) return location.error();
  event.location = std::move(*location);
  auto policy = parse_policy(ctx, root);
  if (!policy) return policy.error();
  event.credit_policy = *policy;

  const json* sessions = find_value(root, "sessions");
  if (sessions == nullptr) return ctx.fail_at(ImportErrc::field, "sessions", "missing (required)");
  if (!sessions->is_array()) {
    return ctx.fail_at(ImportErrc::field, "sessions",
                       "must be an array [...], not " + json_type(*sessions));
  }
  if (sessions->empty()) {
    return ctx.fail_at(ImportErrc::empty, "sessions", "the event has no sessions");
  }
  std::map<std::string, std::size_t> index_of_id; // lower-case id -> first index
  for (std::size_t i = 0; i < sessions->size(); ++i) {
    const std::string path = "sessions[" + std::to_string(i) + "]";
    auto session = parse_session(ctx, (*sessions)[i], path, event.timezone);
    if (!session) return session.error();
    const auto [it, inserted] = index_of_id.emplace(lower_ascii(session->id), i);
    if (!inserted) {
      return ctx.fail_at(ImportErrc::duplicate, path + ".id",
                         in_quotes(session->id) + " is already the id of sessions[" +
                             std::to_string(it->second) + "] (ids are compared ignoring case)");
    }
    event.sessions.push_back(std::move(*session));
  }
  auto survey = parse_survey(ctx, root, "survey");
  if (!survey) return survey.error();
  event.survey = std::move(*survey);
  auto programs = parse_programs(ctx, root);
  if (!programs) return programs.error();
  event.programs = std::move(*programs);
  auto roles = parse_eligible_roles(ctx, root);
  if (!roles) return roles.error();
  event.eligible_roles = std::move(*roles);
  return event;
}

// nlohmann keeps the last of two equal keys silently; a repeated "credit_hours" is a mistake
// worth refusing, so the parse callback remembers the first repeated key.
json parse_json_refusing_duplicate_keys(std::string_view bytes,
                                        std::optional<std::string>& repeated) {
  std::vector<std::set<std::string>> open_objects;
  const json::parser_callback_t callback = [&](int /*depth*/, json::parse_event_t event,
                                               json& parsed) {
    if (event == json::parse_event_t::object_start) {
      open_objects.emplace_back();
    } else if (event == json::parse_event_t::object_end && !open_objects.empty()) {
      open_objects.pop_back();
    } else if (event == json::parse_event_t::key && !open_objects.empty()) {
      const auto& key = parsed.get_ref<const std::string&>();
      if (!open_objects.back().insert(key).second && !repeated) repeated = key;
    }
    return true;
  };
  return json::parse(bytes, callback);
}

// nlohmann's what() starts "[json.exception.parse_error.101] "; people need only the rest.
std::string without_exception_id(std::string what) {
  if (const auto bracket = what.find("] "); bracket != std::string::npos)
    what.erase(0, bracket + 2);
  return what;
}

} // namespace

bool is_safe_id(std::string_view id) {
  return !id.empty() && id.size() <= kMaxIdBytes && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

ImportResult<std::vector<Attendee>> parse_roster_csv(std::string_view bytes,
                                                     std::string_view source_name) {
  const RosterContext ctx{source_name};
  if (auto error = check_utf8(bytes, source_name)) return *error;
  const std::string_view text = strip_utf8_bom(bytes);

  auto records = parse_csv(text);
  if (!records) {
    // The CSV reader's message already starts with "line N: ".
    return fail(ImportError{ImportErrc::syntax, records.code().line, {}},
                std::string(source_name) + " " + records.message());
  }
  if (records->empty()) {
    return fail(ImportError{ImportErrc::empty, 1, {}},
                std::string(source_name) + " is empty; the first line must be the header " +
                    all_columns());
  }
  const auto position = map_header(ctx, records->front());
  if (!position) return position.error();

  std::vector<Attendee> attendees;
  std::map<std::string, std::size_t> line_of_id; // lower-case id -> line of its first row
  const auto header_columns = records->front().fields.size();
  for (std::size_t r = 1; r < records->size(); ++r) {
    const CsvRecord& record = (*records)[r];
    if (is_blank_row(record)) continue; // spreadsheets export empty rows as ",,,,,"
    if (record.fields.size() != header_columns) {
      return ctx.fail_at(ImportErrc::field, record.line, {},
                         "the row has " + std::to_string(record.fields.size()) +
                             " values but the header has " + std::to_string(header_columns) +
                             " columns (a value containing a comma must be in double quotes)");
    }
    auto attendee = parse_attendee(ctx, record, *position);
    if (!attendee) return attendee.error();
    // Ids differing only in case would look the same to a person: refuse them as duplicates.
    const auto [it, inserted] = line_of_id.emplace(lower_ascii(attendee->id), record.line);
    if (!inserted) {
      return ctx.fail_at(ImportErrc::duplicate, record.line, kColumnNames[kId],
                         in_quotes(attendee->id) + " is already used on line " +
                             std::to_string(it->second) + " (ids are compared ignoring case)");
    }
    attendees.push_back(std::move(*attendee));
  }
  if (attendees.empty()) {
    return fail(ImportError{ImportErrc::empty, records->front().line, {}},
                std::string(source_name) + " has a header but no attendee rows");
  }
  return attendees;
}

ImportResult<std::vector<Attendee>> read_roster_csv(const std::filesystem::path& path) {
  auto bytes = read_import_file(path);
  if (!bytes) return bytes.error();
  return parse_roster_csv(*bytes, path.filename().string());
}

ImportResult<std::vector<Municipality>> parse_municipalities_csv(std::string_view bytes,
                                                                 std::string_view source_name) {
  const RosterContext ctx{source_name};
  if (auto error = check_utf8(bytes, source_name)) return *error;
  auto records = parse_csv(strip_utf8_bom(bytes));
  if (!records) {
    return fail(ImportError{ImportErrc::syntax, records.code().line, {}},
                std::string(source_name) + " " + records.message());
  }
  constexpr std::array<std::string_view, 3> kNames{"id", "name", "council_seats"};
  if (records->empty()) {
    return fail(ImportError{ImportErrc::empty, 1, {}},
                std::string(source_name) + " is empty; the first line must be the header " +
                    "id,name,council_seats");
  }
  const CsvRecord& header = records->front();
  std::array<std::size_t, 3> position{};
  for (std::size_t column = 0; column < kNames.size(); ++column) {
    std::size_t found = 0;
    std::size_t count = 0;
    for (std::size_t i = 0; i < header.fields.size(); ++i) {
      if (lower_ascii(trim(header.fields[i])) == kNames[column]) {
        found = i;
        ++count;
      }
    }
    if (count != 1 || header.fields.size() != kNames.size()) {
      return ctx.fail_at(ImportErrc::header, header.line, {},
                         "the header must name exactly these columns, in any order: "
                         "id,name,council_seats");
    }
    position[column] = found;
  }
  std::vector<Municipality> list;
  std::map<std::string, std::size_t> line_of_id;
  for (std::size_t r = 1; r < records->size(); ++r) {
    const CsvRecord& record = (*records)[r];
    if (is_blank_row(record)) continue;
    if (record.fields.size() != kNames.size()) {
      return ctx.fail_at(ImportErrc::field, record.line, {},
                         "the row has " + std::to_string(record.fields.size()) +
                             " values but the header has 3 columns");
    }
    const std::string_view id = trim(record.fields[position[0]]);
    const std::string_view name = trim(record.fields[position[1]]);
    const std::string_view seats = trim(record.fields[position[2]]);
    if (!is_safe_id(id)) {
      return ctx.fail_at(ImportErrc::field, record.line, "id",
                         in_quotes(id) + " must be 1 to 64 of A-Z, a-z, 0-9, '-' and '_'");
    }
    if (name.empty() || name.size() > kMaxTextBytes || find_control(name, false)) {
      return ctx.fail_at(ImportErrc::field, record.line, "name",
                         "must be the municipality's name (one line, not empty)");
    }
    int count = -1;
    const auto [end, ec] = std::from_chars(seats.data(), seats.data() + seats.size(), count);
    if (ec != std::errc{} || end != seats.data() + seats.size() || count < 0 || count > 1000) {
      return ctx.fail_at(ImportErrc::field, record.line, "council_seats",
                         in_quotes(seats) + " must be a whole number of seats besides the "
                                            "mayor, 0 to 1000");
    }
    const auto [it, inserted] = line_of_id.emplace(lower_ascii(id), record.line);
    if (!inserted) {
      return ctx.fail_at(ImportErrc::duplicate, record.line, "id",
                         in_quotes(id) + " is already used on line " + std::to_string(it->second));
    }
    list.push_back({std::string(id), std::string(name), count});
  }
  if (list.empty()) {
    return fail(ImportError{ImportErrc::empty, header.line, {}},
                std::string(source_name) + " has a header but no municipalities");
  }
  return list;
}

ImportResult<std::vector<Municipality>> read_municipalities_csv(const std::filesystem::path& path) {
  auto bytes = read_import_file(path);
  if (!bytes) return bytes.error();
  return parse_municipalities_csv(*bytes, path.filename().string());
}

ImportResult<Event> parse_event_json(std::string_view bytes, std::string_view source_name) {
  const JsonContext ctx{source_name};
  if (auto error = check_utf8(bytes, source_name)) return *error;
  std::optional<std::string> repeated;
  json root;
  try {
    root = parse_json_refusing_duplicate_keys(bytes, repeated);
  } catch (const json::parse_error& error) {
    const std::string what = without_exception_id(error.what());
    const std::size_t line = line_of_offset(bytes, error.byte == 0 ? 0 : error.byte - 1);
    return fail(ImportError{ImportErrc::syntax, line, {}}, std::string(source_name) + " line " +
                                                               std::to_string(line) +
                                                               ": not valid JSON (" + what + ")");
  } catch (const json::exception& error) { // e.g. a number too large to store
    return fail(ImportError{ImportErrc::syntax, 0, {}},
                std::string(source_name) + ": not valid JSON (" +
                    without_exception_id(error.what()) + ")");
  }
  if (repeated) {
    return fail(ImportError{ImportErrc::syntax, 0, *repeated},
                std::string(source_name) + ": the key " + in_quotes(*repeated) +
                    " appears twice in one object; each key may appear only once");
  }
  return parse_event(ctx, root);
}

std::string survey_to_json(const std::vector<SurveyQuestion>& survey) {
  json list = json::array();
  for (const SurveyQuestion& question : survey) {
    list.push_back({{"id", question.id}, {"text", question.text}, {"choices", question.choices}});
  }
  return list.dump();
}

ImportResult<std::vector<SurveyQuestion>> parse_survey_json(std::string_view bytes,
                                                            std::string_view source_name) {
  const JsonContext ctx{source_name};
  if (auto error = check_utf8(bytes, source_name)) return *error;
  json root;
  try {
    root = {{"survey", json::parse(bytes.empty() ? std::string_view("[]") : bytes)}};
  } catch (const json::exception& error) {
    return fail(ImportError{ImportErrc::syntax, 0, {}},
                std::string(source_name) + ": not valid JSON (" +
                    without_exception_id(error.what()) + ")");
  }
  return parse_survey(ctx, root, "survey");
}

ImportResult<Event> read_event_json(const std::filesystem::path& path) {
  auto bytes = read_import_file(path);
  if (!bytes) return bytes.error();
  return parse_event_json(*bytes, path.filename().string());
}

} // namespace muster
