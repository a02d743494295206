#pragma once
// muster-server's admin commands (issue 4, names fixed): init, import-roster, import-event,
// issue-badges, revoke, package, provision, credits. main.cpp only parses the command line and
// calls run_*; each run_* prints to `out` (results) and `err` (errors, warnings) and returns the
// process exit code: 0 done, 1 failed (the message says why and what to do).
// The pieces below the run_* functions are plain library functions so tests and the HTTP API can
// use them without a process.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "shared/badge.hpp"
#include "shared/credit.hpp"
#include "shared/domain.hpp"
#include "shared/event_package.hpp"
#include "shared/result.hpp"
#include "sync/server/server_store.hpp"

namespace muster::server {

inline constexpr std::string_view kDefaultLeagueId = "LEAGUE";
inline constexpr std::string_view kDefaultLeagueName = "Municipal League";
inline constexpr std::chrono::hours kDefaultProvisioningValidity{7 * 24};

enum class AdminError : std::uint8_t {
  store,     // the database refused (message from the store)
  key,       // the League key file is missing, invalid, or not this League's key
  not_found, // no such event / badge
  render,    // a badge image or sheet could not be written
  io,        // an output file or directory could not be written
  damaged,   // the database holds a record that cannot be read (an unreadable key, certificate)
};

template <class T> using AdminResult = Result<T, AdminError>;

// ---- library functions ----

// Opens the store for a command other than init: a SQLite file must already exist (a typo in
// --db must not create an empty database).
AdminResult<std::unique_ptr<ServerStore>> open_existing_store(std::string_view database);

// Loads the League key (explicit file or the default beside a SQLite database), warns on `err`
// when the file is readable by others, and checks it is one of the League's keys in the store.
AdminResult<SigningKey> load_checked_league_key(ServerStore& store, std::string_view database,
                                                const std::optional<std::filesystem::path>& file,
                                                std::ostream& err);

struct IssuedBadge {
  Attendee attendee;
  BadgeRecord badge;
  bool reused = false; // the attendee's current unrevoked badge was printed again
};

// Issues (or reuses) a badge for every attendee of the roster for the event, sorted by id.
// An attendee keeps their current unrevoked badge (printed badges stay valid); one without a
// badge, or whose badges are all revoked, gets a fresh random serial recorded in the store.
AdminResult<std::vector<IssuedBadge>> issue_badges(ServerStore& store, const SigningKey& key,
                                                   std::string_view event_id, Instant now);

// Writes DIR/<attendee id>.png, DIR/badges.pdf and DIR/badges.tsv (header line first; columns
// attendee_id, name, role, payload). Creates DIR.
AdminResult<Ok> write_badge_files(const std::vector<IssuedBadge>& badges, const Event& event,
                                  const std::filesystem::path& dir);

// The event package since `since_cursor` (0: full), as the kiosk imports it: the one builder
// for the file (`package`) and the HTTP endpoint. A League key or device certificate it cannot
// read is an error (damaged), never silently left out: a kiosk would trust less than the League.
AdminResult<EventPackage> build_event_package(ServerStore& store, std::string_view event_id,
                                              std::uint64_t since_cursor, Instant now);

// A random one-time provisioning code, "XXXX-XXXX-XXXX" from 32 unambiguous characters (no
// 0/O, 1/I): 60 bits. It is stored as hash_secret(code) (http_api.hpp) and typed exactly.
std::string new_provisioning_code();

// One attendee in one session, derived by the presence rule (shared/presence.hpp) and
// compute_attendance from all devices' scans.
struct CreditRow {
  Attendee attendee; // role guest and empty names when the scans name someone not on the roster
  bool on_roster = true;
  bool provisional = false;             // a walk-in the League has not confirmed yet
  std::vector<std::string> walk_in_ids; // confirmed walk-ins whose scans count here (--as)
  Session session;
  Attendance attendance;
  // The attendee's first event check-in at a registration desk (server clock), if any.
  std::optional<Instant> checked_in_at;
  // Where a door's label disagreed with the presence rule (credit follows the rule): words for
  // staff, listed by `muster-server review` and noted on the credit form.
  std::vector<std::string> review;
  // The server corrected or could not verify the clock of a kiosk whose scans placed this
  // session (sync/server/scan_clock.hpp): "kiosk clock corrected by +2 h 00 min".
  std::vector<std::string> clock;
};

// Rows for every (attendee, session) with at least one scan, sorted by attendee id, then session
// start, then session id.
AdminResult<std::vector<CreditRow>> compute_credits(ServerStore& store, const Event& event);
std::string credits_csv(const Event& event, const std::vector<CreditRow>& rows);
std::string credits_json(const Event& event, const std::vector<CreditRow>& rows);

// ---- commands ----

struct InitOptions {
  std::string database;
  std::optional<std::filesystem::path> league_key; // required for postgresql://
  std::string league_id{kDefaultLeagueId};
  std::string league_name{kDefaultLeagueName};
};
int run_init(const InitOptions& options, std::ostream& out, std::ostream& err);
// `effective`: the date role changes in this roster take effect (default: today, UTC).
int run_import_roster(std::string_view database, const std::filesystem::path& file,
                      std::ostream& out, std::ostream& err,
                      std::optional<Date> effective = std::nullopt);
// The event's "programs" are looked up by id among the program files in `programs_dir`
// (default: the directory of the default program) and the roles they make eligible stored with
// the event.
int run_import_event(std::string_view database, const std::filesystem::path& file,
                     std::ostream& out, std::ostream& err,
                     const std::optional<std::filesystem::path>& programs_dir = std::nullopt);
// Sets event.eligible_roles from the programs the event names (see run_import_event). With
// `core_warnings`, adds a line for each core session whose course code is missing from the core
// list of a program that has one.
AdminResult<Ok> resolve_event_programs(Event& event,
                                       const std::optional<std::filesystem::path>& programs_dir,
                                       std::ostream& err,
                                       std::vector<std::string>* core_warnings = nullptr);
// The League's municipalities CSV (id,name,council_seats; docs/formats.md).
int run_import_municipalities(std::string_view database, const std::filesystem::path& file,
                              std::ostream& out, std::ostream& err);

struct IssueBadgesOptions {
  std::string database;
  std::optional<std::filesystem::path> league_key;
  std::string event_id;
  std::filesystem::path out_dir;
};
int run_issue_badges(const IssueBadgesOptions& options, std::ostream& out, std::ostream& err);

int run_revoke(std::string_view database, std::string_view serial, std::ostream& out,
               std::ostream& err);

// certify-desk: the League key certifies a registration desk's device key (MUPK1 text, or
// "@FILE"); the MUC1 certificate is stored and goes to every kiosk in the event packages.
struct CertifyDeskOptions {
  std::string database;
  std::optional<std::filesystem::path> league_key;
  std::string public_key; // MUPK1 text, or @FILE holding it
  std::string device_name;
  std::string not_after; // ISO 8601 instant; empty: no expiry
};
int run_certify_desk(const CertifyDeskOptions& options, std::ostream& out, std::ostream& err);

struct PackageOptions {
  std::string database;
  std::optional<std::filesystem::path> league_key;
  std::string event_id;
  std::filesystem::path out_file;
};
int run_package(const PackageOptions& options, std::ostream& out, std::ostream& err);

struct ProvisionOptions {
  std::string database;
  std::string event_id;
  std::string device_name;
  std::chrono::hours valid_for = kDefaultProvisioningValidity;
};
int run_provision(const ProvisionOptions& options, std::ostream& out, std::ostream& err);

enum class CreditsFormat : std::uint8_t { csv, json };
// `review`: the scans where a door's label disagreed with the presence rule (a door that had
// not heard of the official's scan at another door), one line each: attendee id, name, session
// id and the words, tab-separated (or JSON). Credit already follows the rule; this is for staff.
int run_review(std::string_view database, std::string_view event_id, CreditsFormat format,
               std::ostream& out, std::ostream& err);
int run_credits(std::string_view database, std::string_view event_id, CreditsFormat format,
                std::ostream& out, std::ostream& err);

// Writes `contents` to `path` through a temporary file and a rename, so a reader never sees half.
AdminResult<Ok> write_file_atomically(const std::filesystem::path& path, std::string_view contents);

} // namespace muster::server
