#pragma once
// Camera-like 1280x720 test frames for the decoding benchmark: a badge's QR code on a grey
// background, seen tilted, rotated, blurred, shaken, noisy, dim, with glare or JPEG artefacts;
// and frames without any code (a decoder must report nothing there).
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "kiosk/scan/gray_image.hpp"

namespace muster::bench {

struct Frame {
  kiosk::GrayImage image;
  std::string payload;   // "" for a frame without a code
  std::string condition; // "clean", "tilt", ..., "no code"; combined: "motion blur+noise+jpeg"
  // Combined frames only: each condition applied, and the module size in pixels (0: no code).
  std::vector<std::string> conditions;
  int module_px = 0;
};

// Frame `index` of a deterministic series (every 10th has no code).
Frame make_frame(std::string_view payload, int index, std::mt19937& random);

// A frame as cameras really take them (issue 19): modules of 3 to 8 px and two to five of
// tilt, rotation, defocus, motion blur, noise, low contrast, glare and JPEG together; every
// 20th frame has no code (with two to five of the conditions that apply without one).
Frame make_combined_frame(std::string_view payload, int index, std::mt19937& random);

// The combined set's condition names, in table order.
const std::vector<std::string>& combined_conditions();

} // namespace muster::bench
