#include "shared/hours.hpp"
#include "sync/server/web/html.hpp"
#include "sync/server/web/people_pages.hpp"

namespace muster::server::web {

std::string people_page(const Viewer& viewer, std::string_view query,
                        const std::vector<PersonMatch>& matches, const Event* event,
                        std::size_t limit) {
  const std::string action =
      event ? "/console/events/" + escape(event->id) + "/people" : std::string("/console/people");
  std::string body = "<link rel=\"stylesheet\" href=\"/console/static/people.css\">\n";
  body += event ? "<h1>People at " + escape(event->name) + "</h1>\n<p><a href=\"/console/events/" +
                      escape(event->id) + "\">Back to the event</a></p>\n"
                : std::string("<h1>People</h1>\n");
  body += "<form class=\"search\" method=\"get\" action=\"" + action +
          "\" role=\"search\"><label for=\"q\">Name, badge id or serial, municipality</label>"
          "<input id=\"q\" name=\"q\" type=\"search\" autocomplete=\"off\" value=\"" +
          escape(query) +
          "\" data-testid=\"people-query\"><button type=\"submit\" "
          "data-testid=\"people-search\">Search</button></form>\n";
  const bool blank = query.find_first_not_of(" \t") == std::string_view::npos;
  if (blank && !event) {
    body += "<p class=\"status\">Type part of a name, a municipality, a badge id or a badge "
            "serial.</p>\n";
  } else if (matches.empty()) {
    body += "<p data-testid=\"people-none\">" +
            std::string(event ? "Nobody at this event matches." : "Nobody matches.") + "</p>\n";
  } else {
    body += "<div class=\"scroll\"><table data-testid=\"people\">\n<caption>" +
            std::to_string(matches.size()) +
            (matches.size() >= limit ? " (the first " + std::to_string(limit) + ")" : "") +
            (matches.size() == 1 ? " person" : " people") +
            "</caption>\n<thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Id</th>"
            "<th scope=\"col\">Role</th><th scope=\"col\">Municipality</th>";
    if (event) body += "<th scope=\"col\">Sessions</th><th scope=\"col\">Credit hours</th>";
    body += "</tr></thead>\n<tbody>\n";
    for (const auto& m : matches) {
      const std::string id = escape(m.attendee.id);
      const std::string href =
          "/console/people/" + id + (event ? "?event=" + escape(event->id) : std::string());
      body += "<tr data-testid=\"person-row-" + id + "\"><th scope=\"row\"><a href=\"" + href +
              "\" data-testid=\"person-" + id + "\">" + escape(m.attendee.last_name) + ", " +
              escape(m.attendee.first_name) + "</a>" +
              (m.provisional ? " <span class=\"tag\">walk-in, provisional</span>" : "") +
              "</th><td>" + id + "</td><td>" + escape(to_string(m.attendee.role)) + "</td><td>" +
              escape(m.attendee.municipality) + "</td>";
      if (event) {
        body += "<td class=\"num\">" + std::to_string(m.sessions) + "</td><td class=\"num\">" +
                format_hours(m.credit_hours, HoursStyle::two_decimals) + "</td>";
      }
      body += "</tr>\n";
    }
    body += "</tbody>\n</table></div>\n";
  }
  return page(PageFrame{event ? "People at " + event->name : std::string("People"), viewer.name,
                        viewer.role, viewer.csrf, "", false},
              body);
}

} // namespace muster::server::web
