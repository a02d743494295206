// The event page's part for the actions: the timeline chart (drawn by timeline.js with Debian's
// Chart.js), the downloads, and links to the action pages by role (the server checks the role
// again on each).
#include "sync/server/web/action_pages.hpp"
#include "sync/server/web/html.hpp"

namespace muster::server::web {

std::string event_actions_html(const Viewer& viewer, const Event& event) {
  const std::string base = "/console/events/" + escape(event.id);
  std::string out = "<link rel=\"stylesheet\" href=\"/console/static/actions.css\">\n";
  out += "<h2>Timeline</h2>\n<div data-testid=\"timeline\" data-src=\"" + base +
         "/timeline\"><p class=\"status chart-note\">Loading the chart&hellip;</p></div>\n"
         "<script src=\"/console/static/chart.js/chart.min.js\" defer></script>\n"
         "<script src=\"/console/static/timeline.js\" defer></script>\n";
  out += "<h2>Downloads</h2>\n<ul class=\"actions\">"
         "<li><a href=\"" +
         base + "/credits.csv\" data-testid=\"download-credits\">Credits (CSV)</a></li>";
  for (const char* kind : {"graduation", "compliance", "certified-municipalities"}) {
    const std::string k(kind);
    out += "<li>" + k + " report: <a href=\"/console/reports/" + k +
           ".csv\" data-testid=\"report-" + k +
           "-csv\">CSV</a> &middot; <a href=\"/console/reports/" + k +
           ".pdf\" data-testid=\"report-" + k + "-pdf\">PDF</a></li>";
  }
  out += "</ul>\n";
  if (viewer.role == "staff" || viewer.admin) {
    out += "<h2>Actions</h2>\n<ul class=\"actions\" data-testid=\"actions\">";
    out += "<li><a href=\"" + base + "/walk-ins\" data-testid=\"walk-ins-link\">Walk-ins</a></li>";
    out += "<li><a href=\"" + base + "/review\" data-testid=\"review-link\">Review items</a></li>";
    out += "<li><a href=\"" + base + "/badges\" data-testid=\"badges-link\">Badges</a></li>";
    if (viewer.admin) {
      out += "<li><a href=\"" + base +
             "/devices\" data-testid=\"devices-link\">Devices and "
             "provisioning codes</a></li>";
      out += "<li><a href=\"" + base +
             "/close\" data-testid=\"close-preview-link\">Preview the close</a> (the credit table "
             "and the late-sync report before you confirm)</li>";
    }
    out += "</ul>\n";
  }
  return out;
}

std::string done_message(std::string_view done) {
  if (done == "confirmed") return "The walk-in was confirmed.";
  if (done == "merged") return "The walk-in was merged with the existing attendee.";
  if (done == "resolved") return "The review item was resolved.";
  if (done == "badge-revoked")
    return "The badge was revoked: kiosks refuse it after their next sync.";
  if (done == "device-revoked")
    return "The device was revoked: its token is refused from its next request.";
  return {};
}

std::string done_html(std::string_view done) {
  const std::string words = done_message(done);
  return words.empty() ? std::string()
                       : "<p class=\"done\" role=\"status\" data-testid=\"action-done\">" +
                             escape(words) + "</p>\n";
}

} // namespace muster::server::web
