#include "kiosk/scan/gray_image.hpp"

#include <stb_image.h>
#include <stb_image_write.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <string>
#include <utility>

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

ImageView sub_view(ImageView view, Rect rect) {
  const int x0 = std::clamp(rect.x, 0, view.width);
  const int y0 = std::clamp(rect.y, 0, view.height);
  const int x1 = std::clamp(rect.x + rect.width, x0, view.width);
  const int y1 = std::clamp(rect.y + rect.height, y0, view.height);
  if (view.empty() || x1 <= x0 || y1 <= y0) return {};
  return ImageView{view.data +
                       static_cast<std::size_t>(y0) * static_cast<std::size_t>(view.row_stride) +
                       static_cast<std::size_t>(x0),
                   x1 - x0, y1 - y0, view.row_stride};
}

GrayImage upscale_bilinear(ImageView view) {
  GrayImage out(view.width * 2, view.height * 2);
  if (view.empty()) return out;
  // Output pixel x samples the source at x / 2 - 1/4: weights 3/4 and 1/4 of two neighbours.
  for (int y = 0; y < out.height; ++y) {
    const int sy0 = std::clamp((y - 1) / 2, 0, view.height - 1);
    const int sy1 = std::clamp(sy0 + 1, 0, view.height - 1);
    const int wy = (y == 0) ? 0 : (y % 2 == 0 ? 3 : 1); // of 4, towards sy1
    for (int x = 0; x < out.width; ++x) {
      const int sx0 = std::clamp((x - 1) / 2, 0, view.width - 1);
      const int sx1 = std::clamp(sx0 + 1, 0, view.width - 1);
      const int wx = (x == 0) ? 0 : (x % 2 == 0 ? 3 : 1);
      const int top = view.at(sx0, sy0) * (4 - wx) + view.at(sx1, sy0) * wx;
      const int bottom = view.at(sx0, sy1) * (4 - wx) + view.at(sx1, sy1) * wx;
      out.at(x, y) = static_cast<std::uint8_t>((top * (4 - wy) + bottom * wy + 8) / 16);
    }
  }
  return out;
}

GrayImage unsharp_mask(ImageView view, int radius, int amount_percent) {
  GrayImage out(view.width, view.height);
  if (view.empty() || radius < 1) return out;
  // The box mean from a summed-area table (edges clamped by shrinking the window).
  const int w = view.width;
  const int h = view.height;
  std::vector<int> table(static_cast<std::size_t>(w + 1) * static_cast<std::size_t>(h + 1), 0);
  const auto t = [&](int x, int y) -> int& {
    return table[static_cast<std::size_t>(y) * static_cast<std::size_t>(w + 1) +
                 static_cast<std::size_t>(x)];
  };
  for (int y = 0; y < h; ++y) {
    int row = 0;
    for (int x = 0; x < w; ++x) {
      row += view.at(x, y);
      t(x + 1, y + 1) = t(x + 1, y) + row;
    }
  }
  for (int y = 0; y < h; ++y) {
    const int y0 = std::max(0, y - radius);
    const int y1 = std::min(h, y + radius + 1);
    for (int x = 0; x < w; ++x) {
      const int x0 = std::max(0, x - radius);
      const int x1 = std::min(w, x + radius + 1);
      const int area = (x1 - x0) * (y1 - y0);
      const int sum = t(x1, y1) - t(x0, y1) - t(x1, y0) + t(x0, y0);
      const int v = view.at(x, y);
      // v + amount * (v - sum / area), in integers.
      out.at(x, y) = clamp_byte(v + (amount_percent * (v * area - sum)) / (100 * area));
    }
  }
  return out;
}

namespace {

// The cells of a frame cut into squares, row by row.
struct Grid {
  int cols = 0;
  int rows = 0;
  [[nodiscard]] std::size_t index(int c, int r) const {
    return static_cast<std::size_t>(r) * static_cast<std::size_t>(cols) +
           static_cast<std::size_t>(c);
  }
  [[nodiscard]] bool inside(int c, int r) const { return c >= 0 && r >= 0 && c < cols && r < rows; }
};

// A connected group of textured cells: its bounding box (in cells) and how many it has.
struct Blob {
  Rect cells;
  int count = 0;
};

// Each cell's standard deviation, from the sum and sum of squares of its pixels.
std::vector<int> cell_deviations(ImageView view, int cell, const Grid& grid) {
  std::vector<int> deviation(static_cast<std::size_t>(grid.cols) *
                             static_cast<std::size_t>(grid.rows));
  const int n = cell * cell;
  for (int r = 0; r < grid.rows; ++r) {
    for (int c = 0; c < grid.cols; ++c) {
      long sum = 0;
      long squares = 0;
      for (int y = r * cell; y < (r + 1) * cell; ++y) {
        for (int x = c * cell; x < (c + 1) * cell; ++x) {
          const int v = view.at(x, y);
          sum += v;
          squares += v * v;
        }
      }
      const long variance = (squares * n - sum * sum) / (static_cast<long>(n) * n);
      deviation[grid.index(c, r)] = static_cast<int>(std::sqrt(static_cast<double>(variance)));
    }
  }
  return deviation;
}

// Textured cells: well above the frame's typical (median) cell, which is background and noise;
// then closed by one cell so a code's few flat cells (a run of light modules, a glare spot) do
// not split it into pieces too small to keep.
std::vector<std::uint8_t> textured_cells(const std::vector<int>& deviation, const Grid& grid) {
  std::vector<int> sorted = deviation;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2),
                   sorted.end());
  const int median = sorted[sorted.size() / 2];
  const int threshold = std::max(8, median + median / 2 + 4);
  std::vector<std::uint8_t> textured(deviation.size(), 0);
  for (int r = 0; r < grid.rows; ++r) {
    for (int c = 0; c < grid.cols; ++c) {
      if (deviation[grid.index(c, r)] < threshold) continue;
      for (int dr = -1; dr <= 1; ++dr) {
        for (int dc = -1; dc <= 1; ++dc) {
          if (grid.inside(c + dc, r + dr)) textured[grid.index(c + dc, r + dr)] = 1;
        }
      }
    }
  }
  return textured;
}

// The 4-connected groups of textured cells.
std::vector<Blob> blobs_of(const std::vector<std::uint8_t>& textured, const Grid& grid) {
  std::vector<int> label(textured.size(), 0);
  std::vector<Blob> blobs;
  std::vector<std::pair<int, int>> stack;
  for (int r = 0; r < grid.rows; ++r) {
    for (int c = 0; c < grid.cols; ++c) {
      if (label[grid.index(c, r)] != 0 || textured[grid.index(c, r)] == 0) continue;
      Blob blob;
      int x0 = c, x1 = c, y0 = r, y1 = r;
      const int id = static_cast<int>(blobs.size()) + 1;
      label[grid.index(c, r)] = id;
      stack.assign(1, {c, r});
      while (!stack.empty()) {
        const auto [cc, rr] = stack.back();
        stack.pop_back();
        ++blob.count;
        x0 = std::min(x0, cc);
        x1 = std::max(x1, cc);
        y0 = std::min(y0, rr);
        y1 = std::max(y1, rr);
        for (const auto& [dc, dr] : {std::pair{1, 0}, {-1, 0}, {0, 1}, {0, -1}}) {
          const int nc = cc + dc;
          const int nr = rr + dr;
          if (!grid.inside(nc, nr)) continue;
          if (label[grid.index(nc, nr)] != 0 || textured[grid.index(nc, nr)] == 0) continue;
          label[grid.index(nc, nr)] = id;
          stack.emplace_back(nc, nr);
        }
      }
      blob.cells = Rect{x0, y0, x1 - x0 + 1, y1 - y0 + 1};
      blobs.push_back(blob);
    }
  }
  return blobs;
}

} // namespace

std::vector<Rect> textured_regions(ImageView view, int cell, int max_regions) {
  std::vector<Rect> regions;
  if (view.empty() || cell < 2 || max_regions < 1) return regions;
  const Grid grid{view.width / cell, view.height / cell};
  if (grid.cols < 1 || grid.rows < 1) return regions;
  const auto blobs = blobs_of(textured_cells(cell_deviations(view, cell, grid), grid), grid);
  // A code fills much of its bounding box and is at least a few cells across; an edge does not.
  std::vector<Blob> kept;
  for (const auto& blob : blobs) {
    const int area = blob.cells.width * blob.cells.height;
    if (blob.cells.width >= 5 && blob.cells.height >= 5 && blob.count * 10 >= area * 5)
      kept.push_back(blob);
  }
  std::sort(kept.begin(), kept.end(),
            [](const Blob& a, const Blob& b) { return a.count > b.count; });
  for (const auto& blob : kept) {
    if (static_cast<int>(regions.size()) >= max_regions) break;
    // One cell of margin (the closing already added one): the quiet zone, blurred edges.
    const int margin = cell;
    const Rect r{blob.cells.x * cell - margin, blob.cells.y * cell - margin,
                 blob.cells.width * cell + 2 * margin, blob.cells.height * cell + 2 * margin};
    const int x0 = std::max(0, r.x);
    const int y0 = std::max(0, r.y);
    regions.push_back(Rect{x0, y0, std::min(view.width, r.x + r.width) - x0,
                           std::min(view.height, r.y + r.height) - y0});
  }
  return regions;
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
