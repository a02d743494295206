#include "kiosk/scan/decoder.hpp"

#include <gtest/gtest.h>

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
  for (auto& p : out.pixels) p = static_cast<std::uint8_t>(std::clamp(p + noise(rng), 0, 255));
  return out;
}

GrayImage low_contrast(const GrayImage& in, int low, int high) {
  GrayImage out = in;
  for (auto& p : out.pixels) p = static_cast<std::uint8_t>(low + p * (high - low) / 255);
  return out;
}

std::optional<std::string> payload_of(const GrayImage& image) {
  auto decoded = decode_frame(image.view());
  if (!decoded) return std::nullopt;
  return decoded->payload;
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
  for (auto& p : negative.pixels) p = static_cast<std::uint8_t>(255 - p);
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
    for (int x = 0; x < 400; ++x) board.at(x, y) = ((x / 10 + y / 10) % 2) != 0 ? 0 : 255;
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
  EXPECT_FALSE(filter.observe(std::nullopt, milliseconds{66}));  // a missed frame
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

}  // namespace
}  // namespace muster::kiosk
