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

} // namespace muster
