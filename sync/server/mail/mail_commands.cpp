// mail-forms, remind, mail-status (mail_commands.hpp).
#include "sync/server/mail/mail_commands.hpp"

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <system_error>

#include "shared/time.hpp"
#include "sync/server/admin_commands.hpp"
#include "sync/server/credit_commands.hpp"
#include "sync/server/http_api.hpp"
#include "sync/server/ledger_store.hpp"
#include "sync/server/mail/mime.hpp"
#include "sync/server/mail/outbox.hpp"
#include "sync/server/mail/progress_words.hpp"
#include "sync/server/web/official_store.hpp"

namespace muster::server::mail {

namespace {

Instant now() {
  return std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

int failed(std::ostream& err, const std::string& message) {
  err << "error: " << message << "\n";
  return 1;
}

struct Context {
  std::unique_ptr<ServerStore> server;
  std::unique_ptr<LedgerStore> ledger;
  std::unique_ptr<OutboxStore> outbox;
  std::unique_ptr<OfficialStore> officials;
  Program program;
  std::string league_name;
  Date as_of{};
};

std::optional<Context> open_context(const MailOptions& options, std::ostream& err) {
  Context c;
  auto program = load_program(options.program_file);
  if (!program) {
    failed(err, program.message());
    return std::nullopt;
  }
  c.program = std::move(*program);
  auto server = open_server_store(options.database);
  if (!server) {
    failed(err, server.message());
    return std::nullopt;
  }
  auto league = (*server)->league();
  if (!league) {
    failed(err, league.message());
    return std::nullopt;
  }
  c.league_name = league->name;
  c.server = std::move(*server);
  auto ledger = open_ledger_store(options.database);
  if (!ledger) {
    failed(err, ledger.message());
    return std::nullopt;
  }
  c.ledger = std::move(*ledger);
  auto outbox = open_outbox_store(options.database);
  if (!outbox) {
    failed(err, outbox.message());
    return std::nullopt;
  }
  c.outbox = std::move(*outbox);
  auto officials = open_official_store(options.database);
  if (!officials) {
    failed(err, officials.message());
    return std::nullopt;
  }
  c.officials = std::move(*officials);
  c.as_of = options.as_of.value_or(today_utc());
  return c;
}

std::string bullet_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines)
    out += "  - " + line + "\n";
  return out;
}

std::string progress_block(Context& c, const std::string& official_id) {
  auto transcript = build_transcript(*c.server, *c.ledger, c.program, official_id, c.as_of);
  if (!transcript) return {};
  const auto lines = progress_lines(c.program, transcript->progress);
  if (lines.empty()) return {};
  return "Your progress (" + c.program.name + "), as of " + long_date(c.as_of) + ":\n" +
         bullet_lines(lines);
}

constexpr std::string_view kFooter =
    "\nThis message was sent by the League's credit-hour system. Your e-mail address is "
    "kept confidential and used for nothing else.\n";

// A message the SMTP server keeps deferring (4xx: mailbox full, greylisting that never ends) is
// given up after this many deferrals in a row, marked refused with the last answer: it must
// neither block the others nor be retried by every run forever. Five runs span hours or days
// in practice (each run is started by staff or a timer), more than greylisting needs.
constexpr std::uint64_t kMaxDeferrals = 5;
constexpr std::string_view kDeferredPrefix = "deferred ";

// The deferrals in a row so far, from the detail the last release wrote ("deferred 2 time(s):
// ..."); an outage or a claim in between writes other words and so starts the count again.
std::uint64_t deferrals_before(const std::string& detail) {
  if (!detail.starts_with(kDeferredPrefix)) return 0;
  std::uint64_t n = 0;
  for (std::size_t i = kDeferredPrefix.size();
       i < detail.size() && std::isdigit(static_cast<unsigned char>(detail[i])); ++i) {
    n = n * 10 + static_cast<std::uint64_t>(detail[i] - '0');
    if (n > kMaxDeferrals) break;
  }
  return n;
}

struct FlushCounts {
  std::uint64_t sent = 0;
  std::uint64_t refused = 0;
  std::uint64_t deferred = 0;
  std::uint64_t busy = 0; // claimed by another run still going
  std::optional<std::string> outage;
  std::optional<std::string> store_error;
};

// Sends every pending message of the outbox, oldest first. Marked sent right after the SMTP
// server accepted it, one message at a time: a kill between the two can repeat that one only.
FlushCounts flush(OutboxStore& outbox, const SmtpSettings& settings, std::ostream& out) {
  FlushCounts counts;
  auto ids = outbox.pending_ids(now());
  if (!ids) {
    counts.store_error = ids.message();
    return counts;
  }
  SmtpSender sender(settings);
  const std::string claim = own_claim();
  const auto lease =
      std::chrono::seconds(settings.connect_timeout_seconds + settings.timeout_seconds + 60);
  for (const auto& id : *ids) {
    const Instant start = now();
    auto claimed = outbox.claim(id, claim, start, start + lease);
    if (!claimed) {
      counts.store_error = claimed.message();
      return counts;
    }
    if (!*claimed) {
      ++counts.busy;
      continue;
    }
    const auto& message = **claimed;
    const auto result = sender.send(message.recipient, message.content);
    const std::string what =
        message.kind + " for " + message.attendee_id + " " + message.message_id;
    switch (result.outcome) {
    case SendOutcome::accepted:
      if (auto marked = outbox.mark_sent(id, now()); !marked) {
        counts.store_error = "sent " + what + " but could not mark it sent: " + marked.message();
        return counts;
      }
      ++counts.sent;
      out << "sent " << what << "\n" << std::flush;
      break;
    case SendOutcome::refused:
      if (auto marked = outbox.mark_refused(id, now(), result.detail); !marked) {
        counts.store_error = marked.message();
        return counts;
      }
      ++counts.refused;
      out << "refused " << what << ": " << result.detail << "\n" << std::flush;
      break;
    case SendOutcome::deferred: {
      const std::uint64_t deferrals = deferrals_before(message.detail) + 1;
      if (deferrals >= kMaxDeferrals) {
        const std::string detail =
            "gave up after " + std::to_string(deferrals) + " deferrals in a row: " + result.detail;
        if (auto marked = outbox.mark_refused(id, now(), detail); !marked) {
          counts.store_error = marked.message();
          return counts;
        }
        ++counts.refused;
        out << "refused " << what << ": " << detail << "\n" << std::flush;
        break;
      }
      const std::string detail =
          std::string(kDeferredPrefix) + std::to_string(deferrals) + " time(s): " + result.detail;
      if (auto released = outbox.release(id, detail); !released) {
        counts.store_error = released.message();
        return counts;
      }
      ++counts.deferred;
      out << "deferred " << what << ": " << result.detail << "\n" << std::flush;
      break;
    }
    case SendOutcome::outage:
      (void)outbox.release(id, result.detail);
      counts.outage = result.detail;
      return counts;
    }
  }
  return counts;
}

int finish(OutboxStore& outbox, const FlushCounts& counts, std::ostream& out, std::ostream& err) {
  std::uint64_t pending = 0;
  if (auto all = outbox.messages(""); all) {
    for (const auto& m : *all)
      pending += m.status == OutboxStatus::pending ? 1 : 0;
  }
  out << "Sent " << counts.sent << ", refused " << counts.refused << ", still pending " << pending
      << " (muster-server mail-status lists them)\n";
  if (counts.store_error) return failed(err, *counts.store_error);
  if (counts.outage) {
    return failed(err, "the SMTP server could not take the mail: " + *counts.outage + "; " +
                           std::to_string(pending) +
                           " message(s) stay in the outbox: run the command again to send them");
  }
  if (counts.deferred > 0 || counts.busy > 0) {
    return failed(err, std::to_string(counts.deferred) +
                           " message(s) deferred by the SMTP server, " +
                           std::to_string(counts.busy) +
                           " being sent by another run: run the command again later");
  }
  return 0;
}

// One official's form as an outbox message: what run_mail_forms decided to mail.
struct FormMail {
  const MailFormsOptions& options;
  const Event& event;
  const CreditForm& form;
  const Attendee& person;
  std::string key;
  std::string kind;                        // "credit-form" or "verification-letter"
  std::string digest;                      // of what the form says (form_digest_of)
  const OutboxMessage* replaces = nullptr; // the message a corrected form replaces
};

// The message of `mail`: its PDF (the credit form with the official's confirmation, or the
// verification letter), the words around it (a corrected form says what it replaces) and the
// headers. Nullopt with `error` set when the PDF cannot be made.
std::optional<OutboxMessage> form_message(Context& c, const FormMail& mail,
                                          const std::string& domain, std::string& error) {
  const std::string& id = mail.person.id;
  const std::string& event_id = mail.options.event_id;
  const bool earns = mail.kind == "credit-form";
  const OutboxMessage* replaces = mail.replaces;
  std::optional<PdfDocument> document;
  if (earns) {
    document = credit_form_document(mail.form);
    add_confirmation_line(*document, *c.officials, event_id, id);
  } else {
    auto letter = verification_letter_document(mail.form, now());
    if (!letter) {
      error = letter.message();
      return std::nullopt;
    }
    document = std::move(*letter);
  }
  auto bytes = pdf_bytes(*document);
  if (!bytes) {
    error = bytes.message();
    return std::nullopt;
  }
  MessageParts parts;
  parts.from_name = c.league_name;
  parts.from_address = mail.options.mail.smtp.from;
  parts.to_name = full_name(mail.person);
  parts.to_address = mail.person.email;
  parts.message_id = stable_message_id(mail.key, mail.kind, domain);
  parts.date = now();
  parts.form_digest = mail.digest;
  std::string body = "Dear " + full_name(mail.person) + ",\n\n";
  const std::string& event_name = mail.event.name;
  if (replaces != nullptr) {
    parts.references = replaces->message_id;
    const Date day{std::chrono::floor<std::chrono::days>(replaces->created_at)};
    body += "This message replaces the one we sent on " + long_date(day) +
            ": League staff corrected the records of " + event_name +
            " and closed the event again, and your " +
            (earns ? "credit form" : "attendance verification letter") +
            " changed. Please use the one attached here and disregard the earlier one.\n\n";
  }
  if (earns) {
    parts.subject =
        std::string(replaces != nullptr ? "Your corrected credit form: " : "Your credit form: ") +
        event_name;
    body += "Your credit form for " + event_name +
            " is attached as a PDF. It lists each session you attended, with the arrival and "
            "leave times recorded at the door and the credit hours they give. Please check "
            "it; if a time is wrong, tell League staff.\n\n";
    body += progress_block(c, id);
  } else {
    parts.subject =
        std::string(replaces != nullptr ? "Your corrected attendance verification letter: "
                                        : "Your attendance verification letter: ") +
        event_name;
    body += "Your attendance verification letter for " + event_name +
            " is attached as a PDF. It lists the sessions you attended, with the times "
            "recorded at the door.\n";
  }
  parts.body = body + std::string(kFooter);
  parts.attachments.push_back(
      {mail.kind + "-" + event_id + ".pdf", "application/pdf", std::move(*bytes)});
  OutboxMessage message;
  message.message_id = parts.message_id;
  message.key = mail.key;
  message.kind = mail.kind;
  message.attendee_id = id;
  message.event_id = event_id;
  message.recipient = mail.person.email;
  message.content = build_message(parts);
  message.created_at = parts.date;
  return message;
}

// What a run of mail-forms put in the outbox, for its first line of output.
struct Queued {
  std::uint64_t queued = 0;
  std::uint64_t known = 0;
  std::uint64_t replaced = 0; // corrected forms after a re-close
  std::vector<std::string> no_address;
};

void print_queued(std::ostream& out, const std::string& event_id, const Queued& q) {
  out << "Queued " << q.queued << " new message(s) for " << event_id << " (" << q.known
      << " queued before";
  if (q.replaced > 0) out << "; " << q.replaced << " corrected form(s) after the re-close";
  out << ")";
  if (!q.no_address.empty()) {
    out << "; no usable e-mail address on the roster: ";
    for (std::size_t i = 0; i < q.no_address.size(); ++i)
      out << (i ? ", " : "") << q.no_address[i];
  }
  out << "\n";
}

} // namespace

std::optional<std::string> smtp_password(const std::string& file, std::string& error) {
  if (file.empty()) {
    const char* env = std::getenv("MUSTER_SMTP_PASSWORD");
    return std::string(env != nullptr ? env : "");
  }
  std::ifstream in(file);
  if (!in) {
    error = "cannot read the SMTP password file " + file;
    return std::nullopt;
  }
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

int run_mail_forms(const MailFormsOptions& options, std::ostream& out, std::ostream& err) {
  if (auto bad = check_smtp_url(options.mail.smtp.url)) return failed(err, *bad);
  if (!valid_address(options.mail.smtp.from)) {
    return failed(err, "--mail-from must be one e-mail address, e.g. credits@league.example");
  }
  auto context = open_context(options.mail, err);
  if (!context) return 1;
  auto& c = *context;
  auto event = c.server->event(options.event_id);
  if (!event) return failed(err, event.message());
  auto closing = c.ledger->closing(options.event_id);
  if (!closing) return failed(err, closing.message());
  if (!*closing) {
    return failed(err, "the event '" + options.event_id +
                           "' is not closed: run muster-server close-event first, so the "
                           "progress in each message counts it");
  }
  auto rows = compute_credits(*c.server, *event);
  if (!rows) return failed(err, rows.message());
  std::set<std::string> ids;
  for (const auto& row : *rows) {
    if (row.on_roster && !row.provisional) ids.insert(row.attendee.id);
  }
  const std::string domain = address_domain(options.mail.smtp.from);
  Queued q;
  for (const auto& id : ids) {
    const std::string base_key = "credit-form/" + options.event_id + "/" + id;
    auto earlier = c.outbox->messages_of_key(base_key);
    if (!earlier) return failed(err, earlier.message());
    // Mailed before: again only when the event was closed again (close-event --amend) after
    // the last message and the form it attached changed.
    const bool reclosed = !earlier->empty() && (*closing)->amended_at &&
                          *(*closing)->amended_at > earlier->back().created_at;
    if (!earlier->empty() && !reclosed) {
      ++q.known;
      continue;
    }
    auto person = c.server->attendee(id);
    if (!person) return failed(err, person.message());
    auto form = build_credit_form(*c.server, options.event_id, id);
    if (!form) return failed(err, form.message());
    const bool earns = grants_credit(*event, form->attendee.role);
    const std::string kind = earns ? "credit-form" : "verification-letter";
    // What the form says (sessions, times, hours, notes), not its PDF bytes (those carry the
    // time they were made): equal digests mean the official has nothing new to read.
    const std::string digest = hash_secret(kind + "\n" + credit_form_csv(*form)).substr(0, 32);
    const OutboxMessage* replaces = nullptr;
    if (!earlier->empty()) {
      const std::string before = form_digest_of(earlier->back().content);
      // A message without a digest (queued by an older Muster) cannot tell: mail the form.
      if (before == digest) {
        ++q.known;
        continue;
      }
      replaces = &earlier->back();
    }
    if (!valid_address(person->email)) {
      q.no_address.push_back(id);
      continue;
    }
    const std::string key =
        replaces == nullptr ? base_key : base_key + "/" + std::to_string(earlier->size() + 1);
    std::string error;
    auto message = form_message(c, {options, *event, *form, *person, key, kind, digest, replaces},
                                domain, error);
    if (!message) return failed(err, error);
    auto written = c.outbox->enqueue(*message);
    if (!written) return failed(err, written.message());
    q.queued += *written ? 1 : 0;
    q.replaced += (*written && replaces != nullptr) ? 1 : 0;
  }
  print_queued(out, options.event_id, q);
  const auto counts = flush(*c.outbox, options.mail.smtp, out);
  return finish(*c.outbox, counts, out, err);
}

int run_remind(const MailOptions& options, std::ostream& out, std::ostream& err) {
  if (auto bad = check_smtp_url(options.smtp.url)) return failed(err, *bad);
  if (!valid_address(options.smtp.from)) {
    return failed(err, "--mail-from must be one e-mail address, e.g. credits@league.example");
  }
  auto context = open_context(options, err);
  if (!context) return 1;
  auto& c = *context;
  if (!c.program.annual) {
    return failed(err, "the program " + c.program.id + " has no annual requirement to remind of");
  }
  auto roster = c.server->roster();
  if (!roster) return failed(err, roster.message());
  const std::string domain = address_domain(options.smtp.from);
  const std::string date = format_date(c.as_of);
  std::uint64_t queued = 0;
  std::uint64_t behind = 0;
  std::vector<std::string> no_address;
  for (const auto& person : *roster) {
    auto transcript = build_transcript(*c.server, *c.ledger, c.program, person.id, c.as_of);
    if (!transcript) continue; // not an official the program knows
    const auto& progress = transcript->progress;
    if (!progress.annual || !progress.annual->applies || progress.annual->met) continue;
    ++behind;
    if (!valid_address(person.email)) {
      no_address.push_back(person.id);
      continue;
    }
    const std::string key = "reminder/" + date + "/" + person.id;
    const auto& a = *progress.annual;
    const Date year_end = c.program.annual->deadline(a.year); // the program's setting
    const std::string basis =
        c.program.annual->basis.empty() ? "The annual requirement" : c.program.annual->basis;
    MessageParts parts;
    parts.from_name = c.league_name;
    parts.from_address = options.smtp.from;
    parts.to_name = full_name(person);
    parts.to_address = person.email;
    parts.message_id = stable_message_id(key, "reminder", domain);
    parts.date = now();
    parts.subject = "Training hours for " + std::to_string(a.year) + ": " +
                    format_hours(a.behind_by) + " still needed by " + long_date(year_end);
    parts.body = "Dear " + full_name(person) + ",\n\n" + basis + " asks for " +
                 format_hours(a.required) + " hours of training each year. As of " +
                 long_date(c.as_of) + " the League's records show " + format_hours(a.earned) +
                 " of " + format_hours(a.required) + " hours for " + std::to_string(a.year) +
                 ": you still need " + format_hours(a.behind_by) + " hours by " +
                 long_date(year_end) + ".\n\n" + progress_block(c, person.id) +
                 "\nIf you attended training the League has not recorded yet, please tell "
                 "League staff.\n" +
                 std::string(kFooter);
    OutboxMessage message;
    message.message_id = parts.message_id;
    message.key = key;
    message.kind = "reminder";
    message.attendee_id = person.id;
    message.recipient = person.email;
    message.content = build_message(parts);
    message.created_at = parts.date;
    auto written = c.outbox->enqueue(message);
    if (!written) return failed(err, written.message());
    queued += *written ? 1 : 0;
  }
  out << behind << " official(s) behind on " << c.program.annual->basis << " as of " << date
      << "; queued " << queued << " new reminder(s)";
  if (!no_address.empty()) {
    out << "; no usable e-mail address on the roster: ";
    for (std::size_t i = 0; i < no_address.size(); ++i)
      out << (i ? ", " : "") << no_address[i];
  }
  out << "\n";
  const auto counts = flush(*c.outbox, options.smtp, out);
  return finish(*c.outbox, counts, out, err);
}

int run_mail_status(const MailStatusOptions& options, std::ostream& out, std::ostream& err) {
  auto outbox = open_outbox_store(options.database);
  if (!outbox) return failed(err, outbox.message());
  auto messages = (*outbox)->messages(options.event_id);
  if (!messages) return failed(err, messages.message());
  std::map<OutboxStatus, std::uint64_t> totals;
  out << "status\tkind\tofficial\tevent\tattempts\tsent_at\tmessage_id\tdetail\n";
  for (const auto& m : *messages) {
    ++totals[m.status];
    out << to_string(m.status) << '\t' << m.kind << '\t' << m.attendee_id << '\t'
        << (m.event_id.empty() ? "-" : m.event_id) << '\t' << m.attempts << '\t'
        << (m.sent_at ? format_utc(*m.sent_at) : "-") << '\t' << m.message_id << '\t'
        << (m.detail.empty() ? "-" : m.detail) << '\n';
  }
  // Refusals per address: what staff must correct on the roster. The address is shown here
  // only, to the administrator who asked; the sending commands never print it.
  std::map<std::string, std::vector<const OutboxMessage*>> refused;
  for (const auto& m : *messages) {
    if (m.status == OutboxStatus::refused) refused[m.recipient].push_back(&m);
  }
  out << "\nTotal: " << messages->size() << " (sent " << totals[OutboxStatus::sent] << ", pending "
      << totals[OutboxStatus::pending] << ", refused " << totals[OutboxStatus::refused] << ")\n";
  if (!refused.empty()) {
    out << "\nRefused addresses (correct them on the roster):\n";
    for (const auto& [address, list] : refused) {
      out << "  " << address << ": " << list.size() << " message(s), official "
          << list.front()->attendee_id << ", last: " << list.back()->detail << "\n";
    }
  }
  return 0;
}

int run_disputes(const MailStatusOptions& options, std::ostream& out, std::ostream& err) {
  auto officials = open_official_store(options.database);
  if (!officials) return failed(err, officials.message());
  auto server = open_server_store(options.database);
  if (!server) return failed(err, server.message());
  auto disputes = (*officials)->disputes("", options.event_id);
  if (!disputes) return failed(err, disputes.message());
  out << "disputed_at\tofficial\tname\tevent\tsession\tnote\n";
  for (const auto& d : *disputes) {
    std::string name;
    if (auto person = (*server)->attendee(d.official_id)) name = full_name(*person);
    out << format_utc(d.created_at) << '\t' << d.official_id << '\t' << name << '\t' << d.event_id
        << '\t' << d.session_id << '\t' << d.note << '\n';
  }
  out << disputes->size() << " dispute(s)\n";
  return 0;
}

} // namespace muster::server::mail
