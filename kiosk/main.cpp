// muster-kiosk: the check-in kiosk at a session door. A thin command line over muster_kiosk_lib;
// the window (Dear ImGui + GLFW) comes on top of the same Checkin state machine.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "kiosk/app/checkin.hpp"
#include "kiosk/app/demo.hpp"
#include "kiosk/app/headless.hpp"
#include "kiosk/app/kiosk_settings.hpp"
#include "kiosk/app/package_import.hpp"
#include "kiosk/scan/decoder.hpp"
#include "kiosk/scan/gray_image.hpp"
#include "kiosk/scan/raw_scan.hpp"
#include "shared/kiosk_store.hpp"

namespace {

namespace fs = std::filesystem;
using namespace muster;
using namespace muster::kiosk;

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitBug = 70;  // EX_SOFTWARE

struct Options {
  std::string data_dir;
  std::string room;
  std::string device_id;
  int lead_time_min = -1;
  bool demo = false;
  bool simulated_clock = false;
  std::vector<std::string> images;
  std::string package_file;
};

fs::path default_data_dir() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg != '\0') {
    return fs::path(xdg) / "muster-kiosk";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return fs::path(home) / ".local" / "share" / "muster-kiosk";
  }
  return fs::current_path() / "muster-kiosk-data";
}

int run_decode(const std::vector<std::string>& images) {
  int status = 0;
  for (const auto& path : images) {
    std::string payload;
    auto image = load_gray_image(path);
    if (!image) {
      std::cerr << "muster-kiosk decode: " << image.message() << '\n';
      status = kExitFailure;
    } else if (auto decoded = decode_frame(image->view())) {
      payload = std::move(decoded->payload);
    }
    std::cout << path << '\t' << payload << '\n' << std::flush;
  }
  return status;
}

// Opens (creating) the store in the data folder and applies --room and --device-id.
Result<KioskStore, StoreError> open_store(const Options& options, const fs::path& data_dir) {
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) {
    return fail(StoreError::cannot_open,
                "cannot create the data folder " + data_dir.string() + ": " + ec.message());
  }
  auto store = KioskStore::open(data_dir / "kiosk.db");
  if (!store) return store;
  if (!options.room.empty()) {
    if (auto saved = store->set_setting(kSettingRoom, options.room); !saved) return saved.error();
  }
  return store;
}

int run(const CLI::App* headless, const CLI::App* import_cmd,
        const Options& options) {
  const fs::path data_dir = options.data_dir.empty() ? default_data_dir() : fs::path(options.data_dir);
  auto store = open_store(options, data_dir);
  if (!store) {
    std::cerr << "muster-kiosk: " << store.message() << '\n';
    return kExitFailure;
  }
  if (!options.device_id.empty()) {
    if (auto set = set_device_id(*store, options.device_id); !set) {
      std::cerr << "muster-kiosk: " << set.message() << '\n';
      return kExitFailure;
    }
  }
  if (options.lead_time_min >= 0) {
    if (auto saved = store->set_setting(kSettingLeadTimeMin, std::to_string(options.lead_time_min));
        !saved) {
      std::cerr << "muster-kiosk: " << saved.message() << '\n';
      return kExitFailure;
    }
  }

  if (import_cmd->parsed()) {
    auto summary = import_package_file(*store, options.package_file);
    if (!summary) {
      std::cerr << "muster-kiosk import-package: " << summary.message() << '\n';
      return kExitFailure;
    }
    std::cout << "imported " << options.package_file << ": League " << summary->league_id
              << (summary->event_id.empty() ? "" : ", event " + summary->event_id) << " ("
              << summary->sessions << " sessions), " << summary->attendees << " attendees, "
              << summary->revoked_serials << " revoked serials, " << summary->league_keys
              << " League keys, " << summary->device_certificates << " device certificates"
              << (summary->trusted_on_first_use ? " (first package: its League key is now trusted)"
                                                : "")
              << '\n';
    return 0;
  }

  std::optional<DemoInfo> demo;
  if (options.demo) {
    auto made = ensure_demo(*store, data_dir, wall_clock_now());
    if (!made) {
      std::cerr << "muster-kiosk --demo: " << made.message() << '\n';
      return kExitFailure;
    }
    demo = std::move(*made);
    // stderr: in headless mode stdout carries only JSON.
    std::cerr << "muster-kiosk: demo " << (demo->created ? "created" : "ready") << " in "
              << demo->demo_dir.string() << " (badges: " << demo->badges_dir.string()
              << ", list: " << demo->badges_tsv.string() << "; room " << demo->room
              << ", time zone " << demo->time_zone << ")\n";
  }

  const bool want_headless = headless->parsed() || (options.demo && isatty(STDIN_FILENO) == 0);
  if (!want_headless) {
    if (options.demo) {
      std::cout << "Demo badges: " << demo->badges_dir.string() << " (payloads in "
                << demo->badges_tsv.string() << ").\nThe kiosk window comes with the UI; "
                << "until then scan with: muster-kiosk --data " << data_dir.string()
                << " headless\n";
      return 0;
    }
    std::cerr << "muster-kiosk: the window is not built yet; use 'headless' (see --help)\n";
    return kExitUsage;
  }

  CheckinOptions checkin_options;
  checkin_options.room = options.room;
  auto checkin = Checkin::open(*store, checkin_options);
  if (!checkin) {
    std::cerr << "muster-kiosk: " << checkin.message() << '\n';
    return kExitFailure;
  }
  HeadlessOptions headless_options;
  headless_options.simulated_clock = options.simulated_clock;
  run_headless(*checkin, std::cin, std::cout, headless_options);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"muster-kiosk: check-in kiosk for a session door (offline-first, signed QR badges)"};
  app.fallthrough();
  Options options;
  app.add_option("--data", options.data_dir,
                 "data folder; the store is DATA/kiosk.db (default: $XDG_DATA_HOME/muster-kiosk)");
  app.add_option("--room", options.room, "the room this door belongs to (kept in settings)");
  app.add_option("--device-id", options.device_id,
                 "this kiosk's device id (default: a random id made on first run, kept)");
  app.add_option("--lead-time", options.lead_time_min,
                 "minutes before a session starts that its door welcomes arrivals (default 15)")
      ->check(CLI::Range(0, 240));
  app.add_flag("--demo", options.demo,
               "first run: demo League key, event today, 40 attendees, badges in DATA/demo; "
               "then run the kiosk (headless when stdin is not a terminal)");

  auto* headless = app.add_subcommand(
      "headless", "read scans from stdin, one per line; write one JSON object per line");
  headless->add_flag("--simulated-clock", options.simulated_clock,
                     "a line may start with '@<ISO 8601 instant> ' to set that scan's time");
  auto* decode = app.add_subcommand(
      "decode", "print PATH<TAB>PAYLOAD for each image (empty payload: no code found)");
  decode->add_option("images", options.images, "image files (PNG, JPEG, ...)")->required();
  auto* import_cmd = app.add_subcommand(
      "import-package", "load a signed event package (event, roster, revoked serials, keys)");
  import_cmd->add_option("file", options.package_file, "the package file")->required();
  app.require_subcommand(0, 1);

  try {
    CLI11_PARSE(app, argc, argv);
    if (decode->parsed()) return run_decode(options.images);
    return run(headless, import_cmd, options);
  } catch (const std::exception& error) {
    std::cerr << "muster-kiosk: internal error: " << error.what() << '\n';
    return kExitBug;
  }
}
