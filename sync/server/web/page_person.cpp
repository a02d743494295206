#include <set>

#include "shared/hours.hpp"
#include "shared/time.hpp"
#include "sync/server/web/html.hpp"
#include "sync/server/web/people_pages.hpp"
#include "sync/server/web/staff_correction.hpp"

namespace muster::server::web {

namespace {

std::string local_or_dash(const std::optional<Instant>& at, const Event& event) {
  return at ? format_local(*at, event.timezone, "%H:%M") : std::string("-");
}

const Session* find_session(const Event& event, const std::string& id) {
  for (const auto& s : event.sessions) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

std::string what_scan(const Scan& scan, const Event& event) {
  if (scan.kind != ScanKind::correction) return std::string(to_string(scan.kind));
  switch (scan.correction) {
  case Correction::arrive:
    return "correction: arrival at " + format_local(scan.effective_time, event.timezone, "%H:%M");
  case Correction::leave:
    return "correction: leave at " + format_local(scan.effective_time, event.timezone, "%H:%M");
  case Correction::void_scan:
    return "correction: void of " + scan.voids_device_id + " #" +
           std::to_string(scan.voids_sequence);
  case Correction::none:
    break;
  }
  return "correction";
}

std::string door(const PersonScan& s) {
  return escape(s.device.empty() ? s.scan.device_id : s.device) + " <small>" +
         escape(s.scan.device_id) + "</small>";
}

std::string session_title(const Event& event, const std::string& id) {
  const Session* s = find_session(event, id);
  return s ? id + " " + s->title : id;
}

bool may_correct(const Viewer& viewer) { return viewer.admin || viewer.role == "staff"; }

// Undo for a console correction not voided yet: a void, with its own reason.
std::string void_form(const Viewer& viewer, const PersonScan& s, const std::string& person_id,
                      const std::string& event_id) {
  const std::string seq = std::to_string(s.scan.sequence);
  const std::string field = "void-reason-" + escape(event_id) + "-" + seq;
  return "<form class=\"void\" method=\"post\" action=\"/console/people/" + escape(person_id) +
         "/corrections/void\">" + csrf_field(viewer.csrf) +
         "<input type=\"hidden\" name=\"event\" value=\"" + escape(event_id) +
         "\"><input type=\"hidden\" name=\"sequence\" value=\"" + seq + "\"><label for=\"" + field +
         "\">Reason to void</label><input id=\"" + field +
         "\" name=\"reason\" required maxlength=\"500\" data-testid=\"" + field +
         "\"><button type=\"submit\" data-testid=\"void-" + escape(event_id) + "-" + seq +
         "\">Void</button></form>";
}

std::string event_section(const PersonEvent& pe, const std::string& person_id,
                          const Viewer& viewer) {
  const Event& event = pe.event;
  const std::string eid = escape(event.id);
  std::string out = "<section data-testid=\"person-event-" + eid + "\" aria-labelledby=\"ev-" +
                    eid + "\">\n<h2 id=\"ev-" + eid + "\">" + escape(event.name) + " <small>" +
                    eid + "</small></h2>\n";
  out += "<p class=\"status\">Times in " + escape(event.timezone) + ".";
  if (!pe.rows.empty()) {
    out += " <a href=\"/console/people/" + escape(person_id) + "/events/" + eid +
           "/credit-form.pdf\" data-testid=\"credit-form-" + eid + "\">Credit form (PDF)</a>";
  }
  out += "</p>\n";

  out += "<h3>Credit</h3>\n";
  if (pe.rows.empty()) {
    out += "<p>No session counted a scan.</p>\n";
  } else {
    out += "<div class=\"scroll\"><table data-testid=\"credit-" + eid +
           "\">\n<thead><tr><th scope=\"col\">Session</th><th scope=\"col\">Arrived</th>"
           "<th scope=\"col\">Left</th><th scope=\"col\">Credit hours</th>"
           "<th scope=\"col\">Why</th></tr></thead>\n<tbody>\n";
    for (std::size_t i = 0; i < pe.rows.size(); ++i) {
      const CreditRow& row = pe.rows[i];
      const CreditFormNotes notes = i < pe.notes.size() ? pe.notes[i] : CreditFormNotes{};
      const std::string sid = escape(row.session.id);
      out += "<tr><th scope=\"row\">" + sid + " " + escape(row.session.title) + "</th><td>" +
             escape(local_or_dash(row.attendance.first_arrival, event)) + "</td><td>" +
             escape(local_or_dash(row.attendance.final_leave, event)) +
             "</td><td class=\"num\" data-testid=\"credit-" + eid + "-" + sid + "\">" +
             format_hours(row.attendance.credit_hours, HoursStyle::two_decimals) +
             "</td><td><ul class=\"reasons\" data-testid=\"why-" + eid + "-" + sid + "\">";
      for (const auto& reason : credit_reasons(event, row, notes))
        out += "<li>" + escape(reason) + "</li>";
      out += "</ul></td></tr>\n";
    }
    out += "</tbody>\n</table></div>\n";
  }

  out += "<h3>Scans</h3>\n<div class=\"scroll\"><table data-testid=\"scans-" + eid +
         "\">\n<thead><tr><th scope=\"col\">Time</th><th scope=\"col\">Door</th>"
         "<th scope=\"col\">Chain position</th><th scope=\"col\">What</th>"
         "<th scope=\"col\">Session</th><th scope=\"col\">Door's clock</th></tr></thead>\n"
         "<tbody>\n";
  for (const auto& s : pe.scans) {
    const std::string dev = escape(s.scan.device_id);
    const std::string seq = std::to_string(s.scan.sequence);
    out += "<tr data-testid=\"scan-" + dev + "-" + seq + "\" data-device=\"" + dev + "\"><td>" +
           escape(format_local(s.counted, event.timezone, "%H:%M:%S")) + "</td><td>" + door(s) +
           "</td><td>#" + seq + "</td><td>" + escape(what_scan(s.scan, event)) + "</td><td>" +
           escape(s.scan.session_id.empty() ? std::string("-")
                                            : session_title(event, s.scan.session_id)) +
           "</td><td>" + escape(format_local(s.scan.wall_time, event.timezone, "%H:%M:%S")) +
           "</td></tr>\n";
  }
  out += "</tbody>\n</table></div>\n";

  std::set<std::uint64_t> voided; // console corrections voided already
  for (const auto& s : pe.scans) {
    if (s.scan.correction == Correction::void_scan && is_console_device(s.scan.voids_device_id))
      voided.insert(s.scan.voids_sequence);
  }
  std::string corrections;
  for (const auto& s : pe.scans) {
    if (s.scan.kind != ScanKind::correction) continue;
    std::string where =
        s.console ? std::string("web console #") + std::to_string(s.scan.sequence) : door(s);
    if (s.console && voided.contains(s.scan.sequence)) {
      where += " <strong>(voided)</strong>";
    } else if (s.console && s.scan.correction != Correction::void_scan && may_correct(viewer)) {
      where += void_form(viewer, s, person_id, event.id);
    }
    corrections +=
        "<tr><td>" + escape(format_local(s.scan.wall_time, event.timezone, "%Y-%m-%d %H:%M:%S")) +
        "</td><td>" + escape(s.scan.staff_id) + "</td><td>" + escape(what_scan(s.scan, event)) +
        " (" + escape(session_title(event, s.scan.session_id)) + ")</td><td>" +
        escape(s.scan.reason) + "</td><td>" + where + "</td></tr>\n";
  }
  out += "<h3>Corrections</h3>\n";
  if (corrections.empty()) {
    out += "<p>None.</p>\n";
  } else {
    out += "<div class=\"scroll\"><table data-testid=\"corrections-" + eid +
           "\">\n<thead><tr><th scope=\"col\">Recorded</th><th scope=\"col\">Staff</th>"
           "<th scope=\"col\">What</th><th scope=\"col\">Why</th><th scope=\"col\">Where</th>"
           "</tr></thead>\n<tbody>\n" +
           corrections + "</tbody>\n</table></div>\n";
  }

  std::string review;
  for (const auto& row : pe.rows) {
    for (const auto& item : row.review)
      review += "<li>" + escape(row.session.id) + ": " + escape(item) + "</li>";
    for (const auto& note : row.attendance.notes)
      review += "<li>" + escape(row.session.id) + ": " + escape(note) + "</li>";
  }
  out += "<h3>Review items</h3>\n";
  out += review.empty() ? std::string("<p>None.</p>\n")
                        : "<ul data-testid=\"review-" + eid + "\">" + review + "</ul>\n";
  out += "</section>\n";
  return out;
}

std::string correction_section(const Viewer& viewer, const Person& person,
                               const std::vector<Event>& correctable, const CorrectionForm& form) {
  std::string out = "<section class=\"correct\" aria-labelledby=\"correct-title\">\n"
                    "<h2 id=\"correct-title\">Staff correction</h2>\n";
  if (!may_correct(viewer)) {
    return out + "<p>Corrections need the staff or admin role.</p>\n</section>\n";
  }
  out += "<p>Appends a manual arrival and/or leave for one session, as a kiosk's staff mode "
         "does; no scan is changed. The reason is kept with it and in the audit trail.</p>\n";
  if (!form.error.empty()) {
    out += "<p class=\"error\" role=\"alert\" data-testid=\"correction-error\">" +
           escape(form.error) + "</p>\n";
  }
  out += "<form method=\"post\" action=\"/console/people/" + escape(person.attendee.id) +
         "/corrections\" data-testid=\"correction-form\">" + csrf_field(viewer.csrf) +
         "\n<label for=\"c-session\">Session</label><select id=\"c-session\" name=\"session\" "
         "required data-testid=\"correction-session\">";
  for (const Event& event : correctable) {
    out += "<optgroup label=\"" + escape(event.name) + "\">";
    for (const Session& s : event.sessions) {
      const std::string value = event.id + "|" + s.id;
      out += "<option value=\"" + escape(value) + "\"" +
             (value == form.session ? " selected" : "") + ">" + escape(s.id) + " " +
             escape(s.title) + ", " +
             escape(format_local(s.start, event.timezone, "%a %b %d %H:%M")) + "&ndash;" +
             escape(format_local(s.end, event.timezone, "%H:%M")) + "</option>";
    }
    out += "</optgroup>";
  }
  out += "</select>\n<label for=\"c-arrival\">Arrival time (event's local time, optional)</label>"
         "<input id=\"c-arrival\" name=\"arrival\" type=\"time\" value=\"" +
         escape(form.arrival) +
         "\" data-testid=\"correction-arrival\">\n"
         "<label for=\"c-leave\">Leave time (optional)</label><input id=\"c-leave\" name=\"leave\" "
         "type=\"time\" value=\"" +
         escape(form.leave) +
         "\" data-testid=\"correction-leave\">\n<label for=\"c-reason\">Reason (required)</label>"
         "<textarea id=\"c-reason\" name=\"reason\" required maxlength=\"500\" rows=\"3\" "
         "data-testid=\"correction-reason\">" +
         escape(form.reason) +
         "</textarea>\n<button type=\"submit\" data-testid=\"correction-submit\">Record "
         "correction</button>\n</form>\n</section>\n";
  return out;
}

} // namespace

std::string person_page(const Viewer& viewer, const Person& person,
                        const std::vector<Event>& correctable, const CorrectionForm& form,
                        bool corrected) {
  const Attendee& a = person.attendee;
  const std::string id = escape(a.id);
  std::string body = "<link rel=\"stylesheet\" href=\"/console/static/people.css\">\n";
  body += "<p><a href=\"/console/people\">People</a></p>\n<h1 data-testid=\"person-name\">" +
          escape(a.first_name) + " " + escape(a.last_name) + "</h1>\n<p>" +
          "<span data-testid=\"person-id\">" + id + "</span> &middot; " +
          escape(to_string(a.role)) +
          (a.municipality.empty() ? std::string() : " &middot; " + escape(a.municipality)) +
          (person.provisional ? " &middot; <span class=\"tag\">walk-in, provisional</span>" : "") +
          "</p>\n<p><a href=\"/console/people/" + id +
          "/transcript.pdf\" data-testid=\"transcript-pdf\">Transcript (PDF)</a></p>\n";
  if (corrected) {
    body += "<p class=\"ok\" role=\"status\" data-testid=\"correction-saved\">Correction "
            "recorded.</p>\n";
  }
  if (person.events.empty()) {
    body += "<p data-testid=\"person-no-scans\">No scans at any event.</p>\n";
  }
  for (const auto& pe : person.events)
    body += event_section(pe, a.id, viewer);
  body += correction_section(viewer, person, correctable, form);
  return page(PageFrame{full_name(a), viewer.name, viewer.role, viewer.csrf, "", false}, body);
}

std::string_view people_css() {
  return R"css(.scroll { overflow-x: auto; margin-bottom: 1rem; }
.scroll table { min-width: 36rem; }
caption { text-align: left; color: var(--muted); padding: .25rem 0; }
form.search { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin: 1rem 0; }
form.search label { flex-basis: 100%; }
form.search input { flex: 1 1 16rem; }
section.correct form { display: grid; gap: .4rem; max-width: 32rem; }
section.correct form > * { min-width: 0; width: 100%; }
section.correct form > button { width: auto; justify-self: start; }
select, textarea { font: inherit; padding: .5rem; border: 1px solid var(--muted);
  border-radius: 4px; max-width: 100%; }
select:focus, textarea:focus { outline: 3px solid #f0a500; outline-offset: 2px; }
form.void { display: flex; flex-wrap: wrap; gap: .3rem; margin-top: .3rem; font-size: .9rem; }
form.void label { flex-basis: 100%; }
form.void input { flex: 1 1 8rem; padding: .25rem; }
form.void button { padding: .25rem .6rem; }
ul.reasons { margin: 0; padding-left: 1.1rem; font-size: .9rem; }
td.num { font-size: 1rem; }
.tag { font-size: .8rem; padding: .1rem .4rem; border: 1px solid var(--muted); border-radius: 4px; }
.ok { color: #1a6b2f; font-weight: 600; }
section { margin-top: 1.5rem; }
)css";
}

} // namespace muster::server::web
