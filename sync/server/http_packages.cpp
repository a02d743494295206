// Event packages: GET /api/v1/events/{id}/package for a device or a relay of the event, and
// GET /api/v1/relay/package for a relay (sync/PROTOCOL.md "Event package").
#include <charconv>
#include <iostream>

#include "shared/event_package.hpp"
#include "sync/server/admin_commands.hpp"
#include "sync/server/http_support.hpp"

namespace muster::server {

using namespace http_support; // NOLINT(google-build-using-namespace)

void HttpServer::Impl::handle_package(const Request& req, Response& res) {
  auto store = stores.acquire();
  if (!store) return send_store_unavailable(res, store.message());
  std::string caller_event;
  if (is_relay_bearer(req)) {
    const auto relay = authenticate_relay(req, res);
    if (!relay) return;
    caller_event = relay->event_id;
  } else {
    const auto device = authenticate(req, res, *store);
    if (!device) return;
    caller_event = device->event_id;
  }
  const std::string event_id = req.matches[1];
  if (!is_valid_path_id(event_id)) return send_error(res, 404, "unknown_event", "no such event");
  send_package(req, res, *store, event_id, caller_event);
}

void HttpServer::Impl::send_package(const Request& req, Response& res, Lease& store,
                                    const std::string& event_id, const std::string& caller_event) {
  std::uint64_t since = 0;
  if (req.has_param("since")) {
    const std::string text = req.get_param_value("since");
    const auto* end = text.data() + text.size();
    const auto parsed = std::from_chars(text.data(), end, since);
    if (text.empty() || parsed.ec != std::errc{} || parsed.ptr != end) {
      return send_error(res, 400, "invalid_value",
                        "query parameter 'since' must be a cursor (an unsigned integer)",
                        json{{"field", "since"}});
    }
  }
  auto event = store->event(event_id);
  if (!event) {
    if (event.code() == DbError::not_found) {
      return send_error(res, 404, "unknown_event", "no such event: " + event_id);
    }
    return store_failure(res, store, event.error());
  }
  if (caller_event != event_id) {
    return send_error(res, 403, "wrong_event", "this device is provisioned for another event");
  }
  if (options.package_source) {
    // A relay: the upstream's own signed envelope, never one of the relay's making.
    auto served = options.package_source(since);
    if (!served) {
      return send_error(res, 503, "package_unavailable",
                        "this relay holds no event package yet; retry later");
    }
    res.set_header("X-Muster-Cursor", std::to_string(served->cursor));
    res.status = 200;
    return res.set_content(served->envelope, "application/json");
  }
  if (!league_key) {
    return send_error(res, 503, "package_signing_unavailable",
                      "the server was started without the League signing key");
  }
  // The same builder as `muster-server package`: what it cannot read is an error, not a
  // package with fewer keys or certificates than the League has.
  auto built = build_event_package(*store, event_id, since, now_instant());
  if (!built) {
    if (built.code() == AdminError::damaged) {
      std::cerr << "muster-server: package: " << built.message() << '\n';
      return send_error(res, 500, "package_unavailable",
                        "the server cannot build the event package (see its log)");
    }
    if (built.code() == AdminError::not_found) {
      return send_error(res, 404, "unknown_event", "no such event: " + event_id);
    }
    return send_store_unavailable(res, built.message());
  }
  EventPackage& package = *built;
  res.set_header("X-Muster-Cursor", std::to_string(package.cursor));
  // httplib gzips (or brotli-compresses) application/json when the client accepts it.
  res.status = 200;
  res.set_content(sign_package(package, *league_key), "application/json");
}

// GET /api/v1/relay/package?since=N: the signed package of the relay token's event.
void HttpServer::Impl::handle_relay_package(const Request& req, Response& res) {
  const auto relay = authenticate_relay(req, res);
  if (!relay) return;
  auto store = stores.acquire();
  if (!store) return send_store_unavailable(res, store.message());
  send_package(req, res, *store, relay->event_id, relay->event_id);
}

} // namespace muster::server
