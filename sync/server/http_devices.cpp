// Devices: provisioning with a one-time code, POST /api/v1/devices, and the branch of a
// restored or cloned kiosk, POST /api/v1/devices/{id}/branches (sync/PROTOCOL.md).
#include <algorithm>
#include <cctype>
#include <iostream>
#include <limits>

#include "sync/server/http_support.hpp"

namespace muster::server {
namespace {

using namespace http_support; // NOLINT(google-build-using-namespace)

// Codes are typed by people: surrounding blanks and letter case do not matter (the CLI makes
// upper-case codes, "ABCD-EFGH-JKMN").
std::string normalised_code(const std::string& typed) {
  const auto first = typed.find_first_not_of(" \t\r\n");
  const auto last = typed.find_last_not_of(" \t\r\n");
  std::string code = typed.substr(first, last - first + 1);
  std::transform(code.begin(), code.end(), code.begin(), [](char c) {
    return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  });
  return code;
}

struct DeviceIdentity {
  std::string id;
  std::string public_key; // canonical MUPK1 text; empty for an older kiosk
};

// A kiosk that names its own id and key keeps them (its scans from before provisioning are
// already chained under that id); an older kiosk gets an id made here. Answers 400 itself.
std::optional<DeviceIdentity> device_identity(const ProvisionRequest& request,
                                              httplib::Response& res) {
  if (request.device_id.empty()) return DeviceIdentity{"dev-" + random_hex(8), ""};
  if (!is_valid_badge_id(request.device_id)) {
    send_error(res, 400, "invalid_value", "field 'device_id' must be 1 to 64 of A-Z a-z 0-9 - _",
               json{{"field", "device_id"}});
    return std::nullopt;
  }
  auto key = parse_public_key(request.device_public_key);
  if (!key) {
    send_error(res, 400, "invalid_value",
               "field 'device_public_key' is not a public key (MUPK1): " + key.message(),
               json{{"field", "device_public_key"}});
    return std::nullopt;
  }
  return DeviceIdentity{request.device_id, to_text(*key)};
}

// A code that could not be redeemed: unknown or expired, used, or the kiosk's own id taken by
// another device key (the code then stays unused).
void refuse_redeem(HttpServer::Impl& server, httplib::Response& res, HttpServer::Impl::Lease& store,
                   const Error<DbError>& error, const DeviceIdentity& identity) {
  switch (error.code) {
  case DbError::not_found:
    return send_error(res, 404, "invalid_code",
                      "this provisioning code is unknown or expired; ask for a new one");
  case DbError::conflict:
    if (!identity.public_key.empty()) {
      auto existing = store->device(identity.id);
      if (existing && existing->public_key != identity.public_key) {
        return send_error(res, 409, "device_id_taken",
                          "device id '" + identity.id +
                              "' is registered with another device key; this kiosk's store "
                              "is not that device's (the code stays unused)",
                          json{{"field", "device_id"}});
      }
    }
    return send_error(res, 409, "code_already_used",
                      "this provisioning code was already used; ask for a new one");
  default:
    return server.store_failure(res, store, error);
  }
}

struct BranchRequest {
  std::uint64_t diverged_at = 0;
  std::string hash;
};

// The body of a branch request; answers 400 itself when it is not one.
std::optional<BranchRequest> read_branch_request(const std::string& text, httplib::Response& res) {
  const json body = json::parse(text, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    send_error(res, 400, "malformed_json", "the body is not a JSON object");
    return std::nullopt;
  }
  for (const char* field : {"diverged_at", "hash"}) {
    if (!body.contains(field)) {
      send_error(res, 400, "missing_field", std::string("field '") + field + "' is missing",
                 json{{"field", field}});
      return std::nullopt;
    }
  }
  if (!body["diverged_at"].is_number_unsigned()) {
    send_error(res, 400, "wrong_type", "field 'diverged_at' must be an integer >= 1",
               json{{"field", "diverged_at"}});
    return std::nullopt;
  }
  if (!body["hash"].is_string()) {
    send_error(res, 400, "wrong_type", "field 'hash' must be a string", json{{"field", "hash"}});
    return std::nullopt;
  }
  BranchRequest request{body["diverged_at"].get<std::uint64_t>(), body["hash"].get<std::string>()};
  if (request.diverged_at == 0 ||
      request.diverged_at > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    send_error(res, 400, "invalid_value", "field 'diverged_at' must be >= 1",
               json{{"field", "diverged_at"}});
    return std::nullopt;
  }
  if (!digest_from_hex(request.hash)) {
    send_error(res, 400, "invalid_value", "field 'hash' must be 64 hexadecimal characters",
               json{{"field", "hash"}});
    return std::nullopt;
  }
  return request;
}

} // namespace

using namespace http_support; // NOLINT(google-build-using-namespace)

void HttpServer::Impl::handle_provision(const Request& req, Response& res) {
  if (const auto wait = provision_limiter.attempt(req.remote_addr)) {
    res.set_header("Retry-After", std::to_string(wait->count()));
    send_error(res, 429, "rate_limited",
               "too many provisioning attempts from this address; retry after " +
                   std::to_string(wait->count()) + " s");
    return;
  }
  auto request = parse_provision_request(req.body);
  if (!request) return send_body_error(res, request.error());

  auto store = stores.acquire();
  if (!store) return send_store_unavailable(res, store.message());
  auto league = (*store)->league();
  if (!league) return store_failure(res, *store, league.error());

  const std::string code = normalised_code(request->code);
  const auto identity = device_identity(*request, res);
  if (!identity) return;
  const std::string token = identity->id + "." + random_hex(kTokenSecretBytes);
  const Instant now = now_instant();
  auto device = (*store)->redeem_provisioning_code(hash_secret(code), identity->id,
                                                   hash_secret(token), now, identity->public_key);
  if (!device) return refuse_redeem(*this, res, *store, device.error(), *identity);
  if (options.log_requests) {
    std::cerr << "muster-server: provisioned device " << device->id << " (" << device->name
              << ") for event " << device->event_id << '\n';
  }
  json body = time_json(now);
  body["device_id"] = device->id;
  body["device_name"] = device->name;
  body["token"] = token;
  body["event_id"] = device->event_id;
  body["league_id"] = league->id;
  send_json(res, 201, body);
}

// POST /api/v1/devices/{id}/branches (sync/PROTOCOL.md "Branches"): a kiosk whose scans from
// `diverged_at` on differ from what the server holds (restored from an old backup, or a cloned
// store) continues as a new device linked to this one, so that both histories are kept.
void HttpServer::Impl::handle_branch(const Request& req, Response& res) {
  auto store = stores.acquire();
  if (!store) return send_store_unavailable(res, store.message());
  const auto device = authenticate(req, res, *store);
  if (!device) return;
  const std::string path_device = req.matches[1];
  if (path_device != device->id) {
    return send_error(res, 403, "wrong_device", "a device token only branches its own device");
  }
  const auto request = read_branch_request(req.body, res);
  if (!request) return;
  const std::uint64_t diverged_at = request->diverged_at;
  const std::string& hash = request->hash;
  // The branch id is the parent's with "-B<n>": it must still fit a path id and a token.
  if (device->id.size() + 8 > kMaxPathIdLength) {
    return send_error(res, 409, "not_diverged",
                      "this device's id is too long to branch again; provision the kiosk anew");
  }
  const Instant now = now_instant();
  const std::string secret = random_hex(kTokenSecretBytes);
  std::string token;
  auto branched = (*store)->branch_device(
      device->id, diverged_at, hash,
      [&](const std::string& branch_id) {
        token = branch_id + "." + secret;
        return hash_secret(token);
      },
      now);
  if (!branched) {
    if (branched.code() == DbError::conflict) {
      return send_error(res, 409, "not_diverged", branched.message());
    }
    if (branched.code() == DbError::invalid) {
      return send_error(res, 400, "invalid_value", branched.message());
    }
    return store_failure(res, *store, branched.error());
  }
  if (branched->created) {
    metrics.count_rollback();
    if (options.log_requests) {
      std::cerr << "muster-server: device " << device->id << " was rolled back (a restored or "
                << "cloned kiosk); it continues as " << branched->device.id << " from sequence "
                << diverged_at << '\n';
    }
  }
  send_json(res, branched->created ? 201 : 200,
            json{{"device_id", branched->device.id},
                 {"device_name", branched->device.name},
                 {"token", token},
                 {"event_id", branched->device.event_id},
                 {"parent_device_id", device->id},
                 {"diverged_at", diverged_at}});
}

} // namespace muster::server
