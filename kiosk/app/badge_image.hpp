#pragma once
// Printable badge images: the QR code of a signed payload with the holder's name, as PNG.
#include <filesystem>
#include <string_view>

#include "kiosk/scan/gray_image.hpp"
#include "shared/result.hpp"

namespace muster::kiosk {

struct BadgeText {
  std::string_view name;       // large, under the code
  std::string_view subtitle;   // role and municipality
  std::string_view event_name; // small, at the top
};

// A 600x900 PNG (2x3 inches at 300 dpi): event name, QR code (about 450 px), name, subtitle.
Result<Ok, ImageError> write_badge_png(const std::filesystem::path& path, std::string_view payload,
                                       const BadgeText& text);

} // namespace muster::kiosk
