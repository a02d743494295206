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
#include <string_view>
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

// "muster-kiosk<what>: <message>" on stderr; the exit code of a failure.
int failed(std::string_view what, const std::string& message) {
  std::cerr << "muster-kiosk" << what << ": " << message << '\n';
  return kExitFailure;
}

// Keeps `value` in the store's settings; false (said on stderr) when it could not.
bool save_setting(KioskStore& store, std::string_view key, const std::string& value) {
  if (auto saved = store.set_setting(key, value); !saved) {
    failed("", saved.message());
    return false;
  }
  return true;
}

int run_import(KioskStore& store, const std::string& package_file) {
  auto summary = import_package_file(store, package_file);
  if (!summary) return failed(" import-package", summary.message());
  std::cout << "imported " << package_file << ": League " << summary->league_id
            << (summary->event_id.empty() ? "" : ", event " + summary->event_id) << " ("
            << summary->sessions << " sessions), " << summary->attendees << " attendees, "
            << summary->revoked_serials << " revoked serials, " << summary->league_keys
            << " League keys, " << summary->device_certificates << " device certificates"
            << (summary->trusted_on_first_use ? " (first package: its League key is now trusted)"
                                              : "")
            << '\n';
  return 0;
}

// --demo: the demo League, event and badges on first run (and the desk's certificate).
bool prepare_demo(KioskStore& store, const fs::path& data_dir, const Options& options) {
  auto demo = ensure_demo(store, data_dir, wall_clock_now());
  if (!demo) {
    failed(" --demo", demo.message());
    return false;
  }
  if (options.desk) {
    if (auto certified = certify_demo_desk(store, demo->demo_dir / "league-secret.key");
        !certified) {
      failed(" --demo --desk", certified.message());
      return false;
    }
  }
  // stderr: in headless mode stdout carries only JSON.
  std::cerr << "muster-kiosk: demo " << (demo->created ? "created" : "ready") << " in "
            << demo->demo_dir.string() << " (badges: " << demo->badges_dir.string()
            << ", list: " << demo->badges_tsv.string() << "; room " << demo->room << ", time zone "
            << demo->time_zone << ")\n";
  return true;
}

int run_desk_key(KioskStore& store) {
  auto key = ensure_desk_key(store);
  if (!key) return failed(" desk-key", key.message());
  // Only the public key is printed: the League certifies it with muster-server certify-desk.
  std::cout << to_text(key->public_key()) << '\n';
  return 0;
}

int run_set_pin(KioskStore& store) {
  // The PIN comes on stdin so it never shows in `ps` or the shell history.
  std::string pin;
  std::getline(std::cin, pin);
  StaffPin staff_pin(store);
  if (auto set = staff_pin.set(pin); !set) return failed(" set-staff-pin", set.message());
  std::cout << "staff PIN set\n";
  return 0;
}

int run_window_mode(KioskStore& store, const fs::path& data_dir, const Options& options) {
  auto window = options.window;
  window.screenshot = options.window_screenshot;
  window.input_script = options.window_script;
  window.state_log = options.window_state_log;
  window.camera_images = options.window_camera_images;
  window.desk = options.desk;
  // A provisioned kiosk syncs on its own thread while the window runs; the UI never waits.
  std::unique_ptr<sync::SyncEngine> engine;
  if (auto url = store.setting(sync::kSettingServerUrl); url && *url && !(*url)->empty()) {
    engine = std::make_unique<sync::SyncEngine>(
        engine_options(store.path(), with_saved_tls(store, SyncCommandOptions{})));
    engine->start();
  }
  const int status = ui::run_kiosk_window(store, data_dir, options.demo, options.room, window);
  if (engine) engine->stop();
  return status;
}

int run_headless_mode(KioskStore& store, const Options& options) {
  HeadlessOptions headless_options;
  headless_options.simulated_clock = options.simulated_clock;
  if (options.desk) {
    // --print-dir and --printer were saved to settings before; the default is DATA/reprints.
    auto desk = Desk::open(store);
    if (!desk) return failed(" --desk", desk.message());
    run_desk_headless(*desk, std::cin, std::cout, headless_options);
    return 0;
  }
  CheckinOptions checkin_options;
  checkin_options.room = options.room;
  auto checkin = Checkin::open(store, checkin_options);
  if (!checkin) return failed("", checkin.message());
  run_headless(*checkin, std::cin, std::cout, headless_options);
  return 0;
}

bool parsed(const CLI::App* command) { return command != nullptr && command->parsed(); }

int run(const CLI::App* headless, const CLI::App* import_cmd, const Options& options) {
  const fs::path data_dir =
      options.data_dir.empty() ? default_data_dir() : fs::path(options.data_dir);
  auto store = open_store(options, data_dir);
  if (!store) return failed("", store.message());
  if (!options.device_id.empty()) {
    if (auto set = set_device_id(*store, options.device_id); !set) {
      return failed("", set.message());
    }
  }
  if (options.lead_time_min >= 0 &&
      !save_setting(*store, kSettingLeadTimeMin, std::to_string(options.lead_time_min))) {
    return kExitFailure;
  }
  if (import_cmd->parsed()) return run_import(*store, options.package_file);
  if (options.demo && !prepare_demo(*store, data_dir, options)) return kExitFailure;
  if (!options.print_dir.empty() &&
      !save_setting(*store, kSettingDeskPrintDir, options.print_dir)) {
    return kExitFailure;
  }
  if (!options.printer.empty() && !save_setting(*store, kSettingDeskPrinter, options.printer)) {
    return kExitFailure;
  }
  if (parsed(options.desk_key_cmd)) return run_desk_key(*store);
  if (parsed(options.device_key_cmd)) {
    return run_device_key(*store, options.device_key_out, std::cout, std::cerr);
  }
  if (parsed(options.export_scans_cmd)) {
    return run_export_scans(*store, options.export_scans, std::cout, std::cerr);
  }
  if (parsed(options.set_pin_cmd)) return run_set_pin(*store);

  // A window option asks for the window even when stdin is not a terminal (tests, scripts).
  const bool window_asked = options.window.windowed || !options.window_screenshot.empty() ||
                            !options.window_script.empty();
  const bool want_headless =
      headless->parsed() || (options.demo && isatty(STDIN_FILENO) == 0 && !window_asked);
  if (!want_headless) return run_window_mode(*store, data_dir, options);
  return run_headless_mode(*store, options);
}

// provision / sync --once (kiosk/app/sync_commands.hpp).
int run_network(const Options& options, bool provision, const std::string& url,
                const std::string& code, const SyncCommandOptions& sync_options) {
  const fs::path data_dir =
      options.data_dir.empty() ? default_data_dir() : fs::path(options.data_dir);
  auto store = open_store(options, data_dir);
  if (!store) return failed("", store.message());
  return provision ? run_provision(*store, url, code, sync_options, std::cout, std::cerr)
                   : run_sync_once(*store, sync_options, std::cout, std::cerr);
}

// The window's options (kiosk/ui): how it shows, the input script and state log of the tests,
// the camera, the export folder.
void add_window_options(CLI::App& app, Options& options) {
  app.add_flag("--windowed", options.window.windowed, "a 1280x800 window instead of fullscreen");
  app.add_flag(
      "--no-sound", [&window = options.window](std::int64_t) { window.sound = false; },
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
}

// provision and sync --once, with the TLS options both take.
struct Network {
  SyncCommandOptions options;
  std::string url;
  std::string code;
  bool once = false;
  CLI::App* provision = nullptr;
  CLI::App* sync = nullptr;
};

void add_network_commands(CLI::App& app, Network& net) {
  const auto add_tls_options = [&net](CLI::App* command) {
    command->add_flag("--insecure-http", net.options.insecure_http,
                      "allow plain http to a server that is not on this machine");
    command->add_option("--ca-file", net.options.ca_file, "CA certificates to trust (PEM)");
    command->add_option("--pin", net.options.pinned_public_key,
                        "pin the server's public key: sha256//BASE64 or a key file");
  };
  net.provision = app.add_subcommand(
      "provision", "exchange a one-time code from 'muster-server provision' for this kiosk's "
                   "token (kept in the store), then pull the event package");
  net.provision->add_option("url", net.url, "the server, e.g. https://muster.example.org")
      ->required();
  net.provision->add_option("code", net.code, "the one-time code, e.g. ABCD-EFGH-JKMN")->required();
  net.provision->add_option("--name", net.options.device_name, "a name for this kiosk");
  add_tls_options(net.provision);
  net.sync = app.add_subcommand(
      "sync", "push every unacknowledged scan and pull the event package; exit 0 only when "
              "every scan is acknowledged");
  net.sync->add_flag("--once", net.once, "one full push and pull, then exit")->required();
  net.sync->add_option("--server", net.options.server_url,
                       "use this server URL for this run instead of the provisioned one");
  net.sync->add_option("--batch-size", net.options.batch_size, "scans per request (default 500)")
      ->check(CLI::Range(1, 5000));
  add_tls_options(net.sync);
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
  add_window_options(app, options);
  Network network;
  add_network_commands(app, network);
  app.require_subcommand(0, 1);

  try {
    CLI11_PARSE(app, argc, argv);
    if (decode->parsed()) return run_decode(options.images);
    if (network.provision->parsed() || network.sync->parsed()) {
      return run_network(options, network.provision->parsed(), network.url, network.code,
                         network.options);
    }
    return run(headless, import_cmd, options);
  } catch (const std::exception& error) {
    std::cerr << "muster-kiosk: internal error: " << error.what() << '\n';
    return kExitBug;
  }
}
