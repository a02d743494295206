#include "kiosk/scan/decoder.hpp"

#include <gtest/gtest.h>

#define ZX_USE_UTF8 1
#include <ZXing/ReadBarcode.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>

#include "kiosk/scan/deblur.hpp"
#include "kiosk/scan/frame_source.hpp"
#include "kiosk/scan/gray_image.hpp"
#include "tests/support/test_support.hpp"

namespace muster::kiosk {
namespace {

const std::string kPayload =
    "MU1.LEAGUE.RB-0001.RB-0001-1.LK1."
    "SMPQXZCSI5IJM4D36W2JWCPMW4HD34OVHFK42I73AFKEHENV5CWAMCCE67FHFE7XCCKX6V4LIB4NVRVXINJ7IXVE6VC";

// Camera-like distortions, written here (not in the library) so the test does not grade the
// decoder with its own tools.
GrayImage on_canvas(const GrayImage& code, int width, int height, int x0, int y0,
                    std::uint8_t background = 190) {
  GrayImage out(width, height, background);
  for (int y = 0; y < code.height; ++y) {
    for (int x = 0; x < code.width; ++x) {
      if (x + x0 >= 0 && x + x0 < width && y + y0 >= 0 && y + y0 < height) {
        out.at(x + x0, y + y0) = code.at(x, y);
      }
    }
  }
  return out;
}

GrayImage rotate(const GrayImage& in, double degrees, std::uint8_t fill = 190) {
  GrayImage out(in.width, in.height, fill);
  const double r = degrees * M_PI / 180.0;
  const double cx = in.width / 2.0;
  const double cy = in.height / 2.0;
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      const double sx = std::cos(r) * (x - cx) + std::sin(r) * (y - cy) + cx;
      const double sy = -std::sin(r) * (x - cx) + std::cos(r) * (y - cy) + cy;
      const int ix = static_cast<int>(std::lround(sx));
      const int iy = static_cast<int>(std::lround(sy));
      if (ix >= 0 && ix < in.width && iy >= 0 && iy < in.height) out.at(x, y) = in.at(ix, iy);
    }
  }
  return out;
}

GrayImage box_blur(const GrayImage& in, int radius) {
  GrayImage out(in.width, in.height);
  for (int y = 0; y < in.height; ++y) {
    for (int x = 0; x < in.width; ++x) {
      int sum = 0;
      int count = 0;
      for (int dy = -radius; dy <= radius; ++dy) {
        for (int dx = -radius; dx <= radius; ++dx) {
          const int sx = std::clamp(x + dx, 0, in.width - 1);
          const int sy = std::clamp(y + dy, 0, in.height - 1);
          sum += in.at(sx, sy);
          ++count;
        }
      }
      out.at(x, y) = static_cast<std::uint8_t>(sum / count);
    }
  }
  return out;
}

GrayImage add_noise(const GrayImage& in, int amplitude, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> noise(-amplitude, amplitude);
  GrayImage out = in;
  for (auto& p : out.pixels)
    p = static_cast<std::uint8_t>(std::clamp(p + noise(rng), 0, 255));
  return out;
}

GrayImage low_contrast(const GrayImage& in, int low, int high) {
  GrayImage out = in;
  for (auto& p : out.pixels)
    p = static_cast<std::uint8_t>(low + p * (high - low) / 255);
  return out;
}

std::optional<std::string> payload_of(const GrayImage& image) {
  auto decoded = decode_frame(image.view());
  if (!decoded) return std::nullopt;
  return decoded->payload;
}

// Stock ZXing-cpp (ReadBarcode with default hints): what it reads, "" for nothing. Shows a
// frame needs the cascade, and grades the deblurring without the cascade (which deblurs).
std::string stock_zxing_text(const GrayImage& image) {
  const ZXing::ImageView view(image.pixels.data(), image.width, image.height,
                              ZXing::ImageFormat::Lum);
  const auto result =
      ZXing::ReadBarcode(view, ZXing::DecodeHints().setFormats(ZXing::BarcodeFormat::QRCode));
  return result.isValid() ? result.text() : std::string();
}

bool stock_zxing_reads(const GrayImage& image) { return !stock_zxing_text(image).empty(); }

// A badge at 4 px per module in a 720p frame, dimmed to grey on grey (paper 150, ink 95) with
// sensor noise: below ZXing's minimum local contrast, so its binarizer sees no edges.
GrayImage dim_camera_frame() {
  const auto frame = on_canvas(render_qr(kPayload, 4, 4), 1280, 720, 500, 200, 200);
  return add_noise(low_contrast(frame, 95, 150), 6, 11);
}

TEST(Decoder, CleanCodeDecodes) {
  const auto code = render_qr(kPayload, 6, 4);
  ASSERT_FALSE(code.empty());
  const auto decoded = decode_frame(code.view());
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->payload, kPayload);
  EXPECT_EQ(decoded->pass, "plain");
}

TEST(Decoder, CodeInA720pFrameRotatedAndTilted) {
  const auto frame = on_canvas(render_qr(kPayload, 5, 4), 1280, 720, 420, 150);
  for (const double degrees : {12.0, 33.0, 90.0, 171.0}) {
    EXPECT_EQ(payload_of(rotate(frame, degrees)), kPayload) << degrees << " degrees";
  }
}

TEST(Decoder, BlurredCodeDecodes) {
  const auto frame = on_canvas(render_qr(kPayload, 6, 4), 800, 600, 150, 60);
  EXPECT_EQ(payload_of(box_blur(frame, 2)), kPayload);
}

TEST(Decoder, NoisyLowContrastCodeDecodes) {
  const auto frame = on_canvas(render_qr(kPayload, 5, 4), 800, 600, 180, 80);
  EXPECT_EQ(payload_of(add_noise(low_contrast(frame, 90, 170), 25, 7)), kPayload);
}

TEST(Decoder, SmallModulesDecode) {
  const auto frame = on_canvas(render_qr(kPayload, 2, 4), 640, 480, 200, 150);
  EXPECT_EQ(payload_of(frame), kPayload);
}

TEST(Decoder, InvertedCodeDecodesThroughTheCascade) {
  auto negative = render_qr(kPayload, 5, 4);
  for (auto& p : negative.pixels)
    p = static_cast<std::uint8_t>(255 - p);
  const auto decoded = decode_frame(negative.view());
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->payload, kPayload);
  EXPECT_EQ(decoded->pass, "inverted");
}

TEST(Decoder, CodeCroppedWithoutQuietZoneDecodes) {
  // A badge filling the camera's view edge to edge: no light margin around the code.
  const auto decoded = decode_frame(render_qr(kPayload, 6, 0).view());
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->payload, kPayload);
}

TEST(Decoder, FrameWithoutACodeGivesNothing) {
  EXPECT_FALSE(decode_frame(GrayImage(1280, 720, 128).view()));
  EXPECT_FALSE(decode_frame(add_noise(GrayImage(640, 480, 128), 120, 3).view()));
  EXPECT_FALSE(decode_frame(ImageView{}));
  // A checkerboard has edges everywhere but no finder patterns.
  GrayImage board(400, 400);
  for (int y = 0; y < 400; ++y) {
    for (int x = 0; x < 400; ++x)
      board.at(x, y) = ((x / 10 + y / 10) % 2) != 0 ? 0 : 255;
  }
  EXPECT_FALSE(decode_frame(board.view()));
}

TEST(Decoder, NeverReturnsAWrongPayload) {
  // Over a spread of distortions, whatever is read is exactly the payload.
  const auto base = on_canvas(render_qr(kPayload, 4, 4), 640, 480, 150, 80);
  int read = 0;
  for (int i = 0; i < 12; ++i) {
    const auto frame =
        add_noise(box_blur(rotate(base, i * 29.0), i % 3), 10 + 8 * i, static_cast<unsigned>(i));
    if (const auto payload = payload_of(frame)) {
      EXPECT_EQ(*payload, kPayload) << "distortion " << i;
      ++read;
    }
  }
  EXPECT_GT(read, 0);
}

TEST(Decoder, CameraFramesStartAtHalfSizeImagesAtFullSize) {
  const auto camera = decode_passes(1280, 720);
  ASSERT_FALSE(camera.empty());
  EXPECT_EQ(camera.front(), "half-adaptive");
  EXPECT_EQ(decode_passes(1920, 1080).front(), "half-adaptive");
  const auto image = decode_passes(640, 480);
  ASSERT_FALSE(image.empty());
  EXPECT_EQ(image.front(), "plain");
  // A clean badge in a 720p frame is read by the first, cheapest pass.
  const auto decoded =
      decode_frame(on_canvas(render_qr(kPayload, 5, 4), 1280, 720, 420, 150).view());
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->payload, kPayload);
  EXPECT_EQ(decoded->pass, "half-adaptive");
}

TEST(Decoder, DimCameraFrameStockZxingMissesIsRead) {
  const auto frame = dim_camera_frame();
  ASSERT_FALSE(stock_zxing_reads(frame)) << "the frame no longer needs the cascade";
  const auto decoded = decode_frame(frame.view());
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->payload, kPayload);
  EXPECT_EQ(decoded->pass, "half-adaptive");
}

TEST(Decoder, MotionBlurredCameraFrameIsRead) {
  // Horizontal smear over 5 px (a badge moving past the camera) with 4 px modules.
  const auto frame = on_canvas(render_qr(kPayload, 4, 4), 1280, 720, 500, 200, 170);
  GrayImage smeared(frame.width, frame.height);
  for (int y = 0; y < frame.height; ++y) {
    for (int x = 0; x < frame.width; ++x) {
      int sum = 0;
      for (int dx = -2; dx <= 2; ++dx)
        sum += frame.at(std::clamp(x + dx, 0, frame.width - 1), y);
      smeared.at(x, y) = static_cast<std::uint8_t>(sum / 5);
    }
  }
  EXPECT_EQ(payload_of(add_noise(smeared, 4, 5)), kPayload);
}

// Combined conditions (issue 19), written here like the distortions above: a badge of
// `module_px` pixels per module (fractional: as far from the camera as it happens to be), rotated,
// paper 205 and ink 45 on a grey 150 background, in a 1280x720 frame.
GrayImage badge_in_frame(double module_px, double degrees) {
  const auto code = render_qr(kPayload, 1, 4);
  GrayImage out(1280, 720, 150);
  const double r = degrees * M_PI / 180.0;
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      const double u = ((x - 640) * std::cos(r) + (y - 360) * std::sin(r)) / module_px;
      const double v = (-(x - 640) * std::sin(r) + (y - 360) * std::cos(r)) / module_px;
      const double cu = u + code.width / 2.0;
      const double cv = v + code.height / 2.0;
      if (cu < 0 || cv < 0 || cu >= code.width || cv >= code.height) continue;
      out.at(x, y) = code.at(static_cast<int>(cu), static_cast<int>(cv)) != 0 ? 205 : 45;
    }
  }
  return out;
}

// How motion_blur samples between pixels: `nearest` (the frames the older tests were tuned on)
// or `bilinear` (a smooth smear, which the deblurring tests estimate and undo).
enum class Sampling { nearest, bilinear };

// The mean of `length` samples along a line at `degrees` (edges repeated): the badge moved while
// exposed.
GrayImage motion_blur(const GrayImage& in, int length, double degrees,
                      Sampling sampling = Sampling::nearest) {
  GrayImage out(in.width, in.height);
  const double dx = std::cos(degrees * M_PI / 180.0);
  const double dy = std::sin(degrees * M_PI / 180.0);
  const auto sample = [&](double x, double y) -> double {
    if (sampling == Sampling::nearest) {
      return in.at(std::clamp(static_cast<int>(std::lround(x)), 0, in.width - 1),
                   std::clamp(static_cast<int>(std::lround(y)), 0, in.height - 1));
    }
    x = std::clamp(x, 0.0, in.width - 1.001);
    y = std::clamp(y, 0.0, in.height - 1.001);
    const int ix = static_cast<int>(x);
    const int iy = static_cast<int>(y);
    const double fx = x - ix;
    const double fy = y - iy;
    return in.at(ix, iy) * (1 - fx) * (1 - fy) + in.at(ix + 1, iy) * fx * (1 - fy) +
           in.at(ix, iy + 1) * (1 - fx) * fy + in.at(ix + 1, iy + 1) * fx * fy;
  };
  for (int y = 0; y < in.height; ++y) {
    for (int x = 0; x < in.width; ++x) {
      double sum = 0;
      for (int i = 0; i < length; ++i) {
        const double t = i - (length - 1) / 2.0;
        sum += sample(x + t * dx, y + t * dy);
      }
      const double mean = sum / length;
      // nearest: whole pixel values, truncated as an integer mean; bilinear: rounded.
      out.at(x, y) = sampling == Sampling::nearest ? static_cast<std::uint8_t>(mean)
                                                   : static_cast<std::uint8_t>(std::lround(mean));
    }
  }
  return out;
}

// Defocus: repeated 3x3 box blurs approach a Gaussian (five: sigma about 1.8 px).
GrayImage defocus(GrayImage image, int passes) {
  for (int i = 0; i < passes; ++i)
    image = box_blur(image, 1);
  return image;
}

// A specular spot on a laminated badge: brighter towards the centre, up to `strength`.
GrayImage glare(GrayImage image, double cx, double cy, double radius, double strength) {
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      const double d = std::hypot(x - cx, y - cy) / radius;
      if (d < 1) {
        image.at(x, y) =
            static_cast<std::uint8_t>(std::min(255.0, image.at(x, y) + strength * (1 - d * d)));
      }
    }
  }
  return image;
}

GrayImage gaussian_noise(GrayImage image, double sigma, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0, sigma);
  for (auto& p : image.pixels)
    p = static_cast<std::uint8_t>(std::clamp(p + noise(rng), 0.0, 255.0));
  return image;
}

// Frames every whole-frame pass misses and only the region passes read: if those passes break
// or the region finder loses the code, these fail.
TEST(Decoder, CombinedConditionsAreReadOnTheCodesRegion) {
  struct Case {
    const char* what;
    GrayImage frame;
  };
  const Case cases[] = {
      {"3-px modules and motion blur",
       gaussian_noise(motion_blur(badge_in_frame(3.6, 7), 5, 100), 4, 2)},
      {"defocus and glare",
       gaussian_noise(defocus(glare(badge_in_frame(4.0, -5), 660, 340, 49, 180), 5), 4, 3)},
      {"defocus, glare and low contrast",
       gaussian_noise(
           low_contrast(defocus(glare(badge_in_frame(4.5, -5), 660, 340, 55, 180), 5), 60, 190), 4,
           3)},
  };
  for (const auto& c : cases) {
    EXPECT_FALSE(stock_zxing_reads(c.frame)) << c.what << ": no longer needs the cascade";
    const auto decoded = decode_frame(c.frame.view());
    ASSERT_TRUE(decoded) << c.what;
    EXPECT_EQ(decoded->payload, kPayload) << c.what;
    EXPECT_EQ(decoded->pass.substr(0, 7), "region-") << c.what << ": read by " << decoded->pass;
  }
}

// Texture the region finder picks up (printed text on a poster: fine dark strokes).
GrayImage poster_frame() {
  GrayImage frame(1280, 720, 160);
  std::mt19937 rng(5);
  for (int y = 200; y < 500; ++y) {
    for (int x = 400; x < 800; ++x) {
      if ((x / 3 + y / 7) % 4 == 0 || rng() % 9 == 0) frame.at(x, y) = 40;
    }
  }
  return frame;
}

TEST(Decoder, CombinedConditionsWithoutACodeGiveNothing) {
  // The poster shaken and noisy: the region passes run on it and must still report nothing.
  const auto frame = poster_frame();
  const auto shaken = gaussian_noise(motion_blur(frame, 6, 30), 8, 6);
  EXPECT_FALSE(decode_frame(shaken.view()));
  EXPECT_FALSE(decode_frame(defocus(glare(frame, 600, 350, 120, 150), 3).view()));
  EXPECT_FALSE(textured_regions(downscale_half(shaken.view()).view(), 8, 2).empty())
      << "the region passes did not run";
}

TEST(Decoder, SmearedFrameWithoutACodeGivesNothing) {
  // The poster smeared 8 px: its region looks smeared in one direction, so region-deblur
  // deconvolves it (which sharpens noise into edges) and must still report nothing.
  for (const double degrees : {0.0, 45.0, 120.0}) {
    const auto frame =
        gaussian_noise(motion_blur(poster_frame(), 8, degrees), 6, static_cast<unsigned>(degrees));
    const auto regions = textured_regions(downscale_half(frame.view()).view(), 8, 2);
    ASSERT_FALSE(regions.empty()) << degrees << " degrees: the region passes did not run";
    const Rect& r = regions.front();
    const auto motion =
        estimate_motion(sub_view(frame.view(), Rect{2 * r.x, 2 * r.y, 2 * r.width, 2 * r.height}));
    EXPECT_GT(motion.anisotropy, 0.15) << degrees << " degrees: region-deblur would skip it";
    EXPECT_FALSE(decode_frame(frame.view())) << degrees << " degrees";
  }
}

// A badge at 4 px per module moving while exposed: a smear of about two modules, which every
// pass before region-deblur misses (the pass's name says so: the first pass that reads wins).
// If the deblurring breaks or its direction estimate goes wrong, these are not read.
TEST(Decoder, MotionBlurredBadgeIsReadByDeblurring) {
  struct Case {
    double rotation;
    int smear_px;
    double smear_degrees;
  };
  for (const Case c : {Case{10, 8, 30}, Case{-5, 8, 150}, Case{10, 7, 100}}) {
    const auto frame = gaussian_noise(
        motion_blur(badge_in_frame(4.0, c.rotation), c.smear_px, c.smear_degrees), 3, 4);
    const auto decoded = decode_frame(frame.view());
    ASSERT_TRUE(decoded) << c.smear_px << " px at " << c.smear_degrees << " degrees";
    EXPECT_EQ(decoded->payload, kPayload);
    EXPECT_EQ(decoded->pass, "region-deblur") << c.smear_px << " px at " << c.smear_degrees;
  }
}

// The smallest angle between two directions of motion (which have no sign: 0 and 180 agree).
double angle_between(double a, double b) {
  const double d = std::fmod(std::abs(a - b), 180.0);
  return std::min(d, 180.0 - d);
}

TEST(Deblur, EstimateMotionFindsTheSmearsDirection) {
  // A code's region: a QR at 4 px per module (its rows and columns carry the same edges).
  const auto code = render_qr(kPayload, 4, 2);
  const auto sharp = estimate_motion(code.view());
  EXPECT_LT(sharp.anisotropy, 0.05) << "a sharp code looks smeared";
  for (const double degrees : {0.0, 60.0, 135.0}) {
    const auto estimate = estimate_motion(motion_blur(code, 8, degrees, Sampling::bilinear).view());
    EXPECT_LT(angle_between(estimate.degrees, degrees), 4.0)
        << degrees << " degrees estimated as " << estimate.degrees;
    EXPECT_GT(estimate.anisotropy, 0.2) << degrees << " degrees";
  }
  EXPECT_EQ(estimate_motion(ImageView{}).anisotropy, 0);
}

TEST(Deblur, MotionDeblurringRestoresAReadableCode) {
  // Smeared 8 px along 30 degrees, two modules: ZXing cannot read it as it is; deconvolved
  // along the estimated direction, for a box near the smear's length, it can.
  const auto code = render_qr(kPayload, 4, 4);
  const auto smeared = motion_blur(code, 8, 30, Sampling::bilinear);
  ASSERT_EQ(stock_zxing_text(smeared), "") << "the smear no longer needs deblurring";
  const auto motion = estimate_motion(smeared.view());
  const auto sharp = deblur_motion(smeared.view(), motion.degrees, {7, 8, 9}, 0.02);
  ASSERT_EQ(sharp.size(), 3u);
  int read = 0;
  for (const auto& image : sharp)
    read += stock_zxing_text(image) == kPayload ? 1 : 0;
  EXPECT_GT(read, 0);
  // A length under 2 is no smear; an empty region gives nothing.
  const auto none = deblur_motion(smeared.view(), 0, {1.5}, 0.02);
  ASSERT_EQ(none.size(), 1u);
  EXPECT_TRUE(none.front().empty());
  EXPECT_TRUE(deblur_motion(ImageView{}, 0, {8}, 0.02).empty());
}

TEST(Decoder, RegionToolsUpscaleSharpenAndFindTheCode) {
  // Bilinear doubling: each source pixel's 2x2 block mixes 3/4 of it with 1/4 of its neighbour.
  GrayImage pair(2, 1);
  pair.at(0, 0) = 0;
  pair.at(1, 0) = 200;
  const auto doubled = upscale_bilinear(pair.view());
  ASSERT_EQ(doubled.width, 4);
  ASSERT_EQ(doubled.height, 2);
  EXPECT_EQ(doubled.at(0, 0), 0);
  EXPECT_EQ(doubled.at(1, 0), 50);
  EXPECT_EQ(doubled.at(2, 0), 150);
  EXPECT_EQ(doubled.at(3, 0), 200);
  // Unsharp mask: flat stays flat, a soft step gets steeper on both sides.
  EXPECT_EQ(unsharp_mask(GrayImage(9, 9, 120).view(), 2, 200).pixels, GrayImage(9, 9, 120).pixels);
  GrayImage ramp(12, 3);
  for (int y = 0; y < 3; ++y) {
    for (int x = 0; x < 12; ++x)
      ramp.at(x, y) = static_cast<std::uint8_t>(std::clamp(100 + (x - 6) * 10, 60, 140));
  }
  const auto steeper = unsharp_mask(ramp.view(), 2, 200);
  EXPECT_LT(steeper.at(2, 1), ramp.at(2, 1));
  EXPECT_GT(steeper.at(9, 1), ramp.at(9, 1));
  // The code's region in a frame comes first (the shape's sharp edge may be a second
  // candidate); a flat frame has none.
  GrayImage frame = badge_in_frame(5, 0);
  for (int y = 50; y < 150; ++y) {
    for (int x = 50; x < 300; ++x)
      frame.at(x, y) = 60;
  }
  const auto regions = textured_regions(frame.view(), 8, 2);
  ASSERT_FALSE(regions.empty());
  const int side = render_qr(kPayload, 5, 0).width;
  EXPECT_LE(regions[0].x, 640 - side / 2);
  EXPECT_GE(regions[0].x + regions[0].width, 640 + side / 2);
  EXPECT_LE(regions[0].y, 360 - side / 2);
  EXPECT_GE(regions[0].y + regions[0].height, 360 + side / 2);
  EXPECT_TRUE(textured_regions(GrayImage(640, 480, 90).view(), 8, 2).empty());
  const ImageView inside = sub_view(frame.view(), regions[0]);
  EXPECT_EQ(inside.width, regions[0].width);
  EXPECT_EQ(inside.at(0, 0), frame.at(regions[0].x, regions[0].y));
  EXPECT_TRUE(sub_view(frame.view(), Rect{2000, 0, 10, 10}).empty());
}

TEST(Decoder, AdaptiveThresholdIsTheLocalMeanMinusOffset) {
  GrayImage image(23, 17);
  std::mt19937 rng(9);
  for (auto& p : image.pixels)
    p = static_cast<std::uint8_t>(rng() % 256);
  for (const int radius : {0, 1, 3, 12}) {
    for (const int offset : {0, 3}) {
      const auto binary = adaptive_threshold(image.view(), radius, offset);
      ASSERT_EQ(binary.width, image.width);
      ASSERT_EQ(binary.height, image.height);
      const int side = 2 * radius + 1;
      for (int y = 0; y < image.height; ++y) {
        for (int x = 0; x < image.width; ++x) {
          int sum = 0; // edges repeated
          for (int dy = -radius; dy <= radius; ++dy) {
            for (int dx = -radius; dx <= radius; ++dx) {
              sum += image.at(std::clamp(x + dx, 0, image.width - 1),
                              std::clamp(y + dy, 0, image.height - 1));
            }
          }
          const bool black = (image.at(x, y) + offset) * side * side < sum;
          ASSERT_EQ(binary.at(x, y), black ? 0 : 255)
              << "radius " << radius << " offset " << offset << " at " << x << "," << y;
        }
      }
    }
  }
  // A view with a row stride wider than its width reads only its own pixels.
  GrayImage wide(8, 2, 200);
  wide.at(1, 0) = 0;
  wide.at(6, 0) = 0; // outside the 4-pixel view below
  const auto binary = adaptive_threshold(ImageView{wide.pixels.data(), 4, 2, 8}, 1, 0);
  EXPECT_EQ(binary.at(1, 0), 0);
  EXPECT_EQ(binary.at(3, 0), 255);
  EXPECT_TRUE(adaptive_threshold(ImageView{}, 2, 0).empty());
}

TEST(Decoder, PngRoundTripAndDirectoryFrameSource) {
  test::TempDir dir;
  ASSERT_TRUE(write_png(render_qr(kPayload, 4, 4), dir / "a-code.png"));
  ASSERT_TRUE(write_png(GrayImage(320, 240, 200), dir / "b-blank.png"));
  test::write_file(dir / "c-broken.png", "not a png");
  test::write_file(dir / "notes.txt", "ignored: not an image");
  auto source = ImageFileSource::open(dir.path());
  ASSERT_TRUE(source) << source.message();
  EXPECT_EQ(source->size(), 3u);
  std::vector<std::string> payloads;
  while (auto frame = source->next()) {
    const auto decoded = decode_frame(frame->image.view());
    payloads.push_back(decoded ? decoded->payload : "");
  }
  EXPECT_EQ(payloads, (std::vector<std::string>{kPayload, ""}));
  ASSERT_EQ(source->skipped().size(), 1u);
  EXPECT_NE(source->skipped().front().find("c-broken.png"), std::string::npos);
  EXPECT_FALSE(ImageFileSource::open(dir / "missing"));
}

TEST(Decoder, SameBadgeInConsecutiveFramesIsOneScan) {
  using std::chrono::milliseconds;
  FrameScanFilter filter(milliseconds{1500});
  const std::optional<std::string> badge = kPayload;
  EXPECT_EQ(filter.observe(badge, milliseconds{0}), badge);
  EXPECT_FALSE(filter.observe(badge, milliseconds{33}));
  EXPECT_FALSE(filter.observe(std::nullopt, milliseconds{66})); // a missed frame
  EXPECT_FALSE(filter.observe(badge, milliseconds{100}));
  EXPECT_EQ(filter.observe(std::string("OTHER"), milliseconds{133}), std::string("OTHER"));
  // Out of view long enough, then shown again: a new scan (the second scan of a leave).
  EXPECT_FALSE(filter.observe(std::nullopt, milliseconds{1700}));
  EXPECT_EQ(filter.observe(badge, milliseconds{1800}), badge);
}

TEST(Decoder, TextTooLongForAQrCodeRendersNothing) {
  EXPECT_TRUE(render_qr(std::string(8000, 'A')).empty());
  EXPECT_TRUE(render_qr("").empty());
}

} // namespace
} // namespace muster::kiosk
