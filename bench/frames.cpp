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

// Defocus: a Gaussian of `sigma` pixels (separable, edges repeated).
GrayImage gaussian_blur(const GrayImage& in, double sigma) {
  const int radius = std::max(1, static_cast<int>(std::ceil(3 * sigma)));
  std::vector<double> kernel(static_cast<std::size_t>(2 * radius + 1));
  double total = 0;
  for (int i = -radius; i <= radius; ++i) {
    kernel[static_cast<std::size_t>(i + radius)] = std::exp(-i * i / (2 * sigma * sigma));
    total += kernel[static_cast<std::size_t>(i + radius)];
  }
  for (auto& k : kernel)
    k /= total;
  std::vector<double> tmp(in.pixels.size());
  const auto at = [&](int x, int y) { return static_cast<std::size_t>(y) * in.width + x; };
  for (int y = 0; y < in.height; ++y) {
    for (int x = 0; x < in.width; ++x) {
      double sum = 0;
      for (int i = -radius; i <= radius; ++i)
        sum += kernel[static_cast<std::size_t>(i + radius)] *
               in.pixels[at(std::clamp(x + i, 0, in.width - 1), y)];
      tmp[at(x, y)] = sum;
    }
  }
  GrayImage out(in.width, in.height);
  for (int y = 0; y < in.height; ++y) {
    for (int x = 0; x < in.width; ++x) {
      double sum = 0;
      for (int i = -radius; i <= radius; ++i)
        sum += kernel[static_cast<std::size_t>(i + radius)] *
               tmp[at(x, std::clamp(y + i, 0, in.height - 1))];
      out.pixels[at(x, y)] = clamp_px(sum);
    }
  }
  return out;
}

// Motion: the mean of `length` samples along a line at `degrees` (a badge moved while the
// shutter was open), bilinear between pixels, edges repeated.
GrayImage motion_blur(const GrayImage& in, double length, double degrees) {
  const int samples = std::max(2, static_cast<int>(std::lround(length)));
  const double dx = std::cos(degrees * kPi / 180.0) * length / (samples - 1);
  const double dy = std::sin(degrees * kPi / 180.0) * length / (samples - 1);
  GrayImage out(in.width, in.height);
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
      for (int i = 0; i < samples; ++i) {
        const double t = i - (samples - 1) / 2.0;
        sum += sample(x + t * dx, y + t * dy);
      }
      out.at(x, y) = clamp_px(sum / samples);
    }
  }
  return out;
}

constexpr std::array<const char*, 10> kConditions = {
    "clean", "tilt",         "rotation", "defocus", "motion blur",
    "noise", "low contrast", "glare",    "jpeg",    "no code"};

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
  if (condition == "defocus") frame.image = box_blur(frame.image, 1, 1);
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

const std::vector<std::string>& combined_conditions() {
  static const std::vector<std::string> names = {"tilt",  "rotation",     "defocus", "motion blur",
                                                 "noise", "low contrast", "glare",   "jpeg"};
  return names;
}

Frame make_combined_frame(std::string_view payload, int index, std::mt19937& random) {
  Frame frame;
  frame.image = background(random);
  std::uniform_real_distribution<double> unit(0, 1);
  const auto& names = combined_conditions();
  // Two to five distinct conditions, drawn without replacement.
  std::vector<std::size_t> order(names.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::shuffle(order.begin(), order.end(), random);
  const auto how_many = static_cast<std::size_t>(std::uniform_int_distribution<int>(2, 5)(random));
  std::vector<bool> on(names.size(), false);
  for (std::size_t i = 0; i < how_many; ++i)
    on[order[i]] = true;
  const auto has = [&](std::string_view name) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] == name) return static_cast<bool>(on[i]);
    }
    return false;
  };
  const bool no_code = index % 20 == 19;
  double cx = kWidth / 2.0;
  double cy = kHeight / 2.0;
  double code_px = 200;
  if (!no_code) {
    frame.payload = std::string(payload);
    const GrayImage code = kiosk::render_qr(payload, 1, 4);
    // A badge 25-70 cm from a 720p camera: modules of 3 to 8 pixels.
    frame.module_px = 3 + static_cast<int>(6 * unit(random)) % 6;
    const double scale = frame.module_px + unit(random) * 0.99;
    frame.module_px = static_cast<int>(scale); // the size class: 3.0-3.99 px is "3 px"
    code_px = code.width * scale;
    // Centred so the whole code (rotated, tilted) stays in view.
    const double margin_x = std::min(kWidth / 2.0, code_px * 0.72);
    const double margin_y = std::min(kHeight / 2.0, code_px * 0.72);
    cx = margin_x + (kWidth - 2 * margin_x) * unit(random);
    cy = margin_y + (kHeight - 2 * margin_y) * unit(random);
    double degrees = -8 + 16 * unit(random);
    double tilt = 0;
    if (has("tilt")) tilt = (unit(random) < 0.5 ? -1 : 1) * (0.2 + 0.3 * unit(random));
    if (has("rotation")) degrees = 360 * unit(random);
    place(frame.image, code, cx, cy, scale, degrees, tilt);
  }
  // On the badge's surface, then through the lens, then the sensor, then the encoder.
  if (has("glare"))
    add_glare(frame.image, cx + (unit(random) - 0.5) * code_px / 2,
              cy + (unit(random) - 0.5) * code_px / 2, code_px / 4, 70 + 70 * unit(random));
  if (has("defocus")) frame.image = gaussian_blur(frame.image, 0.8 + 1.0 * unit(random));
  if (has("motion blur"))
    frame.image = motion_blur(frame.image, 3 + 6 * unit(random), 180 * unit(random));
  if (has("low contrast"))
    squeeze_contrast(frame.image, 55 + 30 * unit(random), 165 + 30 * unit(random));
  add_noise(frame.image, has("noise") ? 5 + static_cast<int>(8 * unit(random)) : 3, random);
  if (has("jpeg")) jpeg_round_trip(frame.image, 15 + static_cast<int>(25 * unit(random)));
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!on[i]) continue;
    frame.conditions.push_back(names[i]);
    frame.condition += (frame.condition.empty() ? "" : "+") + names[i];
  }
  if (no_code) frame.condition = "no code";
  return frame;
}

} // namespace muster::bench
