#pragma once
// Revocation: a lost or stolen kiosk, a leaked admin token, a retired registration
// desk. Each takes effect on the server's next request; docs/deployment.md "Revocation".
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

namespace muster::server {

struct RevokeDeviceOptions {
  std::string database;
  std::string device_id;
};

struct RevokeTokenOptions {
  std::string database;
  std::string token; // the admin token itself (hashed here), or
  std::string label; // every unrevoked admin token with this label
};

struct RevokeDeskOptions {
  std::string database;
  std::optional<std::filesystem::path> league_key;
  std::string key_id; // the desk key's id, as certify-desk printed it (DESK-...)
};

// The device's token is refused (401) from its next request; its record and scans stay.
int run_revoke_device(const RevokeDeviceOptions& options, std::ostream& out, std::ostream& err);
// The admin token(s) are refused (401) from the next request.
int run_revoke_token(const RevokeTokenOptions& options, std::ostream& out, std::ostream& err);
// Re-certifies the desk key to expire now: the server refuses its reprints from now on, and
// kiosks stop trusting badges it signs after their next package (the certificate travels in
// every package, as when it was certified).
int run_revoke_desk(const RevokeDeskOptions& options, std::ostream& out, std::ostream& err);

} // namespace muster::server
