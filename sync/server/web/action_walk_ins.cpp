// Walk-ins (staff and admins): the list, and confirm or merge, through the store's
// confirm_walk_in as `muster-server confirm-walk-in [--as ID]` does.
#include <httplib.h>

#include <algorithm>

#include "sync/server/web/action_pages.hpp"
#include "sync/server/web/actions.hpp"
#include "sync/server/web/console_http.hpp"

namespace muster::server::web {

void route_walk_ins(httplib::Server& server, const ConsoleOptions& options) {
  server.Get(R"(/console/events/([^/]+)/walk-ins)", [options](const httplib::Request& req,
                                                              httplib::Response& res) {
    auto accounts = open_accounts(options.database, res);
    if (!accounts) return;
    auto who = require_role(req, res, *accounts, ConsoleRole::staff);
    if (!who) return;
    auto store = open_server_store(options.database);
    if (!store) return send_text(res, 503, "the database is unavailable");
    auto event = load_event(**store, req, res);
    if (!event) return;
    auto walk_ins = (*store)->walk_ins(event->id, true);
    if (!walk_ins) return send_text(res, 503, "the database is unavailable");
    send_html(res, 200, walk_ins_page(who->viewer(), *event, *walk_ins, form_value(req, "done")));
  });
  server.Post(R"(/console/events/([^/]+)/walk-ins/confirm)", [options](const httplib::Request& req,
                                                                       httplib::Response& res) {
    auto accounts = open_accounts(options.database, res);
    if (!accounts) return;
    const std::string attendee_id = form_value(req, "attendee_id");
    auto who =
        require_post(req, res, *accounts, ConsoleRole::staff, "walk-in-confirm", attendee_id);
    if (!who) return;
    auto why = require_reason(req, res);
    if (!why) return;
    const std::string same_as = form_value(req, "same_as");
    if (!valid_event_id(attendee_id) || (!same_as.empty() && !valid_event_id(same_as))) {
      return send_text(res, 400, "attendee ids: letters, digits, '-', '_', '.'");
    }
    auto store = open_server_store(options.database);
    if (!store) return send_text(res, 503, "the database is unavailable");
    auto event = load_event(**store, req, res);
    if (!event) return;
    auto listed = (*store)->walk_ins(event->id, true);
    if (!listed) return send_text(res, 503, "the database is unavailable");
    if (std::none_of(listed->begin(), listed->end(),
                     [&](const WalkInRecord& w) { return w.attendee.id == attendee_id; })) {
      return send_text(res, 404, "no walk-in " + attendee_id + " at this event");
    }
    auto confirmed = (*store)->confirm_walk_in(attendee_id, same_as);
    if (!confirmed) {
      return send_text(res, confirmed.code() == DbError::not_found ? 404 : 409,
                       "not confirmed: " + confirmed.message());
    }
    notify_live(options, event->id); // a merge moves scans: the pages recount
    audit(*accounts, who->user.name, same_as.empty() ? "walk-in-confirm" : "walk-in-merge",
          attendee_id, (same_as.empty() ? std::string() : "as " + same_as + "; ") + "why: " + *why);
    redirect(res, "/console/events/" + event->id +
                      "/walk-ins?done=" + (same_as.empty() ? "confirmed" : "merged"));
  });
}

} // namespace muster::server::web
