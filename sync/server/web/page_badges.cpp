// Badges of an event: find an attendee, reprint their current badge (staff), revoke a serial
// (admins); and the reprinted badge itself, ready to print.
#include "shared/time.hpp"
#include "sync/server/web/action_pages.hpp"
#include "sync/server/web/html.hpp"

namespace muster::server::web {

std::string badges_page(const Viewer& viewer, const Event& event, std::string_view query,
                        const std::vector<BadgeLine>& lines, bool more, std::string_view done) {
  const std::string base = "/console/events/" + escape(event.id);
  std::string body = "<link rel=\"stylesheet\" href=\"/console/static/actions.css\">\n"
                     "<h1>Badges: " +
                     escape(event.name) + "</h1>\n" + done_html(done) +
                     "<form class=\"action\" method=\"get\" action=\"" + base +
                     "/badges\" data-testid=\"badge-search\"><label>Attendee id or name<input "
                     "name=\"q\" value=\"" +
                     escape(query) + "\"></label><button type=\"submit\">Find</button></form>\n";
  if (lines.empty()) {
    body += "<p data-testid=\"badges-none\">No attendee matches.</p>\n";
  } else {
    body += "<table data-testid=\"badges\">\n<thead><tr><th scope=\"col\">Attendee</th>"
            "<th scope=\"col\">Badges (serial, issued, status)</th><th scope=\"col\">Reprint"
            "</th></tr></thead>\n<tbody>\n";
    for (const BadgeLine& line : lines) {
      const std::string id = escape(line.attendee.id);
      body += "<tr data-testid=\"badge-" + id + "\"><th scope=\"row\">" +
              escape(full_name(line.attendee)) + " <small>" + id + "</small></th><td>";
      bool current = false;
      for (const BadgeRecord& badge : line.badges) {
        const std::string serial = escape(badge.serial);
        body += "<div><code>" + serial + "</code> " +
                escape(format_local(badge.issued_at, event.timezone, "%Y-%m-%d")) + " ";
        if (badge.revoked_at) {
          body += "<strong data-testid=\"badge-revoked-" + serial + "\">revoked</strong>";
        } else {
          current = true;
          body += "valid";
          if (viewer.admin) {
            body += "<form class=\"action\" method=\"post\" action=\"" + base +
                    "/badges/revoke\">" + csrf_field(viewer.csrf) +
                    "<input type=\"hidden\" name=\"serial\" value=\"" + serial +
                    "\"><label>Reason<input name=\"why\" required maxlength=\"500\" "
                    "data-testid=\"revoke-why-" +
                    serial + "\"></label><button type=\"submit\" data-testid=\"revoke-badge-" +
                    serial + "\">Revoke</button></form>";
          }
        }
        body += "</div>";
      }
      if (line.badges.empty()) body += "none issued for this event";
      body += "</td><td>";
      if (current) {
        body += "<form class=\"action\" method=\"post\" action=\"" + base + "/badges/reprint\">" +
                csrf_field(viewer.csrf) + "<input type=\"hidden\" name=\"attendee_id\" value=\"" +
                id +
                "\"><label>Reason<input name=\"why\" required maxlength=\"500\" "
                "data-testid=\"reprint-why-" +
                id + "\"></label><button type=\"submit\" data-testid=\"reprint-" + id +
                "\">Reprint</button></form>";
      } else {
        body += "<small>no valid badge: <code>muster-server issue-badges</code> issues a new "
                "serial</small>";
      }
      body += "</td></tr>\n";
    }
    body += "</tbody>\n</table>\n";
    if (more) body += "<p class=\"status\">More attendees match: narrow the search.</p>\n";
  }
  body += "<p><a href=\"" + base + "\">Back to the event</a></p>\n";
  return page(PageFrame{"Badges " + event.name, viewer.name, viewer.role, viewer.csrf, "", false},
              body);
}

std::string badge_reprint_page(const Viewer& viewer, const Event& event, const Attendee& attendee,
                               const BadgeRecord& badge, std::string_view png_base64) {
  const std::string base = "/console/events/" + escape(event.id);
  std::string body = "<link rel=\"stylesheet\" href=\"/console/static/actions.css\">\n"
                     "<h1>Reprint: " +
                     escape(full_name(attendee)) +
                     "</h1>\n"
                     "<p>The badge with its current serial <code>" +
                     escape(badge.serial) +
                     "</code>: print this page (4 x 3 inch insert) or save the image.</p>\n"
                     "<p><img data-testid=\"badge-image\" width=\"600\" height=\"450\" alt=\"Badge "
                     "of " +
                     escape(full_name(attendee)) +
                     " with its QR code\" src=\"data:image/png;base64," + std::string(png_base64) +
                     "\"></p>\n<p><a href=\"" + base + "/badges?q=" + escape(attendee.id) +
                     "\">Back to the badges</a></p>\n";
  return page(PageFrame{"Reprint " + attendee.id, viewer.name, viewer.role, viewer.csrf, "", false},
              body);
}

} // namespace muster::server::web
