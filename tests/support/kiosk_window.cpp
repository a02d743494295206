#include "tests/support/kiosk_window.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "kiosk/scan/gray_image.hpp"
#include "tests/support/test_support.hpp"

namespace muster::test {

namespace fs = std::filesystem;

Ran make_demo_data(const fs::path& data) {
  return run_shell(std::string(MUSTER_KIOSK_PROGRAM) + " --data " + quoted(data.string()) +
                   " --demo headless < /dev/null");
}

std::vector<std::vector<std::string>> demo_badge_rows(const fs::path& data) {
  std::vector<std::vector<std::string>> rows;
  std::ifstream tsv(data / "demo" / "badges.tsv");
  for (std::string line; std::getline(tsv, line);) {
    std::vector<std::string> fields;
    std::stringstream split(line);
    for (std::string field; std::getline(split, field, '\t');)
      fields.push_back(field);
    rows.push_back(std::move(fields));
  }
  return rows;
}

Ran run_headless(const fs::path& dir, const fs::path& data, const std::string& input) {
  write_file(dir / "in.txt", input);
  return run_shell(std::string(MUSTER_KIOSK_PROGRAM) + " --data " + quoted(data.string()) +
                   " headless --simulated-clock < " + quoted((dir / "in.txt").string()));
}

WindowRun run_kiosk_window(const fs::path& dir, const fs::path& data, const std::string& script,
                           const std::string& options) {
  const auto script_file = dir / "script.txt";
  write_file(script_file, script);
  const auto log_file = dir / "state.jsonl";
  const std::string command = std::string("timeout 120 ") + MUSTER_XVFB_RUN + " -a -f " +
                              quoted((dir / "Xauthority").string()) +
                              " -s '-screen 0 1280x800x24' " + MUSTER_KIOSK_PROGRAM + " --data " +
                              quoted(data.string()) + " " + options + " --input-script " +
                              quoted(script_file.string()) + " --state-log " +
                              quoted(log_file.string()) + " < /dev/null";
  const Ran ran = run_shell(command);
  WindowRun run;
  run.status = ran.exit_code;
  run.output = ran.out;
  std::ifstream log(log_file);
  for (std::string line; std::getline(log, line);)
    run.log.push_back(nlohmann::json::parse(line));
  return run;
}

std::string last_screen(const WindowRun& run) {
  for (auto it = run.log.rbegin(); it != run.log.rend(); ++it) {
    if (it->contains("screen")) return (*it)["screen"].get<std::string>();
  }
  return "";
}

nlohmann::json first_on(const WindowRun& run, const std::string& screen) {
  for (const auto& entry : run.log) {
    if (entry.value("screen", "") == screen) return entry;
  }
  return nullptr;
}

void expect_window_size(const fs::path& png) {
  auto image = kiosk::load_gray_image(png);
  ASSERT_TRUE(image) << png << ": " << image.message();
  EXPECT_EQ(image->width, 1280);
  EXPECT_EQ(image->height, 800);
}

void expect_real_screenshot(const fs::path& png) {
  expect_window_size(png);
  auto image = kiosk::load_gray_image(png);
  ASSERT_TRUE(image) << png << ": " << image.message();
  double sum = 0;
  double squares = 0;
  for (const auto p : image->pixels) {
    sum += p;
    squares += static_cast<double>(p) * p;
  }
  const double n = static_cast<double>(image->pixels.size());
  const double variance = squares / n - (sum / n) * (sum / n);
  EXPECT_GT(variance, 50.0) << png << " looks blank";
}

void keep_screenshot(const fs::path& png, const std::string& name) {
  if (const char* keep = std::getenv("MUSTER_SCREENSHOT_DIR")) {
    fs::copy_file(png, fs::path(keep) / name, fs::copy_options::overwrite_existing);
  }
}

} // namespace muster::test
