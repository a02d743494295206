// Devices (admins): revoke one (the store's revoke_device, as `muster-server revoke-device`),
// and a new provisioning code (new_provisioning_code and the store's add_provisioning_code, as
// `muster-server provision`) shown as text and as a QR code (qr_svg, ZXing-cpp's writer).
#include <httplib.h>

#include <algorithm>

#include "sync/server/admin_commands.hpp"
#include "sync/server/badge_render.hpp"
#include "sync/server/http_api.hpp"
#include "sync/server/web/action_pages.hpp"
#include "sync/server/web/actions.hpp"
#include "sync/server/web/console_http.hpp"
#include "sync/server/web/staff_correction.hpp"

namespace muster::server::web {

namespace {

// The event's doors. The console's own corrections device (staff_correction.hpp) is not one: it
// never syncs and revoking it would only break corrections, so this page leaves it out.
std::vector<DeviceRecord> of_event(std::vector<DeviceRecord> devices, const std::string& event_id) {
  std::erase_if(devices, [&](const DeviceRecord& d) {
    return d.event_id != event_id || is_console_device(d.id);
  });
  std::sort(devices.begin(), devices.end(), [](const DeviceRecord& a, const DeviceRecord& b) {
    return std::tie(a.name, a.id) < std::tie(b.name, b.id);
  });
  return devices;
}

} // namespace

void route_devices(httplib::Server& server, const ConsoleOptions& options) {
  server.Get(R"(/console/events/([^/]+)/devices)", [options](const httplib::Request& req,
                                                             httplib::Response& res) {
    auto accounts = open_accounts(options.database, res);
    if (!accounts) return;
    auto who = require_role(req, res, *accounts, ConsoleRole::admin);
    if (!who) return;
    auto store = open_server_store(options.database);
    if (!store) return send_text(res, 503, "the database is unavailable");
    auto event = load_event(**store, req, res);
    if (!event) return;
    auto devices = (*store)->devices();
    if (!devices) return send_text(res, 503, "the database is unavailable");
    send_html(res, 200,
              devices_page(who->viewer(), *event, of_event(std::move(*devices), event->id),
                           form_value(req, "done")));
  });
  server.Post(R"(/console/events/([^/]+)/devices/revoke)", [options](const httplib::Request& req,
                                                                     httplib::Response& res) {
    auto accounts = open_accounts(options.database, res);
    if (!accounts) return;
    const std::string device_id = form_value(req, "device_id");
    auto who = require_post(req, res, *accounts, ConsoleRole::admin, "device-revoke", device_id);
    if (!who) return;
    auto why = require_reason(req, res);
    if (!why) return;
    auto store = open_server_store(options.database);
    if (!store) return send_text(res, 503, "the database is unavailable");
    auto event = load_event(**store, req, res);
    if (!event) return;
    auto device = (*store)->device(device_id);
    if (!device || device->event_id != event->id) {
      return send_text(res, 404, "no device " + device_id + " at this event");
    }
    if (is_console_device(device_id)) {
      return send_text(res, 400, device_id + " is the console's corrections device, not a door");
    }
    if (auto revoked = (*store)->revoke_device(device_id); !revoked) {
      return send_text(res, 503, "not revoked: " + revoked.message());
    }
    audit(*accounts, who->user.name, "device-revoke", device_id, device->name + "; why: " + *why);
    redirect(res, "/console/events/" + event->id + "/devices?done=device-revoked");
  });
  server.Post(R"(/console/events/([^/]+)/devices/provision)", [options](const httplib::Request& req,
                                                                        httplib::Response& res) {
    auto accounts = open_accounts(options.database, res);
    if (!accounts) return;
    const std::string name = form_value(req, "device_name");
    auto who = require_post(req, res, *accounts, ConsoleRole::admin, "provision", name);
    if (!who) return;
    auto why = require_reason(req, res);
    if (!why) return;
    if (name.empty() || name.size() > 100) {
      return send_text(res, 400, "the device name must be 1 to 100 characters");
    }
    auto store = open_server_store(options.database);
    if (!store) return send_text(res, 503, "the database is unavailable");
    auto event = load_event(**store, req, res);
    if (!event) return;
    const std::string code = new_provisioning_code();
    const Instant expires = now_ms() + kDefaultProvisioningValidity;
    auto svg = qr_svg(code);
    if (!svg) return send_text(res, 500, "the QR code could not be drawn: " + svg.message());
    if (auto added = (*store)->add_provisioning_code(hash_secret(code), event->id, name, expires);
        !added) {
      return send_text(res, 503, "no code: " + added.message());
    }
    audit(*accounts, who->user.name, "provision", event->id,
          "device \"" + name + "\"; why: " + *why);
    send_html(res, 200, provisioning_code_page(who->viewer(), *event, name, code, *svg, expires));
  });
}

} // namespace muster::server::web
