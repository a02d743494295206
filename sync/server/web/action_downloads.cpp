// Downloads for every signed-in user (all read only): an event's credits as CSV (the CLI's
// `credits`), and the League's reports (the CLI's `report`: graduation, compliance,
// certified-municipalities) as CSV or PDF.
#include <httplib.h>

#include <filesystem>
#include <iostream>

#include "sync/server/credit_commands.hpp"
#include "sync/server/credit_pdf.hpp"
#include "sync/server/ledger_store.hpp"
#include "sync/server/web/accounts.hpp"
#include "sync/server/web/actions.hpp"
#include "sync/server/web/console_http.hpp"

namespace muster::server::web {

namespace {

void attachment(httplib::Response& res, const std::string& body, const std::string& type,
                const std::string& filename) {
  secure_headers(res);
  res.set_header("Content-Disposition", "attachment; filename=\"" + filename + "\"");
  res.set_content(body, type);
}

} // namespace

void route_downloads(httplib::Server& server, const ConsoleOptions& options) {
  server.Get(R"(/console/events/([^/]+)/credits\.csv)",
             [options](const httplib::Request& req, httplib::Response& res) {
               auto accounts = open_accounts(options.database, res);
               if (!accounts) return;
               auto who = require_role(req, res, *accounts, ConsoleRole::viewer);
               if (!who) return;
               const std::string event_id = req.matches[1];
               if (!valid_event_id(event_id)) return send_text(res, 404, "no such event");
               auto store = open_server_store(options.database);
               if (!store) return send_text(res, 503, "the database is unavailable");
               auto event = (*store)->event(event_id);
               if (!event) return send_text(res, 404, "no such event");
               auto rows = compute_credits(**store, *event);
               if (!rows) return send_text(res, 503, "the credits are unavailable");
               audit(*accounts, who->user.name, "download", event_id + "/credits.csv", "");
               attachment(res, credits_csv(*event, *rows), "text/csv; charset=utf-8",
                          event_id + "-credits.csv");
             });
  server.Get(R"(/console/reports/([a-z-]+)\.(csv|pdf))", [options](const httplib::Request& req,
                                                                   httplib::Response& res) {
    auto accounts = open_accounts(options.database, res);
    if (!accounts) return;
    auto who = require_role(req, res, *accounts, ConsoleRole::viewer);
    if (!who) return;
    const std::string kind_text = req.matches[1];
    const std::string format = req.matches[2];
    const auto kind = parse_report_kind(kind_text);
    if (!kind) return send_text(res, 404, "no such report: " + kind_text);
    Date as_of = today_utc();
    if (const std::string year = form_value(req, "year"); !year.empty()) {
      // As the CLI's --year: a past year as it stood on its last day, this year as of today.
      if (year.size() != 4 || year.find_first_not_of("0123456789") != std::string::npos) {
        return send_text(res, 400, "year: four digits, e.g. 2026");
      }
      const Date year_end{std::chrono::year{std::stoi(year)}, std::chrono::December,
                          std::chrono::day{31}};
      if (std::chrono::sys_days{year_end} < std::chrono::sys_days{as_of}) as_of = year_end;
      if (static_cast<int>(as_of.year()) != std::stoi(year)) {
        return send_text(res, 400, "year " + year + " is in the future");
      }
    }
    auto program = load_program(options.program_file);
    if (!program) return send_text(res, 503, program.message());
    auto store = open_server_store(options.database);
    auto ledger = open_ledger_store(options.database);
    if (!store || !ledger) return send_text(res, 503, "the database is unavailable");
    auto report = build_report(**store, **ledger, *program, *kind, as_of);
    if (!report) return send_text(res, 503, "the report failed: " + report.message());
    const std::string name = kind_text + "-" + std::to_string(report->year) + "." + format;
    audit(*accounts, who->user.name, "download", "reports/" + name, "");
    if (format == "csv") {
      return attachment(res, report_text(*report, ReportFormat::csv), "text/csv; charset=utf-8",
                        name);
    }
    auto league = (*store)->league();
    auto bytes = pdf_bytes(report_document(*report, league ? league->name : std::string()));
    if (!bytes) return send_text(res, 500, "the PDF could not be written");
    attachment(res, *bytes, "application/pdf", name);
  });
}

} // namespace muster::server::web
