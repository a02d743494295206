#pragma once
// `muster-server devices`: the provisioned kiosks, their last contact, and the restored or
// cloned ones (a device rolled back, and the branch it continues as; docs/deployment.md
// "Restoring or cloning a kiosk").
#include <ostream>
#include <string>

namespace muster::server {

struct DevicesOptions {
  std::string database;
  std::string event_id; // "" for every event
  bool json = false;
};

// Text: one device a line, tab-separated: id, name, event, created, last seen, scans held
// (the chain head), then "branch of ID from #N" and/or "rolled back N times, last TIME".
int run_devices(const DevicesOptions& options, std::ostream& out, std::ostream& err);

} // namespace muster::server
