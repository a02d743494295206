#pragma once
// What the importers (import_roster.cpp, import_event.cpp) share: the text checks every field goes
// through, reading a file, and the JSON field getters that name the path in their messages.
// Internal to the importers; the public interface is import.hpp.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "shared/badge.hpp" // is_valid_badge_id: the ids imports accept
#include "shared/domain.hpp"
#include "shared/import.hpp"
#include "shared/text.hpp" // trim, lower_ascii

namespace muster::import_support {

using json = nlohmann::json;

inline constexpr std::size_t kMaxTextBytes = 200;  // names, titles: generous, but fits a badge
inline constexpr std::size_t kMaxEmailBytes = 254; // RFC 5321 path limit
// The roles a roster or an event may name, as messages list them.
inline constexpr std::string_view kRoleList = "mayor, councilmember, clerk, staff, guest, manager";

std::string in_quotes(std::string_view text);
// The first control character (C0 or DEL) in `text`; a line break (LF or CR LF) is allowed
// only when `allow_line_breaks` (a quoted CSV cell may hold one, as spreadsheets write it).
std::optional<unsigned char> find_control(std::string_view text, bool allow_line_breaks);
std::string describe_control(unsigned char c);
// Plausibility, not RFC 5322: one '@', a local part, a dotted domain, no spaces.
bool looks_like_email(std::string_view text);
// A readable explanation of the first invalid UTF-8 byte, or nothing when the text is valid.
std::optional<Error<ImportError>> check_utf8(std::string_view text, std::string_view source);
ImportResult<std::string> read_import_file(const std::filesystem::path& path);

// ---- JSON fields ----

struct JsonContext {
  std::string_view source;

  Error<ImportError> fail_at(ImportErrc kind, const std::string& path,
                             const std::string& what) const {
    std::string message = std::string(source) + ": ";
    if (!path.empty()) message += path + ": ";
    return fail(ImportError{kind, 0, path}, message + what);
  }
};

std::string child(const std::string& path, std::string_view key);
// 241 -> "241", 0.25 -> "0.25": numbers in messages as a person would write them.
std::string format_number(double number);
std::string json_type(const json& value);
ImportResult<Ok> check_keys(const JsonContext& ctx, const json& object, const std::string& path,
                            std::span<const std::string_view> allowed);

enum class Need : std::uint8_t { required, optional };

// A missing optional key and an explicit null both mean "not given".
const json* find_value(const json& object, std::string_view key);
ImportResult<std::string> get_string(const JsonContext& ctx, const json& object,
                                     std::string_view key, const std::string& path, Need need);
ImportResult<std::string> get_id(const JsonContext& ctx, const json& object, std::string_view key,
                                 const std::string& path);
ImportResult<double> get_number(const JsonContext& ctx, const json& object, std::string_view key,
                                const std::string& path, std::optional<double> fallback,
                                bool whole);
ImportResult<bool> get_bool(const JsonContext& ctx, const json& object, std::string_view key,
                            const std::string& path, bool fallback);
// An ISO 8601 time with an offset, refused when the offset is not `zone`'s at that instant.
ImportResult<Instant> get_time(const JsonContext& ctx, const json& object, std::string_view key,
                               const std::string& path, const std::string& zone);

} // namespace muster::import_support
