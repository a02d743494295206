#pragma once
// The console's People part (docs/console.md, "People"): /console/people (search),
// /console/events/{id}/people, /console/people/{id} (the official's page), their transcript and
// credit form PDFs, and POST /console/people/{id}/corrections (staff and admins, CSRF).
#include "sync/server/web/console.hpp"

namespace httplib {
class Server;
}

namespace muster::server::web {

void install_people_routes(httplib::Server& server, const ConsoleOptions& options);

} // namespace muster::server::web
