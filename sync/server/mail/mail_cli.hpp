#pragma once
// The command line of the mail commands (mail_commands.hpp): mail-forms, remind, mail-status.
// Included by main.cpp only (CLI11 is linked to the program, not the library).
#include <CLI/CLI.hpp>

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

#include "sync/server/cli_options.hpp"
#include "sync/server/mail/mail_commands.hpp"
#include "sync/server/mail/mime.hpp"

namespace muster::server::mail {

class MailCli {
public:
  explicit MailCli(CLI::App& app) {
    forms_ = app.add_subcommand(
        "mail-forms", "after close-event: mail each official with attendance and an e-mail "
                      "address their credit form (PDF) and progress; through the outbox, so a "
                      "re-run sends nothing twice and sends what an outage left");
    add_db_option(forms_, database_);
    forms_->add_option("--event", event_id_, "the event id")->required();
    smtp_options(forms_);
    remind_ = app.add_subcommand(
        "remind", "mail the officials behind on the program's annual requirement (Act "
                  "2024-194) what they still need and the deadline; through the outbox");
    add_db_option(remind_, database_);
    smtp_options(remind_);
    status_ = app.add_subcommand(
        "mail-status", "the outbox: each message's status (sent, pending, refused), attempts, "
                       "and the refused addresses");
    add_db_option(status_, database_);
    status_->add_option("--event", event_id_, "only this event's messages");
    disputes_ = app.add_subcommand(
        "disputes", "sessions officials disputed on their own page (/me/), with their notes: "
                    "review items for staff");
    add_db_option(disputes_, database_);
    disputes_->add_option("--event", event_id_, "only this event's disputes");
  }

  // serve's options for the officials' page /me/ (its sign-in codes are mailed).
  void add_serve_options(CLI::App* serve) {
    serve->add_option("--smtp-url", smtp_url_,
                      "enable the officials' page /me/: sign-in codes are mailed through "
                      "smtp://HOST[:PORT] or smtps://HOST[:PORT]");
    serve->add_option("--mail-from", mail_from_, "the sender of the sign-in codes");
    serve->add_option("--smtp-user", smtp_user_, "log in to the SMTP server as this user");
    serve->add_option("--smtp-password-file", password_file_,
                      "the SMTP password: first line of FILE (default: $MUSTER_SMTP_PASSWORD)");
    serve->add_option("--smtp-tls", tls_, "auto (default), required, optional")
        ->check(CLI::IsMember({"auto", "required", "optional"}));
    serve->add_option("--smtp-ca-file", ca_file_, "trust this CA certificate (PEM) for SMTP");
    serve->add_option("--program", program_,
                      "the credit program file the served pages and transcripts follow: /me/, the "
                      "console's downloads, the API (default: assets/programs/alm-cmo.jsonc)");
  }

  // For serve: the program file /me/ follows; nullopt: the default.
  std::optional<std::filesystem::path> serve_program() const {
    if (program_.empty()) return std::nullopt;
    return std::filesystem::path(program_);
  }

  // For serve: nullopt without --smtp-url; `error` set when the settings are unusable.
  std::optional<SmtpSettings> serve_settings(std::string& error) {
    if (smtp_url_.empty()) {
      if (!mail_from_.empty()) error = "--mail-from needs --smtp-url";
      return std::nullopt;
    }
    if (auto bad = check_smtp_url(smtp_url_)) {
      error = *bad;
      return std::nullopt;
    }
    if (!valid_address(mail_from_)) {
      error = "--smtp-url needs --mail-from ADDRESS, e.g. credits@league.example";
      return std::nullopt;
    }
    auto settings = settings_from_options(error);
    if (!error.empty()) return std::nullopt;
    settings.timeout_seconds = 30;
    return settings;
  }

  // The exit code when one of these commands ran, nullopt otherwise.
  std::optional<int> run(std::ostream& out, std::ostream& err) {
    if (*status_) return run_mail_status({database_, event_id_}, out, err);
    if (*disputes_) return run_disputes({database_, event_id_}, out, err);
    if (!*forms_ && !*remind_) return std::nullopt;
    MailOptions mail;
    mail.database = database_;
    std::string error;
    mail.smtp = settings_from_options(error);
    if (!error.empty()) {
      err << "error: " << error << "\n";
      return 1;
    }
    mail.smtp.timeout_seconds = timeout_;
    if (!program_.empty()) mail.program_file = program_;
    if (!as_of_.empty()) {
      mail.as_of = parse_date(as_of_);
      if (!mail.as_of) {
        err << "error: --as-of must be a date YYYY-MM-DD, e.g. 2026-12-01\n";
        return 2;
      }
    }
    if (*forms_) return run_mail_forms({mail, event_id_}, out, err);
    return run_remind(mail, out, err);
  }

private:
  SmtpSettings settings_from_options(std::string& error) {
    SmtpSettings smtp;
    smtp.url = smtp_url_;
    smtp.from = mail_from_;
    smtp.user = smtp_user_;
    if (tls_ == "required") smtp.tls = TlsMode::required;
    if (tls_ == "optional") smtp.tls = TlsMode::optional;
    if (!ca_file_.empty()) smtp.ca_file = ca_file_;
    if (auto password = smtp_password(password_file_, error)) smtp.password = *password;
    return smtp;
  }

  void smtp_options(CLI::App* c) {
    c->add_option("--smtp-url", smtp_url_,
                  "smtp://HOST[:PORT] (STARTTLS) or smtps://HOST[:PORT] (TLS)")
        ->required();
    c->add_option("--mail-from", mail_from_, "the sender address, e.g. credits@league.example")
        ->required();
    c->add_option("--smtp-user", smtp_user_, "log in to the SMTP server as this user");
    c->add_option("--smtp-password-file", password_file_,
                  "the SMTP password: first line of FILE (default: $MUSTER_SMTP_PASSWORD)");
    c->add_option("--smtp-tls", tls_,
                  "auto (default: STARTTLS required unless the host is loopback), required, "
                  "optional (when offered)")
        ->check(CLI::IsMember({"auto", "required", "optional"}));
    c->add_option("--smtp-ca-file", ca_file_, "trust this CA certificate (PEM) for the SMTP TLS");
    c->add_option("--smtp-timeout", timeout_, "seconds one message may take")
        ->check(CLI::Range(1, 3600))
        ->default_val(timeout_);
    c->add_option("--program", program_,
                  "the credit program file (default: assets/programs/alm-cmo.jsonc)");
    c->add_option("--as-of", as_of_, "progress as of this date, YYYY-MM-DD (default: today)");
  }

  CLI::App* forms_ = nullptr;
  CLI::App* remind_ = nullptr;
  CLI::App* status_ = nullptr;
  CLI::App* disputes_ = nullptr;
  std::string database_;
  std::string event_id_;
  std::string smtp_url_;
  std::string mail_from_;
  std::string smtp_user_;
  std::string password_file_;
  std::string tls_ = "auto";
  std::string ca_file_;
  long timeout_ = 120;
  std::string program_;
  std::string as_of_;
};

} // namespace muster::server::mail
