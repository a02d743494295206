#include "shared/csv.hpp"

#include <algorithm>

namespace muster {
namespace {

// Length of a line end starting at `pos` (LF = 1, CR LF = 2), or 0 if there is none. A lone CR
// is ordinary text: old Mac line ends are not CSV, and the roster refuses control characters.
std::size_t line_end_length(std::string_view text, std::size_t pos) {
  if (text[pos] == '\n') return 1;
  if (text[pos] == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') return 2;
  return 0;
}

Error<CsvError> csv_fail(CsvErrc kind, std::size_t line, std::string what) {
  return fail(CsvError{kind, line}, "line " + std::to_string(line) + ": " + std::move(what));
}

} // namespace

Result<std::vector<CsvRecord>, CsvError> parse_csv(std::string_view text) {
  std::vector<CsvRecord> records;
  std::size_t pos = 0;
  std::size_t line = 1;
  while (pos < text.size()) {
    if (const std::size_t blank = line_end_length(text, pos); blank != 0) {
      pos += blank; // a blank line carries no record
      ++line;
      continue;
    }
    CsvRecord record;
    record.line = line;
    bool record_done = false;
    while (!record_done) {
      std::string field;
      if (pos < text.size() && text[pos] == '"') {
        const std::size_t field_line = line;
        ++pos;
        bool closed = false;
        while (pos < text.size()) {
          const char c = text[pos];
          if (c == '"') {
            if (pos + 1 < text.size() && text[pos + 1] == '"') {
              field += '"';
              pos += 2;
              continue;
            }
            ++pos;
            closed = true;
            break;
          }
          if (c == '\n') ++line;
          field += c;
          ++pos;
        }
        if (!closed) {
          return csv_fail(CsvErrc::unterminated_quote, field_line,
                          "a quoted field starts here but its closing quote (\") is missing");
        }
        if (pos < text.size() && text[pos] != ',' && line_end_length(text, pos) == 0) {
          return csv_fail(CsvErrc::text_after_quote, field_line,
                          "unexpected text after the closing quote of a field; write a quote "
                          "inside a quoted field as two quotes (\"\")");
        }
      } else {
        while (pos < text.size() && text[pos] != ',' && line_end_length(text, pos) == 0) {
          field += text[pos];
          ++pos;
        }
      }
      record.fields.push_back(std::move(field));
      if (pos >= text.size()) {
        record_done = true;
      } else if (text[pos] == ',') {
        ++pos; // a trailing comma before the line end yields a final empty field
      } else {
        pos += line_end_length(text, pos);
        ++line;
        record_done = true;
      }
    }
    records.push_back(std::move(record));
  }
  return records;
}

std::string_view strip_utf8_bom(std::string_view text) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (text.substr(0, kBom.size()) == kBom) text.remove_prefix(kBom.size());
  return text;
}

std::optional<std::size_t> find_invalid_utf8(std::string_view text) {
  const auto byte_at = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  std::size_t i = 0;
  while (i < text.size()) {
    const unsigned char lead = byte_at(i);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    unsigned char low = 0x80;  // allowed range of the second byte rules out overlongs,
    unsigned char high = 0xBF; // surrogates and code points above U+10FFFF (RFC 3629 table)
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;
      if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;
      if (lead == 0xF4) high = 0x8F;
    } else {
      return i;
    }
    if (i + length > text.size()) return i;
    if (byte_at(i + 1) < low || byte_at(i + 1) > high) return i;
    for (std::size_t k = 2; k < length; ++k) {
      if (byte_at(i + k) < 0x80 || byte_at(i + k) > 0xBF) return i;
    }
    i += length;
  }
  return std::nullopt;
}

std::size_t line_of_offset(std::string_view text, std::size_t offset) {
  const auto end = text.begin() + static_cast<std::ptrdiff_t>(std::min(offset, text.size()));
  return 1 + static_cast<std::size_t>(std::count(text.begin(), end, '\n'));
}

} // namespace muster

namespace muster {

std::string csv_cell(std::string_view text) {
  std::string cell;
  if (!text.empty() && std::string_view("=+-@\t\r").find(text.front()) != std::string_view::npos) {
    cell += '\'';
  }
  cell += text;
  if (cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
  std::string quoted = "\"";
  for (const char c : cell) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string csv_row(const std::vector<std::string>& cells) {
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) line += ',';
    line += csv_cell(cells[i]);
  }
  return line + "\n";
}

} // namespace muster
