#pragma once
// The command line of the credit commands (credit_commands.hpp), kept out of main.cpp so that
// file only needs three lines: include, CreditCli cli(app), and `if (auto code = cli.run(...))`.
// Included by main.cpp only (CLI11 is linked to the program, not the library).
#include <CLI/CLI.hpp>

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "sync/server/cli_options.hpp"
#include "sync/server/credit_commands.hpp"

namespace muster::server {

class CreditCli {
public:
  explicit CreditCli(CLI::App& app) {
    add_documents(app);
    add_credit_records(app);
    add_official_data(app);
  }

  // The exit code when one of these commands was chosen, nullopt otherwise.
  std::optional<int> run(std::ostream& out, std::ostream& err) {
    if (auto code = run_documents(out, err)) return code;
    if (auto code = run_credit_records(out, err)) return code;
    return run_official_data(out, err);
  }

private:
  static constexpr const char* kProgram =
      "the credit program file (default: assets/programs/alm-cmo.jsonc)";
  static constexpr const char* kAsOf = "evaluate as of this date, YYYY-MM-DD (default: today, UTC)";
  static constexpr const char* kCategory = "the PDU category id (AMCTO categories)";
  static constexpr const char* kCompetency = "the competency id (AMCTO competencies)";

  void db(CLI::App* command) { add_db_option(command, database_); }

  // close-event, transcript, credit-form, verification-letter, report (in --help's order).
  void add_documents(CLI::App& app) {
    close_ = app.add_subcommand("close-event",
                                "post the event's credit hours to each eligible official's ledger "
                                "(idempotent); later: report late scans, --amend posts them");
    db(close_);
    close_->add_option("--event", event_id_, "the event id")->required();
    close_->add_flag("--amend", amend_, "post the changes late scans made after closing");

    transcript_ = app.add_subcommand(
        "transcript", "an official's courses, hours, levels they counted toward, totals per level");
    db(transcript_);
    transcript_->add_option("--official", official_id_, "the official's roster id")->required();
    transcript_->add_option("--format", format_, "json (default), csv or pdf")
        ->check(CLI::IsMember({"json", "csv", "pdf"}));
    transcript_->add_option("--out", out_, "write to FILE (required for pdf; default stdout)");
    transcript_->add_option("--program", program_, kProgram);
    transcript_->add_option("--as-of", as_of_, kAsOf);

    form_ = app.add_subcommand(
        "credit-form", "one official's credit form for one event: sessions, arrival, leave, "
                       "early leave, hours (PDF or CSV)");
    db(form_);
    form_->add_option("--event", event_id_, "the event id")->required();
    form_->add_option("--official", official_id_, "the official's (attendee's) roster id")
        ->required();
    form_->add_option("--format", form_format_, "pdf (default) or csv")
        ->check(CLI::IsMember({"pdf", "csv"}));
    form_->add_option("--out", out_, "write to FILE (required for pdf; default stdout)");

    letter_ = app.add_subcommand(
        "verification-letter",
        "an attendance verification letter (PDF) for an attendee without CMO credit (clerk, "
        "staff, guest)");
    db(letter_);
    letter_->add_option("--event", event_id_, "the event id")->required();
    letter_->add_option("--attendee", official_id_, "the attendee's roster id")->required();
    letter_->add_option("--out", out_, "the PDF file to write")->required();

    report_ = app.add_subcommand(
        "report", "graduation (who qualifies this year), compliance (who is behind on the "
                  "annual requirement), certified-municipalities");
    db(report_);
    report_->add_option("--kind", kind_, "graduation, compliance or certified-municipalities")
        ->required()
        ->check(CLI::IsMember({"graduation", "compliance", "certified-municipalities"}));
    report_->add_option("--year", year_, "the year (default: this year)")
        ->check(CLI::Range(1900, 9999));
    report_->add_option("--format", report_format_, "csv (default) or json")
        ->check(CLI::IsMember({"csv", "json"}));
    report_->add_option("--program", program_, kProgram);
    report_->add_option("--as-of", as_of_, kAsOf);
  }

  // outside-credit, online-credit, point, preapprove.
  void add_credit_records(CLI::App& app) {
    outside_ = app.add_subcommand(
        "outside-credit", "record an approved non-League course (caps apply; prints what counted)");
    db(outside_);
    outside_->add_option("--official", official_id_, "the official's roster id")->required();
    outside_->add_option("--date", date_, "the day of the training, YYYY-MM-DD")->required();
    outside_->add_option("--hours", hours_, "credit hours of the course")->required();
    outside_->add_option("--title", title_, "the course title")->required();
    outside_
        ->add_option("--reference", reference_,
                     "where the approval documents are (agenda, registration)")
        ->required();
    outside_->add_option("--topic", topic_, "the training topic (two-year rule)");
    outside_->add_option("--course-code", course_code_, "the course code, if any");
    outside_->add_option("--program", program_, kProgram);
    outside_->add_option("--category", category_, kCategory);
    outside_->add_option("--competency", competency_, kCompetency);

    online_ = app.add_subcommand(
        "online-credit", "record an online course or webinar with its test score (a score under "
                         "the pass mark, 70%, is recorded and refused with the reason)");
    db(online_);
    online_->add_option("--official", official_id_, "the official's roster id")->required();
    online_->add_option("--date", date_, "the day the test was passed, YYYY-MM-DD")->required();
    online_->add_option("--title", title_, "the course title")->required();
    online_->add_option("--score", score_, "the test score in percent (0-100)")
        ->required()
        ->check(CLI::Range(0.0, 100.0));
    online_->add_option("--course-code", course_code_, "the course code (a core code is core)");
    online_->add_option("--reference", reference_, "the certificate or test record");
    online_->add_option("--topic", topic_, "the training topic (two-year rule)");
    online_->add_option("--hours", online_hours_,
                        "credit hours (default: the program's online.hours_per_course, 1)");
    online_->add_option("--program", program_, kProgram);
    online_->add_option("--category", category_, kCategory);
    online_->add_option("--competency", competency_, kCompetency);

    point_ = app.add_subcommand(
        "point", "record a qualifying event's point(s) for an official (Emeritus: 1 per event, "
                 "at most 6 a year; prints what counted)");
    db(point_);
    point_->add_option("--official", official_id_, "the official's roster id")->required();
    point_->add_option("--date", date_, "the day of the event, YYYY-MM-DD")->required();
    point_
        ->add_option("--type", point_type_,
                     "the qualifying event type (program points.events, e.g. alm_convention)")
        ->required();
    point_->add_option("--event", event_id_, "the League event id, if it is one");
    point_->add_option("--title", title_, "a title (default: the event type's name)");
    point_->add_option("--reference", reference_, "where the attendance is documented");
    point_->add_option("--program", program_, kProgram);

    preapprove_ = app.add_subcommand(
        "preapprove", "record the League's pre-approval of an in-person League event for an "
                      "official who left office, so close-event's credit counts");
    db(preapprove_);
    preapprove_->add_option("--official", official_id_, "the official's roster id")->required();
    preapprove_->add_option("--event", event_id_, "the event id")->required();
    preapprove_->add_option("--reference", reference_, "where the approval is documented")
        ->required();
  }

  // classify, official, admin-token.
  void add_official_data(CLI::App& app) {
    classify_ = app.add_subcommand(
        "classify", "set the PDU category and competency (AMCTO) of an official's ledger entry "
                    "or of every entry from one event");
    db(classify_);
    classify_->add_option("--official", official_id_, "the official's roster id")->required();
    auto* entry = classify_->add_option("--entry", entry_id_, "one ledger entry id");
    classify_->add_option("--event", event_id_, "every entry from this event")->excludes(entry);
    classify_->add_option("--category", category_, kCategory);
    classify_->add_option("--competency", competency_, kCompetency);
    classify_->add_option("--program", program_,
                          "the program whose lists are checked (e.g. assets/programs/"
                          "amcto-pdu.jsonc; default: alm-cmo.jsonc)");

    official_ = app.add_subcommand(
        "official", "set an official's program data: term, first term, leaving office, "
                    "designations held (the role comes from the roster)");
    db(official_);
    official_->add_option("--id", official_id_, "the official's roster id")->required();
    official_->add_option("--term-start", term_start_, "start of the current term, YYYY-MM-DD");
    official_->add_flag("--first-term,!--not-first-term", first_term_,
                        "the current term is (not) the official's first");
    official_->add_option("--left-office", left_office_, "date of leaving office, YYYY-MM-DD");
    official_->add_option("--designation", designations_,
                          "a level held, LEVEL:YYYY-MM-DD (e.g. basic:2019-06-30); repeatable");

    token_ = app.add_subcommand("admin-token",
                                "print a new admin token for the transcript API (stored hashed)");
    db(token_);
    token_->add_option("--label", label_, "who or what the token is for")->default_str("admin");
  }

  std::optional<int> run_documents(std::ostream& out, std::ostream& err) {
    if (*close_) return run_close_event({database_, event_id_, amend_}, out, err);
    if (*transcript_) {
      TranscriptOptions o{database_,  official_id_,   document_format(format_),
                          path(out_), path(program_), std::nullopt};
      if (!date_option(as_of_, "--as-of", o.as_of, err)) return 2;
      return run_transcript(o, out, err);
    }
    if (*form_) {
      return run_credit_form(
          {database_, event_id_, official_id_, document_format(form_format_), path(out_)}, out,
          err);
    }
    if (*letter_)
      return run_verification_letter({database_, event_id_, official_id_, out_}, out, err);
    if (*report_) {
      ReportOptions o;
      o.database = database_;
      o.kind = parse_report_kind(kind_).value_or(ReportKind::graduation);
      if (year_ > 0) o.year = year_;
      o.format = report_format_ == "json" ? ReportFormat::json : ReportFormat::csv;
      o.program_file = path(program_);
      if (!date_option(as_of_, "--as-of", o.as_of, err)) return 2;
      return run_report(o, out, err);
    }
    return std::nullopt;
  }

  std::optional<int> run_credit_records(std::ostream& out, std::ostream& err) {
    if (*outside_) {
      OutsideCreditOptions o;
      o.database = database_;
      o.credit = {official_id_, {},           hours_,    title_,     reference_,
                  topic_,       course_code_, category_, competency_};
      o.program_file = path(program_);
      std::optional<Date> date;
      if (!date_option(date_, "--date", date, err)) return 2;
      o.credit.date = *date;
      return run_outside_credit(o, out, err);
    }
    if (*online_) {
      OnlineCreditOptions o;
      o.database = database_;
      o.credit.official_id = official_id_;
      o.credit.title = title_;
      o.credit.score = score_;
      o.credit.course_code = course_code_;
      o.credit.reference = reference_;
      o.credit.topic = topic_;
      if (online_->count("--hours") > 0) o.credit.hours = online_hours_;
      o.credit.category = category_;
      o.credit.competency = competency_;
      o.program_file = path(program_);
      std::optional<Date> date;
      if (!date_option(date_, "--date", date, err)) return 2;
      o.credit.date = *date;
      return run_online_credit(o, out, err);
    }
    if (*point_) {
      PointOptions o;
      o.database = database_;
      o.credit = {official_id_, {}, point_type_, event_id_, title_, reference_};
      o.program_file = path(program_);
      std::optional<Date> date;
      if (!date_option(date_, "--date", date, err)) return 2;
      o.credit.date = *date;
      return run_point(o, out, err);
    }
    if (*preapprove_) {
      return run_preapprove({database_, {official_id_, event_id_, reference_}}, out, err);
    }
    return std::nullopt;
  }

  std::optional<int> run_official_data(std::ostream& out, std::ostream& err) {
    if (*classify_) {
      ClassifyOptions o;
      o.database = database_;
      o.classification = {official_id_, entry_id_, event_id_, category_, competency_};
      o.program_file = path(program_);
      return run_classify(o, out, err);
    }
    if (*official_) {
      OfficialOptions o;
      o.database = database_;
      o.official_id = official_id_;
      if (official_->count("--first-term") + official_->count("--not-first-term") > 0) {
        o.first_term = first_term_;
      }
      if (!date_option(term_start_, "--term-start", o.term_start, err)) return 2;
      if (!date_option(left_office_, "--left-office", o.left_office, err)) return 2;
      for (const std::string& text : designations_) {
        const auto designation = parse_designation(text);
        if (!designation) {
          err << "error: --designation must be LEVEL:YYYY-MM-DD (got '" << text << "')\n";
          return 2;
        }
        o.designations.push_back(*designation);
      }
      return run_official(o, out, err);
    }
    if (*token_) return run_admin_token(database_, label_, out, err);
    return std::nullopt;
  }

  static std::optional<std::filesystem::path> path(const std::string& text) {
    if (text.empty()) return std::nullopt;
    return std::filesystem::path(text);
  }
  static DocumentFormat document_format(const std::string& text) {
    if (text == "csv") return DocumentFormat::csv;
    if (text == "pdf") return DocumentFormat::pdf;
    return DocumentFormat::json;
  }
  // Empty text: stays nullopt. A bad date is a usage error.
  static bool date_option(const std::string& text, const char* name, std::optional<Date>& date,
                          std::ostream& err) {
    if (text.empty()) return true;
    date = parse_date(text);
    if (!date) err << "error: " << name << " must be a date YYYY-MM-DD (got '" << text << "')\n";
    return date.has_value();
  }

  CLI::App* close_ = nullptr;
  CLI::App* transcript_ = nullptr;
  CLI::App* form_ = nullptr;
  CLI::App* letter_ = nullptr;
  CLI::App* report_ = nullptr;
  CLI::App* outside_ = nullptr;
  CLI::App* official_ = nullptr;
  CLI::App* online_ = nullptr;
  CLI::App* point_ = nullptr;
  CLI::App* preapprove_ = nullptr;
  CLI::App* classify_ = nullptr;
  CLI::App* token_ = nullptr;
  std::string database_;
  std::string event_id_;
  std::string official_id_;
  bool amend_ = false;
  std::string format_ = "json";
  std::string form_format_ = "pdf";
  std::string report_format_ = "csv";
  std::string out_;
  std::string program_;
  std::string as_of_;
  std::string kind_;
  int year_ = 0;
  std::string date_;
  double hours_ = 0;
  std::string title_;
  std::string reference_;
  std::string topic_;
  std::string course_code_;
  std::string category_;
  std::string competency_;
  double score_ = 0;
  double online_hours_ = 1;
  std::string point_type_;
  std::string entry_id_;
  std::string term_start_;
  bool first_term_ = false;
  std::string left_office_;
  std::vector<std::string> designations_;
  std::string label_ = "admin";
};

} // namespace muster::server
