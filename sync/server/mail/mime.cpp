// RFC 5322 / MIME message building for the outbox (mime.hpp).
#include "sync/server/mail/mime.hpp"

#include <sodium.h>

#include <array>
#include <chrono>
#include <cstdio>

#include "shared/sodium_init.hpp"

namespace muster::server::mail {

namespace {

constexpr std::size_t kLineLength = 76;

bool is_ascii_printable(std::string_view text) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e) return false;
  }
  return true;
}

// Header values never carry CR, LF or other controls: a roster field cannot add a header.
std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
  return out;
}

std::string base64(std::string_view bytes) {
  if (bytes.empty()) return {};
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1); // the terminating NUL
  return out;
}

// Length of the UTF-8 sequence starting with this byte (1 for a stray continuation byte).
std::size_t utf8_length(unsigned char lead) {
  if (lead >= 0xf0) return 4;
  if (lead >= 0xe0) return 3;
  if (lead >= 0xc0) return 2;
  return 1;
}

} // namespace

bool valid_address(std::string_view address) {
  if (address.empty() || address.size() > 254) return false;
  const auto at = address.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= address.size()) return false;
  if (address.find('@', at + 1) != std::string_view::npos) return false;
  for (const char c : address) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
    if (c == '<' || c == '>' || c == '"' || c == ',' || c == ';' || c == '(' || c == ')' ||
        c == '\\' || c == '[' || c == ']' || c == ':') {
      return false;
    }
  }
  const auto domain = address.substr(at + 1);
  return domain.front() != '.' && domain.back() != '.' &&
         domain.find("..") == std::string_view::npos;
}

std::string address_domain(std::string_view address) {
  const auto at = address.rfind('@');
  std::string domain = at == std::string_view::npos ? "" : std::string(address.substr(at + 1));
  for (auto& c : domain) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return valid_address("x@" + domain) ? domain : "localhost";
}

std::string stable_message_id(std::string_view key, std::string_view kind,
                              std::string_view domain) {
  ensure_sodium();
  std::array<unsigned char, 16> digest{};
  crypto_generichash(digest.data(), digest.size(),
                     reinterpret_cast<const unsigned char*>(key.data()), key.size(), nullptr, 0);
  std::string hex(digest.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  hex.resize(digest.size() * 2);
  std::string safe_kind;
  for (const char c : kind) {
    safe_kind.push_back((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : '-');
  }
  return "<" + hex + "." + safe_kind + "@" + std::string(domain) + ">";
}

std::string encode_header_words(std::string_view raw) {
  const std::string text = one_line(raw);
  if (is_ascii_printable(text)) return text;
  // Encoded words of at most 75 characters: 45 bytes of UTF-8 give 60 base64 characters plus
  // the 12 of "=?UTF-8?B?" and "?=". A word never splits a character (RFC 2047 section 5).
  constexpr std::size_t kChunk = 45;
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = pos;
    while (end < text.size()) {
      const std::size_t next = end + utf8_length(static_cast<unsigned char>(text[end]));
      if (next - pos > kChunk) break;
      end = std::min(next, text.size());
    }
    if (end == pos) end = std::min(text.size(), pos + 1);
    if (!out.empty()) out += "\r\n "; // folded: each word on its own line
    out += "=?UTF-8?B?" + base64(std::string_view(text).substr(pos, end - pos)) + "?=";
    pos = end;
  }
  return out;
}

std::string mailbox_header(std::string_view name, std::string_view address) {
  const std::string clean = one_line(name);
  if (clean.empty()) return "<" + std::string(address) + ">";
  std::string display;
  if (is_ascii_printable(clean)) {
    display = "\"";
    for (const char c : clean) {
      if (c == '"' || c == '\\') display.push_back('\\');
      display.push_back(c);
    }
    display += "\"";
  } else {
    display = encode_header_words(clean);
  }
  return display + " <" + std::string(address) + ">";
}

std::string quoted_printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  std::string line;
  const auto flush_line = [&](bool hard) {
    // Trailing white space is encoded: transports may strip it.
    if (!line.empty() && (line.back() == ' ' || line.back() == '\t')) {
      const auto c = static_cast<unsigned char>(line.back());
      line.pop_back();
      line += '=';
      line += kHex[c >> 4];
      line += kHex[c & 15];
    }
    out += line;
    out += hard ? "\r\n" : "=\r\n";
    line.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      flush_line(true);
      continue;
    }
    if (c == '\r') continue;
    std::string piece;
    if ((c >= 33 && c <= 126 && c != '=') || c == ' ' || c == '\t') {
      piece.push_back(static_cast<char>(c));
    } else {
      piece = {'=', kHex[c >> 4], kHex[c & 15]};
    }
    // A line starting with '.' is left to curl's dot-stuffing; "From " is harmless in MIME.
    if (line.size() + piece.size() > kLineLength - 1) flush_line(false);
    line += piece;
  }
  if (!line.empty()) flush_line(true);
  return out;
}

std::string base64_lines(std::string_view bytes) {
  const std::string encoded = base64(bytes);
  std::string out;
  out.reserve(encoded.size() + encoded.size() / kLineLength * 2 + 2);
  for (std::size_t pos = 0; pos < encoded.size(); pos += kLineLength) {
    out += encoded.substr(pos, kLineLength);
    out += "\r\n";
  }
  return out;
}

std::string rfc5322_date(Instant when) {
  static constexpr std::array<const char*, 7> kDays{"Sun", "Mon", "Tue", "Wed",
                                                    "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto seconds = std::chrono::floor<std::chrono::seconds>(when);
  const auto days = std::chrono::floor<std::chrono::days>(seconds);
  const std::chrono::year_month_day ymd{days};
  const std::chrono::hh_mm_ss time{seconds - days};
  const std::chrono::weekday weekday{days};
  std::array<char, 64> buffer{};
  std::snprintf(buffer.data(), buffer.size(), "%s, %02u %s %04d %02d:%02d:%02d +0000",
                kDays.at(weekday.c_encoding()), static_cast<unsigned>(ymd.day()),
                kMonths.at(static_cast<unsigned>(ymd.month()) - 1), static_cast<int>(ymd.year()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()));
  return buffer.data();
}

std::string form_digest_of(std::string_view message) {
  const std::string name = "\r\n" + std::string(kFormDigestHeader) + ": ";
  const auto headers_end = message.find("\r\n\r\n");
  const auto at = message.find(name);
  if (at == std::string_view::npos || at >= headers_end) return {};
  const auto start = at + name.size();
  const auto end = message.find("\r\n", start);
  return std::string(message.substr(start, end - start));
}

std::string build_message(const MessageParts& parts) {
  std::string out;
  out += "From: " + mailbox_header(parts.from_name, parts.from_address) + "\r\n";
  out += "To: " + mailbox_header(parts.to_name, parts.to_address) + "\r\n";
  out += "Subject: " + encode_header_words(parts.subject) + "\r\n";
  out += "Date: " + rfc5322_date(parts.date) + "\r\n";
  out += "Message-ID: " + one_line(parts.message_id) + "\r\n";
  if (!parts.references.empty()) out += "References: " + one_line(parts.references) + "\r\n";
  if (!parts.form_digest.empty()) {
    out += std::string(kFormDigestHeader) + ": " + one_line(parts.form_digest) + "\r\n";
  }
  out += "MIME-Version: 1.0\r\n";
  out += "Auto-Submitted: auto-generated\r\n";
  const std::string text_headers = "Content-Type: text/plain; charset=UTF-8\r\n"
                                   "Content-Transfer-Encoding: quoted-printable\r\n";
  if (parts.attachments.empty()) {
    out += text_headers + "\r\n" + quoted_printable(parts.body);
    return out;
  }
  // The boundary comes from the Message-ID (stable) and cannot occur in base64 or QP text:
  // both never produce "==_" followed by letters at a line start.
  std::string boundary = "==_muster_";
  for (const char c : parts.message_id) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) boundary.push_back(c);
    if (boundary.size() >= 50) break;
  }
  out += "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n";
  out += "This is a MIME message: the text and the attached PDF documents.\r\n";
  out += "--" + boundary + "\r\n" + text_headers + "\r\n" + quoted_printable(parts.body);
  for (const auto& attachment : parts.attachments) {
    std::string name;
    for (const char c : attachment.filename) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.';
      name.push_back(ok ? c : '_');
    }
    out += "--" + boundary + "\r\n";
    out += "Content-Type: " + one_line(attachment.content_type) + "; name=\"" + name + "\"\r\n";
    out += "Content-Transfer-Encoding: base64\r\n";
    out += "Content-Disposition: attachment; filename=\"" + name + "\"\r\n\r\n";
    out += base64_lines(attachment.bytes);
  }
  out += "--" + boundary + "--\r\n";
  return out;
}

} // namespace muster::server::mail
