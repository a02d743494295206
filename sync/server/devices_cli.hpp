#pragma once
// The command line of devices_command.hpp (devices), kept out of main.cpp as revoke_cli.hpp
// is. Included by main.cpp only (CLI11 is linked to the program).
#include <CLI/CLI.hpp>

#include <optional>
#include <ostream>
#include <string>

#include "sync/server/cli_options.hpp"
#include "sync/server/devices_command.hpp"

namespace muster::server {

class DevicesCli {
public:
  explicit DevicesCli(CLI::App& app) {
    devices_ = app.add_subcommand("devices", "list the kiosks: last contact, scans held, and "
                                             "the ones restored from a backup or cloned");
    add_db_option(devices_, options_.database);
    devices_->add_option("--event", options_.event_id, "only the devices of this event");
    devices_->add_option("--format", format_, "text (default) or json")
        ->check(CLI::IsMember({"text", "json"}));
  }

  // The exit code when this command was chosen; nullopt otherwise.
  std::optional<int> run(std::ostream& out, std::ostream& err) {
    if (!*devices_) return std::nullopt;
    options_.json = format_ == "json";
    return run_devices(options_, out, err);
  }

private:
  CLI::App* devices_ = nullptr;
  DevicesOptions options_;
  std::string format_ = "text";
};

} // namespace muster::server
