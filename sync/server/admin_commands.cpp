// The administrator's setup commands: init (the database and the League key), opening an
// existing store, checking the League key, revoke, certify-desk. The other commands live by job:
// admin_imports.cpp, admin_badges.cpp, admin_package.cpp, admin_provision.cpp,
// admin_credits.cpp, admin_review.cpp; what they share is admin_support.hpp.
#include "sync/server/admin_commands.hpp"

#include <algorithm>
#include <fstream>
#include <system_error>

#include "shared/time.hpp"
#include "sync/server/admin_support.hpp"
#include "sync/server/league_key.hpp"

namespace muster::server {

namespace fs = std::filesystem;
using namespace admin_support; // NOLINT(google-build-using-namespace)

AdminResult<std::unique_ptr<ServerStore>> open_existing_store(std::string_view database) {
  if (database.empty()) return fail(AdminError::store, "--db is required");
  if (!is_postgres_url(database)) {
    std::error_code ignored;
    if (!fs::exists(fs::path(std::string(database)), ignored)) {
      return fail(AdminError::store, "the database " + std::string(database) +
                                         " does not exist; create it with `muster-server init "
                                         "--db " +
                                         std::string(database) + "`");
    }
  }
  auto store = open_server_store(database);
  if (!store) return store_error(store);
  if (auto league = (*store)->league(); !league) return store_error(league);
  return std::move(store).value();
}

AdminResult<SigningKey> load_checked_league_key(ServerStore& store, std::string_view database,
                                                const std::optional<fs::path>& file,
                                                std::ostream& err) {
  auto path = league_key_path(database, file);
  if (!path) return fail(AdminError::key, path.message());
  auto key = load_league_key(*path);
  if (!key) return fail(AdminError::key, key.message());
  if (auto warning = league_key_permission_warning(*path)) err << *warning << '\n';
  auto keys = store.league_keys();
  if (!keys) return store_error(keys);
  const std::string public_text = to_text(key->public_key());
  const bool known = std::any_of(keys->begin(), keys->end(), [&](const LeagueKeyRecord& record) {
    return record.public_key_text == public_text;
  });
  if (!known) {
    return fail(AdminError::key, "the key in " + path->string() +
                                     " is not a League key of this database (wrong --league-key?)");
  }
  return std::move(key).value();
}

AdminResult<Ok> write_file_atomically(const fs::path& path, std::string_view contents) {
  const fs::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.flush();
    if (!out) {
      std::error_code ignored;
      fs::remove(temporary, ignored);
      return fail(AdminError::io, "cannot write " + path.string());
    }
  }
  std::error_code error;
  fs::rename(temporary, path, error);
  if (error) {
    fs::remove(temporary, error);
    return fail(AdminError::io, "cannot write " + path.string() + ": " + error.message());
  }
  return Ok{};
}

int run_init(const InitOptions& options, std::ostream& out, std::ostream& err) {
  if (!is_valid_badge_id(options.league_id)) {
    err << "error: --league must be 1-64 characters of A-Z, a-z, 0-9, '-' or '_' (it is printed "
           "in every badge)\n";
    return 1;
  }
  auto path = league_key_path(options.database, options.league_key);
  if (!path) return report(path, err);
  // The key file is created first and exclusively: a second init stops here, before it could
  // touch the database, and a key is never overwritten.
  auto key = create_league_key(*path);
  if (!key) return report(key, err);
  const auto undo = [&] {
    std::error_code ignored;
    fs::remove(*path, ignored);
  };
  auto store = open_server_store(options.database);
  if (!store) {
    undo();
    return report(store, err);
  }
  if (auto initialised = (*store)->initialise({options.league_id, options.league_name});
      !initialised) {
    undo();
    return report(initialised, err);
  }
  const LeagueKeyRecord record{key->key_id(), to_text(key->public_key()), now_instant(), true};
  if (auto added = (*store)->add_league_key(record); !added) {
    undo();
    return report(added, err);
  }
  out << "Initialised League " << options.league_id << " (" << options.league_name << ") in "
      << options.database << " (" << (*store)->backend() << ").\n"
      << "League signing key " << key->key_id() << " written to " << path->string()
      << " (mode 0600). Keep it secret and back it up apart from the database:\n"
      << "every badge and event package is signed with it.\n"
      << "Public key: " << record.public_key_text << "\n";
  return 0;
}

int run_revoke(std::string_view database, std::string_view serial, std::ostream& out,
               std::ostream& err) {
  auto store = open_existing_store(database);
  if (!store) return report(store, err);
  auto badge = (*store)->revoke_badge(serial, now_instant());
  if (!badge) {
    if (badge.code() == DbError::not_found) {
      err << "error: no badge with serial " << serial << " (see badges.tsv or the printed badge)\n";
      return 1;
    }
    return report(badge, err);
  }
  out << "Revoked badge " << badge->serial << " of attendee " << badge->attendee_id
      << " (revoked at " << format_utc(badge->revoked_at.value_or(now_instant())) << ").\n"
      << "Kiosks refuse it after their next package or sync. For a replacement run "
      << "`muster-server issue-badges --event "
      << (badge->event_id.empty() ? "ID" : badge->event_id) << "`: it gets a new serial.\n";
  return 0;
}

int run_certify_desk(const CertifyDeskOptions& options, std::ostream& out, std::ostream& err) {
  if (options.device_name.empty() || options.device_name.size() > 100) {
    err << "error: --name must be 1 to 100 characters (e.g. \"Registration desk 1\")\n";
    return 1;
  }
  std::string key_text = options.public_key;
  if (!key_text.empty() && key_text.front() == '@') {
    std::ifstream in(key_text.substr(1));
    if (!in) {
      err << "error: cannot read the public key file " << key_text.substr(1) << '\n';
      return 1;
    }
    std::getline(in, key_text);
  }
  while (!key_text.empty() && (key_text.back() == '\r' || key_text.back() == ' ')) {
    key_text.pop_back();
  }
  auto device_key = parse_public_key(key_text);
  if (!device_key) {
    err << "error: --public-key is not a MUPK1 public key (print it on the desk with "
           "`muster-kiosk --data DIR desk-key`): "
        << device_key.message() << '\n';
    return 1;
  }
  std::optional<Instant> not_after;
  if (!options.not_after.empty()) {
    not_after = parse_iso8601(options.not_after);
    if (!not_after) {
      err << "error: --not-after must be an ISO 8601 instant with an offset, e.g. "
             "2026-12-04T18:00:00Z\n";
      return 1;
    }
  }
  auto store = open_existing_store(options.database);
  if (!store) return report(store, err);
  auto league = (*store)->league();
  if (!league) return report(league, err);
  auto key = load_checked_league_key(**store, options.database, options.league_key, err);
  if (!key) return report(key, err);
  if (device_key->key_id == key->key_id()) {
    err << "error: the desk key id " << device_key->key_id << " is the League key's id\n";
    return 1;
  }
  auto certificate = certify_device(league->id, *device_key, not_after, *key);
  if (!certificate) {
    err << "error: cannot certify the desk key: " << certificate.message() << '\n';
    return 1;
  }
  const std::string text = to_text(*certificate);
  auto saved = (*store)->add_device_certificate(
      {device_key->key_id, options.device_name, text, now_instant()});
  if (!saved) return report(saved, err);
  out << "Certified desk key " << device_key->key_id << " (" << options.device_name << ")"
      << (not_after ? " until " + format_utc(*not_after) : std::string(", no expiry"))
      << ".\nEvery event package (file and sync) now carries its certificate:\n"
      << text << '\n';
  return 0;
}

} // namespace muster::server
