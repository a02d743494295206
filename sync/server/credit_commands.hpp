#pragma once
// muster-server's credit commands (their names are the administrators' vocabulary, so they stay
// as they are): close-event, transcript, credit-form, verification-letter, report,
// outside-credit, official, admin-token, and the program rules' records: online-credit, point,
// preapprove, classify. The server stays thin: the
// credit of a session comes from compute_credits (admin_commands.hpp), every program rule from
// evaluate (shared/progress.hpp). docs/credit.md is the administrator's guide.
// Like admin_commands.hpp: library functions first (tests and the HTTP API use them), then
// run_* functions that print results to `out`, errors to `err`, and return the exit code.
// The functions live by job: credit_close.cpp, credit_transcript.cpp, credit_form.cpp,
// credit_reports.cpp, credit_outside.cpp; the run_* ones in credit_commands.cpp.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shared/ledger.hpp"
#include "shared/program.hpp"
#include "shared/progress.hpp"
#include "shared/result.hpp"
#include "sync/server/admin_commands.hpp"
#include "sync/server/credit_pdf.hpp"
#include "sync/server/ledger_store.hpp"
#include "sync/server/server_store.hpp"

namespace muster::server {

enum class CreditError : std::uint8_t {
  store,        // the database refused (message from the store)
  program,      // the program file is missing or invalid
  not_found,    // no such event, official or attendance
  invalid,      // a bad argument (date, hours, designation)
  not_eligible, // e.g. a verification letter for an official who earns CMO credit
  io,           // an output file could not be written
};

template <class T> using CreditResult = Result<T, CreditError>;

// ---- program ----

inline constexpr std::string_view kDefaultProgramFile = "alm-cmo.jsonc";

// assets/programs/alm-cmo.jsonc found upwards from the running executable (a build tree inside
// the source tree), then /usr/share/muster/assets/programs (installed); like find_demo_assets.
std::optional<std::filesystem::path> find_default_program();
CreditResult<Program> load_program(const std::optional<std::filesystem::path>& file);

// Today's date on the server's UTC calendar (the default "as of" date).
Date today_utc();

// ---- closing an event ----

// One league_event entry per eligible official (role earns CMO credit, on the roster) and
// session with credit > 0, from the scans of every device (compute_credits).
CreditResult<std::vector<LedgerEntry>> event_ledger_entries(ServerStore& store, const Event& event);

// Posts the event's credit (first close) or reports what changed since (re-close); `amend`
// writes the changes. Idempotent: a re-close without new scans changes nothing.
CreditResult<PostOutcome> close_event(ServerStore& store, LedgerStore& ledger,
                                      std::string_view event_id, Instant now, bool amend);
// The words close-event prints.
std::string describe_close(std::string_view event_id, const PostOutcome& outcome);

// What close-event would do now, written nowhere (the console shows it before the admin
// confirms): the credit a close computes, what it would post or report, and the late-sync report.
struct ClosePreview {
  std::vector<LedgerEntry> entries; // what the scans give now, pre-approvals marked (sorted)
  PostOutcome report;               // as close-event without --amend would report it (nothing
                                    // posted: `posted` stays 0; a first close lists every entry)
  std::uint64_t event_scans = 0;    // the event's stored scans now
  // The event's doors whose last sync is before the end of its last session (or that never
  // synced): their scans may still arrive after the close.
  std::vector<DeviceRecord> unsynced_doors;
  // Walk-ins with credit that waits for the League's confirmation (not posted; --amend later).
  std::vector<CreditRow> held_walk_ins;
};
CreditResult<ClosePreview> preview_close(ServerStore& store, LedgerStore& ledger,
                                         std::string_view event_id);

// ---- officials and transcripts ----

// The ledger as the engine needs it: each League entry's offered_hours (its session's credit
// hours, the course's full hours for the core rule) filled in from the stored events.
CreditResult<Ok> fill_offered_hours(ServerStore& store, std::vector<LedgerEntry>& entries);
// The events fill_offered_hours has read (nullopt: no longer stored), kept across calls by a
// caller that fills many officials' entries (a report's chunks, a batch of transcripts) so that
// each event is read once.
using EventsRead = std::map<std::string, std::optional<Event>, std::less<>>;
CreditResult<Ok> fill_offered_hours(ServerStore& store, std::vector<LedgerEntry>& entries,
                                    EventsRead& events);
// The official's entries (LedgerStore::entries) with offered hours filled in.
CreditResult<std::vector<LedgerEntry>> official_ledger(ServerStore& store, LedgerStore& ledger,
                                                       std::string_view official_id);

// The official as the engine sees them: role from the roster, program data from the ledger
// store. not_found when the id is not on the roster.
struct OfficialView {
  Attendee attendee; // without e-mail
  Official official;
};
CreditResult<OfficialView> load_official(ServerStore& store, LedgerStore& ledger,
                                         std::string_view official_id);
// The same view from rows already read (the reports read the roster, the records and the role
// histories once for every official instead of three queries per official). `record` may be
// null: no program data on record.
OfficialView official_view(Attendee attendee, const OfficialRecord* record,
                           std::vector<RoleChange> roles);

struct Transcript {
  std::string league_name;
  Program program;
  OfficialView who;
  Progress progress;
};
CreditResult<Transcript> build_transcript(ServerStore& store, LedgerStore& ledger,
                                          const Program& program, std::string_view official_id,
                                          Date as_of);
// The transcripts of many officials, each exactly what build_transcript gives, handed to `each`
// in the order of `official_ids` (the first error stops the batch and is returned; an id not on
// the roster is not_found, as build_transcript says it). Reads the roster, the program records,
// the role histories and the League's name once, each event once, and the ledger of a chunk of
// officials per query, instead of about ten queries per official.
CreditResult<Ok> build_transcripts(ServerStore& store, LedgerStore& ledger, const Program& program,
                                   std::span<const std::string> official_ids, Date as_of,
                                   const std::function<CreditResult<Ok>(Transcript&&)>& each);
std::string transcript_json(const Transcript& transcript);
std::string transcript_csv(const Transcript& transcript);
PdfDocument transcript_document(const Transcript& transcript);

// ---- credit forms and verification letters ----

// What the kiosk recorded about one session of the form beyond attendance (docs/credit.md).
struct CreditFormNotes {
  // The official's survey answers after leaving, "useful: Yes; pace: Right" in the event's
  // question order; empty when none (the last survey of the session counts).
  std::string survey;
  // How the leave that counts was recorded: "confirmed at kiosk 09:15" (the official answered
  // "Leaving early?" at the door), "not confirmed by the official" (a leave without that, e.g.
  // headless), "staff correction", or "no leave recorded".
  std::string confirmation;
};

struct CreditForm {
  std::string league_name;
  Event event;
  Attendee attendee;                  // without e-mail; role: on the event's (first session's) date
  std::vector<CreditRow> rows;        // the sessions with scans, in session order
  std::vector<CreditFormNotes> notes; // parallel to rows
  std::optional<Instant> checked_in_at; // at the registration desk (kiosk --desk), if any
};
// not_found when the event or attendee is unknown or the attendee has no scans in the event.
CreditResult<CreditForm> build_credit_form(ServerStore& store, std::string_view event_id,
                                           std::string_view attendee_id);
std::string credit_form_csv(const CreditForm& form);
PdfDocument credit_form_document(const CreditForm& form);
// not_eligible for a role that earns CMO credit (their record is the credit form/transcript).
CreditResult<PdfDocument> verification_letter_document(const CreditForm& form, Instant now);

// ---- reports ----

enum class ReportKind : std::uint8_t { graduation, compliance, certified_municipalities };
enum class ReportFormat : std::uint8_t { csv, json };
std::optional<ReportKind> parse_report_kind(std::string_view text);

struct ReportTable {
  ReportKind kind;
  int year = 0;
  Date as_of{};
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
};
// graduation: officials who completed a level in (last deadline, this year's deadline];
// compliance: officials the annual requirement applies to and who are behind;
// certified-municipalities: every municipality with a mayor or councilmember on the roster,
// certified when it has a mayor and the mayor and every councilmember in office hold the
// program's first level (Basic) on `as_of`.
CreditResult<ReportTable> build_report(ServerStore& store, LedgerStore& ledger,
                                       const Program& program, ReportKind kind, Date as_of);
std::string report_text(const ReportTable& report, ReportFormat format);
// The same table as a printable PDF (the console's report download), landscape-free: one table
// whose columns share the page width.
PdfDocument report_document(const ReportTable& report, std::string_view league_name);

// ---- outside credit and officials' records ----

struct OutsideCredit {
  std::string official_id;
  Date date{};
  double hours = 0;
  std::string title;
  std::string reference; // where the approval documents are (agenda, registration)
  std::string topic;
  std::string course_code;
  std::string category;   // cycle programs (AMCTO): PDU category id
  std::string competency; // cycle programs (AMCTO): competency id
};
struct OutsideCreditOutcome {
  LedgerEntry entry;
  EntryOutcome outcome; // what the program made of it, evaluated as of its date
};
// Records an approved non-League course (id "outside/<date>/<reference>"; recording the same
// one twice is a conflict) and evaluates it.
CreditResult<OutsideCreditOutcome> record_outside_credit(ServerStore& store, LedgerStore& ledger,
                                                         const Program& program,
                                                         const OutsideCredit& credit, Instant now);
std::string describe_outcome(const EntryOutcome& outcome, const Program& program);

// ---- online courses, points, pre-approvals, categories ----

// An online course or webinar recording with the score of its test (percent).
struct OnlineCredit {
  std::string official_id;
  Date date{};
  std::string title;
  double score = 0;
  std::string course_code; // a core code makes it a core course
  std::string reference;   // the certificate or test record; with the date, the entry's key
  std::string topic;
  std::optional<double> hours; // default: the program's online.hours_per_course, else 1
  std::string category;
  std::string competency;
};
// Records it (id "online/<date>/<reference, else course code, else title>"); a score under the
// program's pass mark (online.pass_score, default 70) is recorded and refused with the reason.
CreditResult<OutsideCreditOutcome> record_online_credit(ServerStore& store, LedgerStore& ledger,
                                                        const Program& program,
                                                        const OnlineCredit& credit, Instant now);

// One qualifying event's point(s) (the program's points.events type).
struct PointCredit {
  std::string official_id;
  Date date{};
  std::string event_type;
  std::string event_id; // the League event, if it is one; one attendance gives its points once
  std::string title;    // default: the event type's name
  std::string reference;
};
// invalid for a type the program does not list. Id "points/<date>/<type>"; a non-League meeting
// (the NLC ones) is recorded as approved outside training without hours.
CreditResult<OutsideCreditOutcome> record_point(ServerStore& store, LedgerStore& ledger,
                                                const Program& program, const PointCredit& credit,
                                                Instant now);
std::string describe_points(const EntryOutcome& outcome, const Program& program);

// The League's pre-approval of an in-person League event for an official who left office:
// the event's entries posted already are marked approved, later closes post them approved.
struct PreapprovalOutcome {
  std::uint64_t entries_marked = 0;
  bool left_office = false; // the official has a leaving date on record
};
CreditResult<PreapprovalOutcome> record_preapproval(ServerStore& store, LedgerStore& ledger,
                                                    const Preapproval& preapproval, Instant now);

// Sets category and competency on one entry or every entry of one event of an official;
// checked against the program's lists when it has them. Returns the entries changed.
struct Classification {
  std::string official_id;
  std::string entry_id;
  std::string event_id;
  std::string category;
  std::string competency;
};
CreditResult<std::uint64_t> classify_entries(ServerStore& store, LedgerStore& ledger,
                                             const Program& program, const Classification& c);

// "basic:2019-06-30" -> Designation
std::optional<Designation> parse_designation(std::string_view text);

// ---- commands ----

struct CloseEventOptions {
  std::string database;
  std::string event_id;
  bool amend = false;
};
int run_close_event(const CloseEventOptions& options, std::ostream& out, std::ostream& err);

enum class DocumentFormat : std::uint8_t { json, csv, pdf };

struct TranscriptOptions {
  std::string database;
  std::string official_id;
  DocumentFormat format = DocumentFormat::json;
  std::optional<std::filesystem::path> out_file; // required for pdf; stdout otherwise
  std::optional<std::filesystem::path> program_file;
  std::optional<Date> as_of;
};
int run_transcript(const TranscriptOptions& options, std::ostream& out, std::ostream& err);

struct CreditFormOptions {
  std::string database;
  std::string event_id;
  std::string official_id;
  DocumentFormat format = DocumentFormat::pdf; // pdf or csv
  std::optional<std::filesystem::path> out_file;
};
int run_credit_form(const CreditFormOptions& options, std::ostream& out, std::ostream& err);

struct VerificationLetterOptions {
  std::string database;
  std::string event_id;
  std::string attendee_id;
  std::filesystem::path out_file;
};
int run_verification_letter(const VerificationLetterOptions& options, std::ostream& out,
                            std::ostream& err);

struct ReportOptions {
  std::string database;
  ReportKind kind = ReportKind::graduation;
  std::optional<int> year; // as of Dec 31 of that year (or today, if earlier)
  std::optional<Date> as_of;
  ReportFormat format = ReportFormat::csv;
  std::optional<std::filesystem::path> program_file;
};
int run_report(const ReportOptions& options, std::ostream& out, std::ostream& err);

struct OutsideCreditOptions {
  std::string database;
  OutsideCredit credit;
  std::optional<std::filesystem::path> program_file;
};
int run_outside_credit(const OutsideCreditOptions& options, std::ostream& out, std::ostream& err);

struct OnlineCreditOptions {
  std::string database;
  OnlineCredit credit;
  std::optional<std::filesystem::path> program_file;
};
int run_online_credit(const OnlineCreditOptions& options, std::ostream& out, std::ostream& err);

struct PointOptions {
  std::string database;
  PointCredit credit;
  std::optional<std::filesystem::path> program_file;
};
int run_point(const PointOptions& options, std::ostream& out, std::ostream& err);

struct PreapproveOptions {
  std::string database;
  Preapproval preapproval;
};
int run_preapprove(const PreapproveOptions& options, std::ostream& out, std::ostream& err);

struct ClassifyOptions {
  std::string database;
  Classification classification;
  std::optional<std::filesystem::path> program_file;
};
int run_classify(const ClassifyOptions& options, std::ostream& out, std::ostream& err);

struct OfficialOptions {
  std::string database;
  std::string official_id;
  std::optional<Date> term_start;
  std::optional<bool> first_term;
  std::optional<Date> left_office;
  std::vector<Designation> designations;
};
int run_official(const OfficialOptions& options, std::ostream& out, std::ostream& err);

// Prints a new admin token (alone on the last line) for GET /api/v1/officials/{id}/transcript;
// only its hash_secret is stored.
int run_admin_token(std::string_view database, std::string_view label, std::ostream& out,
                    std::ostream& err);

} // namespace muster::server
