// The event's devices for admins: revoke one (lost or stolen kiosk), and create a provisioning
// code for a new one, shown once as text and as a QR code.
#include "shared/time.hpp"
#include "sync/server/web/action_pages.hpp"
#include "sync/server/web/html.hpp"

namespace muster::server::web {

std::string devices_page(const Viewer& viewer, const Event& event,
                         const std::vector<DeviceRecord>& devices, std::string_view done) {
  const std::string base = "/console/events/" + escape(event.id);
  std::string body = "<link rel=\"stylesheet\" href=\"/console/static/actions.css\">\n"
                     "<h1>Devices: " +
                     escape(event.name) + "</h1>\n" + done_html(done);
  body += "<h2>New provisioning code</h2>\n<form class=\"action\" method=\"post\" action=\"" +
          base + "/devices/provision\">" + csrf_field(viewer.csrf) +
          "<label>Device name<input name=\"device_name\" required maxlength=\"100\" "
          "placeholder=\"Ballroom A door\" data-testid=\"provision-name\"></label>"
          "<label>Reason<input name=\"why\" required maxlength=\"500\" "
          "data-testid=\"provision-why\"></label><button type=\"submit\" "
          "data-testid=\"provision\">Create code</button></form>\n"
          "<p class=\"status\">One use, valid for 7 days, as <code>muster-server provision</code>."
          "</p>\n<h2>Devices</h2>\n";
  if (devices.empty()) {
    body += "<p data-testid=\"devices-none\">No device at this event yet.</p>\n";
  } else {
    body += "<table data-testid=\"devices\">\n<thead><tr><th scope=\"col\">Device</th>"
            "<th scope=\"col\">Last sync</th><th scope=\"col\">Token</th><th scope=\"col\">Revoke"
            "</th></tr></thead>\n<tbody>\n";
    for (const DeviceRecord& d : devices) {
      const std::string id = escape(d.id);
      const bool has_token = !d.token_hash.empty();
      body += "<tr data-testid=\"device-" + id + "\"><th scope=\"row\">" + escape(d.name) +
              " <small>" + id + "</small></th><td>" +
              (d.last_seen ? escape(format_local(*d.last_seen, event.timezone, "%Y-%m-%d %H:%M"))
                           : std::string("never")) +
              "</td><td data-testid=\"device-token-" + id + "\">" +
              (has_token ? "active" : "none (revoked, or not provisioned)") + "</td><td>";
      if (has_token) {
        body += "<form class=\"action\" method=\"post\" action=\"" + base + "/devices/revoke\">" +
                csrf_field(viewer.csrf) + "<input type=\"hidden\" name=\"device_id\" value=\"" +
                id +
                "\"><label>Reason<input name=\"why\" required maxlength=\"500\" "
                "data-testid=\"revoke-device-why-" +
                id + "\"></label><button type=\"submit\" data-testid=\"revoke-device-" + id +
                "\">Revoke</button></form>";
      }
      body += "</td></tr>\n";
    }
    body += "</tbody>\n</table>\n";
  }
  body += "<p><a href=\"" + base + "\">Back to the event</a></p>\n";
  return page(PageFrame{"Devices " + event.name, viewer.name, viewer.role, viewer.csrf, "", false},
              body);
}

std::string provisioning_code_page(const Viewer& viewer, const Event& event,
                                   std::string_view device_name, std::string_view code,
                                   std::string_view qr_svg, Instant expires) {
  const std::string base = "/console/events/" + escape(event.id);
  std::string body =
      "<link rel=\"stylesheet\" href=\"/console/static/actions.css\">\n"
      "<h1>Provisioning code</h1>\n<p>For the device &ldquo;" +
      escape(device_name) + "&rdquo; at " + escape(event.name) + ". It works once and expires at " +
      escape(format_local(expires, event.timezone, "%Y-%m-%d %H:%M %Z")) +
      ". It is shown only now: the server keeps only its hash.</p>\n"
      "<p><code class=\"big\" data-testid=\"provision-code\">" +
      escape(code) +
      "</code></p>\n<div class=\"qr\" data-testid=\"provision-qr\" role=\"img\" "
      "aria-label=\"QR code of the provisioning code\">" +
      std::string(qr_svg) +
      "</div>\n<p>On the kiosk: <code>muster-kiosk --data DIR provision https://SERVER:PORT " +
      escape(code) + "</code></p>\n<p><a href=\"" + base +
      "/devices\">Back to the devices</a></p>\n";
  return page(PageFrame{"Provisioning code", viewer.name, viewer.role, viewer.csrf, "", false},
              body);
}

} // namespace muster::server::web
