#include "sync/server/revoke_commands.hpp"

#include <sodium.h>

#include <chrono>

#include "shared/badge.hpp"
#include "shared/sodium_init.hpp"
#include "shared/time.hpp"
#include "sync/server/admin_commands.hpp"
#include "sync/server/http_api.hpp"
#include "sync/server/ledger_store.hpp"
#include "sync/server/relay_store.hpp"

namespace muster::server {
namespace {

Instant now_seconds() {
  // Certificates hold whole seconds; rounding down makes "now" already past.
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

int failed(std::ostream& err, std::string_view message) {
  err << "error: " << message << '\n';
  return 1;
}

} // namespace

int run_revoke_device(const RevokeDeviceOptions& options, std::ostream& out, std::ostream& err) {
  auto store = open_existing_store(options.database);
  if (!store) return failed(err, store.message());
  auto device = (*store)->device(options.device_id);
  if (!device) {
    return failed(err, device.code() == DbError::not_found
                           ? "no device '" + options.device_id + "' in the database"
                           : device.message());
  }
  if (auto revoked = (*store)->revoke_device(options.device_id); !revoked) {
    return failed(err, revoked.message());
  }
  out << "Revoked device " << device->id << " (" << device->name << ", event " << device->event_id
      << "): its token is refused from its next request. Its scans stay; "
      << "provision a replacement kiosk with `muster-server provision`.\n";
  return 0;
}

int run_revoke_token(const RevokeTokenOptions& options, std::ostream& out, std::ostream& err) {
  if (options.token.empty() == options.label.empty()) {
    err << "error: give either --token TOKEN or --label LABEL\n";
    return 2;
  }
  if (!sodium_started()) return failed(err, "libsodium could not be initialised");
  auto ledger = open_ledger_store(options.database);
  if (!ledger) return failed(err, ledger.message());
  std::string token = options.token;
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
    token.pop_back();
  // Relay tokens (relay-token) are revoked the same way: by the token, or by label.
  const bool relay_only = token.starts_with(kRelayTokenPrefix);
  std::uint64_t admin = 0;
  if (!relay_only) {
    auto revoked = (*ledger)->revoke_admin_tokens(token.empty() ? "" : hash_secret(token),
                                                  options.label, now_seconds());
    if (!revoked) return failed(err, revoked.message());
    admin = *revoked;
  }
  std::uint64_t relay = 0;
  if (relay_only || token.empty()) {
    auto relays = open_relay_store(options.database);
    if (!relays) return failed(err, relays.message());
    auto revoked = (*relays)->revoke_relay_tokens(token.empty() ? "" : hash_secret(token),
                                                  options.label, now_seconds());
    if (!revoked) return failed(err, revoked.message());
    relay = *revoked;
  }
  if (admin + relay == 0) {
    return failed(err, token.empty()
                           ? "no unrevoked admin or relay token with label '" + options.label + "'"
                           : std::string("that token is unknown or already revoked"));
  }
  if (admin > 0) {
    out << "Revoked " << admin << " admin token(s): refused from the next request.\n";
  }
  if (relay > 0) {
    out << "Revoked " << relay << " relay token(s): refused from the next request.\n";
  }
  return 0;
}

int run_revoke_desk(const RevokeDeskOptions& options, std::ostream& out, std::ostream& err) {
  auto store = open_existing_store(options.database);
  if (!store) return failed(err, store.message());
  auto records = (*store)->device_certificates();
  if (!records) return failed(err, records.message());
  const DeviceCertificateRecord* found = nullptr;
  for (const auto& record : *records) {
    if (record.key_id == options.key_id) found = &record;
  }
  if (found == nullptr) {
    return failed(err, "no certified desk key '" + options.key_id + "' in the database");
  }
  auto certificate = parse_device_certificate(found->certificate_text);
  if (!certificate)
    return failed(err, "the stored certificate is unreadable: " + certificate.message());
  auto league = (*store)->league();
  if (!league) return failed(err, league.message());
  auto key = load_checked_league_key(**store, options.database, options.league_key, err);
  if (!key) return failed(err, key.message());
  const Instant now = now_seconds() - std::chrono::seconds(1);
  auto expired = certify_device(league->id, certificate->device_key, now, *key);
  if (!expired) return failed(err, "cannot re-certify the desk key: " + expired.message());
  auto saved = (*store)->add_device_certificate(
      {found->key_id, found->device_name, to_text(*expired), now_seconds()});
  if (!saved) return failed(err, saved.message());
  out << "Revoked desk key " << found->key_id << " (" << found->device_name << ") as of "
      << format_utc(now) << ": the server refuses its reprints from now; kiosks stop "
      << "trusting badges it signed after their next package.\n";
  return 0;
}

} // namespace muster::server
