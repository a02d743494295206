// Scans: a device's (or its relay's) push, POST /api/v1/devices/{id}/scans, and the other
// doors' scans, GET /api/v1/events/{id}/scans (sync/PROTOCOL.md).
#include <charconv>

#include "shared/scan_json.hpp"
#include "sync/server/http_support.hpp"
#include "sync/server/scan_ingest.hpp"

namespace muster::server {

using namespace http_support; // NOLINT(google-build-using-namespace)

void HttpServer::Impl::handle_scans(const Request& req, Response& res) {
  auto store = stores.acquire();
  if (!store) return send_store_unavailable(res, store.message());
  const std::string path_device = req.matches[1];
  const auto device = authenticate_pusher(req, res, *store, path_device);
  if (!device) return;

  auto batch = parse_scan_batch(req.body);
  if (!batch) return send_body_error(res, batch.error());
  const auto answer = ingest_scans(**store, *device, std::move(batch.value()), now_instant());
  if (answer.store_error) return store_failure(res, *store, *answer.store_error);
  if (!answer.metric_label.empty()) metrics.count_rejected_batch(answer.metric_label);
  if (answer.ok()) {
    metrics.add_scans_stored(answer.stored);
    metrics.set_sync_lag(device->id, answer.lag);
    if (answer.stored > 0 && options.on_scans_stored) options.on_scans_stored();
    if (answer.stored > 0) live->publish(device->event_id, "scans"); // open console pages
  }
  res.status = answer.status;
  res.set_content(ingest_answer_body(answer), "application/json");
}

// GET /api/v1/events/{id}/scans: the other doors' attendance scans, so that a door knows of an
// arrival at the room's other door (sync/PROTOCOL.md, "Other doors' scans").
void HttpServer::Impl::handle_peer_scans(const Request& req, Response& res) {
  auto store = stores.acquire();
  if (!store) return send_store_unavailable(res, store.message());
  const auto device = authenticate(req, res, *store);
  if (!device) return;
  const std::string event_id = req.matches[1];
  if (!is_valid_path_id(event_id) || device->event_id != event_id) {
    return send_error(res, 403, "wrong_event", "this device is provisioned for another event");
  }
  PeerCursor after;
  const auto number = [&](const char* name, auto& value) {
    if (!req.has_param(name)) return true;
    const std::string text = req.get_param_value(name);
    const auto* end = text.data() + text.size();
    const auto parsed = std::from_chars(text.data(), end, value);
    return !text.empty() && parsed.ec == std::errc{} && parsed.ptr == end;
  };
  if (!number("after_ms", after.received_ms) || !number("after_seq", after.sequence)) {
    return send_error(res, 400, "invalid_value",
                      "after_ms and after_seq must be integers (the cursor of the last answer)");
  }
  if (req.has_param("after_device")) {
    after.device_id = req.get_param_value("after_device");
    if (!after.device_id.empty() && !is_valid_path_id(after.device_id)) {
      return send_error(res, 400, "invalid_value", "after_device is not a device id",
                        json{{"field", "after_device"}});
    }
  }
  constexpr std::size_t kPeerScansPerAnswer = 2000;
  auto found = (*store)->peer_scans(event_id, device->id, after, kPeerScansPerAnswer);
  if (!found) return store_failure(res, *store, found.error());
  std::string body = "{\"scans\":[";
  for (std::size_t i = 0; i < found->scans.size(); ++i) {
    if (i > 0) body += ',';
    body += scan_to_json(found->scans[i]);
  }
  body += "],\"cursor\":" +
          json{{"after_ms", found->cursor.received_ms},
               {"after_device", found->cursor.device_id},
               {"after_seq", found->cursor.sequence}}
              .dump() +
          ",\"more\":" + (found->more ? "true" : "false") + "}";
  res.status = 200;
  res.set_content(body, "application/json");
}

} // namespace muster::server
