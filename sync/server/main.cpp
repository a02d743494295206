// muster-server: the League server's admin commands and its HTTP API (issue 4). A thin main:
// it parses the command line with CLI11 and calls the library (admin_commands.hpp, demo_seed.hpp,
// http_api.hpp). Exit codes: 0 done, 1 failed, 2 bad command line.
#include <CLI/CLI.hpp>

#include <exception>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include "sync/server/admin_commands.hpp"
#include "sync/server/credit_cli.hpp"
#include "sync/server/demo_seed.hpp"
#include "sync/server/device_cli.hpp"
#include "sync/server/devices_cli.hpp"
#include "sync/server/http_api.hpp"
#include "sync/server/league_key.hpp"
#include "sync/server/mail/mail_cli.hpp"
#include "sync/server/relay_cli.hpp"
#include "sync/server/revoke_cli.hpp"
#include "sync/server/walk_in_cli.hpp"
#include "sync/server/web/user_cli.hpp"

namespace {

namespace fs = std::filesystem;
using namespace muster::server;

constexpr const char* kDbHelp =
    "the database: a SQLite file path (default backend) or a postgresql:// URL";
constexpr const char* kKeyHelp =
    "the League signing key file (default for a SQLite DB: DB.league.key beside it; required "
    "for postgresql://)";

std::optional<fs::path> optional_path(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return fs::path(text);
}

// "HOST:PORT", "[::1]:PORT" or ":PORT" (all interfaces of 0.0.0.0).
bool parse_listen(const std::string& text, std::string& host, int& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 >= text.size()) return false;
  host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  const std::string digits = text.substr(colon + 1);
  if (digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  port = std::stoi(digits);
  return port <= 65535;
}

// Limits on slow clients: the defaults of HttpOptions unless given.
struct ServeLimits {
  int request_timeout_seconds = 20;
  int max_connections_per_address = 6;
};

int run_serve(const std::string& database, const std::string& listen, const std::string& cert,
              const std::string& tls_key, const std::string& league_key, const ServeLimits& limits,
              mail::MailCli& mail_cli) {
  HttpOptions options;
  options.database = database;
  std::string mail_error;
  options.official_mail = mail_cli.serve_settings(mail_error); // /me/ (issue 18)
  if (!mail_error.empty()) {
    std::cerr << "error: " << mail_error << '\n';
    return 2;
  }
  options.request_read_timeout = std::chrono::seconds(limits.request_timeout_seconds);
  options.max_connections_per_address = limits.max_connections_per_address;
  if (!parse_listen(listen, options.host, options.port)) {
    std::cerr << "error: --listen must be HOST:PORT, e.g. 127.0.0.1:8080 (got '" << listen
              << "')\n";
    return 2;
  }
  if (cert.empty() != tls_key.empty()) {
    std::cerr << "error: --tls-cert and --tls-key go together (both for HTTPS, neither for HTTP)\n";
    return 2;
  }
  options.tls_cert = optional_path(cert);
  options.tls_key = optional_path(tls_key);
  if (!league_key.empty()) {
    options.league_key_file = fs::path(league_key);
  } else if (auto path = default_league_key_path(database); path) {
    std::error_code ignored;
    // Without the key the server still syncs scans; only the package endpoint needs it.
    if (fs::exists(*path, ignored)) options.league_key_file = *path;
  }
  if (!options.league_key_file) {
    std::cerr << "warning: no League key file (--league-key): kiosks cannot download event "
                 "packages from this server\n";
  } else if (auto warning = league_key_permission_warning(*options.league_key_file)) {
    std::cerr << *warning << '\n';
  }
  return run_http_server(options);
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"muster-server: the League server of Muster (admin commands and the HTTP API)",
               "muster-server"};
  app.require_subcommand(1);
  app.fallthrough(false);

  std::string database;
  std::string league_key;
  const auto add_db = [&](CLI::App* command) {
    command->add_option("--db", database, kDbHelp)->required();
  };
  const auto add_key = [&](CLI::App* command) {
    command->add_option("--league-key", league_key, kKeyHelp);
  };

  InitOptions init;
  auto* init_cmd = app.add_subcommand(
      "init", "create the database schema and the League's Ed25519 signing key (file mode 0600)");
  add_db(init_cmd);
  add_key(init_cmd);
  init_cmd
      ->add_option("--league", init.league_id,
                   "the League id printed in every badge (A-Z a-z 0-9 - _)")
      ->default_str(std::string(kDefaultLeagueId));
  init_cmd->add_option("--name", init.league_name, "the League's name")
      ->default_str(std::string(kDefaultLeagueName));

  std::string file;
  auto* roster_cmd = app.add_subcommand(
      "import-roster", "import or update the roster CSV (docs/formats.md); all or nothing");
  add_db(roster_cmd);
  roster_cmd->add_option("FILE", file, "the roster CSV")->required();
  std::string effective;
  roster_cmd->add_option("--effective", effective,
                         "the date role changes take effect, YYYY-MM-DD (default: today, UTC)");

  auto* municipalities_cmd = app.add_subcommand(
      "import-municipalities",
      "import or update the League's municipalities CSV: id,name,council_seats (docs/formats.md)");
  add_db(municipalities_cmd);
  municipalities_cmd->add_option("FILE", file, "the municipalities CSV")->required();

  auto* event_cmd = app.add_subcommand(
      "import-event", "import or update an event JSON (docs/formats.md); all or nothing");
  add_db(event_cmd);
  event_cmd->add_option("FILE", file, "the event JSON")->required();
  std::string programs_dir;
  event_cmd->add_option("--programs-dir", programs_dir,
                        "where the program files of the event's \"programs\" are (default: "
                        "the directory of assets/programs/alm-cmo.jsonc)");

  std::string event_id;
  std::string out;
  auto* badges_cmd = app.add_subcommand(
      "issue-badges", "write a PNG badge per attendee, a printable PDF sheet and badges.tsv");
  add_db(badges_cmd);
  add_key(badges_cmd);
  badges_cmd->add_option("--event", event_id, "the event id")->required();
  badges_cmd->add_option("--out", out, "the output directory (created)")->required();

  std::string serial;
  auto* revoke_cmd =
      app.add_subcommand("revoke", "revoke a badge serial (lost badge; a reprint gets a new one)");
  add_db(revoke_cmd);
  revoke_cmd->add_option("--serial", serial, "the badge serial")->required();

  CertifyDeskOptions certify;
  auto* certify_cmd = app.add_subcommand(
      "certify-desk", "certify a registration desk's device key (muster-kiosk desk-key) so its "
                      "reprinted badges verify on every kiosk; packages carry the certificate");
  add_db(certify_cmd);
  add_key(certify_cmd);
  certify_cmd->add_option("--public-key", certify.public_key, "the desk's MUPK1 text, or @FILE")
      ->required();
  certify_cmd->add_option("--name", certify.device_name, "a name, e.g. \"Registration desk 1\"")
      ->required();
  certify_cmd->add_option("--not-after", certify.not_after,
                          "ISO 8601 instant after which the desk's reprints stop verifying");

  auto* package_cmd = app.add_subcommand(
      "package", "write the signed event package a kiosk imports offline (import-package)");
  add_db(package_cmd);
  add_key(package_cmd);
  package_cmd->add_option("--event", event_id, "the event id")->required();
  package_cmd->add_option("--out", out, "the package file to write")->required();

  std::string device_name;
  int valid_days = 7;
  auto* provision_cmd = app.add_subcommand(
      "provision", "print a one-time code (alone on the last line) a kiosk exchanges for a token");
  add_db(provision_cmd);
  provision_cmd->add_option("--event", event_id, "the event the device will serve")->required();
  provision_cmd->add_option("--name", device_name, "a name for the device, e.g. \"Ballroom A\"")
      ->required();
  provision_cmd->add_option("--valid-days", valid_days, "days until the code expires")
      ->check(CLI::Range(1, 90))
      ->default_str("7");

  std::string format = "csv";
  auto* credits_cmd = app.add_subcommand(
      "credits", "print per attendee and session: arrived, left, early leave, credit hours, "
                 "eligible, devices");
  add_db(credits_cmd);
  credits_cmd->add_option("--event", event_id, "the event id")->required();
  credits_cmd->add_option("--format", format, "csv (default) or json")
      ->check(CLI::IsMember({"csv", "json"}));

  std::string review_format = "text";
  auto* review_cmd = app.add_subcommand(
      "review", "list scans where a door's label disagreed with the presence rule across doors");
  add_db(review_cmd);
  review_cmd->add_option("--event", event_id, "the event id")->required();
  review_cmd->add_option("--format", review_format, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));

  std::string assets;
  auto* demo_cmd = app.add_subcommand(
      "demo", "seed a demo League, roster and event (live today), issue its badges into DIR");
  add_db(demo_cmd);
  add_key(demo_cmd);
  demo_cmd->add_option("--out", out, "the directory for badges and the event package")->required();
  demo_cmd->add_option("--assets", assets,
                       "the directory with roster.csv and event.json (default: assets/demo)");

  std::string listen = "127.0.0.1:8080";
  std::string tls_cert;
  std::string tls_key;
  auto* serve_cmd = app.add_subcommand("serve", "run the HTTP API until SIGINT or SIGTERM");
  add_db(serve_cmd);
  add_key(serve_cmd);
  serve_cmd->add_option("--listen", listen, "HOST:PORT to listen on")->default_str(listen);
  serve_cmd->add_option("--tls-cert", tls_cert, "TLS certificate (PEM); HTTPS with --tls-key");
  serve_cmd->add_option("--tls-key", tls_key, "TLS private key (PEM)");
  ServeLimits limits;
  serve_cmd
      ->add_option("--request-timeout", limits.request_timeout_seconds,
                   "seconds a connection has to send each request (headers and body)")
      ->default_val(limits.request_timeout_seconds)
      ->check(CLI::Range(1, 3600));
  serve_cmd
      ->add_option("--max-connections-per-address", limits.max_connections_per_address,
                   "connections of one client address still sending a request (0: no limit, "
                   "e.g. behind a reverse proxy)")
      ->default_val(limits.max_connections_per_address)
      ->check(CLI::Range(0, 100000));

  CreditCli credit_cli(app);   // issue 6: close-event, transcript, credit-form, report, ...
  WalkInCli walk_in_cli(app);  // walk-ins, confirm-walk-in
  UserCli user_cli(app);       // the console's accounts
  RevokeCli revoke_cli(app);   // revoke-device, revoke-token, revoke-desk
  DeviceCli device_cli(app);   // register-device, import-scans
  DevicesCli devices_cli(app); // devices
  RelayCli relay_cli(app);     // relay, relay-token
  mail::MailCli mail_cli(app); // mail-forms, remind, mail-status, disputes
  mail_cli.add_serve_options(serve_cmd);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    (void)app.exit(e);
    return 2;
  }

  // Exceptions are bugs: caught once here, reported, exit 1.
  try {
    std::ostream& o = std::cout;
    std::ostream& e = std::cerr;
    if (*init_cmd) {
      init.database = database;
      init.league_key = optional_path(league_key);
      return run_init(init, o, e);
    }
    if (*roster_cmd) {
      std::optional<muster::Date> date;
      if (!effective.empty()) {
        date = muster::parse_date(effective);
        if (!date) {
          e << "error: --effective must be a date YYYY-MM-DD, e.g. 2026-06-01\n";
          return 2;
        }
      }
      return run_import_roster(database, file, o, e, date);
    }
    if (*municipalities_cmd) return run_import_municipalities(database, file, o, e);
    if (*event_cmd) return run_import_event(database, file, o, e, optional_path(programs_dir));
    if (*badges_cmd) {
      return run_issue_badges({database, optional_path(league_key), event_id, out}, o, e);
    }
    if (*revoke_cmd) return run_revoke(database, serial, o, e);
    if (*certify_cmd) {
      certify.database = database;
      certify.league_key = optional_path(league_key);
      return run_certify_desk(certify, o, e);
    }
    if (*package_cmd)
      return run_package({database, optional_path(league_key), event_id, out}, o, e);
    if (*provision_cmd) {
      return run_provision({database, event_id, device_name, std::chrono::hours(24 * valid_days)},
                           o, e);
    }
    if (*credits_cmd) {
      return run_credits(database, event_id,
                         format == "json" ? CreditsFormat::json : CreditsFormat::csv, o, e);
    }
    if (*review_cmd) {
      return run_review(database, event_id,
                        review_format == "json" ? CreditsFormat::json : CreditsFormat::csv, o, e);
    }
    if (*demo_cmd) {
      return run_demo({database, optional_path(league_key), out, optional_path(assets)}, o, e);
    }
    if (*serve_cmd) {
      return run_serve(database, listen, tls_cert, tls_key, league_key, limits, mail_cli);
    }
    if (auto code = credit_cli.run(o, e)) return *code;
    if (auto code = walk_in_cli.run(o, e)) return *code;
    if (auto code = user_cli.run(o, e)) return *code;
    if (auto code = revoke_cli.run(o, e)) return *code;
    if (auto code = device_cli.run(o, e)) return *code;
    if (auto code = devices_cli.run(o, e)) return *code;
    if (auto code = relay_cli.run(o, e)) return *code;
    if (auto code = mail_cli.run(o, e)) return *code;
  } catch (const std::exception& error) {
    std::cerr << "internal error: " << error.what() << '\n';
    return 1;
  }
  return 2;
}
