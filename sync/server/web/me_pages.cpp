// /me/'s page, the official's own PDFs, confirm and dispute (me_internal.hpp). Another
// official's id in a URL answers 404, as an unknown one does.
#include "shared/time.hpp"
#include "sync/server/credit_commands.hpp"
#include "sync/server/credit_pdf.hpp"
#include "sync/server/ledger_store.hpp"
#include "sync/server/mail/progress_words.hpp"
#include "sync/server/web/accounts.hpp"
#include "sync/server/web/me_internal.hpp"
#include "sync/server/web/official_store.hpp"
#include "sync/server/web/page_me.hpp"

namespace muster::server::me {

void Me::get_home(const httplib::Request& req, httplib::Response& res) {
  OPEN_OR_503(accounts, open_account_store(options_.database));
  auto who = signed_in(req, accounts);
  if (!who) {
    const std::string token = login_token(req, res);
    return send_html(res, 200, web::me_email_page(token, ""));
  }
  OPEN_OR_503(store, open_server_store(options_.database));
  OPEN_OR_503(ledger, open_ledger_store(options_.database));
  OPEN_OR_503(officials, open_official_store(options_.database));
  auto person = store.attendee(who->official_id);
  if (!person) return send_text(res, 404, "not found");
  web::MePage page;
  page.official_id = person->id;
  page.name = full_name(*person);
  page.csrf = who->session.csrf_token;
  if (req.has_param("done")) {
    const auto done = req.get_param_value("done");
    if (done == "confirmed") page.notice = "Thank you: your confirmation is recorded.";
    if (done == "disputed") page.notice = "Thank you: your note was sent to League staff.";
  }
  if (auto program = load_program(options_.program_file)) {
    page.program_name = program->name;
    if (auto transcript = build_transcript(store, ledger, *program, person->id, today_utc())) {
      const auto& progress = transcript->progress;
      const auto lines = mail::progress_lines(*program, progress);
      std::size_t i = 0;
      for (const auto& level : progress.levels) {
        if (i >= lines.size()) break;
        page.levels.push_back({lines[i], level.hours_counted, level.hours_required});
        ++i;
        if (!level.met) break;
      }
      for (; i < lines.size(); ++i)
        page.other_lines.push_back(lines[i]);
    }
  }
  auto events = store.events();
  if (!events) return send_text(res, 503, "the database is unavailable");
  auto disputes = officials.disputes(person->id, "");
  if (!disputes) return send_text(res, 503, "the database is unavailable");
  for (const auto& event : *events) {
    auto rows = compute_credits(store, event);
    if (!rows) continue;
    web::MeEvent e;
    e.id = event.id;
    e.name = event.name;
    for (const auto& row : *rows) {
      if (row.attendee.id != person->id) continue;
      const auto& a = row.attendance;
      const auto local = [&](const std::optional<Instant>& t) {
        return t ? format_local(*t, event.timezone, "%H:%M") : std::string("-");
      };
      web::MeSession s{row.session.id,
                       row.session.title,
                       local(a.first_arrival),
                       local(a.final_leave),
                       format_hours(a.credit_hours),
                       ""};
      for (const auto& d : *disputes) {
        if (d.event_id == event.id && d.session_id == row.session.id) s.dispute = d.note;
      }
      e.sessions.push_back(std::move(s));
    }
    if (e.sessions.empty()) continue;
    if (!event.sessions.empty()) e.dates = local_date(event.sessions.front().start, event.timezone);
    e.credit = grants_credit(event, person->role);
    if (auto confirmed = officials.confirmation(person->id, event.id); confirmed && *confirmed) {
      e.confirmed_on =
          format_date(Date{std::chrono::floor<std::chrono::days>((*confirmed)->confirmed_at)});
    }
    page.events.push_back(std::move(e));
  }
  send_html(res, 200, web::me_page(page));
}

void Me::get_pdf(const httplib::Request& req, httplib::Response& res, std::string_view kind) {
  OPEN_OR_503(accounts, open_account_store(options_.database));
  auto who = signed_in(req, accounts);
  const std::string id = req.matches[1];
  // Not signed in, or another official's URL: the same 404, nothing said about who exists.
  if (!who || who->official_id != id) return send_text(res, 404, "not found");
  OPEN_OR_503(store, open_server_store(options_.database));
  std::optional<PdfDocument> document;
  std::string name;
  if (kind == "transcript") {
    OPEN_OR_503(ledger, open_ledger_store(options_.database));
    auto program = load_program(options_.program_file);
    if (!program) return send_text(res, 503, "the credit program is unavailable");
    auto transcript = build_transcript(store, ledger, *program, id, today_utc());
    if (!transcript) return send_text(res, 404, "not found");
    document = transcript_document(*transcript);
    name = "transcript.pdf";
  } else {
    const std::string event_id = req.matches[2];
    if (!web::valid_event_id(event_id)) return send_text(res, 404, "not found");
    auto form = build_credit_form(store, event_id, id);
    if (!form) return send_text(res, 404, "not found");
    if (kind == "credit-form") {
      document = credit_form_document(*form);
      OPEN_OR_503(officials, open_official_store(options_.database));
      add_confirmation_line(*document, officials, event_id, id);
    } else {
      auto letter = verification_letter_document(*form, now_ms());
      if (!letter) return send_text(res, 404, "not found");
      document = std::move(*letter);
    }
    name = std::string(kind) + "-" + event_id + ".pdf";
  }
  auto bytes = pdf_bytes(*document);
  if (!bytes) return send_text(res, 503, "the document could not be made");
  web::secure_headers(res, web::PageScripts::none);
  res.set_header("Content-Disposition", "inline; filename=\"" + name + "\"");
  res.status = 200;
  res.set_content(*bytes, "application/pdf");
}

void Me::post_action(const httplib::Request& req, httplib::Response& res, bool confirm) {
  OPEN_OR_503(accounts, open_account_store(options_.database));
  auto who = signed_in(req, accounts);
  const std::string id = req.matches[1];
  const std::string event_id = req.matches[2];
  if (!who || who->official_id != id) return send_text(res, 404, "not found");
  const std::string presented = web::form_value(req, "csrf_token");
  if (!csrf_matches(who->session.csrf_token, presented)) {
    return send_text(res, 403,
                     "forbidden: the form's CSRF token is missing or wrong (reload the "
                     "page)");
  }
  OPEN_OR_503(store, open_server_store(options_.database));
  auto form = build_credit_form(store, event_id, id); // their own attendance only
  if (!form) return send_text(res, 404, "not found");
  OPEN_OR_503(officials, open_official_store(options_.database));
  const Instant at = now_ms();
  if (confirm) {
    if (auto done = officials.confirm({id, event_id, at}); !done) {
      return send_text(res, 503, "the database is unavailable");
    }
    (void)accounts.append_audit(
        AuditEntry{at, std::string(kSessionPrefix) + id, "me-confirm-credit-form", event_id, ""});
    return redirect(res, "/me/?done=confirmed");
  }
  const std::string session_id = web::form_value(req, "session");
  std::string note = trimmed_field(req, "note");
  bool attended = false;
  for (const auto& row : form->rows)
    attended = attended || row.session.id == session_id;
  if (!attended) return send_text(res, 404, "not found");
  if (note.empty()) return send_text(res, 400, "the note is empty: say what is wrong");
  if (note.size() > 500) note.resize(500);
  if (auto done = officials.add_dispute({id, event_id, session_id, note, at}); !done) {
    return send_text(res, 503, "the database is unavailable");
  }
  (void)accounts.append_audit(AuditEntry{at, std::string(kSessionPrefix) + id, "me-dispute",
                                         event_id + "/" + session_id, note});
  redirect(res, "/me/?done=disputed");
}

} // namespace muster::server::me
