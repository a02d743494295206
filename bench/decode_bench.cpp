// Decoding benchmark: this project's decode_frame vs stock ZXing-cpp ReadBarcode vs zbar, on the
// same generated frames, one core. zbar.h must come before the ZXing headers (debian-notes.md).
#include <zbar.h>

#define ZX_USE_UTF8 1 // text() as UTF-8 std::string, as in kiosk/scan/decoder.cpp
#include <ZXing/ReadBarcode.h>

#include <algorithm>
#include <array>
#include <ctime>
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

// This thread's CPU time: "ms per frame on one core" even when other processes share the
// machine (wall time there includes waiting for a core).
double thread_cpu_ms() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1000.0 + static_cast<double>(now.tv_nsec) / 1e6;
}

// One set of frames (single or combined conditions), decoded by each decoder.
struct SetResult {
  std::string name;
  int frames = 0;
  std::array<Tally, 3> total;
  std::map<std::string, std::array<Tally, 3>> by_condition; // a frame counts under each of its
  // Ours only: condition -> reading pass -> frames, and our ms per frame by reading pass.
  std::map<std::string, std::map<std::string_view, int>> reads_by_pass;
  std::map<std::string_view, std::vector<double>> ms_by_pass;
};

const std::array<std::string, 3> kDecoderNames = {"Muster decode_frame",
                                                  "ZXing-cpp 1.4 ReadBarcode", "zbar 0.23"};

// The rows a frame counts under: its conditions (one for the single set), and for combined
// frames its module size class.
std::vector<std::string> rows_of(const Frame& frame) {
  if (frame.conditions.empty() || frame.payload.empty()) return {frame.condition};
  auto rows = frame.conditions;
  if (frame.module_px > 0) rows.push_back("module " + std::to_string(frame.module_px) + " px");
  return rows;
}

SetResult run_set(std::string name, int frames, unsigned seed, bool combined, bool all_decoders) {
  std::mt19937 random(seed);
  std::array<std::uint8_t, kSeedBytes> key_seed{};
  key_seed.fill(3);
  auto key = SigningKey::from_seed("BENCH-K1", key_seed);
  zbar::ImageScanner scanner;
  scanner.set_config(zbar::ZBAR_NONE, zbar::ZBAR_CFG_ENABLE, 0);
  scanner.set_config(zbar::ZBAR_QRCODE, zbar::ZBAR_CFG_ENABLE, 1);
  SetResult set;
  set.name = std::move(name);
  set.frames = frames;
  const std::size_t decoders = all_decoders ? 3 : 1;
  for (int i = 0; i < frames; ++i) {
    const auto payload =
        sign_badge({"BENCH", "AT-" + std::to_string(100000 + i), "S-" + std::to_string(i)}, *key);
    const Frame frame =
        combined ? make_combined_frame(*payload, i, random) : make_frame(*payload, i, random);
    const auto rows = rows_of(frame);
    for (std::size_t d = 0; d < decoders; ++d) {
      std::string_view pass;
      const double start = thread_cpu_ms();
      const std::string got = d == 0   ? decode_ours(frame.image, pass)
                              : d == 1 ? decode_zxing(frame.image)
                                       : decode_zbar(scanner, frame.image);
      const double ms = thread_cpu_ms() - start;
      count(set.total[d], frame.payload, got, ms);
      for (const auto& row : rows)
        count(set.by_condition[row][d], frame.payload, got, ms);
      if (d == 0) {
        const std::string_view reader = pass.empty() ? std::string_view("(none)") : pass;
        for (const auto& row : rows)
          ++set.reads_by_pass[row][reader];
        set.ms_by_pass[reader].push_back(ms);
      }
    }
  }
  return set;
}

std::string percent(int part, int whole) {
  return whole == 0 ? std::string("-") : fixed(100.0 * part / whole, 1) + "%";
}

void print_totals(const std::vector<SetResult>& sets, std::size_t decoders) {
  std::cout << "| frames | decoder | correct | wrong | missed | read (of frames with a code) | "
               "false positives (no-code frames) | mean ms/frame | p99 ms/frame |\n"
               "|---|---|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& set : sets) {
    const auto no_code = set.by_condition.find("no code");
    for (std::size_t d = 0; d < decoders; ++d) {
      const Tally& t = set.total[d];
      const Tally none = no_code == set.by_condition.end() ? Tally{} : no_code->second[d];
      const int with_code = static_cast<int>(t.ms.size() - none.ms.size());
      const auto stats = summarize(t.ms);
      std::cout << "| " << set.name << " | " << kDecoderNames[d] << " | " << t.correct << " | "
                << t.wrong << " | " << t.missed << " | "
                << percent(t.correct - none.correct, with_code) << " | " << none.wrong << " | "
                << fixed(stats.mean_ms) << " | " << fixed(stats.p99_ms) << " |\n";
    }
  }
}

// Per condition, both sets side by side: frames and correct reads of each decoder.
void print_conditions(const std::vector<SetResult>& sets) {
  std::vector<std::string> rows;
  for (const auto& set : sets) {
    for (const auto& [row, tallies] : set.by_condition) {
      if (std::find(rows.begin(), rows.end(), row) == rows.end()) rows.push_back(row);
    }
  }
  std::sort(rows.begin(), rows.end());
  std::cout << "| condition |";
  for (const auto& set : sets)
    std::cout << ' ' << set.name << ": frames | Muster | ZXing-cpp | zbar |";
  std::cout << "\n|---|";
  for (std::size_t i = 0; i < sets.size(); ++i)
    std::cout << "---:|---:|---:|---:|";
  std::cout << '\n';
  for (const auto& row : rows) {
    std::cout << "| " << row << " |";
    for (const auto& set : sets) {
      const auto it = set.by_condition.find(row);
      if (it == set.by_condition.end()) {
        std::cout << " - | - | - | - |";
        continue;
      }
      const auto& t = it->second;
      const int n = static_cast<int>(t[0].ms.size());
      std::cout << ' ' << n << " | " << percent(t[0].correct, n) << " | "
                << percent(t[1].correct, n) << " | " << percent(t[2].correct, n) << " |";
    }
    std::cout << '\n';
  }
}

// Which pass of decode_frame's cascade read each frame ("(none)": no pass read it, so every
// pass ran), with our mean and p99 time for those frames.
void print_passes(const SetResult& set) {
  const auto passes = kiosk::decode_passes(1280, 720);
  std::cout << "\nMuster decode_frame on the " << set.name
            << " frames: the pass that read each frame, per condition (cascade order; "
               "\"(none)\": every pass ran, nothing read):\n\n| condition |";
  for (const auto pass : passes)
    std::cout << ' ' << pass << " |";
  std::cout << " (none) |\n|---|";
  for (std::size_t i = 0; i <= passes.size(); ++i)
    std::cout << "---:|";
  std::cout << '\n';
  for (const auto& [condition, reads] : set.reads_by_pass) {
    std::cout << "| " << condition << " |";
    for (const auto pass : passes) {
      const auto it = reads.find(pass);
      std::cout << ' ' << (it == reads.end() ? 0 : it->second) << " |";
    }
    const auto none = reads.find("(none)");
    std::cout << ' ' << (none == reads.end() ? 0 : none->second) << " |\n";
  }
  const auto figure = [&](std::string_view pass, bool p99) {
    const auto it = set.ms_by_pass.find(pass);
    if (it == set.ms_by_pass.end()) return std::string("-");
    const auto stats = summarize(it->second);
    return fixed(p99 ? stats.p99_ms : stats.mean_ms);
  };
  for (const bool p99 : {false, true}) {
    std::cout << (p99 ? "| p99 ms of those frames |" : "| mean ms of those frames |");
    for (const auto pass : passes)
      std::cout << ' ' << figure(pass, p99) << " |";
    std::cout << ' ' << figure("(none)", p99) << " |\n";
  }
}

} // namespace

int run_decode(int frames, unsigned seed, std::string_view which, bool all_decoders) {
  std::vector<SetResult> sets;
  if (which != "combined") sets.push_back(run_set("single", frames, seed, false, all_decoders));
  if (which != "single") sets.push_back(run_set("combined", frames, seed, true, all_decoders));
  std::cout << "### Decoding " << frames << " generated 1280x720 frames per set (one core)\n\n";
  print_totals(sets, all_decoders ? 3 : 1);
  std::cout << "\nCorrect frames per condition, both sets side by side (\"no code\": correctly "
               "nothing; a combined frame counts under each of its conditions and its module "
               "size):\n\n";
  print_conditions(sets);
  for (const auto& set : sets)
    print_passes(set);
  std::cout << '\n';
  return 0;
}

} // namespace muster::bench
