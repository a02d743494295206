// The walk-ins of an event for staff: confirm one as a new attendee, or merge it with the
// existing attendee it is (their scans then count for that attendee).
#include "shared/time.hpp"
#include "sync/server/web/action_pages.hpp"
#include "sync/server/web/html.hpp"

namespace muster::server::web {

std::string walk_ins_page(const Viewer& viewer, const Event& event,
                          const std::vector<WalkInRecord>& walk_ins, std::string_view done) {
  const std::string base = "/console/events/" + escape(event.id);
  std::string body =
      "<link rel=\"stylesheet\" href=\"/console/static/actions.css\">\n<h1>Walk-ins: " +
      escape(event.name) + "</h1>\n" + done_html(done) +
      "<p>People a kiosk registered at the door. Their credit waits until the "
      "League confirms them; merge one that is already on the roster (their scans "
      "then count for that attendee). Every action needs a reason and goes to the "
      "audit trail.</p>\n";
  if (walk_ins.empty()) {
    body += "<p data-testid=\"walk-ins-none\">No walk-ins at this event.</p>\n";
  } else {
    body += "<table data-testid=\"walk-ins\">\n<thead><tr><th scope=\"col\">Walk-in</th>"
            "<th scope=\"col\">Role, municipality</th><th scope=\"col\">Registered</th>"
            "<th scope=\"col\">Status</th><th scope=\"col\">Action</th></tr></thead>\n<tbody>\n";
    for (const auto& w : walk_ins) {
      const std::string id = escape(w.attendee.id);
      const std::string status = w.provisional
                                     ? "provisional"
                                     : (w.same_as.empty() ? "confirmed" : "same as " + w.same_as);
      body += "<tr data-testid=\"walk-in-" + id + "\"><th scope=\"row\">" +
              escape(full_name(w.attendee)) + " <small>" + id + "</small></th><td>" +
              escape(std::string(to_string(w.attendee.role))) +
              (w.attendee.municipality.empty() ? "" : ", " + escape(w.attendee.municipality)) +
              "</td><td>" + escape(format_local(w.registered_at, event.timezone, "%a %H:%M")) +
              " by " + escape(w.device_id) +
              (w.reason.empty() ? "" : " (" + escape(w.reason) + ")") +
              "</td><td data-testid=\"walk-in-status-" + id + "\">" + escape(status) + "</td><td>";
      if (w.provisional) {
        body += "<form class=\"action\" method=\"post\" action=\"" + base + "/walk-ins/confirm\">" +
                csrf_field(viewer.csrf) + "<input type=\"hidden\" name=\"attendee_id\" value=\"" +
                id +
                "\"><label>Existing attendee id (to merge; empty: a new attendee)<input "
                "name=\"same_as\" data-testid=\"same-as-" +
                id +
                "\"></label><label>Reason<input name=\"why\" required maxlength=\"500\" "
                "data-testid=\"why-" +
                id + "\"></label><button type=\"submit\" data-testid=\"confirm-" + id +
                "\">Confirm</button></form>";
      }
      body += "</td></tr>\n";
    }
    body += "</tbody>\n</table>\n";
  }
  body += "<p><a href=\"" + base + "\">Back to the event</a></p>\n";
  return page(PageFrame{"Walk-ins " + event.name, viewer.name, viewer.role, viewer.csrf, "", false},
              body);
}

} // namespace muster::server::web
