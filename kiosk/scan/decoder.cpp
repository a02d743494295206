#include "kiosk/scan/decoder.hpp"

#define ZX_USE_UTF8 1
#include <ZXing/BitMatrix.h>
#include <ZXing/MultiFormatWriter.h>
#include <ZXing/ReadBarcode.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <exception>
#include <numbers>
#include <string>
#include <vector>

#include "kiosk/scan/deblur.hpp"

namespace muster::kiosk {

namespace {

// What a pass hands to ZXing. `thorough`: ZXing's tryHarder (finder patterns searched on every
// row) and its own 1/3-scale retry; costly on a 720p frame, so only the full-size passes use it.
struct ReadOptions {
  ZXing::Binarizer binarizer = ZXing::Binarizer::LocalAverage;
  bool thorough = true;
};

std::optional<std::string> read_qr(ImageView view, ReadOptions options) {
  if (view.empty()) return std::nullopt;
  ZXing::DecodeHints hints;
  hints.setFormats(ZXing::BarcodeFormat::QRCode);
  hints.setTryHarder(options.thorough);
  hints.setTryRotate(true);
  hints.setTryDownscale(options.thorough);
  hints.setBinarizer(options.binarizer);
  hints.setMaxNumberOfSymbols(1);
  const ZXing::ImageView zx(view.data, view.width, view.height, ZXing::ImageFormat::Lum,
                            view.row_stride);
  const auto result = ZXing::ReadBarcode(zx, hints);
  // isValid() means detected, decoded and error-corrected: ZXing reports a failed
  // Reed-Solomon check as an error, never as text.
  if (!result.isValid() || result.format() != ZXing::BarcodeFormat::QRCode) return std::nullopt;
  auto text = result.text();
  if (text.empty()) return std::nullopt;
  return text;
}

// Already black and white (adaptive_threshold): ZXing only has to read 0 as black.
std::optional<std::string> read_binary(const GrayImage& binary, bool thorough) {
  return read_qr(binary.view(), {ZXing::Binarizer::FixedThreshold, thorough});
}

// Camera frames (720p and up) are first tried at half size: 2x2 averaging halves the noise and
// the blur in pixels, and ZXing works on a quarter of the pixels. Image files and small frames
// (VGA) start at full size, where a half-size copy would leave modules of 1-2 pixels.
bool is_camera_sized(ImageView view) { return std::min(view.width, view.height) >= 600; }

// The frame and its half-size copy, made once and shared by the passes that need it.
class FrameImages {
public:
  explicit FrameImages(ImageView full) : full_(full) {}
  [[nodiscard]] ImageView full() const { return full_; }
  [[nodiscard]] bool camera_sized() const { return is_camera_sized(full_); }
  ImageView half() {
    if (half_.empty()) half_ = downscale_half(full_);
    return half_.view();
  }
  // The half-size copy for camera frames, else the frame itself: for passes that are cheap
  // enough to run on every miss but want a full-size image where it is small.
  ImageView working() { return camera_sized() ? half() : full_; }
  // Where the code probably is, in full-size pixels: found on the working image (cells of 8
  // pixels), at most two candidates. Only the region passes use it, on frames every whole-frame
  // pass missed, so they spend their effort on the code's pixels only.
  const std::vector<Rect>& regions() {
    if (!regions_found_) {
      regions_found_ = true;
      const int factor = camera_sized() ? 2 : 1;
      regions_ = textured_regions(working(), 8, 2);
      for (auto& r : regions_)
        r = Rect{r.x * factor, r.y * factor, r.width * factor, r.height * factor};
    }
    return regions_;
  }

private:
  ImageView full_;
  GrayImage half_;
  std::vector<Rect> regions_;
  bool regions_found_ = false;
};

// The first read of `attempt` on one of the frame's candidate regions (full size).
template <class Attempt> std::optional<std::string> in_regions(FrameImages& f, Attempt attempt) {
  for (const Rect& region : f.regions()) {
    const ImageView view = sub_view(f.full(), region);
    if (view.width < 16 || view.height < 16) continue;
    if (auto text = attempt(view)) return text;
  }
  return std::nullopt;
}

enum class Applies : std::uint8_t { camera, image, any };

struct Pass {
  std::string_view name;
  Applies applies;
  std::optional<std::string> (*attempt)(FrameImages&);
};

bool applies_to(const Pass& pass, bool camera_sized) {
  return pass.applies == Applies::any || (pass.applies == Applies::camera) == camera_sized;
}

using ZXing::Binarizer;

// Motion deblurring of the code's region (issue 19), the constants measured on bench/frames.cpp's
// combined set (400 frames, seeds 1 and 2; kiosk/README.md has the figures).
// Below this anisotropy the region is not smeared in one direction (sharp or defocused).
constexpr double kMinAnisotropy = 0.08;
// Box lengths tried, in full-size pixels: the bench's smears are 3-9 px long. 4-9 read 1-2
// frames more per 400 than 4, 6, 8; adding 3 or 10 read none more.
constexpr std::array<double, 6> kSmearLengths{4, 5, 6, 7, 8, 9};
// Wiener noise-to-signal ratio: 0.015 and 0.03 each read 3 frames fewer than 0.02.
constexpr double kNoiseToSignal = 0.02;
// Regions whose turned copy is larger than this (pixels a side) are deblurred at half size: the
// pass's p99 came from large codes smeared near 45 degrees (rows padded to 1024). Halving above
// 320 px (unturned) read 1-2 frames fewer.
constexpr double kFullSizeLimit = 440;

std::optional<std::string> deblur_region(ImageView region) {
  auto motion = estimate_motion(region);
  const double radians = motion.degrees * std::numbers::pi / 180.0;
  const double c = std::abs(std::cos(radians));
  const double s = std::abs(std::sin(radians));
  const double turned_width = region.width * c + region.height * s;
  const double turned_height = region.width * s + region.height * c;
  GrayImage half;
  double scale = 1;
  if (turned_width * turned_height > kFullSizeLimit * kFullSizeLimit ||
      std::max(turned_width, turned_height) > 1.5 * kFullSizeLimit) {
    half = downscale_half(region);
    region = half.view();
    scale = 0.5;
    // Estimated again where the filter works: 1-2 frames more than the full-size one.
    motion = estimate_motion(region);
  }
  if (motion.anisotropy < kMinAnisotropy) return std::nullopt;
  std::vector<double> lengths;
  for (const double length : kSmearLengths)
    lengths.push_back(length * scale);
  // The threshold's window as region-sharpen's (33 px at full size): a few modules of any size.
  const int radius = static_cast<int>(16 * scale);
  for (const auto& sharp : deblur_motion(region, motion.degrees, lengths, kNoiseToSignal)) {
    if (auto text = read_binary(adaptive_threshold(sharp.view(), radius, 3), false)) return text;
  }
  return std::nullopt;
}

// Ordered by reads per millisecond on bench/frames.cpp's camera frames (kiosk/README.md has the
// figures): a frame stops at the first pass that reads it, so the cheap passes go first and a
// frame without a code (which runs every pass) stays cheap.
constexpr std::array<Pass, 15> kCascade{{
    // Camera frames, at half size: each read in about a sixth of stock ZXing's time.
    {"half-adaptive", Applies::camera,
     [](FrameImages& f) { return read_binary(adaptive_threshold(f.half(), 8, 3), false); }},
    {"half-global", Applies::camera,
     [](FrameImages& f) {
       return read_qr(f.half(), {Binarizer::GlobalHistogram, false});
     }},
    {"half-scale", Applies::camera,
     [](FrameImages& f) {
       return read_qr(f.half(), {Binarizer::LocalAverage, false});
     }},
    // Camera frames at full size: small modules, blur that averaging made worse.
    {"full-size", Applies::camera,
     [](FrameImages& f) {
       return read_qr(f.full(), {Binarizer::LocalAverage, false});
     }},
    // Image files and small frames start here (stock ZXing settings).
    {"plain", Applies::image,
     [](FrameImages& f) {
       return read_qr(f.full(), {Binarizer::LocalAverage, true});
     }},
    {"adaptive", Applies::any,
     [](FrameImages& f) { return read_binary(adaptive_threshold(f.full(), 12, 3), false); }},
    {"global-histogram", Applies::image,
     [](FrameImages& f) {
       return read_qr(f.full(), {Binarizer::GlobalHistogram, true});
     }},
    // The code's region at full size (issue 19: combined conditions). Defocus and motion blur
    // spread each module over its neighbours: an unsharp mask over a 7x7 window steepens the
    // edges again before our own threshold (window of 33 px: a few modules of any size).
    {"region-sharpen", Applies::any,
     [](FrameImages& f) {
       return in_regions(f, [](ImageView v) {
         return read_binary(adaptive_threshold(unsharp_mask(v, 3, 200).view(), 16, 3), false);
       });
     }},
    // Modules of 3 px (a badge far away) blurred to 2 px of contrast: twice the size, bilinear,
    // gives the threshold and ZXing's sampling grid pixels to land on.
    {"region-upscale", Applies::any,
     [](FrameImages& f) {
       return in_regions(f, [](ImageView v) {
         return read_binary(adaptive_threshold(upscale_bilinear(v).view(), 32, 2), false);
       });
     }},
    // Motion blur undone on the first candidate region only (the second, usually a shape's
    // edge, never gave a read on the bench): see deblur_region.
    {"region-deblur", Applies::any,
     [](FrameImages& f) -> std::optional<std::string> {
       if (f.regions().empty()) return std::nullopt;
       const ImageView view = sub_view(f.full(), f.regions().front());
       if (view.width < 16 || view.height < 16) return std::nullopt;
       return deblur_region(view);
     }},
    {"quiet-zone", Applies::any,
     [](FrameImages& f) {
       const ImageView v = f.working();
       const auto padded = add_border(v, std::max(8, std::min(v.width, v.height) / 10));
       return read_qr(padded.view(), {Binarizer::LocalAverage, !f.camera_sized()});
     }},
    {"sharpen", Applies::image,
     [](FrameImages& f) { return read_qr(sharpen(f.full()).view(), {}); }},
    {"contrast", Applies::image,
     [](FrameImages& f) {
       return read_qr(stretch_contrast(f.full()).view(), {Binarizer::GlobalHistogram, true});
     }},
    {"double-scale", Applies::image,
     [](FrameImages& f) -> std::optional<std::string> {
       const ImageView v = f.full();
       if (v.width > 800 || v.height > 800) return std::nullopt;
       return read_qr(upscale_double(v).view(), {});
     }},
    {"inverted", Applies::any,
     [](FrameImages& f) {
       return read_qr(invert(f.working()).view(), {Binarizer::LocalAverage, !f.camera_sized()});
     }},
}};

} // namespace

std::optional<Decoded> decode_frame(ImageView gray) {
  if (gray.empty() || gray.row_stride < gray.width) return std::nullopt;
  try {
    FrameImages images(gray);
    const bool camera_sized = images.camera_sized();
    for (const auto& pass : kCascade) {
      if (!applies_to(pass, camera_sized)) continue;
      if (auto text = pass.attempt(images)) return Decoded{std::move(*text), pass.name};
    }
  } catch (const std::exception&) {
    // ZXing reports bad input as values; an exception here would be its bug or out of memory.
    // A camera frame that cannot be read is a missed frame, not a crash.
  }
  return std::nullopt;
}

std::vector<std::string_view> decode_passes(int width, int height) {
  const bool camera_sized =
      is_camera_sized(ImageView{nullptr, std::max(width, 0), std::max(height, 0), 0});
  std::vector<std::string_view> names;
  for (const auto& pass : kCascade) {
    if (applies_to(pass, camera_sized)) names.push_back(pass.name);
  }
  return names;
}

GrayImage render_qr(std::string_view text, int module_px, int quiet_modules) {
  if (text.empty() || module_px < 1 || quiet_modules < 0) return {};
  ZXing::BitMatrix bits;
  try {
    // Width/height 0: the symbol at one pixel per module, plus the margin in modules.
    bits = ZXing::MultiFormatWriter(ZXing::BarcodeFormat::QRCode)
               .setMargin(quiet_modules)
               .setEccLevel(4) // 1.4 maps 3-4 to level M (15%): room for scuffs, a small symbol
               .encode(std::string(text), 0, 0);
  } catch (const std::exception&) {
    return {}; // too long for any QR version
  }
  GrayImage out(bits.width() * module_px, bits.height() * module_px);
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      out.at(x, y) = bits.get(x / module_px, y / module_px) ? 0 : 255;
    }
  }
  return out;
}

} // namespace muster::kiosk
