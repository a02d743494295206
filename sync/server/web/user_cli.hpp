#pragma once
// The command line of `muster-server user ...` (user_commands.hpp), kept out of main.cpp as
// CreditCli is. Included by main.cpp only (CLI11 is linked to the program, not the library).
#include <CLI/CLI.hpp>

#include <iostream>
#include <optional>
#include <ostream>
#include <string>

#include "sync/server/cli_options.hpp"
#include "sync/server/web/user_commands.hpp"

namespace muster::server {

class UserCli {
public:
  explicit UserCli(CLI::App& app) {
    user_ = app.add_subcommand("user", "the web console's accounts (add, list, remove, passwd)");
    user_->require_subcommand(1);
    add_ = user_->add_subcommand(
        "add", "add a console account; the password is one line on standard input "
               "(at least 10 characters, not a common one)");
    add_db_option(add_, database_);
    add_->add_option("--name", name_, "the user name (sign-in name)")->required();
    add_->add_option("--role", role_, "admin, staff or viewer")
        ->required()
        ->check(CLI::IsMember({"admin", "staff", "viewer"}));
    list_ = user_->add_subcommand("list", "list the console accounts and their roles");
    add_db_option(list_, database_);
    remove_ = user_->add_subcommand("remove", "remove an account and end its sessions");
    add_db_option(remove_, database_);
    remove_->add_option("--name", name_, "the user name")->required();
    passwd_ = user_->add_subcommand(
        "passwd", "set an account's password from standard input; ends its sessions");
    add_db_option(passwd_, database_);
    passwd_->add_option("--name", name_, "the user name")->required();
  }

  // The exit code when a `user` command was given, else nullopt.
  std::optional<int> run(std::ostream& out, std::ostream& err) {
    if (!*user_) return std::nullopt;
    if (*add_) return run_user_add(database_, name_, role_, std::cin, out, err);
    if (*list_) return run_user_list(database_, out, err);
    if (*remove_) return run_user_remove(database_, name_, out, err);
    if (*passwd_) return run_user_passwd(database_, name_, std::cin, out, err);
    return 2;
  }

private:
  CLI::App* user_ = nullptr;
  CLI::App* add_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* remove_ = nullptr;
  CLI::App* passwd_ = nullptr;
  std::string database_;
  std::string name_;
  std::string role_;
};

} // namespace muster::server
