#pragma once
// A kiosk's identity and its scans delivered by hand (docs/deployment.md "USB-only venue"):
//   muster-server register-device --db DB --event ID --key FILE [--name NAME] [--device-id ID]
//   muster-server import-scans --db DB FILE [--accept-key FINGERPRINT] [--name NAME]
// import-scans puts the file's scans through ingest_scans (scan_ingest.hpp): the same checks
// and the same once-only storing as a kiosk's HTTP push.
#include <ostream>
#include <string>

namespace muster::server {

struct RegisterDeviceOptions {
  std::string database;
  std::string event_id;
  std::string key_file;  // `muster-kiosk device-key --out FILE`, or a bare MUPK1 line
  std::string device_id; // needed when the key file does not name the device
  std::string name;      // default: the device id
};
int run_register_device(const RegisterDeviceOptions& options, std::ostream& out, std::ostream& err);

struct ImportScansOptions {
  std::string database;
  std::string file;
  // The fingerprint the kiosk shows (muster-kiosk device-key): registers the key the file
  // carries when the device is not known yet. Without it, an unknown device is refused and
  // the fingerprint to compare is printed.
  std::string accept_key;
  std::string name; // the name for a device registered by --accept-key (default: its id)
};
int run_import_scans(const ImportScansOptions& options, std::ostream& out, std::ostream& err);

} // namespace muster::server
