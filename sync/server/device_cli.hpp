#pragma once
// The command line of device_commands.hpp (register-device, import-scans), kept out of main.cpp
// as revoke_cli.hpp is. Included by main.cpp only (CLI11 is linked to the program).
#include <CLI/CLI.hpp>

#include <optional>
#include <ostream>

#include "sync/server/cli_options.hpp"
#include "sync/server/device_commands.hpp"

namespace muster::server {

class DeviceCli {
public:
  explicit DeviceCli(CLI::App& app) {
    register_ = app.add_subcommand(
        "register-device", "register a kiosk's own device key (muster-kiosk device-key --out "
                           "FILE) so its USB exports are accepted and it may provision as itself");
    add_db_option(register_, register_options_.database);
    register_->add_option("--event", register_options_.event_id, "the event the kiosk serves")
        ->required();
    register_
        ->add_option("--key", register_options_.key_file,
                     "the kiosk's public key file (device-key --out FILE)")
        ->required();
    register_->add_option("--device-id", register_options_.device_id,
                          "the kiosk's device id, when the key file does not name it");
    register_->add_option("--name", register_options_.name, "a name, e.g. \"Hall B door\"");

    import_ = app.add_subcommand(
        "import-scans", "store the scans of a kiosk's USB export (muster-kiosk export-scans) "
                        "with the same checks as a sync; importing a file again changes nothing");
    add_db_option(import_, import_options_.database);
    import_->add_option("file", import_options_.file, "the export file")->required();
    import_->add_option("--accept-key", import_options_.accept_key,
                        "the device key fingerprint the kiosk shows: registers an unknown "
                        "kiosk with the key its file carries");
    import_->add_option("--name", import_options_.name,
                        "with --accept-key: a name for the kiosk (default: its device id)");
  }

  // The exit code when one of these commands was chosen; nullopt otherwise.
  std::optional<int> run(std::ostream& out, std::ostream& err) {
    if (*register_) return run_register_device(register_options_, out, err);
    if (*import_) return run_import_scans(import_options_, out, err);
    return std::nullopt;
  }

private:
  CLI::App* register_ = nullptr;
  CLI::App* import_ = nullptr;
  RegisterDeviceOptions register_options_;
  ImportScansOptions import_options_;
};

} // namespace muster::server
