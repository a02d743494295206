// Review items for staff: where a door's label disagreed with the presence rule (credit already
// follows the rule), as `muster-server review` lists them, each resolvable with a reason.
#include <set>

#include "shared/time.hpp"
#include "sync/server/http_api.hpp"
#include "sync/server/web/action_pages.hpp"
#include "sync/server/web/html.hpp"

namespace muster::server::web {

std::vector<ReviewItem> review_items(const Event& event, const std::vector<CreditRow>& rows,
                                     const std::vector<DeviceRecord>& devices,
                                     const std::vector<AuditEntry>& resolutions) {
  std::vector<ReviewItem> items;
  // As run_review: one item can concern two sessions; it is listed once, under the first.
  std::set<std::pair<std::string, std::string>> listed;
  for (const CreditRow& row : rows) {
    for (std::string words : row.review) {
      if (!listed.emplace(row.attendee.id, words).second) continue;
      const std::string key = event.id + "/" + row.attendee.id + "/" + row.session.id + "/" +
                              hash_secret(words).substr(0, 16);
      // Staff know doors by name: "door dev-3f2a... #3" -> "door dev-3f2a... (Hall door 2) #3".
      for (const DeviceRecord& device : devices) {
        const std::string named = "door " + device.id + " #";
        if (const auto at = words.find(named); at != std::string::npos) {
          words.replace(at, named.size(), "door " + device.id + " (" + device.name + ") #");
        }
      }
      ReviewItem item{row.attendee.id,
                      row.on_roster ? row.attendee.first_name + " " + row.attendee.last_name
                                    : std::string(),
                      row.session.id,
                      words,
                      key,
                      std::nullopt,
                      false};
      for (const AuditEntry& r : resolutions) {
        if (r.target == key) item.resolution = r; // the latest counts
      }
      items.push_back(std::move(item));
    }
  }
  return items;
}

std::string review_page(const Viewer& viewer, const Event& event,
                        const std::vector<ReviewItem>& items, std::string_view done) {
  const std::string base = "/console/events/" + escape(event.id);
  std::string body =
      "<link rel=\"stylesheet\" href=\"/console/static/actions.css\">\n"
      "<h1>Review items: " +
      escape(event.name) + "</h1>\n" + done_html(done) +
      "<p>Where a door's arrive/leave label disagreed with the presence rule (credit "
      "already follows the rule), and sessions officials disputed on their own page. "
      "Resolving an item records that staff checked it (who, when, why) and changes no scan: "
      "correct a time on the official's page first when the dispute is right.</p>\n";
  if (items.empty()) {
    body += "<p data-testid=\"review-none\">Nothing to review at this event.</p>\n";
  } else {
    body += "<table data-testid=\"review-items\">\n<thead><tr><th scope=\"col\">Attendee</th>"
            "<th scope=\"col\">Session</th><th scope=\"col\">What the doors saw, or the "
            "official's note</th>"
            "<th scope=\"col\">Status</th></tr></thead>\n<tbody>\n";
    for (std::size_t i = 0; i < items.size(); ++i) {
      const ReviewItem& item = items[i];
      const std::string n = std::to_string(i + 1);
      body += "<tr data-testid=\"review-" + n + "\"" +
              (item.dispute ? std::string(" data-kind=\"dispute\"") : std::string()) +
              "><th scope=\"row\">" + escape(item.attendee_id) + " " + escape(item.name) +
              "</th><td>" + escape(item.session_id) + "</td><td>" + escape(item.words) +
              "</td><td data-testid=\"review-status-" + n + "\">";
      if (item.resolution) {
        body += "resolved by " + escape(item.resolution->actor) + " at " +
                escape(format_local(item.resolution->at, event.timezone, "%Y-%m-%d %H:%M")) + ": " +
                escape(item.resolution->detail);
      } else {
        body += "open<form class=\"action\" method=\"post\" action=\"" + base +
                "/review/resolve\">" + csrf_field(viewer.csrf) +
                "<input type=\"hidden\" name=\"key\" value=\"" + escape(item.key) +
                "\"><label>Reason<input name=\"why\" required maxlength=\"500\" "
                "data-testid=\"review-why-" +
                n + "\"></label><button type=\"submit\" data-testid=\"resolve-" + n +
                "\">Resolve</button></form>";
      }
      body += "</td></tr>\n";
    }
    body += "</tbody>\n</table>\n";
  }
  body += "<p><a href=\"" + base + "\">Back to the event</a></p>\n";
  return page(PageFrame{"Review " + event.name, viewer.name, viewer.role, viewer.csrf, "", false},
              body);
}

} // namespace muster::server::web
