#pragma once
// The console's pages, one file each (page_*.cpp): pure functions from data to HTML.
#include <string>
#include <string_view>
#include <vector>

#include "shared/domain.hpp"
#include "sync/server/web/account_store.hpp"
#include "sync/server/web/event_counts.hpp"

namespace muster::server::web {

struct Viewer {
  std::string name;
  std::string role; // "viewer", "staff", "admin"
  std::string csrf;
  bool admin = false;
};

// The sign-in form (fields `username` and `password`); `message` shown above it when not empty.
std::string login_page(std::string_view login_csrf, std::string_view message);

// /console/: the League's events.
std::string events_page(const Viewer& viewer, const std::vector<Event>& events);

// /console/events/{id}: per session arrived, inside now, left early; the admin's close control.
// The doors table follows: each device's last sync, scans pushed, clock offset, a stale flag.
std::string event_page(const Viewer& viewer, const Event& event,
                       const std::vector<SessionCounts>& counts, const std::vector<DoorRow>& doors,
                       Instant now);

// What close-event did (the CLI's words).
std::string close_result_page(const Viewer& viewer, const Event& event, std::string_view words,
                              bool ok);

// /console/audit (admins): the newest audit entries.
std::string audit_page(const Viewer& viewer, const std::vector<AuditEntry>& entries);

} // namespace muster::server::web
