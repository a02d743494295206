#pragma once
// QR decoding of camera frames and image files: ZXing-cpp behind a small interface, with a
// cascade of cheap attempts (half size, own adaptive threshold, ...) tried until one reads.
// The kiosk's camera thread, `muster-kiosk decode` and the tests all call decode_frame, so
// they decode alike. Deterministic: the same pixels always go through the same passes.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kiosk/scan/gray_image.hpp"

namespace muster::kiosk {

struct Decoded {
  std::string payload;
  std::string_view pass; // which attempt of the cascade read it ("plain", "sharpen", ...)
};

// The QR code's text in a grayscale frame, or nothing. Only QR codes are looked for, and only
// results that pass ZXing's Reed-Solomon check are returned, so a retry can add reads but not
// wrong payloads. Never throws for any pixels.
std::optional<Decoded> decode_frame(ImageView gray);

// The names of the cascade's attempts for a frame of this size, in order (benchmarks, README):
// camera-sized frames (720p and up) start with half-size passes, image files and small frames
// at full size.
std::vector<std::string_view> decode_passes(int width, int height);

// A QR code for `text` as pixels: black modules of `module_px` pixels with a white quiet zone
// of `quiet_modules` modules. Empty when the text does not fit in a QR code.
GrayImage render_qr(std::string_view text, int module_px = 8, int quiet_modules = 4);

} // namespace muster::kiosk
