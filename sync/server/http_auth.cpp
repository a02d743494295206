// Who asks: device tokens, relay tokens and admin tokens (sync/PROTOCOL.md "Authentication").
// Every check answers the refusal itself (401/403/404/503) and returns nothing.
#include <sodium.h>

#include <cctype>

#include "sync/server/http_support.hpp"

namespace muster::server {

using namespace http_support; // NOLINT(google-build-using-namespace)

void HttpServer::Impl::store_failure(Response& res, Lease& store, const Error<DbError>& error) {
  if (error.code == DbError::io || error.code == DbError::cannot_open) store.mark_broken();
  send_store_unavailable(res, error.message);
}

void HttpServer::Impl::touch_seen(Lease& store, const DeviceRecord& device) {
  // Last seen is monitoring data: a failure to record it must not fail the request. Written at
  // most once a second per device (the metric is in seconds): each write is a durable commit
  // that would queue behind other devices' batches for the database's one writer.
  const Instant seen = now_instant();
  if (!device.last_seen || seen - *device.last_seen >= std::chrono::seconds(1)) {
    (void)store->touch_device(device.id, seen);
  }
}

std::optional<DeviceRecord> HttpServer::Impl::authenticate(const Request& req, Response& res,
                                                           Lease& store) {
  const auto deny = [&res](std::string_view message) {
    send_unauthorized(res, message);
    return std::nullopt;
  };
  const auto token = bearer_token(req);
  if (!token) return deny("an 'Authorization: Bearer <device token>' header is required");
  auto device = store->device(token->device_id);
  if (!device) {
    if (device.code() == DbError::not_found) return deny("the device token is not valid");
    store_failure(res, store, device.error());
    return std::nullopt;
  }
  const std::string presented = hash_secret(token->token);
  const std::string& expected = device->token_hash;
  if (expected.size() != presented.size() ||
      sodium_memcmp(expected.data(), presented.data(), presented.size()) != 0) {
    return deny("the device token is not valid");
  }
  touch_seen(store, *device);
  return std::move(device.value());
}

// ---- Venue relays (relay.hpp; PROTOCOL.md "Venue relays") --------------------------------

DbResult<std::unique_ptr<RelayStore>> HttpServer::Impl::take_relay_store() {
  {
    const std::lock_guard lock(relay_mutex);
    if (!relay_idle.empty()) {
      auto relay = std::move(relay_idle.back());
      relay_idle.pop_back();
      return relay;
    }
  }
  return open_relay_store(options.database);
}

void HttpServer::Impl::give_back_relay_store(std::unique_ptr<RelayStore> relay) {
  const std::lock_guard lock(relay_mutex);
  if (relay_idle.size() < 8) relay_idle.push_back(std::move(relay));
}

std::optional<HttpServer::Impl::RelayCaller>
HttpServer::Impl::authenticate_relay(const Request& req, Response& res) {
  const auto deny = [&res](std::string_view message) {
    send_unauthorized(res, message);
    return std::nullopt;
  };
  const auto token = bearer_token(req);
  if (!token || !token->token.starts_with(kRelayTokenPrefix)) {
    return deny("an 'Authorization: Bearer <relay token>' header is required");
  }
  auto relay = take_relay_store();
  if (!relay) {
    send_store_unavailable(res, relay.message());
    return std::nullopt;
  }
  auto record = (*relay)->relay_token(hash_secret(token->token));
  if (!record && record.code() != DbError::not_found) {
    send_store_unavailable(res, record.message()); // the connection is dropped, not reused
    return std::nullopt;
  }
  give_back_relay_store(std::move(relay.value()));
  if (!record) return deny("the relay token is not valid");
  if (record->revoked) return deny("this relay token was revoked");
  return RelayCaller{record->event_id, record->label};
}

// A relay forwards the chains of the devices it registered for its event, unchanged; the batch
// then takes exactly the checks of the device's own push.
std::optional<DeviceRecord>
HttpServer::Impl::authenticate_relay_pusher(const Request& req, Response& res, Lease& store,
                                            const std::string& path_device) {
  const auto relay = authenticate_relay(req, res);
  if (!relay) return std::nullopt;
  if (!is_valid_path_id(path_device)) {
    send_error(res, 404, "unknown_device", "no such device");
    return std::nullopt;
  }
  auto device = store->device(path_device);
  if (!device) {
    if (device.code() == DbError::not_found) {
      send_error(res, 404, "unknown_device", "no such device");
    } else {
      store_failure(res, store, device.error());
    }
    return std::nullopt;
  }
  auto relay_store = take_relay_store();
  if (!relay_store) {
    send_store_unavailable(res, relay_store.message());
    return std::nullopt;
  }
  auto registered_by = (*relay_store)->relay_of_device(path_device);
  if (!registered_by) {
    send_store_unavailable(res, registered_by.message());
    return std::nullopt;
  }
  give_back_relay_store(std::move(relay_store.value()));
  if (!registered_by->has_value() || device->event_id != relay->event_id) {
    send_error(res, 403, "wrong_device",
               "a relay token only writes the devices a relay registered for its event");
    return std::nullopt;
  }
  // Monitoring (/metrics last seen): when the door's scans last came through its relay.
  touch_seen(store, *device);
  return std::move(device.value());
}

std::optional<DeviceRecord> HttpServer::Impl::authenticate_pusher(const Request& req, Response& res,
                                                                  Lease& store,
                                                                  const std::string& path_device) {
  if (is_relay_bearer(req)) return authenticate_relay_pusher(req, res, store, path_device);
  auto device = authenticate(req, res, store);
  if (!device) return std::nullopt;
  if (path_device != device->id) {
    auto other = is_valid_path_id(path_device)
                     ? store->device(path_device)
                     : DbResult<DeviceRecord>(fail(DbError::not_found, ""));
    if (!other && other.code() != DbError::not_found) {
      store_failure(res, store, other.error());
      return std::nullopt;
    }
    if (!other) {
      send_error(res, 404, "unknown_device", "no such device");
      return std::nullopt;
    }
    send_error(res, 403, "wrong_device", "a device token only writes its own device's scans");
    return std::nullopt;
  }
  return device;
}

// ---- League staff (admin tokens) ---------------------------------------------------------

// No token: 401; a token that is not an admin token (`muster-server admin-token`, or
// HttpOptions::admin_token_hash): 403; a revoked one: 401.
std::optional<std::unique_ptr<LedgerStore>> HttpServer::Impl::authenticate_admin(const Request& req,
                                                                                 Response& res) {
  const std::string header = req.get_header_value("Authorization");
  constexpr std::string_view kScheme = "bearer ";
  bool bearer = header.size() > kScheme.size() && header.size() <= 512;
  for (std::size_t i = 0; bearer && i < kScheme.size(); ++i) {
    bearer = std::tolower(static_cast<unsigned char>(header[i])) == kScheme[i];
  }
  if (!bearer) {
    send_unauthorized(res, "an 'Authorization: Bearer <admin token>' header is required");
    return std::nullopt;
  }
  const std::string presented = hash_secret(std::string_view(header).substr(kScheme.size()));
  bool admin =
      options.admin_token_hash.size() == presented.size() &&
      sodium_memcmp(options.admin_token_hash.data(), presented.data(), presented.size()) == 0;
  // Who asks is settled on this one connection before anything else is opened or loaded (the
  // pool's store, the program file); its integrity check ran once, at the server's start.
  auto ledger = open_ledger_store(options.database);
  if (!ledger) {
    send_store_unavailable(res, ledger.message());
    return std::nullopt;
  }
  if (!admin) {
    auto known = (*ledger)->has_admin_token(presented);
    if (!known) {
      send_store_unavailable(res, known.message());
      return std::nullopt;
    }
    admin = *known;
  }
  if (admin) return std::move(ledger.value());
  // A revoked admin token is refused as unauthenticated (401), at once.
  auto revoked = (*ledger)->admin_token_revoked(presented);
  if (!revoked) {
    send_store_unavailable(res, revoked.message());
  } else if (*revoked) {
    send_unauthorized(res, "this admin token was revoked");
  } else {
    send_error(res, 403, "forbidden", "this endpoint needs an admin token");
  }
  return std::nullopt;
}

} // namespace muster::server
