#pragma once
// The command line of walk_in_commands.hpp, kept out of main.cpp (as credit_cli.hpp is):
// main.cpp needs only `WalkInCli walk_in_cli(app);` and `if (auto code = walk_in_cli.run(...))`.
// Included by main.cpp only (CLI11 is linked to the program, not the library).
#include <CLI/CLI.hpp>

#include <optional>
#include <ostream>

#include "sync/server/cli_options.hpp"
#include "sync/server/walk_in_commands.hpp"

namespace muster::server {

class WalkInCli {
public:
  explicit WalkInCli(CLI::App& app) {
    list_ = app.add_subcommand("walk-ins", "list walk-ins registered at kiosks that the League "
                                           "has not confirmed yet (provisional attendees)");
    add_db_option(list_, list_options_.database);
    list_->add_option("--event", list_options_.event_id, "only walk-ins of this event");
    list_->add_flag("--all", list_options_.include_confirmed, "confirmed walk-ins too");

    confirm_ = app.add_subcommand("confirm-walk-in",
                                  "confirm a walk-in: clear its provisional flag, or with --as "
                                  "record that it is an existing attendee");
    add_db_option(confirm_, confirm_options_.database);
    confirm_->add_option("--attendee", confirm_options_.attendee_id, "the walk-in's id")
        ->required();
    confirm_->add_option("--as", confirm_options_.same_as,
                         "the existing attendee the walk-in is (their scans count for them)");
  }

  // The exit code when one of these commands was chosen; nullopt otherwise.
  std::optional<int> run(std::ostream& out, std::ostream& err) const {
    if (*list_) return run_walk_ins(list_options_, out, err);
    if (*confirm_) return run_confirm_walk_in(confirm_options_, out, err);
    return std::nullopt;
  }

private:
  CLI::App* list_ = nullptr;
  CLI::App* confirm_ = nullptr;
  WalkInsOptions list_options_;
  ConfirmWalkInOptions confirm_options_;
};

} // namespace muster::server
