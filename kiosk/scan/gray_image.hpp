#pragma once
// 8-bit grayscale images: what cameras and image files become before decoding, plus the cheap
// transforms the decoder's retry cascade uses. Loading and saving go through stb_image.
#include <cstdint>
#include <filesystem>
#include <vector>

#include "shared/result.hpp"

namespace muster::kiosk {

// A non-owning view of 8-bit luminance pixels, row by row (row_stride >= width).
struct ImageView {
  const std::uint8_t* data = nullptr;
  int width = 0;
  int height = 0;
  int row_stride = 0;
  [[nodiscard]] std::uint8_t at(int x, int y) const {
    return data[static_cast<std::size_t>(y) * static_cast<std::size_t>(row_stride) +
                static_cast<std::size_t>(x)];
  }
  [[nodiscard]] bool empty() const { return data == nullptr || width <= 0 || height <= 0; }
};

// A rectangle of pixels (a candidate code region).
struct Rect {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
  [[nodiscard]] bool empty() const { return width <= 0 || height <= 0; }
};

// The part of `view` inside `rect` (clipped to the view), sharing its pixels.
ImageView sub_view(ImageView view, Rect rect);

struct GrayImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels; // width * height, no padding

  GrayImage() = default;
  GrayImage(int w, int h, std::uint8_t fill = 255);
  [[nodiscard]] ImageView view() const { return ImageView{pixels.data(), width, height, width}; }
  [[nodiscard]] std::uint8_t at(int x, int y) const { return pixels[index(x, y)]; }
  std::uint8_t& at(int x, int y) { return pixels[index(x, y)]; }
  [[nodiscard]] bool empty() const { return pixels.empty(); }

private:
  [[nodiscard]] std::size_t index(int x, int y) const {
    return static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
           static_cast<std::size_t>(x);
  }
};

enum class ImageError : std::uint8_t {
  io,     // missing or unreadable file, or cannot write
  format, // not an image stb_image can read (PNG, JPEG, BMP, PGM, ...)
};

// Any stb_image format, converted to luminance.
Result<GrayImage, ImageError> load_gray_image(const std::filesystem::path& path);
Result<Ok, ImageError> write_png(const GrayImage& image, const std::filesystem::path& path);

// Copies a view into an owned image.
GrayImage copy_of(ImageView view);
// A border of `border` pixels of `value` around the image (a QR needs a light quiet zone).
GrayImage add_border(ImageView view, int border, std::uint8_t value = 255);
// Dark for light: for badges printed light-on-dark or seen as a negative.
GrayImage invert(ImageView view);
// Unsharp mask (3x3): restores module edges softened by defocus or motion blur.
GrayImage sharpen(ImageView view);
// Half size by 2x2 averaging: also averages out sensor noise and JPEG artefacts.
GrayImage downscale_half(ImageView view);
// Double size, nearest neighbour: gives small modules more pixels for the detector.
GrayImage upscale_double(ImageView view);
// Double size, bilinear: unlike nearest neighbour it keeps a blurred module's centre where it
// was, so small modules get pixels to threshold on without blocky steps.
GrayImage upscale_bilinear(ImageView view);
// in + amount_percent/100 * (in - box mean of (2*radius+1)^2): steepens edges softened by
// defocus or motion more strongly than sharpen(), over a wider neighbourhood.
GrayImage unsharp_mask(ImageView view, int radius, int amount_percent);
// Up to `max_regions` rectangles where the image has dense fine texture (a QR code's modules),
// largest first: cells of `cell` pixels whose standard deviation stands out from the frame's
// typical cell, grouped into connected blobs. Thin blobs (a shape's edge) are left out. Used to
// spend the expensive passes on the code's region only.
std::vector<Rect> textured_regions(ImageView view, int cell, int max_regions);

// Stretches the 2nd..98th percentile to 0..255: low contrast and glare-washed frames.
GrayImage stretch_contrast(ImageView view);
// Black (0) where a pixel is darker than the mean of its (2*radius+1)^2 neighbourhood minus
// `offset`, else white (255); edges repeat. Unlike ZXing's binarizers it needs no minimum
// contrast, so a dim or washed-out code still becomes black and white.
GrayImage adaptive_threshold(ImageView view, int radius, int offset);

} // namespace muster::kiosk
