#pragma once
// The League's web console at /console/ on the API's own listener and TLS:
// sign-in with sessions and CSRF tokens, the events, each event's live counts (Server-Sent
// Events), the admin's close-event. docs/console.md describes the pages and the rules.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace httplib {
class Server;
}

namespace muster::server {

class LiveHub;
namespace web {
class EventViews;
}

struct ConsoleOptions {
  std::string database; // as HttpOptions::database
  bool tls = false;     // adds Secure to the session cookie
  int threads = 8;      // the server's API worker threads
  // The live pages' broadcaster (live_hub.hpp), shared with the API's ingest. Null: no live
  // stream (the page works with reloads).
  std::shared_ptr<LiveHub> live;
  // What the event page, its JSON and the live events need, computed once per change of the
  // event's data (event_view.hpp); made by install_console_routes when null.
  std::shared_ptr<web::EventViews> views;
  // The credit program of transcript and report downloads (HttpOptions::program_file).
  std::optional<std::filesystem::path> program_file;
};

// Wakes the live pages of `event_id` after a console action changed what they show ("scans"
// for a correction or a walk-in, "closed" for close-event). No-op without a hub.
void notify_live(const ConsoleOptions& options, std::string_view event_id,
                 std::string_view kind = "scans");

// Adds the /console routes to a server whose routes are being installed (http_api.cpp).
void install_console_routes(httplib::Server& server, const ConsoleOptions& options);

} // namespace muster::server
