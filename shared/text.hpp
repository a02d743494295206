#pragma once
// Text that people typed and other people will see: on a credit form, in a CSV file, on an
// administrator's terminal. One home for "may this be shown as it is?".
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace muster {

// Valid UTF-8 without control characters (C0, DEL, C1): what a name on a credit form may hold.
bool is_printable_utf8(std::string_view text);

// `text` for a terminal: every control character (C0, DEL, C1, so every escape sequence's
// introducer) and every byte of ill-formed UTF-8 becomes '?'.
std::string printable(std::string_view text);

// Trimming: which characters go depends on where the text came from, so every caller says it.
inline constexpr std::string_view kBlanks = " \t"; // what a person typing a field adds
// std::isspace in the C locale: also the line end a keyboard-wedge scanner sends.
inline constexpr std::string_view kWhitespace = " \t\n\v\f\r";
// `text` without any of `chars` at its start, its end, or both.
std::string_view trim_start(std::string_view text, std::string_view chars = kBlanks);
std::string_view trim_end(std::string_view text, std::string_view chars = kBlanks);
std::string_view trim(std::string_view text, std::string_view chars = kBlanks);

// `text` with A-Z lowered (what std::tolower does in the C locale, whatever the locale).
std::string lower_ascii(std::string_view text);

// Bytes as lower-case hex, and back. Reading is strict (exactly 2 digits per byte of `out`,
// lower case only) so a digest or signature has one spelling, as stores compare it as text.
std::string lower_hex(std::span<const std::uint8_t> bytes);
bool parse_lower_hex(std::string_view text, std::span<std::uint8_t> out);

// Walk-ins (a kiosk's staff registration, ScanKind::registration).
inline constexpr std::string_view kWalkInPrefix = "WALKIN-";
inline constexpr std::size_t kMaxWalkInField = 80; // bytes of a name field

// True for "WALKIN-<device_id>-<n>" with n a positive decimal number without leading zeros:
// the only id a device may give a walk-in, so no device can claim another's id or a roster id.
bool is_walk_in_id_of(std::string_view attendee_id, std::string_view device_id);

// A walk-in detail (name, municipality) as it may be stored: at most kMaxWalkInField bytes,
// printable UTF-8.
bool is_valid_walk_in_field(std::string_view value);

} // namespace muster
