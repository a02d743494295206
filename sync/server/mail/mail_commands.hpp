#pragma once
// muster-server's mail commands (issue 18): mail-forms (each official's credit form after
// close-event, with their progress in words), remind (officials behind on the annual
// requirement) and mail-status (the outbox: sent, pending, refused per address). Every message
// goes through the outbox (outbox.hpp): written first, sent after, marked sent only when the
// SMTP server accepted it. docs/officials.md is the League staff's guide.
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

#include "shared/ledger.hpp"
#include "sync/server/mail/smtp.hpp"

namespace muster::server::mail {

struct MailOptions {
  std::string database;
  SmtpSettings smtp;
  std::optional<std::filesystem::path> program_file;
  std::optional<Date> as_of; // the progress date (default: today, UTC)
};

struct MailFormsOptions {
  MailOptions mail;
  std::string event_id;
};
// Exit 0: every message of the outbox is sent or refused; 1: an SMTP outage, a deferral or a
// store error (the words say which; what was not sent stays in the outbox for the next run).
int run_mail_forms(const MailFormsOptions& options, std::ostream& out, std::ostream& err);

// Officials the annual requirement applies to who are behind on `as_of`: one reminder each
// (key "reminder/<as_of>/<official>": the same date never mails twice).
int run_remind(const MailOptions& options, std::ostream& out, std::ostream& err);

struct MailStatusOptions {
  std::string database;
  std::string event_id; // empty: every message
};
int run_mail_status(const MailStatusOptions& options, std::ostream& out, std::ostream& err);
// The sessions officials disputed on /me/ (web/official_store.hpp), oldest first.
int run_disputes(const MailStatusOptions& options, std::ostream& out, std::ostream& err);

// The password: MUSTER_SMTP_PASSWORD, or the first line of `file` when given. nullopt and
// words in `error` when the file cannot be read.
std::optional<std::string> smtp_password(const std::string& file, std::string& error);

} // namespace muster::server::mail
