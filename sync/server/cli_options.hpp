#pragma once
// What the command-line headers of muster-server (*_cli.hpp, included by main.cpp only) share:
// the `--db` option, the same on every command that opens the League's database.
#include <CLI/CLI.hpp>

#include <string>

namespace muster::server {

inline constexpr const char* kDbHelp =
    "the database: a SQLite file path (default backend) or a postgresql:// URL";

// The required `--db DATABASE` of `command`.
inline CLI::Option* add_db_option(CLI::App* command, std::string& database) {
  return command->add_option("--db", database, kDbHelp)->required();
}

} // namespace muster::server
