#include "shared/time.hpp"
#include "sync/server/web/html.hpp"
#include "sync/server/web/pages.hpp"

namespace muster::server::web {

std::string audit_page(const Viewer& viewer, const std::vector<AuditEntry>& entries) {
  std::string body = "<h1>Audit trail</h1>\n<p>Every account change, sign-in and console action, "
                     "newest first (times in UTC). Entries are appended, never edited.</p>\n"
                     "<table data-testid=\"audit\">\n<thead><tr><th scope=\"col\">When</th>"
                     "<th scope=\"col\">Who</th><th scope=\"col\">Action</th>"
                     "<th scope=\"col\">On</th><th scope=\"col\">Detail</th></tr></thead>\n"
                     "<tbody>\n";
  for (const auto& e : entries) {
    body += "<tr><td>" + escape(format_utc(e.at)) + "</td><td>" + escape(e.actor) + "</td><td>" +
            escape(e.action) + "</td><td>" + escape(e.target) + "</td><td>" + escape(e.detail) +
            "</td></tr>\n";
  }
  body += "</tbody>\n</table>\n";
  return page(PageFrame{"Audit trail", viewer.name, viewer.role, viewer.csrf, "", false}, body);
}

} // namespace muster::server::web
