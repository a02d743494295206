#include "kiosk/scan/decoder.hpp"

#include <gtest/gtest.h>

#define ZX_USE_UTF8 1
#include <ZXing/ReadBarcode.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>

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

// Stock ZXing-cpp (ReadBarcode with default hints), to show a frame needs the cascade.
bool stock_zxing_reads(const GrayImage& image) {
  const ZXing::ImageView view(image.pixels.data(), image.width, image.height,
                              ZXing::ImageFormat::Lum);
  return ZXing::ReadBarcode(view, ZXing::DecodeHints().setFormats(ZXing::BarcodeFormat::QRCode))
      .isValid();
}

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
