#pragma once
// An RFC 4180 CSV reader that remembers on which physical line each record starts, so importers
// can name the line a person sees in their editor. It only splits; meaning lives in import.hpp.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/result.hpp"

namespace muster {

// One record: its fields as written (quotes removed, doubled quotes undone, nothing trimmed).
struct CsvRecord {
  std::vector<std::string> fields;
  std::size_t line = 0; // 1-based physical line where the record starts
};

enum class CsvErrc : std::uint8_t {
  unterminated_quote, // a quoted field runs to the end of the input
  text_after_quote,   // `"abc"x`: something other than , or a line end after a closing quote
};

// Why and where the text is not CSV; the Result's message says it in words.
struct CsvError {
  CsvErrc kind;
  std::size_t line = 0; // the line where the offending field starts
};

// Splits `text` into records. Separator ',', quote '"'; line ends LF or CR LF (inside quotes they
// belong to the field). Blank lines (no characters at all) are skipped, so an optional final line
// end and trailing blank lines give no empty records. A '"' inside an unquoted field is kept as
// text. A byte-order mark is NOT handled here (see strip_utf8_bom).
Result<std::vector<CsvRecord>, CsvError> parse_csv(std::string_view text);

// `text` without a leading UTF-8 byte-order mark (EF BB BF), as spreadsheets write it.
std::string_view strip_utf8_bom(std::string_view text);

// Byte offset of the first byte that is not part of well-formed UTF-8 (overlong forms, UTF-16
// surrogates and code points above U+10FFFF are ill-formed too), or nullopt when all is valid.
std::optional<std::size_t> find_invalid_utf8(std::string_view text);

// 1-based physical line (counted by LF) that contains byte `offset` of `text`.
std::size_t line_of_offset(std::string_view text, std::size_t offset);

} // namespace muster

namespace muster {

// The one CSV writer for every export (server and kiosk). A cell a spreadsheet would run as a
// formula (starting with = + - @, tab or CR) gets a leading apostrophe, so a name typed as
// "=HYPERLINK(...)" stays text; a cell with , " CR or LF is quoted with doubled quotes.
std::string csv_cell(std::string_view text);
// The cells joined by ',' and ended with "\n".
std::string csv_row(const std::vector<std::string>& cells);

} // namespace muster
