#pragma once
// Camera-like 1280x720 test frames for the decoding benchmark: a badge's QR code on a grey
// background, seen tilted, rotated, blurred, shaken, noisy, dim, with glare or JPEG artefacts;
// and frames without any code (a decoder must report nothing there).
#include <random>
#include <string>
#include <string_view>

#include "kiosk/scan/gray_image.hpp"

namespace muster::bench {

struct Frame {
  kiosk::GrayImage image;
  std::string payload;   // "" for a frame without a code
  std::string condition; // "clean", "tilt", ..., "no code"
};

// Frame `index` of a deterministic series (every 10th has no code).
Frame make_frame(std::string_view payload, int index, std::mt19937& random);

} // namespace muster::bench
