// muster-kiosk: the check-in kiosk at a session door. A thin command line over muster_kiosk_lib;
// the window (Dear ImGui + GLFW) comes on top of the same Checkin state machine.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "kiosk/app/checkin.hpp"
#include "kiosk/app/demo.hpp"
#include "kiosk/app/desk.hpp"
#include "kiosk/app/headless.hpp"
#include "kiosk/app/kiosk_settings.hpp"
#include "kiosk/app/package_import.hpp"
#include "kiosk/app/scan_export_commands.hpp"
#include "kiosk/app/staff_pin.hpp"
#include "kiosk/app/sync_commands.hpp"
#include "kiosk/scan/decoder.hpp"
#include "kiosk/scan/gray_image.hpp"
#include "kiosk/scan/raw_scan.hpp"
#include "kiosk/ui/run_kiosk.hpp"
#include "shared/kiosk_store.hpp"
#include "sync/client/sync_engine.hpp"

namespace {

namespace fs = std::filesystem;
using namespace muster;
using namespace muster::kiosk;

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitBug = 70; // EX_SOFTWARE

struct Options {
  std::string data_dir;
  std::string room;
  std::string device_id;
  int lead_time_min = -1;
  bool demo = false;
  bool simulated_clock = false;
  std::vector<std::string> images;
  std::string package_file;
  ui::WindowOptions window;      // the window mode (kiosk/ui)
  std::string window_screenshot; // --screenshot
  std::string window_script;     // --input-script
  std::string window_state_log;  // --state-log
  std::string window_camera_images;
  const CLI::App* set_pin_cmd = nullptr;      // set-staff-pin
  bool desk = false;                          // --desk: the registration desk
  std::string print_dir;                      // --print-dir (desk reprints)
  std::string printer;                        // --printer (desk reprints, lp -d)
  const CLI::App* desk_key_cmd = nullptr;     // desk-key
  const CLI::App* device_key_cmd = nullptr;   // device-key
  std::string device_key_out;                 // device-key --out
  const CLI::App* export_scans_cmd = nullptr; // export-scans
  ExportScansOptions export_scans;
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

fs::path data_dir_of(const Options& options) {
  return options.data_dir.empty() ? default_data_dir() : fs::path(options.data_dir);
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

int run(const CLI::App* headless, const CLI::App* import_cmd, const Options& options) {
  const fs::path data_dir = data_dir_of(options);
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
    if (options.desk) {
      if (auto certified = certify_demo_desk(*store, demo->demo_dir / "league-secret.key");
          !certified) {
        std::cerr << "muster-kiosk --demo --desk: " << certified.message() << '\n';
        return kExitFailure;
      }
    }
    // stderr: in headless mode stdout carries only JSON.
    std::cerr << "muster-kiosk: demo " << (demo->created ? "created" : "ready") << " in "
              << demo->demo_dir.string() << " (badges: " << demo->badges_dir.string()
              << ", list: " << demo->badges_tsv.string() << "; room " << demo->room
              << ", time zone " << demo->time_zone << ")\n";
  }

  if (!options.print_dir.empty()) {
    if (auto saved = store->set_setting(kSettingDeskPrintDir, options.print_dir); !saved) {
      std::cerr << "muster-kiosk: " << saved.message() << '\n';
      return kExitFailure;
    }
  }
  if (!options.printer.empty()) {
    if (auto saved = store->set_setting(kSettingDeskPrinter, options.printer); !saved) {
      std::cerr << "muster-kiosk: " << saved.message() << '\n';
      return kExitFailure;
    }
  }
  if (options.desk_key_cmd != nullptr && options.desk_key_cmd->parsed()) {
    auto key = ensure_desk_key(*store);
    if (!key) {
      std::cerr << "muster-kiosk desk-key: " << key.message() << '\n';
      return kExitFailure;
    }
    // Only the public key is printed: the League certifies it with muster-server certify-desk.
    std::cout << to_text(key->public_key()) << '\n';
    return 0;
  }

  if (options.device_key_cmd != nullptr && options.device_key_cmd->parsed()) {
    return run_device_key(*store, options.device_key_out, std::cout, std::cerr);
  }
  if (options.export_scans_cmd != nullptr && options.export_scans_cmd->parsed()) {
    return run_export_scans(*store, options.export_scans, std::cout, std::cerr);
  }

  if (options.set_pin_cmd != nullptr && options.set_pin_cmd->parsed()) {
    // The PIN comes on stdin so it never shows in `ps` or the shell history.
    std::string pin;
    std::getline(std::cin, pin);
    StaffPin staff_pin(*store);
    if (auto set = staff_pin.set(pin); !set) {
      std::cerr << "muster-kiosk set-staff-pin: " << set.message() << '\n';
      return kExitFailure;
    }
    std::cout << "staff PIN set\n";
    return 0;
  }

  // A window option asks for the window even when stdin is not a terminal (tests, scripts).
  const bool window_asked = options.window.windowed || !options.window_screenshot.empty() ||
                            !options.window_script.empty();
  const bool want_headless =
      headless->parsed() || (options.demo && isatty(STDIN_FILENO) == 0 && !window_asked);
  if (!want_headless) {
    auto window = options.window;
    window.screenshot = options.window_screenshot;
    window.input_script = options.window_script;
    window.state_log = options.window_state_log;
    window.camera_images = options.window_camera_images;
    window.desk = options.desk;
    // A provisioned kiosk syncs on its own thread while the window runs; the UI never waits.
    std::unique_ptr<sync::SyncEngine> engine;
    if (auto url = store->setting(sync::kSettingServerUrl); url && *url && !(*url)->empty()) {
      engine = std::make_unique<sync::SyncEngine>(
          engine_options(store->path(), with_saved_tls(*store, SyncCommandOptions{})));
      engine->start();
    }
    const int status = ui::run_kiosk_window(*store, data_dir, options.demo, options.room, window);
    if (engine) engine->stop();
    return status;
  }

  HeadlessOptions headless_options;
  headless_options.simulated_clock = options.simulated_clock;
  if (options.desk) {
    // --print-dir and --printer were saved to settings above; the default is DATA/reprints.
    auto desk = Desk::open(*store);
    if (!desk) {
      std::cerr << "muster-kiosk --desk: " << desk.message() << '\n';
      return kExitFailure;
    }
    run_desk_headless(*desk, std::cin, std::cout, headless_options);
    return 0;
  }

  CheckinOptions checkin_options;
  checkin_options.room = options.room;
  auto checkin = Checkin::open(*store, checkin_options);
  if (!checkin) {
    std::cerr << "muster-kiosk: " << checkin.message() << '\n';
    return kExitFailure;
  }
  run_headless(*checkin, std::cin, std::cout, headless_options);
  return 0;
}

// provision / sync --once (kiosk/app/sync_commands.hpp).
int run_network(const Options& options, bool provision, const std::string& url,
                const std::string& code, const SyncCommandOptions& sync_options) {
  const fs::path data_dir = data_dir_of(options);
  auto store = open_store(options, data_dir);
  if (!store) {
    std::cerr << "muster-kiosk: " << store.message() << '\n';
    return kExitFailure;
  }
  return provision ? run_provision(*store, url, code, sync_options, std::cout, std::cerr)
                   : run_sync_once(*store, sync_options, std::cout, std::cerr);
}

} // namespace

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
                 "minutes before a session starts that its door welcomes arrivals (default: the "
                 "event's lead time, 15 unless the event says)")
      ->check(CLI::Range(0, 240));
  app.add_flag("--demo", options.demo,
               "first run: demo League key, event today, 40 attendees, badges in DATA/demo; "
               "then run the kiosk (headless when stdin is not a terminal and no window option "
               "is given)");

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
  auto* set_pin = app.add_subcommand(
      "set-staff-pin", "read a new staff PIN (4 to 12 digits) from stdin and keep its hash");
  options.set_pin_cmd = set_pin;
  options.desk_key_cmd = app.add_subcommand(
      "desk-key", "create (once) this registration desk's device key and print its public key "
                  "(MUPK1) for 'muster-server certify-desk'; the secret stays in the store");
  auto* device_key_cmd = app.add_subcommand(
      "device-key", "show this kiosk's device id and device key fingerprint (made at first "
                    "start); --out writes the public key file for 'muster-server "
                    "register-device'");
  device_key_cmd->add_option("--out", options.device_key_out, "write the public key file here");
  options.device_key_cmd = device_key_cmd;
  auto* export_scans_cmd = app.add_subcommand(
      "export-scans", "write this kiosk's scans, signed with its device key, to a file for "
                      "'muster-server import-scans' (a USB stick where there is no network)");
  export_scans_cmd->add_option("--out", options.export_scans.out_file, "the file to write")
      ->required();
  export_scans_cmd->add_flag("--since-last-export", options.export_scans.since_last_export,
                             "only the scans recorded after the previous export (default: all)");
  options.export_scans_cmd = export_scans_cmd;
  app.add_flag("--desk", options.desk,
               "run as the event's registration desk: a scan checks the official in to the "
               "event (also with headless)");
  app.add_option("--print-dir", options.print_dir,
                 "desk: folder for reprinted badge PNGs (kept in settings; default DATA/reprints)");
  app.add_option("--printer", options.printer,
                 "desk: also send reprints to this printer with lp -d (kept in settings)");
  app.add_flag("--windowed", options.window.windowed, "a 1280x800 window instead of fullscreen");
  app.add_flag(
      "--no-sound", [&](std::int64_t) { options.window.sound = false; },
      "no success/failure tones (default: played where an audio device exists)");
  app.add_option("--screenshot", options.window_screenshot,
                 "save what the window shows as PNG, then exit (after --after-frames frames, "
                 "counted once the --input-script has finished)");
  app.add_option("--after-frames", options.window.after_frames, "frames before --screenshot")
      ->check(CLI::Range(1, 100000));
  app.add_option("--input-script", options.window_script,
                 "timed input for the window: lines '@<ms> wedge|text|key|click|screenshot|quit "
                 "...' (kiosk/README.md)");
  app.add_option("--state-log", options.window_state_log,
                 "write one JSON object per state change to FILE (replaced; for tests)");
  app.add_option("--camera", options.window.camera_device, "V4L2 camera, e.g. /dev/video0");
  app.add_option("--camera-images", options.window_camera_images,
                 "an image file or folder stands in for the camera");
  app.add_option("--export-folder", options.window.export_folder,
                 "staff mode's default folder for CSV exports (default DATA/exports)");
  SyncCommandOptions sync_options;
  std::string provision_url;
  std::string provision_code;
  bool sync_once = false;
  const auto add_tls_options = [&sync_options](CLI::App* command) {
    command->add_flag("--insecure-http", sync_options.insecure_http,
                      "allow plain http to a server that is not on this machine");
    command->add_option("--ca-file", sync_options.ca_file, "CA certificates to trust (PEM)");
    command->add_option("--pin", sync_options.pinned_public_key,
                        "pin the server's public key: sha256//BASE64 or a key file");
  };
  auto* provision_cmd = app.add_subcommand(
      "provision", "exchange a one-time code from 'muster-server provision' for this kiosk's "
                   "token (kept in the store), then pull the event package");
  provision_cmd->add_option("url", provision_url, "the server, e.g. https://muster.example.org")
      ->required();
  provision_cmd->add_option("code", provision_code, "the one-time code, e.g. ABCD-EFGH-JKMN")
      ->required();
  provision_cmd->add_option("--name", sync_options.device_name, "a name for this kiosk");
  add_tls_options(provision_cmd);
  auto* sync_cmd = app.add_subcommand(
      "sync", "push every unacknowledged scan and pull the event package; exit 0 only when "
              "every scan is acknowledged");
  sync_cmd->add_flag("--once", sync_once, "one full push and pull, then exit")->required();
  sync_cmd->add_option("--server", sync_options.server_url,
                       "use this server URL for this run instead of the provisioned one");
  sync_cmd->add_option("--batch-size", sync_options.batch_size, "scans per request (default 500)")
      ->check(CLI::Range(1, 5000));
  add_tls_options(sync_cmd);
  app.require_subcommand(0, 1);

  try {
    CLI11_PARSE(app, argc, argv);
    if (decode->parsed()) return run_decode(options.images);
    if (provision_cmd->parsed() || sync_cmd->parsed()) {
      return run_network(options, provision_cmd->parsed(), provision_url, provision_code,
                         sync_options);
    }
    return run(headless, import_cmd, options);
  } catch (const std::exception& error) {
    std::cerr << "muster-kiosk: internal error: " << error.what() << '\n';
    return kExitBug;
  }
}
