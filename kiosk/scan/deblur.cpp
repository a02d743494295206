#include "kiosk/scan/deblur.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstddef>
#include <cstdint>

namespace muster::kiosk {

namespace {

using Complex = std::complex<float>;
constexpr double kPi = 3.14159265358979323846;

std::uint8_t clamp_px(float value) {
  return static_cast<std::uint8_t>(std::clamp(std::lround(value), 0L, 255L));
}

std::size_t at(int x, int y, int width) {
  return static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
         static_cast<std::size_t>(x);
}

// In-place radix-2 FFT of a power-of-two length; `inverse` without the 1/n (the caller scales).
class Fft {
public:
  explicit Fft(int n) : n_(n), twiddles_(static_cast<std::size_t>(n / 2)) {
    for (int i = 0; i < n / 2; ++i)
      twiddles_[static_cast<std::size_t>(i)] =
          std::polar(1.0F, static_cast<float>(-2.0 * kPi * i / n));
  }
  [[nodiscard]] int size() const { return n_; }

  void run(std::vector<Complex>& a, bool inverse) const {
    const auto n = static_cast<std::size_t>(n_);
    for (std::size_t i = 1, j = 0; i < n; ++i) {
      std::size_t bit = n >> 1U;
      for (; (j & bit) != 0; bit >>= 1U)
        j ^= bit;
      j |= bit;
      if (i < j) std::swap(a[i], a[j]);
    }
    // std::complex<float> is laid out as two floats (the standard guarantees it); plain floats
    // keep the butterflies in registers, which std::complex's operators did not.
    float* data = reinterpret_cast<float*>(a.data());
    const float sign = inverse ? -1.0F : 1.0F;
    for (std::size_t len = 2; len <= n; len <<= 1U) {
      const std::size_t half = len / 2;
      const std::size_t step = n / len;
      for (std::size_t k = 0; k < half; ++k) {
        const float wr = twiddles_[k * step].real();
        const float wi = sign * twiddles_[k * step].imag();
        for (std::size_t start = k; start < n; start += len) {
          float* u = data + 2 * start;
          float* b = data + 2 * (start + half);
          const float vr = b[0] * wr - b[1] * wi;
          const float vi = b[0] * wi + b[1] * wr;
          b[0] = u[0] - vr;
          b[1] = u[1] - vi;
          u[0] += vr;
          u[1] += vi;
        }
      }
    }
  }

private:
  int n_;
  std::vector<Complex> twiddles_;
};

int padded_length(int n) {
  int size = 16;
  // Room for the kernel's spread on both sides, so the wrap-around lands in the padding.
  while (size < n + 16)
    size *= 2;
  return size;
}

// The forward transforms of an image's rows, two rows per complex transform (one as the real
// part, one as the imaginary part): every filter here has a real, symmetric kernel, so its
// response treats the two parts independently and they come back apart after the inverse.
class RowSpectra {
public:
  explicit RowSpectra(const GrayImage& image)
      : width_(image.width), height_(image.height), fft_(padded_length(image.width)) {
    const int n = fft_.size();
    for (int y = 0; y < height_; y += 2) {
      std::vector<Complex> row(static_cast<std::size_t>(n));
      for (int x = 0; x < width_; ++x) {
        const float b = y + 1 < height_ ? image.pixels[at(x, y + 1, width_)] : 0.0F;
        row[static_cast<std::size_t>(x)] = Complex(image.pixels[at(x, y, width_)], b);
      }
      // The padding runs smoothly from the row's last pixel back to its first, so the
      // transform sees no jump where the row wraps around (that would ring across the code).
      const Complex first = row[0];
      const Complex last = row[static_cast<std::size_t>(width_ - 1)];
      for (int x = width_; x < n; ++x) {
        const float t = static_cast<float>(x - width_ + 1) / static_cast<float>(n - width_ + 1);
        row[static_cast<std::size_t>(x)] = last * (1.0F - t) + first * t;
      }
      fft_.run(row, false);
      rows_.push_back(std::move(row));
    }
  }

  [[nodiscard]] int transform_size() const { return fft_.size(); }

  // The rows filtered by `response` (one value per frequency bin), back as pixels.
  [[nodiscard]] GrayImage filtered(const std::vector<Complex>& response) const {
    GrayImage out(width_, height_);
    std::vector<Complex> row;
    const float scale = 1.0F / static_cast<float>(fft_.size());
    for (std::size_t pair = 0; pair < rows_.size(); ++pair) {
      row = rows_[pair];
      for (std::size_t k = 0; k < row.size(); ++k) {
        const Complex a = row[k];
        const Complex b = response[k];
        row[k] = Complex(a.real() * b.real() - a.imag() * b.imag(),
                         a.real() * b.imag() + a.imag() * b.real());
      }
      fft_.run(row, true);
      const int y = static_cast<int>(pair) * 2;
      for (int x = 0; x < width_; ++x) {
        const Complex value = row[static_cast<std::size_t>(x)] * scale;
        out.pixels[at(x, y, width_)] = clamp_px(value.real());
        if (y + 1 < height_) out.pixels[at(x, y + 1, width_)] = clamp_px(value.imag());
      }
    }
    return out;
  }

private:
  int width_;
  int height_;
  Fft fft_;
  std::vector<std::vector<Complex>> rows_;
};

// The Wiener filter conj(H) / (|H|^2 + nsr) of a centred, normalised kernel given as taps at
// offsets -radius..radius.
std::vector<Complex> wiener_response(const std::vector<float>& taps, int n, float nsr) {
  const int radius = static_cast<int>(taps.size() / 2);
  std::vector<Complex> kernel(static_cast<std::size_t>(n));
  for (int i = -radius; i <= radius; ++i)
    kernel[static_cast<std::size_t>((i + n) % n)] = taps[static_cast<std::size_t>(i + radius)];
  Fft(n).run(kernel, false);
  for (auto& h : kernel)
    h = std::conj(h) / (std::norm(h) + nsr);
  return kernel;
}

// A box of `length` pixels centred on 0: whole taps inside, the fractional ends weighted by
// how much of their pixel the box covers.
std::vector<float> box_taps(double length) {
  const double half = length / 2.0;
  const int radius = static_cast<int>(std::ceil(half - 0.5));
  std::vector<float> taps(static_cast<std::size_t>(2 * radius + 1));
  double total = 0;
  for (int i = -radius; i <= radius; ++i) {
    const double cover = std::min(i + 0.5, half) - std::max(i - 0.5, -half);
    const double weight = std::max(0.0, cover);
    taps[static_cast<std::size_t>(i + radius)] = static_cast<float>(weight);
    total += weight;
  }
  for (auto& t : taps)
    t = static_cast<float>(t / total);
  return taps;
}

// The region turned so that direction `degrees` runs along the rows. Near 0 and 90 degrees the
// pixels are moved exactly (no interpolation blur on top of the smear); elsewhere bilinear, with
// the region's edge pixels repeated where the turned frame reaches outside it.
GrayImage along_rows(ImageView region, double degrees) {
  const double d = std::fmod(std::fmod(degrees, 180.0) + 180.0, 180.0);
  if (d < 2 || d > 178) return copy_of(region);
  if (std::abs(d - 90) < 2) {
    // Turned a quarter: row y of the output is column y of the region, read bottom-up.
    GrayImage out(region.height, region.width);
    for (int y = 0; y < out.height; ++y) {
      for (int x = 0; x < out.width; ++x)
        out.pixels[at(x, y, out.width)] = region.at(y, region.height - 1 - x);
    }
    return out;
  }
  const double r = d * kPi / 180.0;
  const double c = std::cos(r);
  const double s = std::sin(r);
  const int width =
      static_cast<int>(std::ceil(std::abs(region.width * c) + std::abs(region.height * s)));
  const int height =
      static_cast<int>(std::ceil(std::abs(region.width * s) + std::abs(region.height * c)));
  GrayImage out(width, height);
  const double cx = region.width / 2.0;
  const double cy = region.height / 2.0;
  const double ox = width / 2.0;
  const double oy = height / 2.0;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const double u = x - ox;
      const double v = y - oy;
      const double sx = std::clamp(cx + u * c - v * s, 0.0, region.width - 1.001);
      const double sy = std::clamp(cy + u * s + v * c, 0.0, region.height - 1.001);
      const int ix = static_cast<int>(sx);
      const int iy = static_cast<int>(sy);
      const double fx = sx - ix;
      const double fy = sy - iy;
      const double value =
          region.at(ix, iy) * (1 - fx) * (1 - fy) + region.at(ix + 1, iy) * fx * (1 - fy) +
          region.at(ix, iy + 1) * (1 - fx) * fy + region.at(ix + 1, iy + 1) * fx * fy;
      out.pixels[at(x, y, width)] = clamp_px(static_cast<float>(value));
    }
  }
  return out;
}

} // namespace

MotionEstimate estimate_motion(ImageView region) {
  MotionEstimate estimate;
  if (region.empty() || region.width < 8 || region.height < 8) return estimate;
  double jxx = 0;
  double jyy = 0;
  double jxy = 0;
  for (int y = 1; y + 1 < region.height; ++y) {
    for (int x = 1; x + 1 < region.width; ++x) {
      // Sobel: smooths across the derivative, so sensor noise weighs less than real edges.
      const double gx =
          (region.at(x + 1, y - 1) + 2.0 * region.at(x + 1, y) + region.at(x + 1, y + 1)) -
          (region.at(x - 1, y - 1) + 2.0 * region.at(x - 1, y) + region.at(x - 1, y + 1));
      const double gy =
          (region.at(x - 1, y + 1) + 2.0 * region.at(x, y + 1) + region.at(x + 1, y + 1)) -
          (region.at(x - 1, y - 1) + 2.0 * region.at(x, y - 1) + region.at(x + 1, y - 1));
      jxx += gx * gx;
      jyy += gy * gy;
      jxy += gx * gy;
    }
  }
  const double trace = jxx + jyy;
  if (trace <= 0) return estimate;
  const double spread = std::sqrt((jxx - jyy) * (jxx - jyy) + 4 * jxy * jxy);
  estimate.anisotropy = spread / trace;
  // The strongest gradients point across the smear; the motion is at right angles to them.
  const double across = 0.5 * std::atan2(2 * jxy, jxx - jyy) * 180.0 / kPi;
  estimate.degrees = std::fmod(across + 90.0 + 360.0, 180.0);
  return estimate;
}

std::vector<GrayImage> deblur_motion(ImageView region, double degrees,
                                     const std::vector<double>& lengths, double nsr) {
  std::vector<GrayImage> out;
  if (region.empty() || lengths.empty()) return out;
  const RowSpectra spectra(along_rows(region, degrees));
  for (const double length : lengths) {
    if (length < 2) {
      out.emplace_back();
      continue;
    }
    out.push_back(spectra.filtered(
        wiener_response(box_taps(length), spectra.transform_size(), static_cast<float>(nsr))));
  }
  return out;
}

} // namespace muster::kiosk
