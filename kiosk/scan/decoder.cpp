#include "kiosk/scan/decoder.hpp"

#define ZX_USE_UTF8 1
#include <ZXing/BitMatrix.h>
#include <ZXing/MultiFormatWriter.h>
#include <ZXing/ReadBarcode.h>

#include <algorithm>
#include <array>
#include <exception>
#include <functional>

namespace muster::kiosk {

namespace {

ZXing::DecodeHints base_hints(ZXing::Binarizer binarizer) {
  ZXing::DecodeHints hints;
  hints.setFormats(ZXing::BarcodeFormat::QRCode);
  hints.setTryHarder(true);
  hints.setTryRotate(true);
  hints.setTryDownscale(true);
  hints.setBinarizer(binarizer);
  hints.setMaxNumberOfSymbols(1);
  return hints;
}

std::optional<std::string> read_qr(ImageView view, ZXing::Binarizer binarizer) {
  if (view.empty()) return std::nullopt;
  const ZXing::ImageView zx(view.data, view.width, view.height, ZXing::ImageFormat::Lum,
                            view.row_stride);
  const auto result = ZXing::ReadBarcode(zx, base_hints(binarizer));
  // isValid() means detected, decoded and error-corrected: ZXing reports a failed
  // Reed-Solomon check as an error, never as text.
  if (!result.isValid() || result.format() != ZXing::BarcodeFormat::QRCode) return std::nullopt;
  auto text = result.text();
  if (text.empty()) return std::nullopt;
  return text;
}

struct Pass {
  std::string_view name;
  std::function<std::optional<std::string>(ImageView)> attempt;
};

const std::array<Pass, 8>& cascade() {
  using ZXing::Binarizer;
  static const std::array<Pass, 8> passes{{
      {"plain", [](ImageView v) { return read_qr(v, Binarizer::LocalAverage); }},
      {"global-histogram", [](ImageView v) { return read_qr(v, Binarizer::GlobalHistogram); }},
      {"quiet-zone",
       [](ImageView v) {
         const auto padded = add_border(v, std::max(8, std::min(v.width, v.height) / 10));
         return read_qr(padded.view(), Binarizer::LocalAverage);
       }},
      {"sharpen",
       [](ImageView v) { return read_qr(sharpen(v).view(), Binarizer::LocalAverage); }},
      {"contrast",
       [](ImageView v) { return read_qr(stretch_contrast(v).view(), Binarizer::GlobalHistogram); }},
      {"half-scale",
       [](ImageView v) -> std::optional<std::string> {
         if (v.width < 200 || v.height < 200) return std::nullopt;
         return read_qr(downscale_half(v).view(), Binarizer::LocalAverage);
       }},
      {"double-scale",
       [](ImageView v) -> std::optional<std::string> {
         if (v.width > 800 || v.height > 800) return std::nullopt;
         return read_qr(upscale_double(v).view(), Binarizer::LocalAverage);
       }},
      {"inverted", [](ImageView v) { return read_qr(invert(v).view(), Binarizer::LocalAverage); }},
  }};
  return passes;
}

}  // namespace

std::optional<Decoded> decode_frame(ImageView gray) {
  if (gray.empty() || gray.row_stride < gray.width) return std::nullopt;
  try {
    for (const auto& pass : cascade()) {
      if (auto text = pass.attempt(gray)) return Decoded{std::move(*text), pass.name};
    }
  } catch (const std::exception&) {
    // ZXing reports bad input as values; an exception here would be its bug or out of memory.
    // A camera frame that cannot be read is a missed frame, not a crash.
  }
  return std::nullopt;
}

std::vector<std::string_view> decode_passes() {
  std::vector<std::string_view> names;
  for (const auto& pass : cascade()) names.push_back(pass.name);
  return names;
}

GrayImage render_qr(std::string_view text, int module_px, int quiet_modules) {
  if (text.empty() || module_px < 1 || quiet_modules < 0) return {};
  ZXing::BitMatrix bits;
  try {
    // Width/height 0: the symbol at one pixel per module, plus the margin in modules.
    bits = ZXing::MultiFormatWriter(ZXing::BarcodeFormat::QRCode)
               .setMargin(quiet_modules)
               .setEccLevel(4)  // 1.4 maps 3-4 to level M (15%): room for scuffs, a small symbol
               .encode(std::string(text), 0, 0);
  } catch (const std::exception&) {
    return {};  // too long for any QR version
  }
  GrayImage out(bits.width() * module_px, bits.height() * module_px);
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      out.at(x, y) = bits.get(x / module_px, y / module_px) ? 0 : 255;
    }
  }
  return out;
}

}  // namespace muster::kiosk
