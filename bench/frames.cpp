#include "bench/frames.hpp"

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "kiosk/scan/decoder.hpp"

namespace muster::bench {

namespace {

using kiosk::GrayImage;
constexpr int kWidth = 1280;
constexpr int kHeight = 720;
constexpr double kPi = 3.14159265358979323846;

std::uint8_t clamp_px(double value) {
  return static_cast<std::uint8_t>(std::clamp(std::lround(value), 0L, 255L));
}

// A lit room: a soft left-to-right gradient with some large shapes.
GrayImage background(std::mt19937& random) {
  GrayImage out(kWidth, kHeight);
  std::uniform_real_distribution<double> base(110, 190);
  const double left = base(random);
  const double right = base(random);
  for (int y = 0; y < kHeight; ++y) {
    for (int x = 0; x < kWidth; ++x) {
      out.at(x, y) = clamp_px(left + (right - left) * x / kWidth + 10 * std::sin(y / 40.0));
    }
  }
  std::uniform_int_distribution<int> px(0, kWidth - 1);
  std::uniform_int_distribution<int> py(0, kHeight - 1);
  std::uniform_int_distribution<int> shade(30, 230);
  for (int shape = 0; shape < 6; ++shape) {
    const int x0 = px(random);
    const int y0 = py(random);
    const int w = px(random) / 4;
    const int h = py(random) / 4;
    const auto value = static_cast<std::uint8_t>(shade(random));
    for (int y = y0; y < std::min(kHeight, y0 + h); ++y) {
      for (int x = x0; x < std::min(kWidth, x0 + w); ++x)
        out.at(x, y) = value;
    }
  }
  return out;
}

// Pastes `code` (with its quiet zone) into `frame` centred at (cx, cy), scaled by `scale`,
// rotated by `degrees` and tilted by `tilt` (a perspective term: one side further away).
void place(GrayImage& frame, const GrayImage& code, double cx, double cy, double scale,
           double degrees, double tilt) {
  const double angle = degrees * kPi / 180.0;
  const double c = std::cos(angle);
  const double s = std::sin(angle);
  const double half = code.width * scale / 2.0 * 1.5;
  for (int y = std::max(0, static_cast<int>(cy - half));
       y < std::min(kHeight, static_cast<int>(cy + half)); ++y) {
    for (int x = std::max(0, static_cast<int>(cx - half));
         x < std::min(kWidth, static_cast<int>(cx + half)); ++x) {
      const double u = (x - cx) * c + (y - cy) * s;
      const double v = -(x - cx) * s + (y - cy) * c;
      const double w = 1.0 + tilt * u / (code.width * scale);
      const double sx = u / (scale * w) + code.width / 2.0;
      const double sy = v / (scale * w) + code.height / 2.0;
      if (sx < 0 || sy < 0 || sx >= code.width - 1 || sy >= code.height - 1) continue;
      const int ix = static_cast<int>(sx);
      const int iy = static_cast<int>(sy);
      const double fx = sx - ix;
      const double fy = sy - iy;
      const double value = code.at(ix, iy) * (1 - fx) * (1 - fy) +
                           code.at(ix + 1, iy) * fx * (1 - fy) +
                           code.at(ix, iy + 1) * (1 - fx) * fy + code.at(ix + 1, iy + 1) * fx * fy;
      // Paper is not white and ink is not black under room light.
      frame.at(x, y) = clamp_px(35 + value * (215.0 - 35.0) / 255.0);
    }
  }
}

GrayImage box_blur(const GrayImage& in, int rx, int ry) {
  GrayImage tmp(in.width, in.height);
  GrayImage out(in.width, in.height);
  for (int y = 0; y < in.height; ++y) {
    int sum = 0;
    for (int x = -rx; x <= rx; ++x)
      sum += in.at(std::clamp(x, 0, in.width - 1), y);
    for (int x = 0; x < in.width; ++x) {
      tmp.at(x, y) = static_cast<std::uint8_t>(sum / (2 * rx + 1));
      sum += in.at(std::min(x + rx + 1, in.width - 1), y) - in.at(std::max(x - rx, 0), y);
    }
  }
  for (int x = 0; x < in.width; ++x) {
    int sum = 0;
    for (int y = -ry; y <= ry; ++y)
      sum += tmp.at(x, std::clamp(y, 0, in.height - 1));
    for (int y = 0; y < in.height; ++y) {
      out.at(x, y) = static_cast<std::uint8_t>(sum / (2 * ry + 1));
      sum += tmp.at(x, std::min(y + ry + 1, in.height - 1)) - tmp.at(x, std::max(y - ry, 0));
    }
  }
  return out;
}

void add_noise(GrayImage& image, int amplitude, std::mt19937& random) {
  std::normal_distribution<double> noise(0, amplitude);
  for (auto& p : image.pixels)
    p = clamp_px(p + noise(random));
}

void squeeze_contrast(GrayImage& image, double low, double high) {
  for (auto& p : image.pixels)
    p = clamp_px(low + p * (high - low) / 255.0);
}

// A bright specular spot (a laminated badge under a ceiling light).
void add_glare(GrayImage& image, double cx, double cy, double radius, double strength) {
  for (int y = std::max(0, static_cast<int>(cy - radius));
       y < std::min(kHeight, static_cast<int>(cy + radius)); ++y) {
    for (int x = std::max(0, static_cast<int>(cx - radius));
         x < std::min(kWidth, static_cast<int>(cx + radius)); ++x) {
      const double d = std::hypot(x - cx, y - cy) / radius;
      if (d < 1) image.at(x, y) = clamp_px(image.at(x, y) + strength * (1 - d * d));
    }
  }
}

void jpeg_round_trip(GrayImage& image, int quality) {
  std::vector<std::uint8_t> bytes;
  stbi_write_jpg_to_func(
      [](void* context, void* data, int size) {
        auto* out = static_cast<std::vector<std::uint8_t>*>(context);
        const auto* begin = static_cast<const std::uint8_t*>(data);
        out->insert(out->end(), begin, begin + size);
      },
      &bytes, image.width, image.height, 1, image.pixels.data(), quality);
  int w = 0;
  int h = 0;
  int channels = 0;
  std::uint8_t* decoded =
      stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &channels, 1);
  if (decoded != nullptr && w == image.width && h == image.height) {
    std::copy(decoded, decoded + static_cast<std::size_t>(w) * static_cast<std::size_t>(h),
              image.pixels.begin());
  }
  stbi_image_free(decoded);
}

constexpr std::array<const char*, 10> kConditions = {
    "clean", "tilt",         "rotation", "blur", "motion blur",
    "noise", "low contrast", "glare",    "jpeg", "no code"};

} // namespace

Frame make_frame(std::string_view payload, int index, std::mt19937& random) {
  Frame frame;
  frame.condition = kConditions[static_cast<std::size_t>(index) % kConditions.size()];
  frame.image = background(random);
  if (frame.condition == std::string_view("no code")) {
    add_noise(frame.image, 6, random);
    return frame;
  }
  frame.payload = std::string(payload);
  const GrayImage code = kiosk::render_qr(payload, 1, 4);
  std::uniform_real_distribution<double> unit(0, 1);
  // A badge held 30-60 cm from a 720p camera: modules of about 3 to 6 pixels.
  const double scale = 3.0 + 3.0 * unit(random);
  const double cx = 400 + 480 * unit(random);
  const double cy = 250 + 220 * unit(random);
  double degrees = -8 + 16 * unit(random);
  double tilt = 0;
  const std::string_view condition = frame.condition;
  if (condition == "tilt") tilt = 0.25 + 0.35 * unit(random);
  if (condition == "rotation") degrees = 360 * unit(random);
  place(frame.image, code, cx, cy, scale, degrees, tilt);
  if (condition == "blur") frame.image = box_blur(frame.image, 1, 1);
  if (condition == "motion blur")
    frame.image = box_blur(frame.image, 2 + static_cast<int>(2 * unit(random)), 0);
  if (condition == "noise")
    add_noise(frame.image, 18 + static_cast<int>(12 * unit(random)), random);
  if (condition == "low contrast") squeeze_contrast(frame.image, 95, 150);
  if (condition == "glare")
    add_glare(frame.image, cx + (unit(random) - 0.5) * code.width * scale / 2,
              cy + (unit(random) - 0.5) * code.width * scale / 2, code.width * scale / 4,
              120 + 60 * unit(random));
  if (condition == "jpeg") jpeg_round_trip(frame.image, 12 + static_cast<int>(18 * unit(random)));
  add_noise(frame.image, 3, random); // every sensor has some
  return frame;
}

} // namespace muster::bench
