// The credit commands (run_*): open the stores, call the credit_*.cpp functions, print.
// The work itself is in credit_close, credit_transcript, credit_form, credit_reports and
// credit_outside.
#include "sync/server/credit_commands.hpp"
#include "sync/server/credit_support.hpp"
#include "sync/server/web/official_store.hpp"

#include <sodium.h>

#include <array>

#include "shared/sodium_init.hpp"
#include "shared/time.hpp"
#include "sync/server/http_api.hpp"

namespace muster::server {

using namespace credit_support; // NOLINT(google-build-using-namespace)

// ---- commands ----

int run_close_event(const CloseEventOptions& options, std::ostream& out, std::ostream& err) {
  auto stores = open_stores(options.database);
  if (!stores) return failed(err, stores.message());
  auto outcome =
      close_event(*stores->server, *stores->ledger, options.event_id, now_instant(), options.amend);
  if (!outcome) return failed(err, outcome.message());
  out << describe_close(options.event_id, *outcome);
  return 0;
}

int run_transcript(const TranscriptOptions& options, std::ostream& out, std::ostream& err) {
  if (options.format == DocumentFormat::pdf && !options.out_file) {
    return failed(err, "--format pdf needs --out FILE");
  }
  auto program = load_program(options.program_file);
  if (!program) return failed(err, program.message());
  auto stores = open_stores(options.database);
  if (!stores) return failed(err, stores.message());
  auto transcript = build_transcript(*stores->server, *stores->ledger, *program,
                                     options.official_id, options.as_of.value_or(today_utc()));
  if (!transcript) return failed(err, transcript.message());
  CreditResult<Ok> written = Ok{};
  switch (options.format) {
  case DocumentFormat::json:
    written = write_text(options.out_file, transcript_json(*transcript), out);
    break;
  case DocumentFormat::csv:
    written = write_text(options.out_file, transcript_csv(*transcript), out);
    break;
  case DocumentFormat::pdf:
    written = write_document(transcript_document(*transcript), *options.out_file);
    break;
  }
  if (!written) return failed(err, written.message());
  if (options.out_file) out << "Wrote " << options.out_file->string() << "\n";
  return 0;
}

int run_credit_form(const CreditFormOptions& options, std::ostream& out, std::ostream& err) {
  if (options.format == DocumentFormat::json) return failed(err, "--format must be pdf or csv");
  if (options.format == DocumentFormat::pdf && !options.out_file) {
    return failed(err, "--format pdf needs --out FILE");
  }
  auto stores = open_stores(options.database);
  if (!stores) return failed(err, stores.message());
  auto form = build_credit_form(*stores->server, options.event_id, options.official_id);
  if (!form) return failed(err, form.message());
  PdfDocument document = credit_form_document(*form);
  // The official's confirmation on /me/ (issue 18) is part of the form.
  if (auto officials = open_official_store(options.database)) {
    add_confirmation_line(document, **officials, options.event_id, options.official_id);
  }
  auto written = options.format == DocumentFormat::csv
                     ? write_text(options.out_file, credit_form_csv(*form), out)
                     : write_document(document, *options.out_file);
  if (!written) return failed(err, written.message());
  if (options.out_file) out << "Wrote " << options.out_file->string() << "\n";
  return 0;
}

int run_verification_letter(const VerificationLetterOptions& options, std::ostream& out,
                            std::ostream& err) {
  auto stores = open_stores(options.database);
  if (!stores) return failed(err, stores.message());
  auto form = build_credit_form(*stores->server, options.event_id, options.attendee_id);
  if (!form) return failed(err, form.message());
  auto letter = verification_letter_document(*form, now_instant());
  if (!letter) return failed(err, letter.message());
  if (auto written = write_document(*letter, options.out_file); !written) {
    return failed(err, written.message());
  }
  out << "Wrote " << options.out_file.string() << "\n";
  return 0;
}

int run_report(const ReportOptions& options, std::ostream& out, std::ostream& err) {
  auto program = load_program(options.program_file);
  if (!program) return failed(err, program.message());
  auto stores = open_stores(options.database);
  if (!stores) return failed(err, stores.message());
  Date as_of = options.as_of.value_or(today_utc());
  if (options.year && !options.as_of) {
    // A past year is reported as it stood on its last day; the current year as of today.
    const Date year_end{std::chrono::year{*options.year}, std::chrono::December,
                        std::chrono::day{31}};
    if (std::chrono::sys_days{year_end} < std::chrono::sys_days{as_of}) as_of = year_end;
    if (static_cast<int>(as_of.year()) != *options.year) {
      return failed(err, "--year " + std::to_string(*options.year) + " is in the future");
    }
  }
  auto report = build_report(*stores->server, *stores->ledger, *program, options.kind, as_of);
  if (!report) return failed(err, report.message());
  out << report_text(*report, options.format);
  return 0;
}

int run_outside_credit(const OutsideCreditOptions& options, std::ostream& out, std::ostream& err) {
  auto program = load_program(options.program_file);
  if (!program) return failed(err, program.message());
  auto stores = open_stores(options.database);
  if (!stores) return failed(err, stores.message());
  auto recorded = record_outside_credit(*stores->server, *stores->ledger, *program, options.credit,
                                        now_instant());
  if (!recorded) return failed(err, recorded.message());
  out << "Recorded " << recorded->entry.id << " for " << options.credit.official_id << ": "
      << format_hours(options.credit.hours) << " h, " << options.credit.title << ".\n"
      << describe_outcome(recorded->outcome, *program);
  return 0;
}

int run_online_credit(const OnlineCreditOptions& options, std::ostream& out, std::ostream& err) {
  auto program = load_program(options.program_file);
  if (!program) return failed(err, program.message());
  auto stores = open_stores(options.database);
  if (!stores) return failed(err, stores.message());
  auto recorded = record_online_credit(*stores->server, *stores->ledger, *program, options.credit,
                                       now_instant());
  if (!recorded) return failed(err, recorded.message());
  out << "Recorded " << recorded->entry.id << " for " << options.credit.official_id << ": "
      << format_hours(recorded->entry.hours) << " h, " << options.credit.title << ", test score "
      << format_hours(options.credit.score) << "%.\n"
      << describe_outcome(recorded->outcome, *program);
  return 0;
}

int run_point(const PointOptions& options, std::ostream& out, std::ostream& err) {
  auto program = load_program(options.program_file);
  if (!program) return failed(err, program.message());
  auto stores = open_stores(options.database);
  if (!stores) return failed(err, stores.message());
  auto recorded =
      record_point(*stores->server, *stores->ledger, *program, options.credit, now_instant());
  if (!recorded) return failed(err, recorded.message());
  out << "Recorded " << recorded->entry.id << " for " << options.credit.official_id << ": "
      << recorded->entry.title << ".\n"
      << describe_points(recorded->outcome, *program);
  return 0;
}

int run_preapprove(const PreapproveOptions& options, std::ostream& out, std::ostream& err) {
  auto stores = open_stores(options.database);
  if (!stores) return failed(err, stores.message());
  auto recorded =
      record_preapproval(*stores->server, *stores->ledger, options.preapproval, now_instant());
  if (!recorded) return failed(err, recorded.message());
  const Preapproval& p = options.preapproval;
  out << "Pre-approved " << p.event_id << " for " << p.official_id << " (" << p.reference
      << "): " << recorded->entries_marked << " posted credit(s) marked approved"
      << "; close-event posts later ones approved.\n";
  if (!recorded->left_office) {
    out << "Note: " << p.official_id
        << " has no leaving-office date on record (muster-server official --left-office); "
           "pre-approval matters only after leaving office.\n";
  }
  return 0;
}

int run_classify(const ClassifyOptions& options, std::ostream& out, std::ostream& err) {
  auto program = load_program(options.program_file);
  if (!program) return failed(err, program.message());
  auto stores = open_stores(options.database);
  if (!stores) return failed(err, stores.message());
  auto changed =
      classify_entries(*stores->server, *stores->ledger, *program, options.classification);
  if (!changed) return failed(err, changed.message());
  const Classification& c = options.classification;
  out << "Classified " << *changed << " entr" << (*changed == 1 ? "y" : "ies") << " of "
      << c.official_id << (c.category.empty() ? "" : ": category " + c.category)
      << (c.competency.empty()
              ? ""
              : (c.category.empty() ? ": " : ", ") + std::string("competency ") + c.competency)
      << ".\n";
  return 0;
}

int run_official(const OfficialOptions& options, std::ostream& out, std::ostream& err) {
  auto stores = open_stores(options.database);
  if (!stores) return failed(err, stores.message());
  auto who = load_official(*stores->server, *stores->ledger, options.official_id);
  if (!who) return failed(err, who.message());
  OfficialRecord record;
  record.id = options.official_id;
  record.term_start = options.term_start ? options.term_start : who->official.term_start;
  record.first_term = options.first_term.value_or(who->official.first_term);
  record.left_office = options.left_office ? options.left_office : who->official.left_office;
  record.designations = options.designations;
  if (auto put = stores->ledger->put_official(record); !put) return failed(err, put.message());
  auto after = load_official(*stores->server, *stores->ledger, options.official_id);
  if (!after) return failed(err, after.message());
  const Official& o = after->official;
  out << o.id << " (" << to_string(o.role) << ", " << after->attendee.municipality << ")\n"
      << "  term start:  " << (o.term_start ? format_date(*o.term_start) : "-") << "\n"
      << "  first term:  " << (o.first_term ? "yes" : "no") << "\n"
      << "  left office: " << (o.left_office ? format_date(*o.left_office) : "-") << "\n";
  for (const Designation& d : o.designations)
    out << "  designation: " << d.level_id << " since " << format_date(d.earned_on) << "\n";
  for (const RoleChange& r : o.roles) { // the role history from roster imports
    const bool always = r.effective.year() == std::chrono::year{1};
    out << "  role:        " << to_string(r.role) << " "
        << (always ? std::string("before the first change") : "from " + format_date(r.effective))
        << "\n";
  }
  return 0;
}

int run_admin_token(std::string_view database, std::string_view label, std::ostream& out,
                    std::ostream& err) {
  if (!sodium_started()) return failed(err, "libsodium could not be initialised");
  auto stores = open_stores(database);
  if (!stores) return failed(err, stores.message());
  std::array<unsigned char, 32> secret{};
  randombytes_buf(secret.data(), secret.size());
  std::string hex(secret.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), secret.data(), secret.size());
  hex.pop_back();
  const std::string token = "muster-admin." + hex;
  if (auto added = stores->ledger->add_admin_token(hash_secret(token), label, now_instant());
      !added) {
    return failed(err, added.message());
  }
  out << "Admin token for GET /api/v1/officials/{id}/transcript (shown once, stored hashed; "
         "send it as 'Authorization: Bearer <token>'):\n"
      << token << "\n";
  return 0;
}
} // namespace muster::server
