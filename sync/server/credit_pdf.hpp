#pragma once
// Printable credit documents (transcripts, credit forms, attendance verification letters) as
// PDF with cairo. The callers (credit_commands.cpp) decide the words; this file only lays out a
// simple document: a title, lines of text, and tables that break across US Letter pages.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "shared/result.hpp"

namespace muster::server {

struct PdfTable {
  std::string caption;              // printed above the table, bold; may be empty
  std::vector<std::string> columns; // header cells
  std::vector<double> widths;       // relative column widths (same count as columns)
  std::vector<std::vector<std::string>> rows;
};

struct PdfBlock { // one piece of the document, in order: paragraph lines, then a table
  std::vector<std::string> lines;
  std::optional<PdfTable> table;
};

struct PdfDocument {
  std::string title;    // large, at the top of the first page
  std::string subtitle; // e.g. the League's name
  std::vector<PdfBlock> blocks;
  std::string footer; // small, at the bottom of every page (with the page number)
};

enum class PdfError : std::uint8_t { write };

// Writes the document to `path` (overwritten). write error when cairo cannot create the file.
Result<Ok, PdfError> write_pdf(const PdfDocument& document, const std::filesystem::path& path);
// The same PDF in memory (a download or a mail attachment: no scratch file to clean up).
Result<std::string, PdfError> pdf_bytes(const PdfDocument& document);

} // namespace muster::server
