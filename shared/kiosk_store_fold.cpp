// Roster search folding: fold_for_search() and muster_fold(), the same function in SQL, so a
// search key written by a migration and one written by upsert_roster() agree.
#include <sqlite3.h>

#include <array>
#include <new>

#include "shared/kiosk_store_support.hpp"

namespace muster {
namespace {

// Base letters for U+00C0..U+017F (Latin-1 Supplement letters and Latin Extended-A).
// An empty entry keeps the character (the multiplication and division signs).
// clang-format off
constexpr std::array<std::string_view, 192> kLatinFold{
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",    // C0
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",  // D0
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",    // E0
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y",   // F0
    "a", "a", "a", "a", "a", "a", "c",  "c", "c", "c", "c", "c", "c", "c", "d", "d",    // 100
    "d", "d", "e", "e", "e", "e", "e",  "e", "e", "e", "e", "e", "g", "g", "g", "g",    // 110
    "g", "g", "g", "g", "h", "h", "h",  "h", "i", "i", "i", "i", "i", "i", "i", "i",    // 120
    "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",   // 130
    "l", "l", "l", "n", "n", "n", "n",  "n", "n", "n", "n", "n", "o", "o", "o", "o",    // 140
    "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",   // 150
    "s", "s", "t", "t", "t", "t", "t",  "t", "u", "u", "u", "u", "u", "u", "u", "u",    // 160
    "u", "u", "u", "u", "w", "w", "y",  "y", "y", "z", "z", "z", "z", "z", "z", "s",    // 170
};
// clang-format on

// Decodes one UTF-8 sequence at text[pos]; returns its length, or 0 when malformed.
std::size_t decode_utf8(std::string_view text, std::size_t pos, char32_t& code_point) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  std::size_t length = 0;
  if (lead < 0x80) {
    code_point = lead;
    return 1;
  }
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    code_point = lead & 0x1Fu;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    code_point = lead & 0x0Fu;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    code_point = lead & 0x07u;
  } else {
    return 0;
  }
  if (pos + length > text.size()) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    const auto next = static_cast<unsigned char>(text[pos + i]);
    if ((next & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (next & 0x3Fu);
  }
  return length;
}

void fold_sql_function(sqlite3_context* context, int argc, sqlite3_value** argv) {
  if (argc != 1 || sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    sqlite3_result_null(context);
    return;
  }
  const auto* text = sqlite3_value_text(argv[0]);
  const int size = sqlite3_value_bytes(argv[0]);
  try {
    const std::string folded = fold_for_search(
        std::string_view(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size)));
    sqlite3_result_text64(context, folded.data(), folded.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  } catch (const std::bad_alloc&) {
    sqlite3_result_error_nomem(context); // an exception must not unwind through SQLite's C
  }
}

} // namespace

namespace kiosk_store_support {

void register_fold_function(sqlite3* db) {
  sqlite3_create_function_v2(db, "muster_fold", 1,
                             SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
                             fold_sql_function, nullptr, nullptr, nullptr);
}

} // namespace kiosk_store_support

std::string fold_for_search(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  auto separate = [&out] {
    if (!out.empty() && out.back() != ' ') out.push_back(' ');
  };
  std::size_t pos = 0;
  while (pos < text.size()) {
    char32_t cp = 0;
    const std::size_t length = decode_utf8(text, pos, cp);
    if (length == 0) { // malformed: keep the byte rather than lose the name
      out.push_back(text[pos++]);
      continue;
    }
    const std::string_view original = text.substr(pos, length);
    pos += length;
    if (cp < 0x80) {
      const char c = static_cast<char>(cp);
      if (c >= 'A' && c <= 'Z') {
        out.push_back(static_cast<char>(c - 'A' + 'a'));
      } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        out.push_back(c);
      } else if (c != '\'') {
        separate(); // "Smith-Jones" and "St. John" search as separate words
      }
    } else if (cp >= 0xC0 && cp <= 0x17F) {
      const std::string_view base = kLatinFold[cp - 0xC0];
      out.append(base.empty() ? original : base);
    } else if ((cp >= 0x300 && cp <= 0x36F) || cp == 0x2018 || cp == 0x2019) {
      // Combining accents (decomposed input) and typographic apostrophes: dropped.
    } else {
      out.append(original);
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

} // namespace muster
