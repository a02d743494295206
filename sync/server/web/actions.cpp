#include "sync/server/web/actions.hpp"

#include <httplib.h>

#include "sync/server/web/console_http.hpp"

namespace muster::server::web {

void install_action_routes(httplib::Server& server, const ConsoleOptions& options) {
  route_close_preview(server, options);
  route_downloads(server, options);
  route_timeline(server, options);
  route_walk_ins(server, options);
  route_review(server, options);
  route_badges(server, options);
  route_devices(server, options);
}

std::optional<Event> load_event(ServerStore& store, const httplib::Request& req,
                                httplib::Response& res) {
  const std::string event_id = req.matches[1];
  if (!valid_event_id(event_id)) {
    send_text(res, 404, "no such event");
    return std::nullopt;
  }
  auto event = store.event(event_id);
  if (!event) {
    const bool missing = event.code() == DbError::not_found;
    send_text(res, missing ? 404 : 503, missing ? "no such event" : "the database is unavailable");
    return std::nullopt;
  }
  return std::move(*event);
}

std::optional<std::string> require_reason(const httplib::Request& req, httplib::Response& res) {
  std::string why = form_value(req, "why");
  while (!why.empty() && (why.back() == ' ' || why.back() == '\n' || why.back() == '\r'))
    why.pop_back();
  bool control = false;
  for (char c : why)
    control = control || (static_cast<unsigned char>(c) < 0x20);
  if (why.empty() || why.size() > 500 || control) {
    send_text(res, 400,
              "give a reason (the field \"why\", 1 to 500 characters on one line): every action "
              "is recorded with who, when and why");
    return std::nullopt;
  }
  return why;
}

namespace {

// The stores and the event after the user's checks: shared by pages and actions.
std::optional<EventRequest> open_event(const httplib::Request& req, httplib::Response& res,
                                       const ConsoleOptions& options,
                                       std::unique_ptr<AccountStore> accounts, SignedIn who,
                                       std::string why) {
  auto store = open_server_store(options.database);
  if (!store) {
    send_text(res, 503, "the database is unavailable");
    return std::nullopt;
  }
  auto event = load_event(**store, req, res);
  if (!event) return std::nullopt;
  return EventRequest{std::move(accounts), std::move(who), std::move(*store), std::move(*event),
                      std::move(why)};
}

} // namespace

std::optional<EventRequest> open_event_page(const httplib::Request& req, httplib::Response& res,
                                            const ConsoleOptions& options, ConsoleRole least) {
  auto accounts = open_accounts(options.database, res);
  if (!accounts) return std::nullopt;
  auto who = require_role(req, res, *accounts, least);
  if (!who) return std::nullopt;
  return open_event(req, res, options, std::move(accounts), std::move(*who), "");
}

std::optional<EventRequest> open_event_action(const httplib::Request& req, httplib::Response& res,
                                              const ConsoleOptions& options, ConsoleRole least,
                                              std::string_view action, std::string_view target) {
  auto accounts = open_accounts(options.database, res);
  if (!accounts) return std::nullopt;
  auto who = require_post(req, res, *accounts, least, action, target);
  if (!who) return std::nullopt;
  auto why = require_reason(req, res);
  if (!why) return std::nullopt;
  return open_event(req, res, options, std::move(accounts), std::move(*who), std::move(*why));
}

} // namespace muster::server::web
