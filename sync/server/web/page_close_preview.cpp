// The close-event preview (admins): what closing posts, and what may still arrive late.
#include "shared/hours.hpp"
#include "shared/time.hpp"
#include "sync/server/ledger_store.hpp"
#include "sync/server/web/action_pages.hpp"
#include "sync/server/web/html.hpp"

namespace muster::server::web {

namespace {

std::string hours(std::optional<double> h) {
  return h ? format_hours(*h, HoursStyle::exact) + " h" : "-";
}

std::string name_of(const NameIndex& names, const std::string& id) {
  const auto found = names.find(id);
  return found == names.end() ? std::string() : found->second;
}

// The summary line and the table of the credits a close would post.
std::string credit_table(const ClosePreview& preview, const NameIndex& names) {
  double total = 0;
  std::map<std::string, int, std::less<>> officials;
  for (const auto& entry : preview.entries) {
    total += entry.hours;
    ++officials[entry.official_id];
  }
  std::string html =
      "<h2>Credit table</h2>\n<p data-testid=\"close-preview-summary\">" +
      std::to_string(preview.entries.size()) + " credit(s), " +
      format_hours(total, HoursStyle::exact) + " hours, for " + std::to_string(officials.size()) +
      " official(s)" +
      (preview.report.first_close ? " will be posted." : " are what the scans give now.") +
      "</p>\n";
  if (preview.entries.empty()) return html;
  html += "<table data-testid=\"close-preview\">\n<thead><tr><th scope=\"col\">Official</th>"
          "<th scope=\"col\">Name</th><th scope=\"col\">Credit</th><th scope=\"col\">Hours</th>"
          "<th scope=\"col\">Note</th></tr></thead>\n<tbody>\n";
  for (const auto& entry : preview.entries) {
    html += "<tr data-testid=\"close-row-" + escape(entry.official_id) + "\"><th scope=\"row\">" +
            escape(entry.official_id) + "</th><td>" + escape(name_of(names, entry.official_id)) +
            "</td><td>" + escape(entry.title) + " <small>" + escape(entry.id) +
            "</small></td><td class=\"num\">" +
            escape(format_hours(entry.hours, HoursStyle::exact)) + "</td><td>" +
            (entry.approved ? "pre-approved (left office)" : "") + "</td></tr>\n";
  }
  return html + "</tbody>\n</table>\n";
}

// The late-sync items of an event never closed: what the close will record.
std::string not_closed_item(const ClosePreview& preview) {
  return "<li>Not closed yet: the close posts the table above and records " +
         std::to_string(preview.event_scans) +
         " stored scan(s); scans that arrive later are reported at the next close.</li>\n";
}

// The late-sync items of a closed event: when it closed, the scans since, and the credits the
// ledger holds that the scans no longer give.
std::string closed_items(const Event& event, const PostOutcome& report, const NameIndex& names) {
  const auto local = [&](Instant at) {
    return escape(format_local(at, event.timezone, "%Y-%m-%d %H:%M %Z"));
  };
  std::string html =
      "<li>Closed at " + local(report.closing.closed_at) +
      (report.closing.amended_at ? " (amended " + local(*report.closing.amended_at) + ")"
                                 : std::string()) +
      "; <strong data-testid=\"late-scans\">" + std::to_string(report.scans_after_close) +
      "</strong> scan(s) arrived after it.</li>\n";
  if (report.changes.empty()) {
    return html + "<li>The ledger matches the scans: closing again changes nothing.</li>\n";
  }
  html += "<li>" + std::to_string(report.changes.size()) +
          " credit(s) differ from the scans; closing again reports them (<code>muster-server "
          "close-event --amend</code> posts them):<ul>\n";
  for (const auto& change : report.changes) {
    html += "<li>" + escape(change.official_id) + " " + escape(name_of(names, change.official_id)) +
            ", " + escape(change.entry_id) + ": " + hours(change.posted_hours) + " posted, " +
            hours(change.computed_hours) + " now</li>\n";
  }
  return html + "</ul></li>\n";
}

// The late-sync items of the doors: every door synced after the last session, or each that did
// not, with when it was last seen.
std::string unsynced_door_items(const Event& event, const ClosePreview& preview) {
  if (preview.unsynced_doors.empty()) {
    return "<li>Every door of the event synced after its last session ended.</li>\n";
  }
  std::string html;
  for (const auto& door : preview.unsynced_doors) {
    html += "<li class=\"error\" data-testid=\"late-door-" + escape(door.id) + "\">Door " +
            escape(door.name) + " (" + escape(door.id) + ") " +
            (door.last_seen ? "last synced " +
                                  format_local(*door.last_seen, event.timezone, "%Y-%m-%d %H:%M %Z")
                            : std::string("never synced")) +
            ": its scans since may still arrive.</li>\n";
  }
  return html;
}

// The walk-in credit a close leaves out until the League confirms the walk-ins.
std::string held_walk_in_item(const ClosePreview& preview) {
  if (preview.held_walk_ins.empty()) return {};
  return "<li>" + std::to_string(preview.held_walk_ins.size()) +
         " walk-in credit(s) wait for the League's confirmation and are not posted.</li>\n";
}

// The one button that closes, and the way back without closing.
std::string confirm_section(const Viewer& viewer, const Event& event) {
  return "<section class=\"danger\"><h2>Confirm</h2>\n<form method=\"post\" "
         "action=\"/console/events/" +
         escape(event.id) + "/close\">" + csrf_field(viewer.csrf) +
         "<button type=\"submit\" data-testid=\"close-event\">Close event</button></form>\n"
         "<p><a href=\"/console/events/" +
         escape(event.id) + "\">Back to the event without closing</a></p></section>\n";
}

} // namespace

std::string close_preview_page(const Viewer& viewer, const Event& event,
                               const ClosePreview& preview, const NameIndex& names, Instant now) {
  const PostOutcome& report = preview.report;
  std::string body = "<h1>Close " + escape(event.name) +
                     "</h1>\n<p class=\"status\">Preview as of " +
                     escape(format_local(now, event.timezone, "%Y-%m-%d %H:%M:%S %Z")) +
                     ": nothing is posted until you confirm below.</p>\n";
  body += credit_table(preview, names);
  body += "<h2>Late-sync report</h2>\n<ul data-testid=\"late-sync\">\n";
  body += report.first_close ? not_closed_item(preview) : closed_items(event, report, names);
  body += unsynced_door_items(event, preview);
  body += held_walk_in_item(preview);
  body += "</ul>\n" + confirm_section(viewer, event);
  return page(PageFrame{"Close " + event.name, viewer.name, viewer.role, viewer.csrf, "", false},
              body);
}

} // namespace muster::server::web
