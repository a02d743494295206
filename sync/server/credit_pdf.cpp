// Lays out a PdfDocument on US Letter pages with cairo's toy text API (DejaVu Sans through
// fontconfig, like the badges). Long cells are shortened with "..." rather than wrapped: the
// rows stay one line so the tables read like the CSV next to them.
#include "sync/server/credit_pdf.hpp"

#include <cairo-pdf.h>
#include <cairo.h>

#include <memory>
#include <numeric>
#include <string>
#include <vector>

namespace muster::server {

namespace {

constexpr double kPageWidth = 612; // US Letter, points
constexpr double kPageHeight = 792;
constexpr double kMargin = 54;
constexpr double kBodySize = 9.5;
constexpr double kLineHeight = 14;
constexpr const char* kFontFamily = "DejaVu Sans";

struct SurfaceDeleter {
  void operator()(cairo_surface_t* surface) const { cairo_surface_destroy(surface); }
};
struct ContextDeleter {
  void operator()(cairo_t* cr) const { cairo_destroy(cr); }
};

class Writer {
public:
  Writer(cairo_t* cr, const PdfDocument& document) : cr_(cr), document_(document) {}

  void render() {
    start_page();
    font(20, true);
    show(document_.title, kMargin, y_ += 10);
    y_ += 8;
    if (!document_.subtitle.empty()) {
      font(11, false);
      grey(0.3);
      show(document_.subtitle, kMargin, y_ += kLineHeight + 2);
      grey(0);
    }
    y_ += kLineHeight;
    for (const PdfBlock& block : document_.blocks) {
      font(kBodySize + 1, false);
      for (const std::string& line : block.lines) {
        for (const std::string& part : wrap(line, kPageWidth - 2 * kMargin)) {
          need(kLineHeight);
          show(part, kMargin, y_ += kLineHeight, kPageWidth - 2 * kMargin);
        }
      }
      if (block.table) table(*block.table);
      y_ += kLineHeight / 2;
    }
    finish_page();
  }

private:
  void start_page() {
    ++page_;
    y_ = kMargin;
  }

  void finish_page() {
    font(7.5, false);
    grey(0.4);
    const std::string footer =
        (document_.footer.empty() ? std::string() : document_.footer + "  ·  ") + "page " +
        std::to_string(page_);
    show(footer, kMargin, kPageHeight - kMargin / 2, kPageWidth - 2 * kMargin);
    grey(0);
  }

  void need(double height) {
    if (y_ + height <= kPageHeight - kMargin) return;
    finish_page();
    cairo_show_page(cr_);
    start_page();
  }

  void table(const PdfTable& t) {
    const double total_width = kPageWidth - 2 * kMargin;
    const double weight = std::accumulate(t.widths.begin(), t.widths.end(), 0.0);
    std::vector<double> widths;
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      const double w = i < t.widths.size() && weight > 0 ? t.widths[i] / weight : 0;
      widths.push_back(w > 0 ? w * total_width
                             : total_width / static_cast<double>(t.columns.size()));
    }
    if (!t.caption.empty()) {
      need(2 * kLineHeight);
      font(kBodySize + 1.5, true);
      show(t.caption, kMargin, y_ += kLineHeight + 4, total_width);
    }
    const auto row_of = [&](const std::vector<std::string>& cells, bool header) {
      need(kLineHeight);
      y_ += kLineHeight;
      if (header) {
        cairo_set_source_rgb(cr_, 0.88, 0.91, 0.96);
        cairo_rectangle(cr_, kMargin, y_ - kLineHeight + 3, total_width, kLineHeight);
        cairo_fill(cr_);
        grey(0);
      }
      font(kBodySize, header);
      double x = kMargin;
      for (std::size_t i = 0; i < widths.size(); ++i) {
        if (i < cells.size()) show(cells[i], x + 2, y_, widths[i] - 6);
        x += widths[i];
      }
      cairo_set_line_width(cr_, 0.4);
      grey(0.75);
      cairo_move_to(cr_, kMargin, y_ + 3.5);
      cairo_line_to(cr_, kMargin + total_width, y_ + 3.5);
      cairo_stroke(cr_);
      grey(0);
    };
    row_of(t.columns, true);
    for (const auto& row : t.rows)
      row_of(row, false);
    if (t.rows.empty()) row_of({"(none)"}, false);
  }

  // Splits a paragraph line at spaces so each piece fits `width`; continuation lines keep the
  // first line's indentation.
  std::vector<std::string> wrap(const std::string& line, double width) {
    std::vector<std::string> lines;
    const std::size_t indent = line.find_first_not_of(' ');
    const std::string prefix(indent == std::string::npos ? 0 : indent + 2, ' ');
    std::string current;
    std::size_t start = 0;
    while (start <= line.size()) {
      std::size_t end = line.find(' ', start);
      if (end == std::string::npos) end = line.size();
      const std::string word = line.substr(start, end - start);
      const std::string candidate = current.empty() ? word : current + " " + word;
      cairo_text_extents_t extents{};
      cairo_text_extents(cr_, candidate.c_str(), &extents);
      if (extents.x_advance > width && !current.empty() && current != prefix) {
        lines.push_back(current);
        current = prefix + word;
      } else {
        current = candidate;
      }
      start = end + 1;
    }
    lines.push_back(current);
    return lines;
  }

  void font(double size, bool bold) {
    cairo_select_font_face(cr_, kFontFamily, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr_, size);
  }

  void grey(double level) { cairo_set_source_rgb(cr_, level, level, level); }

  // One line at (x, baseline), shortened with "..." to fit max_width (0: no limit).
  void show(const std::string& text, double x, double baseline, double max_width = 0) {
    std::string shown = text;
    cairo_text_extents_t extents{};
    cairo_text_extents(cr_, shown.c_str(), &extents);
    while (max_width > 0 && extents.x_advance > max_width && shown.size() > 1) {
      shown.pop_back();
      // Never cut a UTF-8 sequence in half.
      while (!shown.empty() && (static_cast<unsigned char>(shown.back()) & 0xC0) == 0x80)
        shown.pop_back();
      if (!shown.empty() && static_cast<unsigned char>(shown.back()) >= 0xC0) shown.pop_back();
      const std::string candidate = shown + "...";
      cairo_text_extents(cr_, candidate.c_str(), &extents);
      if (extents.x_advance <= max_width) {
        shown = candidate;
        break;
      }
    }
    cairo_move_to(cr_, x, baseline);
    cairo_show_text(cr_, shown.c_str());
  }

  cairo_t* cr_;
  const PdfDocument& document_;
  double y_ = kMargin;
  int page_ = 0;
};

} // namespace

namespace {

// Renders the document onto a PDF surface already created (on a file or a stream). The status
// is the surface's after finishing: an error there means the PDF is incomplete.
cairo_status_t render_pdf(const PdfDocument& document, cairo_surface_t* surface) {
  if (const auto status = cairo_surface_status(surface); status != CAIRO_STATUS_SUCCESS) {
    return status;
  }
  {
    std::unique_ptr<cairo_t, ContextDeleter> cr(cairo_create(surface));
    Writer(cr.get(), document).render();
    cairo_show_page(cr.get());
  }
  cairo_surface_finish(surface);
  return cairo_surface_status(surface);
}

cairo_status_t append_bytes(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

} // namespace

Result<Ok, PdfError> write_pdf(const PdfDocument& document, const std::filesystem::path& path) {
  std::unique_ptr<cairo_surface_t, SurfaceDeleter> surface(
      cairo_pdf_surface_create(path.c_str(), kPageWidth, kPageHeight));
  if (const auto status = render_pdf(document, surface.get()); status != CAIRO_STATUS_SUCCESS) {
    return fail(PdfError::write,
                "cannot write " + path.string() + ": " + cairo_status_to_string(status));
  }
  return Ok{};
}

Result<std::string, PdfError> pdf_bytes(const PdfDocument& document) {
  std::string bytes;
  std::unique_ptr<cairo_surface_t, SurfaceDeleter> surface(
      cairo_pdf_surface_create_for_stream(append_bytes, &bytes, kPageWidth, kPageHeight));
  if (const auto status = render_pdf(document, surface.get()); status != CAIRO_STATUS_SUCCESS) {
    return fail(PdfError::write,
                std::string("cannot make the PDF: ") + cairo_status_to_string(status));
  }
  return bytes;
}

} // namespace muster::server
