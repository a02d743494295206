#pragma once
// QR decoding of camera frames and image files: ZXing-cpp behind a small interface, with a
// cascade of cheap retries for the frames the first pass misses. The kiosk's camera thread,
// `muster-kiosk decode` and the tests all call decode_frame, so they decode alike.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kiosk/scan/gray_image.hpp"

namespace muster::kiosk {

struct Decoded {
  std::string payload;
  std::string_view pass;  // which attempt of the cascade read it ("plain", "sharpen", ...)
};

// The QR code's text in a grayscale frame, or nothing. Only QR codes are looked for, and only
// results that pass ZXing's Reed-Solomon check are returned, so a retry can add reads but not
// wrong payloads. Never throws for any pixels.
std::optional<Decoded> decode_frame(ImageView gray);

// The names of the cascade's attempts, in order (for benchmarks and the README).
std::vector<std::string_view> decode_passes();

// A QR code for `text` as pixels: black modules of `module_px` pixels with a white quiet zone
// of `quiet_modules` modules. Empty when the text does not fit in a QR code.
GrayImage render_qr(std::string_view text, int module_px = 8, int quiet_modules = 4);

}  // namespace muster::kiosk
