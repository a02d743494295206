#include "kiosk/scan/deblur.hpp"

#include <gtest/gtest.h>

#define ZX_USE_UTF8 1
#include <ZXing/ReadBarcode.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "kiosk/scan/decoder.hpp"
#include "kiosk/scan/gray_image.hpp"

namespace muster::kiosk {
namespace {

const std::string kPayload =
    "MU1.LEAGUE.RB-0001.RB-0001-1.LK1."
    "SMPQXZCSI5IJM4D36W2JWCPMW4HD34OVHFK42I73AFKEHENV5CWAMCCE67FHFE7XCCKX6V4LIB4NVRVXINJ7IXVE6VC";

// The mean of `length` samples along a line at `degrees` (bilinear, edges repeated): the badge
// moved while exposed. Written here, not taken from the library, so the test does not grade
// the deblurring with its own tools.
GrayImage smear(const GrayImage& in, int length, double degrees) {
  GrayImage out(in.width, in.height);
  const double dx = std::cos(degrees * M_PI / 180.0);
  const double dy = std::sin(degrees * M_PI / 180.0);
  const auto sample = [&](double x, double y) {
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
      out.at(x, y) = static_cast<std::uint8_t>(std::lround(sum / length));
    }
  }
  return out;
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
    const auto estimate = estimate_motion(smear(code, 8, degrees).view());
    EXPECT_LT(angle_between(estimate.degrees, degrees), 4.0)
        << degrees << " degrees estimated as " << estimate.degrees;
    EXPECT_GT(estimate.anisotropy, 0.2) << degrees << " degrees";
  }
  EXPECT_EQ(estimate_motion(ImageView{}).anisotropy, 0);
}

// Stock ZXing-cpp, so the test does not depend on the decoder's cascade (which deblurs).
std::string zxing_text(const GrayImage& image) {
  const ZXing::ImageView view(image.pixels.data(), image.width, image.height,
                              ZXing::ImageFormat::Lum);
  const auto result =
      ZXing::ReadBarcode(view, ZXing::DecodeHints().setFormats(ZXing::BarcodeFormat::QRCode));
  return result.isValid() ? result.text() : std::string();
}

TEST(Deblur, MotionDeblurringRestoresAReadableCode) {
  // Smeared 8 px along 30 degrees, two modules: ZXing cannot read it as it is; deconvolved
  // along the estimated direction, for a box near the smear's length, it can.
  const auto code = render_qr(kPayload, 4, 4);
  const auto smeared = smear(code, 8, 30);
  ASSERT_EQ(zxing_text(smeared), "") << "the smear no longer needs deblurring";
  const auto motion = estimate_motion(smeared.view());
  const auto sharp = deblur_motion(smeared.view(), motion.degrees, {7, 8, 9}, 0.02);
  ASSERT_EQ(sharp.size(), 3u);
  int read = 0;
  for (const auto& image : sharp)
    read += zxing_text(image) == kPayload ? 1 : 0;
  EXPECT_GT(read, 0);
  // A length under 2 is no smear; an empty region gives nothing.
  const auto none = deblur_motion(smeared.view(), 0, {1.5}, 0.02);
  ASSERT_EQ(none.size(), 1u);
  EXPECT_TRUE(none.front().empty());
  EXPECT_TRUE(deblur_motion(ImageView{}, 0, {8}, 0.02).empty());
}

} // namespace
} // namespace muster::kiosk
