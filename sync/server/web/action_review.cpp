// Review items (staff and admins): the list (`muster-server review`'s items: the doors'
// disagreements, then the officials' disputes from /me/), and resolving one: an appended audit
// entry "review-resolve" (who, when, why); no scan changes.
#include <httplib.h>

#include <algorithm>

#include "sync/server/web/action_pages.hpp"
#include "sync/server/web/actions.hpp"
#include "sync/server/web/console_http.hpp"
#include "sync/server/web/dispute_review.hpp"

namespace muster::server::web {

namespace {

// The event's items with their resolutions, or nullopt after answering 503.
std::optional<std::vector<ReviewItem>> load_items(const std::string& database, ServerStore& store,
                                                  AccountStore& accounts, const Event& event,
                                                  httplib::Response& res) {
  auto rows = compute_credits(store, event);
  auto devices = store.devices();
  auto resolutions = accounts.audit_of("review-resolve", event.id + "/");
  if (!rows || !devices || !resolutions) {
    send_text(res, 503, "the review items are unavailable");
    return std::nullopt;
  }
  auto disputes = dispute_items(database, store, event, *resolutions);
  if (!disputes) {
    send_text(res, 503, "the review items are unavailable");
    return std::nullopt;
  }
  auto items = review_items(event, *rows, *devices, *resolutions);
  for (DisputeItem& d : *disputes) {
    items.push_back(ReviewItem{d.dispute.official_id, d.name, d.dispute.session_id, d.words, d.key,
                               d.resolution, true});
  }
  return items;
}

} // namespace

void route_review(httplib::Server& server, const ConsoleOptions& options) {
  server.Get(R"(/console/events/([^/]+)/review)", [options](const httplib::Request& req,
                                                            httplib::Response& res) {
    auto accounts = open_accounts(options.database, res);
    if (!accounts) return;
    auto who = require_role(req, res, *accounts, ConsoleRole::staff);
    if (!who) return;
    auto store = open_server_store(options.database);
    if (!store) return send_text(res, 503, "the database is unavailable");
    auto event = load_event(**store, req, res);
    if (!event) return;
    auto items = load_items(options.database, **store, *accounts, *event, res);
    if (!items) return;
    send_html(res, 200, review_page(who->viewer(), *event, *items, form_value(req, "done")));
  });
  server.Post(R"(/console/events/([^/]+)/review/resolve)", [options](const httplib::Request& req,
                                                                     httplib::Response& res) {
    auto accounts = open_accounts(options.database, res);
    if (!accounts) return;
    const std::string key = form_value(req, "key");
    auto who = require_post(req, res, *accounts, ConsoleRole::staff, "review-resolve", key);
    if (!who) return;
    auto why = require_reason(req, res);
    if (!why) return;
    auto store = open_server_store(options.database);
    if (!store) return send_text(res, 503, "the database is unavailable");
    auto event = load_event(**store, req, res);
    if (!event) return;
    auto items = load_items(options.database, **store, *accounts, *event, res);
    if (!items) return;
    const auto item = std::find_if(items->begin(), items->end(),
                                   [&](const ReviewItem& i) { return i.key == key; });
    if (item == items->end()) {
      return send_text(res, 404, "no such review item at this event (reload the review page)");
    }
    audit(*accounts, who->user.name, "review-resolve", key,
          "why: " + *why + " (item: " + item->words + ")");
    redirect(res, "/console/events/" + event->id + "/review?done=resolved");
  });
}

} // namespace muster::server::web
