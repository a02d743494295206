#pragma once
// The officials' own page at /me/ (issue 18), on the API's listener next to /console/: sign-in
// by a one-time code mailed to the address on the roster, then the official's progress, events,
// PDFs, confirmations and disputes. Enabled by `serve --smtp-url --mail-from`.
// docs/officials.md describes the rules.
#include <filesystem>
#include <optional>
#include <string>

#include "sync/server/mail/smtp.hpp"

namespace httplib {
class Server;
}

namespace muster::server {

struct MeOptions {
  std::string database;
  bool tls = false; // adds Secure to the cookies
  mail::SmtpSettings smtp;
  // The credit program the page's progress and transcript follow (serve --program); nullopt:
  // the default, assets/programs/alm-cmo.jsonc.
  std::optional<std::filesystem::path> program_file;
};

// Adds the /me routes to a server whose routes are being installed (http_api.cpp).
void install_me_routes(httplib::Server& server, const MeOptions& options);

} // namespace muster::server
