#pragma once
// Printing badges: a PNG per attendee and a PDF sheet of badge inserts (cairo), each with the
// QR code of the signed payload (ZXing-cpp's writer), the name, municipality and role.
// No cairo or ZXing type appears here.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "shared/result.hpp"

namespace muster::server {

enum class RenderError : std::uint8_t {
  encode, // the payload does not fit a QR code
  io,     // the file could not be written or read
};
std::string_view to_string(RenderError error);

struct BadgeCard {
  std::string payload; // the text in the QR code
  std::string first_name;
  std::string last_name;
  std::string municipality; // may be empty (guests, staff)
  std::string role;         // "mayor", ... (shown capitalised)
  std::string event_name;   // small print at the bottom; may be empty
};

// A badge insert is 4 x 3 inches (a common badge-holder size); the PNG is drawn at 150 dpi.
inline constexpr int kBadgePngWidth = 600;
inline constexpr int kBadgePngHeight = 450;
inline constexpr int kBadgesPerSheet = 6; // 2 x 3 inserts on US Letter, with cut lines

Result<Ok, RenderError> write_badge_png(const BadgeCard& card, const std::filesystem::path& path);
// One page per kBadgesPerSheet badges; an empty span writes one empty page.
Result<Ok, RenderError> write_badge_sheet_pdf(std::span<const BadgeCard> cards,
                                              const std::filesystem::path& path);

// The QR code of `text` (ZXing-cpp's writer, as on the badges) as an inline SVG document: one
// path of dark modules in a square viewBox with the quiet zone, black on white; the console
// shows provisioning codes with it.
Result<std::string, RenderError> qr_svg(const std::string& text);

// 8-bit grey pixels of a PNG, row by row (for checking printed badges, e.g. with a QR reader).
struct GrayImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;
};
Result<GrayImage, RenderError> read_png_gray(const std::filesystem::path& path);

} // namespace muster::server
