// GET /console/events/{id}/close: the close-event preview for admins (the POST that closes is
// console.cpp's). The preview is preview_close (credit_close.cpp): close-event's own functions.
#include <httplib.h>

#include <iostream>

#include "sync/server/credit_commands.hpp"
#include "sync/server/ledger_store.hpp"
#include "sync/server/web/action_pages.hpp"
#include "sync/server/web/actions.hpp"
#include "sync/server/web/console_http.hpp"

namespace muster::server::web {

void route_close_preview(httplib::Server& server, const ConsoleOptions& options) {
  server.Get(R"(/console/events/([^/]+)/close)", [options](const httplib::Request& req,
                                                           httplib::Response& res) {
    auto accounts = open_accounts(options.database, res);
    if (!accounts) return;
    auto who = require_role(req, res, *accounts, ConsoleRole::admin);
    if (!who) return;
    const std::string event_id = req.matches[1];
    if (!valid_event_id(event_id)) return send_text(res, 404, "no such event");
    auto store = open_server_store(options.database);
    auto ledger = open_ledger_store(options.database);
    if (!store || !ledger) return send_text(res, 503, "the database is unavailable");
    auto event = (*store)->event(event_id);
    if (!event) {
      return send_text(res, event.code() == DbError::not_found ? 404 : 503,
                       event.code() == DbError::not_found ? "no such event"
                                                          : "the database is unavailable");
    }
    auto preview = preview_close(**store, **ledger, event_id);
    if (!preview) {
      std::cerr << "muster-server: console: " << preview.message() << '\n';
      return send_text(res, 503, "the preview is unavailable: " + preview.message());
    }
    auto roster = (*store)->roster();
    if (!roster) return send_text(res, 503, "the database is unavailable");
    NameIndex names;
    for (const Attendee& a : *roster)
      names.emplace(a.id, full_name(a));
    send_html(res, 200, close_preview_page(who->viewer(), *event, *preview, names, now_ms()));
  });
}

} // namespace muster::server::web
