#include "kiosk/app/badge_image.hpp"

#include <cairo.h>

#include <memory>
#include <string>

#include "kiosk/scan/decoder.hpp"

namespace muster::kiosk {

namespace {

struct SurfaceDeleter {
  void operator()(cairo_surface_t* surface) const { cairo_surface_destroy(surface); }
};
struct ContextDeleter {
  void operator()(cairo_t* cr) const { cairo_destroy(cr); }
};

void centered_text(cairo_t* cr, std::string_view text, double size, double y, int width,
                   bool bold) {
  const std::string line(text);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  cairo_text_extents_t extents{};
  cairo_text_extents(cr, line.c_str(), &extents);
  // Long names shrink to fit rather than run off the card.
  if (extents.width > width - 40) {
    cairo_set_font_size(cr, size * (width - 40) / extents.width);
    cairo_text_extents(cr, line.c_str(), &extents);
  }
  cairo_move_to(cr, (width - extents.width) / 2 - extents.x_bearing, y);
  cairo_show_text(cr, line.c_str());
}

} // namespace

Result<Ok, ImageError> write_badge_png(const std::filesystem::path& path, std::string_view payload,
                                       const BadgeText& text) {
  constexpr int kWidth = 600;
  constexpr int kHeight = 900;
  const GrayImage code = render_qr(payload, 1, 4);
  if (code.empty()) return fail(ImageError::format, "the badge payload does not fit a QR code");

  std::unique_ptr<cairo_surface_t, SurfaceDeleter> surface(
      cairo_image_surface_create(CAIRO_FORMAT_RGB24, kWidth, kHeight));
  std::unique_ptr<cairo_t, ContextDeleter> cr(cairo_create(surface.get()));
  cairo_set_source_rgb(cr.get(), 1, 1, 1);
  cairo_paint(cr.get());
  cairo_set_source_rgb(cr.get(), 0, 0, 0);

  centered_text(cr.get(), text.event_name, 26, 60, kWidth, false);
  const int module_px = 460 / code.width;
  const double left = (kWidth - code.width * module_px) / 2.0;
  constexpr double kTop = 100;
  for (int y = 0; y < code.height; ++y) {
    for (int x = 0; x < code.width; ++x) {
      if (code.at(x, y) == 0) {
        cairo_rectangle(cr.get(), left + x * module_px, kTop + y * module_px, module_px, module_px);
      }
    }
  }
  cairo_fill(cr.get());
  const double below = kTop + code.height * module_px + 80;
  centered_text(cr.get(), text.name, 54, below, kWidth, true);
  centered_text(cr.get(), text.subtitle, 30, below + 60, kWidth, false);

  cairo_surface_flush(surface.get());
  if (cairo_surface_write_to_png(surface.get(), path.c_str()) != CAIRO_STATUS_SUCCESS) {
    return fail(ImageError::io, "cannot write " + path.string());
  }
  return Ok{};
}

} // namespace muster::kiosk
