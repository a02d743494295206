#pragma once
// The command line of admin_commands.hpp and demo_seed.hpp (init, the imports, issue-badges,
// revoke, certify-desk, package, provision, credits, review, demo), kept out of main.cpp as
// credit_cli.hpp is. Included by main.cpp only (CLI11 is linked to the program).
#include <CLI/CLI.hpp>

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

#include "shared/time.hpp"
#include "sync/server/admin_commands.hpp"
#include "sync/server/cli_options.hpp"
#include "sync/server/demo_seed.hpp"

namespace muster::server {

inline constexpr const char* kKeyHelp =
    "the League signing key file (default for a SQLite DB: DB.league.key beside it; required "
    "for postgresql://)";

inline std::optional<std::filesystem::path> optional_path(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return std::filesystem::path(text);
}

class AdminCli {
public:
  explicit AdminCli(CLI::App& app) {
    add_init(app);
    add_imports(app);
    add_badges(app);
    add_devices(app);
    add_credits(app);
  }

  // The exit code when one of these commands was chosen; nullopt otherwise.
  std::optional<int> run(std::ostream& o, std::ostream& e) {
    if (auto code = run_setup(o, e)) return code;
    if (auto code = run_imports(o, e)) return code;
    if (*badges_cmd_) {
      return run_issue_badges({database_, optional_path(league_key_), event_id_, out_}, o, e);
    }
    if (*package_cmd_) {
      return run_package({database_, optional_path(league_key_), event_id_, out_}, o, e);
    }
    if (*provision_cmd_) {
      return run_provision(
          {database_, event_id_, device_name_, std::chrono::hours(24 * valid_days_)}, o, e);
    }
    if (*credits_cmd_) {
      return run_credits(database_, event_id_,
                         format_ == "json" ? CreditsFormat::json : CreditsFormat::csv, o, e);
    }
    if (*review_cmd_) {
      return run_review(database_, event_id_,
                        review_format_ == "json" ? CreditsFormat::json : CreditsFormat::csv, o, e);
    }
    if (*demo_cmd_) {
      return run_demo({database_, optional_path(league_key_), out_, optional_path(assets_)}, o, e);
    }
    return std::nullopt;
  }

private:
  void add_db(CLI::App* command) { add_db_option(command, database_); }
  void add_key(CLI::App* command) { command->add_option("--league-key", league_key_, kKeyHelp); }

  // The subcommands are added in the order --help lists them.
  void add_init(CLI::App& app) {
    init_cmd_ = app.add_subcommand(
        "init", "create the database schema and the League's Ed25519 signing key (file mode 0600)");
    add_db(init_cmd_);
    add_key(init_cmd_);
    init_cmd_
        ->add_option("--league", init_.league_id,
                     "the League id printed in every badge (A-Z a-z 0-9 - _)")
        ->default_str(std::string(kDefaultLeagueId));
    init_cmd_->add_option("--name", init_.league_name, "the League's name")
        ->default_str(std::string(kDefaultLeagueName));
  }

  void add_imports(CLI::App& app) {
    roster_cmd_ = app.add_subcommand(
        "import-roster", "import or update the roster CSV (docs/formats.md); all or nothing");
    add_db(roster_cmd_);
    roster_cmd_->add_option("FILE", file_, "the roster CSV")->required();
    roster_cmd_->add_option("--effective", effective_,
                            "the date role changes take effect, YYYY-MM-DD (default: today, UTC)");

    municipalities_cmd_ =
        app.add_subcommand("import-municipalities", "import or update the League's municipalities "
                                                    "CSV: id,name,council_seats (docs/formats.md)");
    add_db(municipalities_cmd_);
    municipalities_cmd_->add_option("FILE", file_, "the municipalities CSV")->required();

    event_cmd_ = app.add_subcommand(
        "import-event", "import or update an event JSON (docs/formats.md); all or nothing");
    add_db(event_cmd_);
    event_cmd_->add_option("FILE", file_, "the event JSON")->required();
    event_cmd_->add_option("--programs-dir", programs_dir_,
                           "where the program files of the event's \"programs\" are (default: "
                           "the directory of assets/programs/alm-cmo.jsonc)");
  }

  // issue-badges, revoke, certify-desk, package: what the League signs.
  void add_badges(CLI::App& app) {
    badges_cmd_ = app.add_subcommand(
        "issue-badges", "write a PNG badge per attendee, a printable PDF sheet and badges.tsv");
    add_db(badges_cmd_);
    add_key(badges_cmd_);
    badges_cmd_->add_option("--event", event_id_, "the event id")->required();
    badges_cmd_->add_option("--out", out_, "the output directory (created)")->required();

    revoke_cmd_ = app.add_subcommand(
        "revoke", "revoke a badge serial (lost badge; a reprint gets a new one)");
    add_db(revoke_cmd_);
    revoke_cmd_->add_option("--serial", serial_, "the badge serial")->required();

    certify_cmd_ = app.add_subcommand(
        "certify-desk", "certify a registration desk's device key (muster-kiosk desk-key) so its "
                        "reprinted badges verify on every kiosk; packages carry the certificate");
    add_db(certify_cmd_);
    add_key(certify_cmd_);
    certify_cmd_->add_option("--public-key", certify_.public_key, "the desk's MUPK1 text, or @FILE")
        ->required();
    certify_cmd_->add_option("--name", certify_.device_name, "a name, e.g. \"Registration desk 1\"")
        ->required();
    certify_cmd_->add_option("--not-after", certify_.not_after,
                             "ISO 8601 instant after which the desk's reprints stop verifying");

    package_cmd_ = app.add_subcommand(
        "package", "write the signed event package a kiosk imports offline (import-package)");
    add_db(package_cmd_);
    add_key(package_cmd_);
    package_cmd_->add_option("--event", event_id_, "the event id")->required();
    package_cmd_->add_option("--out", out_, "the package file to write")->required();
  }

  void add_devices(CLI::App& app) {
    provision_cmd_ = app.add_subcommand(
        "provision",
        "print a one-time code (alone on the last line) a kiosk exchanges for a token");
    add_db(provision_cmd_);
    provision_cmd_->add_option("--event", event_id_, "the event the device will serve")->required();
    provision_cmd_->add_option("--name", device_name_, "a name for the device, e.g. \"Ballroom A\"")
        ->required();
    provision_cmd_->add_option("--valid-days", valid_days_, "days until the code expires")
        ->check(CLI::Range(1, 90))
        ->default_str("7");
  }

  // credits, review, demo.
  void add_credits(CLI::App& app) {
    credits_cmd_ = app.add_subcommand(
        "credits", "print per attendee and session: arrived, left, early leave, credit hours, "
                   "eligible, devices");
    add_db(credits_cmd_);
    credits_cmd_->add_option("--event", event_id_, "the event id")->required();
    credits_cmd_->add_option("--format", format_, "csv (default) or json")
        ->check(CLI::IsMember({"csv", "json"}));

    review_cmd_ = app.add_subcommand(
        "review", "list scans where a door's label disagreed with the presence rule across doors");
    add_db(review_cmd_);
    review_cmd_->add_option("--event", event_id_, "the event id")->required();
    review_cmd_->add_option("--format", review_format_, "text (default) or json")
        ->check(CLI::IsMember({"text", "json"}));

    demo_cmd_ = app.add_subcommand(
        "demo", "seed a demo League, roster and event (live today), issue its badges into DIR");
    add_db(demo_cmd_);
    add_key(demo_cmd_);
    demo_cmd_->add_option("--out", out_, "the directory for badges and the event package")
        ->required();
    demo_cmd_->add_option("--assets", assets_,
                          "the directory with roster.csv and event.json (default: assets/demo)");
  }

  std::optional<int> run_setup(std::ostream& o, std::ostream& e) {
    if (*init_cmd_) {
      init_.database = database_;
      init_.league_key = optional_path(league_key_);
      return run_init(init_, o, e);
    }
    if (*revoke_cmd_) return run_revoke(database_, serial_, o, e);
    if (*certify_cmd_) {
      certify_.database = database_;
      certify_.league_key = optional_path(league_key_);
      return run_certify_desk(certify_, o, e);
    }
    return std::nullopt;
  }

  std::optional<int> run_imports(std::ostream& o, std::ostream& e) {
    if (*roster_cmd_) {
      std::optional<Date> date;
      if (!effective_.empty()) {
        date = parse_date(effective_);
        if (!date) {
          e << "error: --effective must be a date YYYY-MM-DD, e.g. 2026-06-01\n";
          return 2;
        }
      }
      return run_import_roster(database_, file_, o, e, date);
    }
    if (*municipalities_cmd_) return run_import_municipalities(database_, file_, o, e);
    if (*event_cmd_) {
      return run_import_event(database_, file_, o, e, optional_path(programs_dir_));
    }
    return std::nullopt;
  }

  // Options several commands share (each run parses one command).
  std::string database_;
  std::string league_key_;
  std::string file_;
  std::string event_id_;
  std::string out_;

  CLI::App* init_cmd_ = nullptr;
  InitOptions init_;
  CLI::App* revoke_cmd_ = nullptr;
  std::string serial_;
  CLI::App* certify_cmd_ = nullptr;
  CertifyDeskOptions certify_;
  CLI::App* demo_cmd_ = nullptr;
  std::string assets_;
  CLI::App* roster_cmd_ = nullptr;
  std::string effective_;
  CLI::App* municipalities_cmd_ = nullptr;
  CLI::App* event_cmd_ = nullptr;
  std::string programs_dir_;
  CLI::App* badges_cmd_ = nullptr;
  CLI::App* package_cmd_ = nullptr;
  CLI::App* provision_cmd_ = nullptr;
  std::string device_name_;
  int valid_days_ = 7;
  CLI::App* credits_cmd_ = nullptr;
  std::string format_ = "csv";
  CLI::App* review_cmd_ = nullptr;
  std::string review_format_ = "text";
};

} // namespace muster::server
