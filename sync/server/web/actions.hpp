#pragma once
// The console's actions beyond console.cpp (issue 17), one file each (action_*.cpp): the
// close-event preview, report downloads, the arrivals/leaves timeline, walk-ins, review items,
// badge reprints and revocations, device revocations and provisioning codes. Each action
// checks the CSRF token and the role on the server (403) and appends an audit entry with who,
// when and why; the data come from the CLI's library functions, no SQL here.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "shared/domain.hpp"
#include "sync/server/server_store.hpp"
#include "sync/server/web/account_store.hpp"
#include "sync/server/web/console.hpp"
#include "sync/server/web/console_http.hpp"

namespace httplib {
class Server;
struct Request;
struct Response;
} // namespace httplib

namespace muster::server::web {

// Adds every route below (console.cpp calls it once).
void install_action_routes(httplib::Server& server, const ConsoleOptions& options);

void route_close_preview(httplib::Server& server, const ConsoleOptions& options); // action_close
void route_downloads(httplib::Server& server, const ConsoleOptions& options); // action_downloads
void route_timeline(httplib::Server& server, const ConsoleOptions& options);  // action_timeline
void route_walk_ins(httplib::Server& server, const ConsoleOptions& options);  // action_walk_ins
void route_review(httplib::Server& server, const ConsoleOptions& options);    // action_review
void route_badges(httplib::Server& server, const ConsoleOptions& options);    // action_badges
void route_devices(httplib::Server& server, const ConsoleOptions& options);   // action_devices

// Shared by the action files (actions.cpp):
// The event of the URL's first match, or nullopt after answering 404 (unknown) or 503.
std::optional<Event> load_event(ServerStore& store, const httplib::Request& req,
                                httplib::Response& res);
// The action's reason (form field "why"), 1 to 500 characters, control characters refused;
// nullopt after answering 400 with what to do.
std::optional<std::string> require_reason(const httplib::Request& req, httplib::Response& res);

// What an event's page or action works with once the request has passed its checks: the
// account store (for the audit entry), who is signed in, the server store and the URL's event.
struct EventRequest {
  std::unique_ptr<AccountStore> accounts;
  SignedIn who;
  std::unique_ptr<ServerStore> store;
  Event event;
  std::string why; // the action's reason; "" for a page
};
// A page of an event: a user with at least the role `least`, the stores, the event; nullopt
// after the answer was sent (the sign-in page, 403, 404 or 503).
std::optional<EventRequest> open_event_page(const httplib::Request& req, httplib::Response& res,
                                            const ConsoleOptions& options, ConsoleRole least);
// An action's POST on an event: require_post (the CSRF token, then the role; a refusal is
// audited as "<action>-refused" on `target`), the reason, the stores and the event.
std::optional<EventRequest> open_event_action(const httplib::Request& req, httplib::Response& res,
                                              const ConsoleOptions& options, ConsoleRole least,
                                              std::string_view action, std::string_view target);

} // namespace muster::server::web
