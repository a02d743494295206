#pragma once
// The League's Ed25519 signing key file: one line, the MUSK1 text form (shared/badge.hpp).
// It lives OUTSIDE the database (a database backup must not leak it), mode 0600.
// Default place: for a SQLite database DB, the file "DB.league.key" beside it; a postgresql://
// database has no "beside", so commands that sign need --league-key FILE there.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "shared/badge.hpp"
#include "shared/result.hpp"

namespace muster::server {

enum class LeagueKeyError : std::uint8_t {
  exists,     // create: the file is already there (never overwritten)
  missing,    // load: no such file
  io,         // cannot read or write it
  malformed,  // not a MUSK1 secret key
  no_default, // a postgresql:// database has no default key path
};
std::string_view to_string(LeagueKeyError error);

inline constexpr std::string_view kLeagueKeySuffix = ".league.key";

// "DB.league.key" for a SQLite path; no_default for a postgresql:// URL.
Result<std::filesystem::path, LeagueKeyError> default_league_key_path(std::string_view database);

// `explicit_path` when given, else the default for the database.
Result<std::filesystem::path, LeagueKeyError>
league_key_path(std::string_view database,
                const std::optional<std::filesystem::path>& explicit_path);

// Generates a new key with a fresh random id ("LK-" + 8 hex digits) and writes it to `path`
// created exclusively with mode 0600: an existing file is an `exists` error, never replaced.
Result<SigningKey, LeagueKeyError> create_league_key(const std::filesystem::path& path);

// Reads the key. The mode is not enforced (an operator may copy it around), see below.
Result<SigningKey, LeagueKeyError> load_league_key(const std::filesystem::path& path);

// A warning sentence when group or others may read the file (the key should be 0600).
std::optional<std::string> league_key_permission_warning(const std::filesystem::path& path);

} // namespace muster::server
