#pragma once
// The command line of revoke_commands.hpp (revoke-device, revoke-token, revoke-desk), kept out
// of main.cpp as walk_in_cli.hpp is. Included by main.cpp only (CLI11 is linked to the program).
#include <CLI/CLI.hpp>

#include <optional>
#include <ostream>

#include "sync/server/cli_options.hpp"
#include "sync/server/revoke_commands.hpp"

namespace muster::server {

class RevokeCli {
public:
  explicit RevokeCli(CLI::App& app) {
    device_ = app.add_subcommand("revoke-device", "revoke a kiosk's device token at once (a "
                                                  "lost or stolen kiosk); its scans stay");
    add_db_option(device_, device_options_.database);
    device_->add_option("--device", device_options_.device_id, "the device id (dev-...)")
        ->required();

    token_ = app.add_subcommand("revoke-token", "revoke an admin token (muster-server "
                                                "admin-token) or a relay token (relay-token) "
                                                "at once");
    add_db_option(token_, token_options_.database);
    token_->add_option("--token", token_options_.token,
                       "the token (muster-admin.... or muster-relay....)");
    token_->add_option("--label", token_options_.label,
                       "every admin and relay token with this label");

    desk_ = app.add_subcommand("revoke-desk", "revoke a registration desk's certificate "
                                              "(certify-desk): its reprints are refused");
    add_db_option(desk_, desk_options_.database);
    desk_->add_option("--league-key", desk_key_,
                      "the League signing key file (default for a SQLite DB: beside it)");
    desk_->add_option("--key-id", desk_options_.key_id, "the desk key's id (DESK-...)")->required();
  }

  // The exit code when one of these commands was chosen; nullopt otherwise.
  std::optional<int> run(std::ostream& out, std::ostream& err) {
    if (*device_) return run_revoke_device(device_options_, out, err);
    if (*token_) return run_revoke_token(token_options_, out, err);
    if (*desk_) {
      if (!desk_key_.empty()) desk_options_.league_key = desk_key_;
      return run_revoke_desk(desk_options_, out, err);
    }
    return std::nullopt;
  }

private:
  CLI::App* device_ = nullptr;
  CLI::App* token_ = nullptr;
  CLI::App* desk_ = nullptr;
  RevokeDeviceOptions device_options_;
  RevokeTokenOptions token_options_;
  RevokeDeskOptions desk_options_;
  std::string desk_key_;
};

} // namespace muster::server
