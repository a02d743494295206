#pragma once
// The League's web console at /console/ on the API's own listener and TLS:
// sign-in with sessions and CSRF tokens, the events, each event's live counts (Server-Sent
// Events), the admin's close-event. docs/console.md describes the pages and the rules.
#include <string>

namespace httplib {
class Server;
}

namespace muster::server {

struct ConsoleOptions {
  std::string database; // as HttpOptions::database
  bool tls = false;     // adds Secure to the session cookie
  int threads = 8;      // the server's worker threads: live streams may hold at most half
};

// Adds the /console routes to a server whose routes are being installed (http_api.cpp).
void install_console_routes(httplib::Server& server, const ConsoleOptions& options);

} // namespace muster::server
