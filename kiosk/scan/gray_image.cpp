#include "kiosk/scan/gray_image.hpp"

#include <stb_image.h>
#include <stb_image_write.h>

#include <algorithm>
#include <array>
#include <memory>
#include <string>

namespace muster::kiosk {

namespace {

std::uint8_t clamp_byte(int value) { return static_cast<std::uint8_t>(std::clamp(value, 0, 255)); }

} // namespace

GrayImage::GrayImage(int w, int h, std::uint8_t fill)
    : width(w), height(h),
      pixels(static_cast<std::size_t>(std::max(w, 0)) * static_cast<std::size_t>(std::max(h, 0)),
             fill) {}

Result<GrayImage, ImageError> load_gray_image(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return fail(ImageError::io, "cannot read " + path.string() + ": no such file");
  }
  int width = 0;
  int height = 0;
  int channels = 0;
  // stbi_load converts any format to 1 channel (luminance) when asked to.
  std::unique_ptr<unsigned char, decltype(&stbi_image_free)> data(
      stbi_load(path.c_str(), &width, &height, &channels, 1), &stbi_image_free);
  if (!data) {
    return fail(ImageError::format, "cannot read " + path.string() +
                                        " as an image: " + std::string(stbi_failure_reason()));
  }
  GrayImage image(width, height);
  std::copy_n(data.get(), image.pixels.size(), image.pixels.begin());
  return image;
}

Result<Ok, ImageError> write_png(const GrayImage& image, const std::filesystem::path& path) {
  if (image.empty() || stbi_write_png(path.c_str(), image.width, image.height, 1,
                                      image.pixels.data(), image.width) == 0) {
    return fail(ImageError::io, "cannot write " + path.string());
  }
  return Ok{};
}

GrayImage copy_of(ImageView view) {
  GrayImage out(view.width, view.height);
  for (int y = 0; y < view.height; ++y) {
    for (int x = 0; x < view.width; ++x)
      out.at(x, y) = view.at(x, y);
  }
  return out;
}

GrayImage add_border(ImageView view, int border, std::uint8_t value) {
  GrayImage out(view.width + 2 * border, view.height + 2 * border, value);
  for (int y = 0; y < view.height; ++y) {
    for (int x = 0; x < view.width; ++x)
      out.at(x + border, y + border) = view.at(x, y);
  }
  return out;
}

GrayImage invert(ImageView view) {
  GrayImage out(view.width, view.height);
  for (int y = 0; y < view.height; ++y) {
    for (int x = 0; x < view.width; ++x) {
      out.at(x, y) = static_cast<std::uint8_t>(255 - view.at(x, y));
    }
  }
  return out;
}

GrayImage sharpen(ImageView view) {
  GrayImage out = copy_of(view);
  for (int y = 1; y + 1 < view.height; ++y) {
    for (int x = 1; x + 1 < view.width; ++x) {
      const int center = view.at(x, y);
      const int sum = view.at(x - 1, y) + view.at(x + 1, y) + view.at(x, y - 1) + view.at(x, y + 1);
      out.at(x, y) = clamp_byte(5 * center - sum);
    }
  }
  return out;
}

GrayImage downscale_half(ImageView view) {
  GrayImage out(view.width / 2, view.height / 2);
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      const int sum = view.at(2 * x, 2 * y) + view.at(2 * x + 1, 2 * y) +
                      view.at(2 * x, 2 * y + 1) + view.at(2 * x + 1, 2 * y + 1);
      out.at(x, y) = static_cast<std::uint8_t>((sum + 2) / 4);
    }
  }
  return out;
}

GrayImage upscale_double(ImageView view) {
  GrayImage out(view.width * 2, view.height * 2);
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x)
      out.at(x, y) = view.at(x / 2, y / 2);
  }
  return out;
}

GrayImage stretch_contrast(ImageView view) {
  std::array<std::size_t, 256> histogram{};
  for (int y = 0; y < view.height; ++y) {
    for (int x = 0; x < view.width; ++x)
      ++histogram[view.at(x, y)];
  }
  const std::size_t total =
      static_cast<std::size_t>(view.width) * static_cast<std::size_t>(view.height);
  const std::size_t cut = total / 50;
  int low = 0;
  for (std::size_t seen = 0; low < 255 && seen + histogram[static_cast<std::size_t>(low)] <= cut;
       ++low) {
    seen += histogram[static_cast<std::size_t>(low)];
  }
  int high = 255;
  for (std::size_t seen = 0; high > 0 && seen + histogram[static_cast<std::size_t>(high)] <= cut;
       --high) {
    seen += histogram[static_cast<std::size_t>(high)];
  }
  GrayImage out(view.width, view.height);
  const int range = std::max(high - low, 1);
  for (int y = 0; y < view.height; ++y) {
    for (int x = 0; x < view.width; ++x) {
      out.at(x, y) = clamp_byte((view.at(x, y) - low) * 255 / range);
    }
  }
  return out;
}

GrayImage adaptive_threshold(ImageView view, int radius, int offset) {
  GrayImage out(view.width, view.height);
  if (view.empty() || radius < 0) return out;
  const int w = view.width;
  const int h = view.height;
  const int side = 2 * radius + 1;
  const int area = side * side;
  const auto row_of = [&](int y) {
    return view.data + static_cast<std::size_t>(std::clamp(y, 0, h - 1)) *
                           static_cast<std::size_t>(view.row_stride);
  };
  // Column sums over the window's rows, then a running sum along each row (edges repeated).
  // `padded` holds the column sums with `radius` repeated edge values on each side.
  std::vector<int> padded(static_cast<std::size_t>(w + side), 0);
  int* columns = padded.data() + radius;
  for (int dy = -radius; dy <= radius; ++dy) {
    const std::uint8_t* row = row_of(dy);
    for (int x = 0; x < w; ++x)
      columns[x] += row[x];
  }
  for (int y = 0; y < h; ++y) {
    for (int i = 0; i < radius; ++i) {
      padded[static_cast<std::size_t>(i)] = columns[0];
      columns[w + i] = columns[w - 1];
    }
    columns[w + radius] = columns[w - 1];
    const int* window = padded.data();
    int sum = 0;
    for (int i = 0; i < side; ++i)
      sum += window[i];
    const std::uint8_t* row = row_of(y);
    std::uint8_t* dst = &out.at(0, y);
    for (int x = 0; x < w; ++x) {
      // pixel < mean - offset, in integers.
      dst[x] = (row[x] + offset) * area < sum ? std::uint8_t{0} : std::uint8_t{255};
      sum += window[x + side] - window[x];
    }
    const std::uint8_t* add = row_of(y + radius + 1);
    const std::uint8_t* drop = row_of(y - radius);
    for (int x = 0; x < w; ++x)
      columns[x] += add[x] - drop[x];
  }
  return out;
}

} // namespace muster::kiosk
