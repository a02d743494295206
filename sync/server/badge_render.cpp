#include "sync/server/badge_render.hpp"

#include <cairo-pdf.h>
#include <cairo.h>

#include <ZXing/BarcodeFormat.h>
#include <ZXing/BitMatrix.h>
#include <ZXing/MultiFormatWriter.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <memory>

namespace muster::server {
namespace {

constexpr double kPointsPerInch = 72.0;
constexpr double kInsertWidthPt = 4.0 * kPointsPerInch;
constexpr double kInsertHeightPt = 3.0 * kPointsPerInch;
constexpr double kLetterWidthPt = 8.5 * kPointsPerInch;
constexpr double kLetterHeightPt = 11.0 * kPointsPerInch;
constexpr int kQuietZoneModules = 4;               // the QR standard's quiet zone
constexpr const char* kFontFamily = "DejaVu Sans"; // fonts-dejavu-core, found by fontconfig

struct SurfaceDeleter {
  void operator()(cairo_surface_t* surface) const { cairo_surface_destroy(surface); }
};
struct ContextDeleter {
  void operator()(cairo_t* cr) const { cairo_destroy(cr); }
};
using SurfacePtr = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;
using ContextPtr = std::unique_ptr<cairo_t, ContextDeleter>;

// The QR modules without a quiet zone: true is dark.
struct QrModules {
  int size = 0;
  std::vector<bool> dark;
  [[nodiscard]] bool at(int x, int y) const {
    return dark[static_cast<std::size_t>(y) * static_cast<std::size_t>(size) +
                static_cast<std::size_t>(x)];
  }
};

Result<QrModules, RenderError> encode_qr(const std::string& payload) {
  try {
    // Width and height 1: ZXing returns one pixel per module; we scale it ourselves so each
    // module is a whole number of pixels (crisp edges scan better).
    const ZXing::BitMatrix bits = ZXing::MultiFormatWriter(ZXing::BarcodeFormat::QRCode)
                                      .setMargin(0)
                                      .setEccLevel(4)
                                      .encode(payload, 1, 1);
    QrModules modules;
    modules.size = bits.width();
    modules.dark.resize(static_cast<std::size_t>(bits.width()) *
                        static_cast<std::size_t>(bits.height()));
    for (int y = 0; y < bits.height(); ++y) {
      for (int x = 0; x < bits.width(); ++x) {
        modules.dark[static_cast<std::size_t>(y) * static_cast<std::size_t>(modules.size) +
                     static_cast<std::size_t>(x)] = bits.get(x, y);
      }
    }
    return modules;
  } catch (const std::exception& error) {
    // ZXing's writer reports an oversize payload by throwing; that is bad input, not a bug.
    return fail(RenderError::encode,
                std::string("cannot encode the badge QR code: ") + error.what());
  }
}

// Draws the QR code with its quiet zone in a square at (x, y); `snap` rounds the module size
// down to whole device units (pixels) for raster output.
void draw_qr(cairo_t* cr, const QrModules& qr, double x, double y, double side, bool snap) {
  const int total = qr.size + 2 * kQuietZoneModules;
  double module = side / total;
  if (snap) module = std::max(1.0, std::floor(module));
  const double drawn = module * total;
  const double left = x + (side - drawn) / 2 + module * kQuietZoneModules;
  const double top = y + (side - drawn) / 2 + module * kQuietZoneModules;
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_rectangle(cr, x, y, side, side);
  cairo_fill(cr);
  cairo_set_source_rgb(cr, 0, 0, 0);
  for (int row = 0; row < qr.size; ++row) {
    for (int col = 0; col < qr.size; ++col) {
      if (qr.at(col, row))
        cairo_rectangle(cr, left + col * module, top + row * module, module, module);
    }
  }
  cairo_fill(cr);
}

// Shows one line of text at (x, baseline), shrinking the font until it fits `max_width`.
void fit_text(cairo_t* cr, const std::string& text, double x, double baseline, double max_width,
              double size, cairo_font_weight_t weight) {
  if (text.empty()) return;
  cairo_select_font_face(cr, kFontFamily, CAIRO_FONT_SLANT_NORMAL, weight);
  const double min_size = size * 0.4;
  cairo_text_extents_t extents{};
  for (int step = 0; step < 30; ++step) { // bounded: at most 30 shrink steps
    cairo_set_font_size(cr, size);
    cairo_text_extents(cr, text.c_str(), &extents);
    if (extents.x_advance <= max_width || size <= min_size) break;
    size *= 0.92;
  }
  cairo_move_to(cr, x, baseline);
  cairo_show_text(cr, text.c_str());
}

std::string capitalised(std::string text) {
  if (!text.empty() && text[0] >= 'a' && text[0] <= 'z') text[0] = static_cast<char>(text[0] - 32);
  return text;
}

// One badge insert in a w x h box at the current origin: QR on the left, words on the right.
void draw_badge(cairo_t* cr, const BadgeCard& card, const QrModules& qr, double w, double h,
                bool snap) {
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_rectangle(cr, 0, 0, w, h);
  cairo_fill(cr);
  const double pad = h * 0.06;
  const double side = std::min(h - 2 * pad, w * 0.52);
  draw_qr(cr, qr, pad, (h - side) / 2, side, snap);

  const double x = pad + side + pad * 0.5;
  const double width = w - x - pad;
  cairo_set_source_rgb(cr, 0, 0, 0);
  fit_text(cr, card.first_name, x, h * 0.25, width, h * 0.11, CAIRO_FONT_WEIGHT_BOLD);
  fit_text(cr, card.last_name, x, h * 0.38, width, h * 0.11, CAIRO_FONT_WEIGHT_BOLD);
  fit_text(cr, card.municipality, x, h * 0.52, width, h * 0.065, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_source_rgb(cr, 0.05, 0.2, 0.5);
  fit_text(cr, capitalised(card.role), x, h * 0.66, width, h * 0.075, CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
  fit_text(cr, card.event_name, x, h * 0.88, width, h * 0.045, CAIRO_FONT_WEIGHT_NORMAL);
}

Error<RenderError> cairo_failure(cairo_status_t status, const std::filesystem::path& path) {
  return fail(RenderError::io,
              "cannot write " + path.string() + ": " + cairo_status_to_string(status));
}

} // namespace

Result<std::string, RenderError> qr_svg(const std::string& text) {
  auto qr = encode_qr(text);
  if (!qr) return qr.error();
  const int total = qr->size + 2 * kQuietZoneModules;
  std::string path;
  for (int y = 0; y < qr->size; ++y) {
    for (int x = 0; x < qr->size; ++x) {
      if (qr->at(x, y)) {
        path += "M" + std::to_string(x + kQuietZoneModules) + " " +
                std::to_string(y + kQuietZoneModules) + "h1v1h-1z";
      }
    }
  }
  const std::string side = std::to_string(total);
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + side + " " + side +
         "\" shape-rendering=\"crispEdges\"><rect width=\"" + side + "\" height=\"" + side +
         "\" fill=\"#fff\"/><path d=\"" + path + "\" fill=\"#000\"/></svg>";
}

std::string_view to_string(RenderError error) {
  switch (error) {
  case RenderError::encode:
    return "encode";
  case RenderError::io:
    return "io";
  }
  return "unknown";
}

Result<Ok, RenderError> write_badge_png(const BadgeCard& card, const std::filesystem::path& path) {
  auto qr = encode_qr(card.payload);
  if (!qr) return qr.error();
  SurfacePtr surface(
      cairo_image_surface_create(CAIRO_FORMAT_RGB24, kBadgePngWidth, kBadgePngHeight));
  ContextPtr cr(cairo_create(surface.get()));
  draw_badge(cr.get(), card, *qr, kBadgePngWidth, kBadgePngHeight, /*snap=*/true);
  cairo_surface_flush(surface.get());
  const cairo_status_t status = cairo_surface_write_to_png(surface.get(), path.c_str());
  if (status != CAIRO_STATUS_SUCCESS) return cairo_failure(status, path);
  return Ok{};
}

Result<Ok, RenderError> write_badge_sheet_pdf(std::span<const BadgeCard> cards,
                                              const std::filesystem::path& path) {
  std::vector<QrModules> codes;
  codes.reserve(cards.size());
  for (const BadgeCard& card : cards) {
    auto qr = encode_qr(card.payload);
    if (!qr) return qr.error();
    codes.push_back(std::move(*qr));
  }
  SurfacePtr surface(cairo_pdf_surface_create(path.c_str(), kLetterWidthPt, kLetterHeightPt));
  if (const auto status = cairo_surface_status(surface.get()); status != CAIRO_STATUS_SUCCESS) {
    return cairo_failure(status, path);
  }
  ContextPtr cr(cairo_create(surface.get()));
  const double margin_x = (kLetterWidthPt - 2 * kInsertWidthPt) / 2;
  const double margin_y = (kLetterHeightPt - 3 * kInsertHeightPt) / 2;
  for (std::size_t i = 0; i < cards.size(); ++i) {
    const auto slot = i % kBadgesPerSheet;
    if (i > 0 && slot == 0) cairo_show_page(cr.get());
    const double x = margin_x + static_cast<double>(slot % 2) * kInsertWidthPt;
    const double y = margin_y + static_cast<double>(slot / 2) * kInsertHeightPt;
    cairo_save(cr.get());
    cairo_translate(cr.get(), x, y);
    draw_badge(cr.get(), cards[i], codes[i], kInsertWidthPt, kInsertHeightPt, /*snap=*/false);
    // Dashed cut lines around each insert.
    const double dashes[] = {4.0, 3.0};
    cairo_set_dash(cr.get(), dashes, 2, 0);
    cairo_set_line_width(cr.get(), 0.5);
    cairo_set_source_rgb(cr.get(), 0.6, 0.6, 0.6);
    cairo_rectangle(cr.get(), 0, 0, kInsertWidthPt, kInsertHeightPt);
    cairo_stroke(cr.get());
    cairo_restore(cr.get());
  }
  cairo_show_page(cr.get());
  cr.reset();
  cairo_surface_finish(surface.get());
  if (const auto status = cairo_surface_status(surface.get()); status != CAIRO_STATUS_SUCCESS) {
    return cairo_failure(status, path);
  }
  return Ok{};
}

Result<GrayImage, RenderError> read_png_gray(const std::filesystem::path& path) {
  SurfacePtr surface(cairo_image_surface_create_from_png(path.c_str()));
  if (const auto status = cairo_surface_status(surface.get()); status != CAIRO_STATUS_SUCCESS) {
    return fail(RenderError::io,
                "cannot read " + path.string() + ": " + cairo_status_to_string(status));
  }
  // Convert whatever cairo loaded into RGB24 so the pixel layout is known.
  GrayImage image;
  image.width = cairo_image_surface_get_width(surface.get());
  image.height = cairo_image_surface_get_height(surface.get());
  SurfacePtr rgb(cairo_image_surface_create(CAIRO_FORMAT_RGB24, image.width, image.height));
  {
    ContextPtr cr(cairo_create(rgb.get()));
    cairo_set_source_rgb(cr.get(), 1, 1, 1);
    cairo_paint(cr.get());
    cairo_set_source_surface(cr.get(), surface.get(), 0, 0);
    cairo_paint(cr.get());
  }
  cairo_surface_flush(rgb.get());
  const unsigned char* data = cairo_image_surface_get_data(rgb.get());
  const auto stride = static_cast<std::size_t>(cairo_image_surface_get_stride(rgb.get()));
  const auto width = static_cast<std::size_t>(image.width);
  image.pixels.resize(width * static_cast<std::size_t>(image.height));
  for (std::size_t y = 0; y < static_cast<std::size_t>(image.height); ++y) {
    for (std::size_t x = 0; x < width; ++x) {
      std::uint32_t pixel = 0;
      std::memcpy(&pixel, data + y * stride + x * 4, sizeof pixel); // native-endian xRGB
      const std::uint32_t r = (pixel >> 16U) & 0xFFU;
      const std::uint32_t g = (pixel >> 8U) & 0xFFU;
      const std::uint32_t b = pixel & 0xFFU;
      image.pixels[y * width + x] = static_cast<std::uint8_t>((r * 299 + g * 587 + b * 114) / 1000);
    }
  }
  return image;
}

} // namespace muster::server
