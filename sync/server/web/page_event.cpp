#include "shared/time.hpp"
#include "sync/server/web/action_pages.hpp"
#include "sync/server/web/html.hpp"
#include "sync/server/web/pages.hpp"

namespace muster::server::web {

std::string event_page(const Viewer& viewer, const Event& event,
                       const std::vector<SessionCounts>& counts, const std::vector<DoorRow>& doors,
                       Instant now) {
  std::string body = "<h1>" + escape(event.name) + "</h1>\n<p>" + escape(event.location) +
                     "</p>\n<p class=\"status\">Counts as of <span data-testid=\"as-of\">" +
                     escape(format_local(now, event.timezone, "%H:%M:%S %Z")) +
                     "</span>; <span data-testid=\"live-status\">live updates off</span></p>\n";
  body += "<p><a href=\"/console/events/" + escape(event.id) +
          "/people\" data-testid=\"event-people-link\">People at this event</a></p>\n";
  body += "<table data-testid=\"sessions\">\n<thead><tr><th scope=\"col\">Session</th>"
          "<th scope=\"col\">Room</th><th scope=\"col\">Time</th>"
          "<th scope=\"col\">Arrived</th><th scope=\"col\">Inside now</th>"
          "<th scope=\"col\">Left early</th></tr></thead>\n<tbody>\n";
  for (const auto& c : counts) {
    const std::string id = escape(c.session.id);
    body += "<tr><th scope=\"row\">" + id + " " + escape(c.session.title) + "</th><td>" +
            escape(c.session.room) + "</td><td>" +
            escape(format_local(c.session.start, event.timezone, "%a %H:%M")) + "&ndash;" +
            escape(format_local(c.session.end, event.timezone, "%H:%M")) +
            "</td><td class=\"num\" data-testid=\"arrived-" + id + "\">" +
            std::to_string(c.arrived) + "</td><td class=\"num\" data-testid=\"inside-" + id +
            "\">" + std::to_string(c.inside) + "</td><td class=\"num\" data-testid=\"left-" + id +
            "\">" + std::to_string(c.left_early) + "</td></tr>\n";
  }
  body += "</tbody>\n</table>\n";
  body += "<h2>Doors</h2>\n";
  if (doors.empty()) {
    body += "<p>No kiosk provisioned for this event yet.</p>\n";
  } else {
    body += "<table data-testid=\"doors\">\n<thead><tr><th scope=\"col\">Door</th>"
            "<th scope=\"col\">Last sync</th><th scope=\"col\">Scans pushed</th>"
            "<th scope=\"col\">Clock offset</th><th scope=\"col\">Status</th></tr></thead>\n"
            "<tbody>\n";
    for (const auto& door : doors) {
      const std::string id = escape(door.device.id);
      const std::string seen =
          door.device.last_seen
              ? format_local(*door.device.last_seen, event.timezone, "%Y-%m-%d %H:%M:%S %Z")
              : std::string("never");
      const std::string offset =
          door.clock_offset_ms ? std::to_string(*door.clock_offset_ms / 1000) + " s" : "-";
      body += "<tr data-testid=\"door-" + id + "\"><th scope=\"row\">" + escape(door.device.name) +
              " <small>" + id + "</small></th><td>" + escape(seen) +
              "</td><td class=\"num\" data-testid=\"door-scans-" + id + "\">" +
              std::to_string(door.scans) + "</td><td>" + escape(offset) +
              "</td><td data-testid=\"door-status-" + id + "\">" +
              (door.stale ? "<strong class=\"error\">not synced for 10 min</strong>"
                          : std::string("syncing")) +
              "</td></tr>\n";
    }
    body += "</tbody>\n</table>\n";
  }
  body += event_actions_html(viewer, event); // page_event_actions.cpp
  if (viewer.admin) {
    body +=
        "<section class=\"danger\"><h2>Close the event</h2>\n<p>Posts each eligible "
        "official's credit to the ledger, as <code>muster-server close-event</code> does. "
        "Closing again reports late scans.</p>\n<form method=\"post\" action=\"/console/events/" +
        escape(event.id) + "/close\">" + csrf_field(viewer.csrf) +
        "<button type=\"submit\" data-testid=\"close-event\">Close event</button></form>\n"
        "</section>\n";
  }
  return page(PageFrame{event.name, viewer.name, viewer.role, viewer.csrf,
                        "data-event-id=\"" + escape(event.id) + "\"", true},
              body);
}

std::string close_result_page(const Viewer& viewer, const Event& event, std::string_view words,
                              bool ok) {
  std::string body =
      "<h1>" + escape(event.name) + "</h1>\n<h2>" + std::string(ok ? "Closed" : "Not closed") +
      "</h2>\n<pre data-testid=\"close-result\">" + escape(words) +
      "</pre>\n<p><a href=\"/console/events/" + escape(event.id) + "\">Back to the event</a></p>\n";
  return page(PageFrame{"Close " + event.name, viewer.name, viewer.role, viewer.csrf, "", false},
              body);
}

} // namespace muster::server::web
