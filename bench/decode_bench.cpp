// Decoding benchmark: this project's decode_frame vs stock ZXing-cpp ReadBarcode vs zbar, on the
// same generated frames, one core. zbar.h must come before the ZXing headers (debian-notes.md).
#include <zbar.h>

#define ZX_USE_UTF8 1 // text() as UTF-8 std::string, as in kiosk/scan/decoder.cpp
#include <ZXing/ReadBarcode.h>

#include <array>
#include <chrono>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "bench/bench.hpp"
#include "bench/frames.hpp"
#include "kiosk/scan/decoder.hpp"
#include "shared/badge.hpp"

namespace muster::bench {

namespace {

struct Tally {
  int correct = 0; // the right payload, or nothing on a frame without a code
  int wrong = 0;   // another payload, or a payload on a frame without a code
  int missed = 0;  // nothing on a frame with a code
  std::vector<double> ms;
};

// The payload, and which pass of the cascade read it (empty when none did).
std::string decode_ours(const kiosk::GrayImage& image, std::string_view& pass) {
  const auto decoded = kiosk::decode_frame(image.view());
  pass = decoded ? decoded->pass : std::string_view();
  return decoded ? decoded->payload : std::string();
}

std::string decode_zxing(const kiosk::GrayImage& image) {
  const ZXing::ImageView view(image.pixels.data(), image.width, image.height,
                              ZXing::ImageFormat::Lum);
  const auto result =
      ZXing::ReadBarcode(view, ZXing::DecodeHints().setFormats(ZXing::BarcodeFormat::QRCode));
  return result.isValid() ? result.text() : std::string();
}

std::string decode_zbar(zbar::ImageScanner& scanner, const kiosk::GrayImage& image) {
  zbar::Image zimage(static_cast<unsigned>(image.width), static_cast<unsigned>(image.height),
                     "Y800", image.pixels.data(), image.pixels.size());
  scanner.scan(zimage);
  std::string text;
  for (auto symbol = zimage.symbol_begin(); symbol != zimage.symbol_end(); ++symbol) {
    text = symbol->get_data();
    break;
  }
  zimage.set_data(nullptr, 0); // the pixels are ours
  return text;
}

void count(Tally& tally, const std::string& expected, const std::string& got, double ms) {
  tally.ms.push_back(ms);
  if (got == expected) {
    ++tally.correct;
  } else if (got.empty()) {
    ++tally.missed;
  } else {
    ++tally.wrong;
  }
}

} // namespace

int run_decode(int frames, unsigned seed) {
  std::mt19937 random(seed);
  std::array<std::uint8_t, kSeedBytes> key_seed{};
  key_seed.fill(3);
  auto key = SigningKey::from_seed("BENCH-K1", key_seed);
  zbar::ImageScanner scanner;
  scanner.set_config(zbar::ZBAR_NONE, zbar::ZBAR_CFG_ENABLE, 0);
  scanner.set_config(zbar::ZBAR_QRCODE, zbar::ZBAR_CFG_ENABLE, 1);

  const std::array<std::string, 3> names = {"Muster decode_frame", "ZXing-cpp 1.4 ReadBarcode",
                                            "zbar 0.23"};
  std::array<Tally, 3> total;
  std::map<std::string, std::array<Tally, 3>> by_condition;
  // Ours only: condition -> reading pass -> frames, and our ms per frame by reading pass.
  std::map<std::string, std::map<std::string_view, int>> reads_by_pass;
  std::map<std::string_view, std::vector<double>> ms_by_pass;
  for (int i = 0; i < frames; ++i) {
    const auto payload =
        sign_badge({"BENCH", "AT-" + std::to_string(100000 + i), "S-" + std::to_string(i)}, *key);
    const Frame frame = make_frame(*payload, i, random);
    for (std::size_t d = 0; d < 3; ++d) {
      std::string_view pass;
      const auto start = std::chrono::steady_clock::now();
      const std::string got = d == 0   ? decode_ours(frame.image, pass)
                              : d == 1 ? decode_zxing(frame.image)
                                       : decode_zbar(scanner, frame.image);
      const double ms = ms_since(start);
      count(total[d], frame.payload, got, ms);
      count(by_condition[frame.condition][d], frame.payload, got, ms);
      if (d == 0) {
        const std::string_view reader = pass.empty() ? std::string_view("(none)") : pass;
        ++reads_by_pass[frame.condition][reader];
        ms_by_pass[reader].push_back(ms);
      }
    }
  }
  std::cout << "### Decoding " << frames << " generated 1280x720 frames (one core)\n\n"
            << "| decoder | correct | wrong | missed | mean ms/frame | p99 ms/frame |\n"
            << "|---|---:|---:|---:|---:|---:|\n";
  for (std::size_t d = 0; d < 3; ++d) {
    const auto stats = summarize(total[d].ms);
    std::cout << "| " << names[d] << " | " << total[d].correct << " | " << total[d].wrong << " | "
              << total[d].missed << " | " << fixed(stats.mean_ms) << " | " << fixed(stats.p99_ms)
              << " |\n";
  }
  std::cout << "\nCorrect frames per condition (Muster / ZXing-cpp / zbar; \"no code\": correctly "
               "nothing):\n\n| condition | frames | Muster | ZXing-cpp | zbar "
               "|\n|---|---:|---:|---:|---:|\n";
  for (const auto& [condition, tallies] : by_condition) {
    std::cout << "| " << condition << " | " << tallies[0].ms.size() << " | " << tallies[0].correct
              << " | " << tallies[1].correct << " | " << tallies[2].correct << " |\n";
  }
  // Which pass of decode_frame's cascade read each frame ("(none)": no pass read it, so every
  // pass ran), with our mean time for those frames.
  const auto passes = kiosk::decode_passes(1280, 720);
  std::cout
      << "\nMuster decode_frame: the pass that read each frame, per condition (cascade order; "
         "\"(none)\": every pass ran, nothing read):\n\n| condition |";
  for (const auto pass : passes)
    std::cout << ' ' << pass << " |";
  std::cout << " (none) |\n|---|";
  for (std::size_t i = 0; i <= passes.size(); ++i)
    std::cout << "---:|";
  std::cout << '\n';
  for (const auto& [condition, reads] : reads_by_pass) {
    std::cout << "| " << condition << " |";
    for (const auto pass : passes) {
      const auto it = reads.find(pass);
      std::cout << ' ' << (it == reads.end() ? 0 : it->second) << " |";
    }
    const auto none = reads.find("(none)");
    std::cout << ' ' << (none == reads.end() ? 0 : none->second) << " |\n";
  }
  const auto mean_ms = [&](std::string_view pass) {
    const auto it = ms_by_pass.find(pass);
    return it == ms_by_pass.end() ? std::string("-") : fixed(summarize(it->second).mean_ms);
  };
  std::cout << "| mean ms of those frames |";
  for (const auto pass : passes)
    std::cout << ' ' << mean_ms(pass) << " |";
  std::cout << ' ' << mean_ms("(none)") << " |\n\n";
  return 0;
}

} // namespace muster::bench
