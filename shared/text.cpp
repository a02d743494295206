#include "shared/text.hpp"

#include <algorithm>

namespace muster {
namespace {

// The length of the well-formed, non-control UTF-8 sequence at text[i], or 0.
std::size_t printable_length(std::string_view text, std::size_t i) {
  const auto byte = static_cast<unsigned char>(text[i]);
  if (byte < 0x20 || byte == 0x7F) return 0;
  if (byte < 0x80) return 1;
  std::size_t length = 0;
  char32_t code = 0;
  if ((byte & 0xE0) == 0xC0) {
    length = 2;
    code = byte & 0x1F;
  } else if ((byte & 0xF0) == 0xE0) {
    length = 3;
    code = byte & 0x0F;
  } else if ((byte & 0xF8) == 0xF0) {
    length = 4;
    code = byte & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(text[i + k]);
    if ((next & 0xC0) != 0x80) return 0;
    code = (code << 6) | (next & 0x3F);
  }
  constexpr char32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code < kMinimum[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
    return 0; // over-long form, beyond Unicode, or a surrogate
  }
  if (code >= 0x80 && code <= 0x9F) return 0; // C1 controls
  return length;
}

} // namespace

bool is_printable_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = printable_length(text, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = printable_length(text, i);
    if (length == 0) {
      out += '?';
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

bool is_walk_in_id_of(std::string_view attendee_id, std::string_view device_id) {
  if (device_id.empty() || !attendee_id.starts_with(kWalkInPrefix)) return false;
  attendee_id.remove_prefix(kWalkInPrefix.size());
  if (!attendee_id.starts_with(device_id)) return false;
  attendee_id.remove_prefix(device_id.size());
  if (!attendee_id.starts_with('-')) return false;
  attendee_id.remove_prefix(1);
  return !attendee_id.empty() && attendee_id.size() <= 19 && attendee_id.front() != '0' &&
         std::all_of(attendee_id.begin(), attendee_id.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

bool is_valid_walk_in_field(std::string_view value) {
  return value.size() <= kMaxWalkInField && is_printable_utf8(value);
}

std::string_view trim_start(std::string_view text, std::string_view chars) {
  // An empty result still points into `text` (substr, not {}): a null data() would reach SQLite
  // as NULL instead of '' when the result is bound as text.
  const auto first = text.find_first_not_of(chars);
  return text.substr(first == std::string_view::npos ? text.size() : first);
}

std::string_view trim_end(std::string_view text, std::string_view chars) {
  const auto last = text.find_last_not_of(chars);
  return text.substr(0, last == std::string_view::npos ? 0 : last + 1);
}

std::string_view trim(std::string_view text, std::string_view chars) {
  return trim_end(trim_start(text, chars), chars);
}

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string lower_hex(std::span<const std::uint8_t> bytes) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (const std::uint8_t byte : bytes) {
    hex.push_back(kDigits[byte >> 4U]);
    hex.push_back(kDigits[byte & 0x0FU]);
  }
  return hex;
}

bool parse_lower_hex(std::string_view text, std::span<std::uint8_t> out) {
  if (text.size() != out.size() * 2) return false;
  const auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int high = nibble(text[2 * i]);
    const int low = nibble(text[2 * i + 1]);
    if (high < 0 || low < 0) return false;
    out[i] = static_cast<std::uint8_t>((high << 4) | low);
  }
  return true;
}

} // namespace muster
