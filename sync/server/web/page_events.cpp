#include "shared/time.hpp"
#include "sync/server/web/html.hpp"
#include "sync/server/web/pages.hpp"

namespace muster::server::web {

std::string events_page(const Viewer& viewer, const std::vector<Event>& events) {
  std::string body = "<h1>Events</h1>\n<p><a href=\"/console/people\" "
                     "data-testid=\"people-link\">People: find an official</a></p>\n";
  if (events.empty()) {
    body += "<p>No events yet: <code>muster-server import-event</code> adds one.</p>\n";
  } else {
    body += "<table data-testid=\"events\">\n<thead><tr><th scope=\"col\">Event</th>"
            "<th scope=\"col\">First session</th><th scope=\"col\">Sessions</th></tr></thead>\n"
            "<tbody>\n";
    for (const auto& event : events) {
      std::string first;
      if (!event.sessions.empty()) {
        Instant earliest = event.sessions.front().start;
        for (const auto& s : event.sessions)
          earliest = std::min(earliest, s.start);
        first = format_local(earliest, event.timezone);
      }
      body += "<tr><td><a data-testid=\"event-" + escape(event.id) + "\" href=\"/console/events/" +
              escape(event.id) + "\">" + escape(event.name) + "</a></td><td>" + escape(first) +
              "</td><td>" + std::to_string(event.sessions.size()) + "</td></tr>\n";
    }
    body += "</tbody>\n</table>\n";
  }
  if (viewer.admin) {
    body += "<p><a href=\"/console/audit\" data-testid=\"audit-link\">Audit trail</a></p>\n";
  }
  return page(PageFrame{"Events", viewer.name, viewer.role, viewer.csrf, "", false}, body);
}

} // namespace muster::server::web
