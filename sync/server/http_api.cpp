#include "sync/server/http_api.hpp"

#include <httplib.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <unordered_map>
#include <vector>

#include "shared/badge.hpp"
#include "shared/event_package.hpp"
#include "shared/scan_json.hpp"
#include "shared/time.hpp"
#include "sync/server/admin_commands.hpp"
#include "sync/server/connection_guard.hpp"
#include "sync/server/credit_commands.hpp"
#include "sync/server/league_key.hpp"
#include "sync/server/ledger_store.hpp"
#include "sync/server/metrics.hpp"
#include "sync/server/relay_store.hpp"
#include "sync/server/scan_ingest.hpp"
#include "sync/server/server_store.hpp"
#include "sync/server/web/console.hpp"
#include "sync/server/web/me_routes.hpp"

namespace muster::server {
namespace {

using nlohmann::json;

constexpr int kProtocolVersion = 1;
constexpr std::size_t kTokenSecretBytes = 32;
constexpr std::size_t kMaxPathIdLength = kMaxIdLength;
constexpr auto kStartTimeout = std::chrono::seconds(10);

Instant now_instant() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), raw.data(), raw.size());
  hex.pop_back();
  sodium_memzero(raw.data(), raw.size());
  return hex;
}

// Every error body has one shape: {"error":{"code":..., "message":..., ...extra}}.
void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void send_error(httplib::Response& res, int status, std::string_view code, std::string_view message,
                json extra_error = json::object(), json extra_top = json::object()) {
  json error = std::move(extra_error);
  error["code"] = std::string(code);
  error["message"] = std::string(message);
  json body = std::move(extra_top);
  body["error"] = std::move(error);
  send_json(res, status, body);
}

void send_body_error(httplib::Response& res, const Error<BodyError>& error) {
  const int status = error.code.kind == BodyErrorKind::too_many_scans ? 413 : 400;
  json extra = json::object();
  if (!error.code.field.empty()) extra["field"] = error.code.field;
  send_error(res, status, to_string(error.code.kind), error.message, std::move(extra));
}

// Storage failures the client cannot fix: say so without the database's own words.
void send_store_unavailable(httplib::Response& res, std::string_view detail) {
  std::cerr << "muster-server: storage error: " << detail << '\n';
  send_error(res, 503, "store_unavailable", "the server's database is unavailable; retry later");
  res.set_header("Retry-After", "5");
}

// The label for /metrics: the route, never the raw path (ids would explode the series).
std::string endpoint_label(const httplib::Request& req) {
  const std::string& p = req.path;
  const auto starts = [&](std::string_view prefix) { return p.rfind(prefix, 0) == 0; };
  const auto ends = [&](std::string_view suffix) {
    return p.size() >= suffix.size() &&
           p.compare(p.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  std::string route = "other";
  if (p == "/api/v1/devices")
    route = "/api/v1/devices";
  else if (starts("/api/v1/devices/") && ends("/scans"))
    route = "/api/v1/devices/{id}/scans";
  else if (starts("/api/v1/devices/") && ends("/branches"))
    route = "/api/v1/devices/{id}/branches";
  else if (starts("/api/v1/events/") && ends("/package"))
    route = "/api/v1/events/{id}/package";
  else if (starts("/api/v1/events/") && ends("/scans"))
    route = "/api/v1/events/{id}/scans";
  else if (p == "/api/v1/relay/package" || p == "/api/v1/relay/devices")
    route = p;
  else if (starts("/api/v1/officials/") && ends("/transcript"))
    route = "/api/v1/officials/{id}/transcript";
  else if (p == "/api/v1/time")
    route = "/api/v1/time";
  else if (p == "/healthz")
    route = "/healthz";
  else if (p == "/metrics")
    route = "/metrics";
  return route == "other" ? route : req.method + " " + route;
}

// A small pool of stores: a ServerStore is one database connection and not thread-safe, so
// each request borrows one for its duration. Connections that failed are dropped, not reused.
class StorePool {
public:
  explicit StorePool(std::string database) : database_(std::move(database)) {}

  class Lease {
  public:
    Lease(StorePool& pool, std::unique_ptr<ServerStore> store)
        : pool_(&pool), store_(std::move(store)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (store_ && !broken_) pool_->give_back(std::move(store_));
    }
    ServerStore& operator*() { return *store_; }
    ServerStore* operator->() { return store_.get(); }
    void mark_broken() { broken_ = true; }

  private:
    StorePool* pool_;
    std::unique_ptr<ServerStore> store_;
    bool broken_ = false;
  };

  DbResult<Lease> acquire() {
    {
      const std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        auto store = std::move(idle_.back());
        idle_.pop_back();
        return Lease(*this, std::move(store));
      }
    }
    auto opened = open_server_store(database_);
    if (!opened) return opened.error();
    return Lease(*this, std::move(opened.value()));
  }

  void give_back(std::unique_ptr<ServerStore> store) {
    const std::lock_guard lock(mutex_);
    if (idle_.size() < kMaxIdle) idle_.push_back(std::move(store));
  }

private:
  static constexpr std::size_t kMaxIdle = 64;
  std::string database_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<ServerStore>> idle_;
};

// Fixed-window attempt counter per client address (provisioning codes are guessable only by
// trying; this bounds the tries). Behind a proxy all clients share the proxy's address.
class RateLimiter {
public:
  RateLimiter(int limit, std::chrono::seconds window) : limit_(limit), window_(window) {}

  // nullopt: allowed. Otherwise the seconds to wait.
  std::optional<std::chrono::seconds> attempt(const std::string& client) {
    const auto now = std::chrono::steady_clock::now();
    const std::lock_guard lock(mutex_);
    if (windows_.size() > kMaxClients) forget_expired(now);
    auto& w = windows_[client];
    if (w.count == 0 || now - w.start >= window_) {
      w.start = now;
      w.count = 0;
    }
    if (w.count >= limit_) {
      const auto left = std::chrono::ceil<std::chrono::seconds>(w.start + window_ - now);
      return std::max(left, std::chrono::seconds(1));
    }
    ++w.count;
    return std::nullopt;
  }

private:
  struct Window {
    std::chrono::steady_clock::time_point start;
    int count = 0;
  };
  static constexpr std::size_t kMaxClients = 10000;

  void forget_expired(std::chrono::steady_clock::time_point now) {
    std::erase_if(windows_, [&](const auto& entry) { return now - entry.second.start >= window_; });
  }

  int limit_;
  std::chrono::seconds window_;
  std::mutex mutex_;
  std::unordered_map<std::string, Window> windows_;
};

// Device tokens are "<device id>.<64 hex>": the id finds the record, the whole token is hashed
// and compared in constant time with the stored hash.
struct ParsedToken {
  std::string device_id;
  std::string token;
};

std::optional<ParsedToken> bearer_token(const httplib::Request& req) {
  if (!req.has_header("Authorization")) return std::nullopt;
  const std::string header = req.get_header_value("Authorization");
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size() || header.size() > 512) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return std::nullopt;
  }
  std::string token = header.substr(kScheme.size());
  const auto dot = token.rfind('.');
  if (dot == std::string::npos || dot == 0 || token.size() - dot - 1 != kTokenSecretBytes * 2) {
    return std::nullopt;
  }
  return ParsedToken{token.substr(0, dot), std::move(token)};
}

// Relay tokens are "muster-relay.<64 hex>" (relay_store.hpp): no device id is "muster-relay".
bool is_relay_bearer(const httplib::Request& req) {
  const auto token = bearer_token(req);
  return token && token->token.starts_with(kRelayTokenPrefix) &&
         token->device_id.size() + 1 == kRelayTokenPrefix.size();
}

// Bracket depth of a JSON text outside strings: a body nested deeper than the protocol allows
// is refused before a recursive parser sees it.
bool json_nested_within(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > limit) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

bool is_valid_path_id(std::string_view id) {
  return !id.empty() && id.size() <= kMaxPathIdLength &&
         std::all_of(id.begin(), id.end(),
                     [](char c) { return static_cast<unsigned char>(c) > 0x20 && c != 0x7f; });
}

json time_json(Instant now) {
  return json{{"server_time_ms", now.time_since_epoch().count()},
              {"server_time", format_utc(now)},
              {"protocol_version", kProtocolVersion}};
}

} // namespace

std::string hash_secret(std::string_view secret) {
  std::array<unsigned char, crypto_generichash_BYTES> digest{};
  crypto_generichash(digest.data(), digest.size(),
                     reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), nullptr,
                     0);
  std::string hex(digest.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  hex.pop_back();
  return hex;
}

std::string_view to_string(HttpError error) {
  switch (error) {
  case HttpError::store:
    return "store";
  case HttpError::league_key:
    return "league_key";
  case HttpError::tls:
    return "tls";
  case HttpError::bind:
    return "bind";
  case HttpError::invalid:
    return "invalid";
  }
  return "invalid";
}

// GET /api/v1/officials/{id}/transcript (issue 6; PROTOCOL.md): the transcript JSON of
// `muster-server transcript`, for League staff only. No token: 401; a token that is not an admin
// token (`muster-server admin-token`, or HttpOptions::admin_token_hash): 403.
static void handle_transcript(StorePool& stores, const HttpOptions& options,
                              const httplib::Request& req, httplib::Response& res) {
  const std::string header = req.get_header_value("Authorization");
  constexpr std::string_view kScheme = "bearer ";
  bool bearer = header.size() > kScheme.size() && header.size() <= 512;
  for (std::size_t i = 0; bearer && i < kScheme.size(); ++i) {
    bearer = std::tolower(static_cast<unsigned char>(header[i])) == kScheme[i];
  }
  if (!bearer) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"muster\"");
    return send_error(res, 401, "unauthorized",
                      "an 'Authorization: Bearer <admin token>' header is required");
  }
  const std::string presented = hash_secret(std::string_view(header).substr(kScheme.size()));
  bool admin =
      options.admin_token_hash.size() == presented.size() &&
      sodium_memcmp(options.admin_token_hash.data(), presented.data(), presented.size()) == 0;
  // Who asks is settled on this one connection before anything else is opened or loaded (the
  // pool's store, the program file); its integrity check ran once, at the server's start.
  auto ledger = open_ledger_store(options.database);
  if (!ledger) return send_store_unavailable(res, ledger.message());
  if (!admin) {
    auto known = (*ledger)->has_admin_token(presented);
    if (!known) return send_store_unavailable(res, known.message());
    admin = *known;
  }
  if (!admin) {
    // A revoked admin token is refused as unauthenticated (401), at once.
    auto revoked = (*ledger)->admin_token_revoked(presented);
    if (!revoked) return send_store_unavailable(res, revoked.message());
    if (*revoked) {
      res.set_header("WWW-Authenticate", "Bearer realm=\"muster\"");
      return send_error(res, 401, "unauthorized", "this admin token was revoked");
    }
    return send_error(res, 403, "forbidden", "this endpoint needs an admin token");
  }
  const std::string official_id = req.matches[1];
  if (!is_valid_path_id(official_id)) {
    return send_error(res, 400, "bad_request", "invalid official id");
  }
  Date as_of = today_utc();
  if (req.has_param("as_of")) {
    const auto parsed = parse_date(req.get_param_value("as_of"));
    if (!parsed) return send_error(res, 400, "bad_request", "as_of must be YYYY-MM-DD");
    as_of = *parsed;
  }
  auto program = load_program(std::nullopt);
  if (!program) {
    std::cerr << "muster-server: transcript: " << program.message() << '\n';
    return send_error(res, 503, "program_unavailable", "the credit program file is missing");
  }
  auto store = stores.acquire();
  if (!store) return send_store_unavailable(res, store.message());
  auto transcript = build_transcript(**store, **ledger, *program, official_id, as_of);
  if (!transcript) {
    if (transcript.code() == CreditError::not_found) {
      return send_error(res, 404, "not_found", transcript.message());
    }
    return send_store_unavailable(res, transcript.message());
  }
  res.status = 200;
  res.set_content(transcript_json(*transcript), "application/json");
}

struct HttpServer::Impl {
  HttpOptions options;
  std::unique_ptr<httplib::Server> server;
  std::thread listener;
  StorePool stores;
  RateLimiter provision_limiter;
  Metrics metrics;
  std::optional<SigningKey> league_key;
  std::unique_ptr<ConnectionGuard> guard;
  int port = 0;
  bool tls = false;
  std::atomic<bool> stopped{false};

  explicit Impl(const HttpOptions& opts)
      : options(opts), stores(opts.database),
        provision_limiter(opts.provision_attempts_per_window, opts.provision_window) {}

  void install_routes();
  void handle_provision(const httplib::Request& req, httplib::Response& res);
  void handle_package(const httplib::Request& req, httplib::Response& res);
  void handle_scans(const httplib::Request& req, httplib::Response& res);
  void handle_branch(const httplib::Request& req, httplib::Response& res);
  void handle_peer_scans(const httplib::Request& req, httplib::Response& res);
  void handle_healthz(httplib::Response& res);
  void handle_metrics(httplib::Response& res);

  // The venue relay's side of the League server (relay.hpp, PROTOCOL.md "Venue relays").
  struct RelayCaller {
    std::string event_id;
    std::string label;
  };
  std::mutex relay_mutex;
  std::vector<std::unique_ptr<RelayStore>> relay_idle; // open relay-table connections
  DbResult<std::unique_ptr<RelayStore>> take_relay_store() {
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
  // Only connections that did not fail come back (a failed one is dropped).
  void give_back_relay_store(std::unique_ptr<RelayStore> relay) {
    const std::lock_guard lock(relay_mutex);
    if (relay_idle.size() < 8) relay_idle.push_back(std::move(relay));
  }
  // The relay token's event; answers 401/503 itself when there is none.
  std::optional<RelayCaller> authenticate_relay(const httplib::Request& req,
                                                httplib::Response& res);
  // A push's device: the device token's own, or one a relay of its event registered.
  std::optional<DeviceRecord> authenticate_pusher(const httplib::Request& req,
                                                  httplib::Response& res, StorePool::Lease& store,
                                                  const std::string& path_device);
  void send_package(const httplib::Request& req, httplib::Response& res, StorePool::Lease& store,
                    const std::string& event_id, const std::string& caller_event);
  void handle_relay_package(const httplib::Request& req, httplib::Response& res);
  void handle_relay_device(const httplib::Request& req, httplib::Response& res);

  // The device the request's bearer token belongs to; answers 401/503 itself when there is none.
  std::optional<DeviceRecord> authenticate(const httplib::Request& req, httplib::Response& res,
                                           StorePool::Lease& store);
  void store_failure(httplib::Response& res, StorePool::Lease& store, const Error<DbError>& error);
};

void HttpServer::Impl::store_failure(httplib::Response& res, StorePool::Lease& store,
                                     const Error<DbError>& error) {
  if (error.code == DbError::io || error.code == DbError::cannot_open) store.mark_broken();
  send_store_unavailable(res, error.message);
}

std::optional<DeviceRecord> HttpServer::Impl::authenticate(const httplib::Request& req,
                                                           httplib::Response& res,
                                                           StorePool::Lease& store) {
  const auto deny = [&res](std::string_view message) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"muster\"");
    send_error(res, 401, "unauthorized", message);
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
  // Last seen is monitoring data: a failure to record it must not fail the request. Written at
  // most once a second per device (the metric is in seconds): each write is a durable commit
  // that would queue behind other devices' batches for the database's one writer.
  const Instant seen = now_instant();
  if (!device->last_seen || seen - *device->last_seen >= std::chrono::seconds(1)) {
    (void)store->touch_device(device->id, seen);
  }
  return std::move(device.value());
}

// ---- Venue relays (relay.hpp; PROTOCOL.md "Venue relays") --------------------------------

std::optional<HttpServer::Impl::RelayCaller>
HttpServer::Impl::authenticate_relay(const httplib::Request& req, httplib::Response& res) {
  const auto deny = [&res](std::string_view message) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"muster\"");
    send_error(res, 401, "unauthorized", message);
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

std::optional<DeviceRecord> HttpServer::Impl::authenticate_pusher(const httplib::Request& req,
                                                                  httplib::Response& res,
                                                                  StorePool::Lease& store,
                                                                  const std::string& path_device) {
  const auto unknown = [&]() -> std::optional<DeviceRecord> {
    send_error(res, 404, "unknown_device", "no such device");
    return std::nullopt;
  };
  if (is_relay_bearer(req)) {
    // A relay forwards the chains of the devices it registered for its event, unchanged; the
    // batch then takes exactly the checks of the device's own push.
    const auto relay = authenticate_relay(req, res);
    if (!relay) return std::nullopt;
    if (!is_valid_path_id(path_device)) return unknown();
    auto device = store->device(path_device);
    if (!device) {
      if (device.code() == DbError::not_found) return unknown();
      store_failure(res, store, device.error());
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
    const Instant seen = now_instant();
    if (!device->last_seen || seen - *device->last_seen >= std::chrono::seconds(1)) {
      (void)store->touch_device(device->id, seen);
    }
    return std::move(device.value());
  }
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
    if (!other) return unknown();
    send_error(res, 403, "wrong_device", "a device token only writes its own device's scans");
    return std::nullopt;
  }
  return device;
}

// GET /api/v1/relay/package?since=N: the signed package of the relay token's event.
void HttpServer::Impl::handle_relay_package(const httplib::Request& req, httplib::Response& res) {
  const auto relay = authenticate_relay(req, res);
  if (!relay) return;
  auto store = stores.acquire();
  if (!store) return send_store_unavailable(res, store.message());
  send_package(req, res, *store, relay->event_id, relay->event_id);
}

// POST /api/v1/relay/devices {"device_id", "device_name"}: a device a relay provisioned.
void HttpServer::Impl::handle_relay_device(const httplib::Request& req, httplib::Response& res) {
  const auto relay = authenticate_relay(req, res);
  if (!relay) return;
  if (!json_nested_within(req.body, 32)) {
    return send_error(res, 400, "malformed_json", "the body is nested too deeply");
  }
  const json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) return send_error(res, 400, "malformed_json", "the body is not JSON");
  if (!body.is_object()) {
    return send_error(res, 400, "wrong_type", "the body must be a JSON object");
  }
  const auto string_field = [&](const char* name, bool required,
                                std::string& out) -> std::optional<std::string> {
    if (!body.contains(name)) {
      if (required) return "missing_field";
      return std::nullopt;
    }
    if (!body[name].is_string()) return "wrong_type";
    out = body[name].get<std::string>();
    return std::nullopt;
  };
  std::string device_id;
  std::string device_name;
  std::string public_key;
  for (const auto& [name, required, target] :
       {std::tuple<const char*, bool, std::string*>{"device_id", true, &device_id},
        {"device_name", false, &device_name},
        {"public_key", false, &public_key}}) {
    if (auto problem = string_field(name, required, *target)) {
      return send_error(res, 400, *problem,
                        std::string("field '") + name + "' is " +
                            (*problem == "missing_field" ? "missing" : "not a string"),
                        json{{"field", name}});
    }
  }
  if (!is_valid_path_id(device_id) || device_id.rfind("muster-relay", 0) == 0) {
    return send_error(res, 400, "invalid_value", "device_id is not a device id",
                      json{{"field", "device_id"}});
  }
  if (device_name.size() > kMaxIdLength || device_name.find('\0') != std::string::npos) {
    return send_error(res, 400, "invalid_value", "device_name is too long",
                      json{{"field", "device_name"}});
  }
  // A branch of a restored kiosk names its parent and where it left it (both or neither).
  BranchLink branch;
  if (body.contains("parent_id") || body.contains("diverged_at")) {
    if (!body.contains("parent_id") || !body["parent_id"].is_string() ||
        !is_valid_path_id(body["parent_id"].get<std::string>())) {
      return send_error(res, 400, "invalid_value",
                        "a branch names its parent device (parent_id) with diverged_at",
                        json{{"field", "parent_id"}});
    }
    if (!body.contains("diverged_at") || !body["diverged_at"].is_number_unsigned() ||
        body["diverged_at"].get<std::uint64_t>() == 0 ||
        body["diverged_at"].get<std::uint64_t>() >
            static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return send_error(res, 400, "invalid_value",
                        "field 'diverged_at' must be an integer >= 1 with parent_id",
                        json{{"field", "diverged_at"}});
    }
    branch.parent_id = body["parent_id"].get<std::string>();
    branch.diverged_at = body["diverged_at"].get<std::uint64_t>();
  }
  if (!public_key.empty()) {
    // The kiosk's own key (kiosk identity): kept in its canonical text form.
    auto key = parse_public_key(public_key);
    if (!key) {
      return send_error(res, 400, "invalid_value",
                        "field 'public_key' is not a public key (MUPK1): " + key.message(),
                        json{{"field", "public_key"}});
    }
    public_key = to_text(*key);
  }
  auto relay_store = take_relay_store();
  if (!relay_store) return send_store_unavailable(res, relay_store.message());
  auto known = (*relay_store)->relay_of_device(device_id);
  if (!known) return send_store_unavailable(res, known.message());
  const bool existed = known->has_value();
  auto device = (*relay_store)
                    ->register_relay_device(device_id, device_name, relay->event_id, relay->label,
                                            now_instant(), public_key, branch);
  if (!device) {
    if (device.code() == DbError::conflict) {
      give_back_relay_store(std::move(relay_store.value()));
      return send_error(res, 409, "device_exists", device.message());
    }
    if (device.code() == DbError::invalid) {
      give_back_relay_store(std::move(relay_store.value()));
      return send_error(res, 400, "invalid_value", device.message(), json{{"field", "parent_id"}});
    }
    return send_store_unavailable(res, device.message());
  }
  give_back_relay_store(std::move(relay_store.value()));
  if (options.log_requests && !existed) {
    std::cerr << "muster-server: relay '" << relay->label << "' registered device " << device->id
              << " (" << device->name << ") for event " << device->event_id << '\n';
  }
  send_json(res, existed ? 200 : 201,
            json{{"device_id", device->id},
                 {"device_name", device->name},
                 {"event_id", device->event_id}});
}

void HttpServer::Impl::handle_provision(const httplib::Request& req, httplib::Response& res) {
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

  // Codes are typed by people: surrounding blanks and letter case do not matter (the CLI
  // makes upper-case codes, "ABCD-EFGH-JKMN").
  const auto first = request->code.find_first_not_of(" \t\r\n");
  const auto last = request->code.find_last_not_of(" \t\r\n");
  std::string code = request->code.substr(first, last - first + 1);
  std::transform(code.begin(), code.end(), code.begin(), [](char c) {
    return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  });
  // A kiosk that names its own id and key keeps them (its scans from before provisioning are
  // already chained under that id); an older kiosk gets an id made here.
  std::string device_id = "dev-" + random_hex(8);
  std::string public_key;
  if (!request->device_id.empty()) {
    if (!is_valid_badge_id(request->device_id)) {
      return send_error(res, 400, "invalid_value",
                        "field 'device_id' must be 1 to 64 of A-Z a-z 0-9 - _",
                        json{{"field", "device_id"}});
    }
    auto key = parse_public_key(request->device_public_key);
    if (!key) {
      return send_error(res, 400, "invalid_value",
                        "field 'device_public_key' is not a public key (MUPK1): " + key.message(),
                        json{{"field", "device_public_key"}});
    }
    device_id = request->device_id;
    public_key = to_text(*key);
  }
  const std::string token = device_id + "." + random_hex(kTokenSecretBytes);
  const Instant now = now_instant();
  auto device = (*store)->redeem_provisioning_code(hash_secret(code), device_id, hash_secret(token),
                                                   now, public_key);
  if (!device) {
    switch (device.code()) {
    case DbError::not_found:
      return send_error(res, 404, "invalid_code",
                        "this provisioning code is unknown or expired; ask for a new one");
    case DbError::conflict:
      if (!public_key.empty()) {
        auto existing = (*store)->device(device_id);
        if (existing && existing->public_key != public_key) {
          return send_error(res, 409, "device_id_taken",
                            "device id '" + device_id +
                                "' is registered with another device key; this kiosk's store "
                                "is not that device's (the code stays unused)",
                            json{{"field", "device_id"}});
        }
      }
      return send_error(res, 409, "code_already_used",
                        "this provisioning code was already used; ask for a new one");
    default:
      return store_failure(res, *store, device.error());
    }
  }
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

void HttpServer::Impl::handle_package(const httplib::Request& req, httplib::Response& res) {
  auto store = stores.acquire();
  if (!store) return send_store_unavailable(res, store.message());
  std::string caller_event;
  if (is_relay_bearer(req)) {
    const auto relay = authenticate_relay(req, res);
    if (!relay) return;
    caller_event = relay->event_id;
  } else {
    const auto device = authenticate(req, res, *store);
    if (!device) return;
    caller_event = device->event_id;
  }
  const std::string event_id = req.matches[1];
  if (!is_valid_path_id(event_id)) return send_error(res, 404, "unknown_event", "no such event");
  send_package(req, res, *store, event_id, caller_event);
}

void HttpServer::Impl::send_package(const httplib::Request& req, httplib::Response& res,
                                    StorePool::Lease& store, const std::string& event_id,
                                    const std::string& caller_event) {
  std::uint64_t since = 0;
  if (req.has_param("since")) {
    const std::string text = req.get_param_value("since");
    const auto* end = text.data() + text.size();
    const auto parsed = std::from_chars(text.data(), end, since);
    if (text.empty() || parsed.ec != std::errc{} || parsed.ptr != end) {
      return send_error(res, 400, "invalid_value",
                        "query parameter 'since' must be a cursor (an unsigned integer)",
                        json{{"field", "since"}});
    }
  }
  auto event = store->event(event_id);
  if (!event) {
    if (event.code() == DbError::not_found) {
      return send_error(res, 404, "unknown_event", "no such event: " + event_id);
    }
    return store_failure(res, store, event.error());
  }
  if (caller_event != event_id) {
    return send_error(res, 403, "wrong_event", "this device is provisioned for another event");
  }
  if (options.package_source) {
    // A relay: the upstream's own signed envelope, never one of the relay's making.
    auto served = options.package_source(since);
    if (!served) {
      return send_error(res, 503, "package_unavailable",
                        "this relay holds no event package yet; retry later");
    }
    res.set_header("X-Muster-Cursor", std::to_string(served->cursor));
    res.status = 200;
    return res.set_content(served->envelope, "application/json");
  }
  if (!league_key) {
    return send_error(res, 503, "package_signing_unavailable",
                      "the server was started without the League signing key");
  }
  // The same builder as `muster-server package`: what it cannot read is an error, not a
  // package with fewer keys or certificates than the League has.
  auto built = build_event_package(*store, event_id, since, now_instant());
  if (!built) {
    if (built.code() == AdminError::damaged) {
      std::cerr << "muster-server: package: " << built.message() << '\n';
      return send_error(res, 500, "package_unavailable",
                        "the server cannot build the event package (see its log)");
    }
    if (built.code() == AdminError::not_found) {
      return send_error(res, 404, "unknown_event", "no such event: " + event_id);
    }
    return send_store_unavailable(res, built.message());
  }
  EventPackage& package = *built;
  res.set_header("X-Muster-Cursor", std::to_string(package.cursor));
  // httplib gzips (or brotli-compresses) application/json when the client accepts it.
  res.status = 200;
  res.set_content(sign_package(package, *league_key), "application/json");
}

// GET /api/v1/events/{id}/scans: the other doors' attendance scans, so that a door knows of an
// arrival at the room's other door (sync/PROTOCOL.md, "Other doors' scans").
void HttpServer::Impl::handle_peer_scans(const httplib::Request& req, httplib::Response& res) {
  auto store = stores.acquire();
  if (!store) return send_store_unavailable(res, store.message());
  const auto device = authenticate(req, res, *store);
  if (!device) return;
  const std::string event_id = req.matches[1];
  if (!is_valid_path_id(event_id) || device->event_id != event_id) {
    return send_error(res, 403, "wrong_event", "this device is provisioned for another event");
  }
  PeerCursor after;
  const auto number = [&](const char* name, auto& value) {
    if (!req.has_param(name)) return true;
    const std::string text = req.get_param_value(name);
    const auto* end = text.data() + text.size();
    const auto parsed = std::from_chars(text.data(), end, value);
    return !text.empty() && parsed.ec == std::errc{} && parsed.ptr == end;
  };
  if (!number("after_ms", after.received_ms) || !number("after_seq", after.sequence)) {
    return send_error(res, 400, "invalid_value",
                      "after_ms and after_seq must be integers (the cursor of the last answer)");
  }
  if (req.has_param("after_device")) {
    after.device_id = req.get_param_value("after_device");
    if (!after.device_id.empty() && !is_valid_path_id(after.device_id)) {
      return send_error(res, 400, "invalid_value", "after_device is not a device id",
                        json{{"field", "after_device"}});
    }
  }
  constexpr std::size_t kPeerScansPerAnswer = 2000;
  auto found = (*store)->peer_scans(event_id, device->id, after, kPeerScansPerAnswer);
  if (!found) return store_failure(res, *store, found.error());
  std::string body = "{\"scans\":[";
  for (std::size_t i = 0; i < found->scans.size(); ++i) {
    if (i > 0) body += ',';
    body += scan_to_json(found->scans[i]);
  }
  body += "],\"cursor\":" +
          json{{"after_ms", found->cursor.received_ms},
               {"after_device", found->cursor.device_id},
               {"after_seq", found->cursor.sequence}}
              .dump() +
          ",\"more\":" + (found->more ? "true" : "false") + "}";
  res.status = 200;
  res.set_content(body, "application/json");
}

void HttpServer::Impl::handle_scans(const httplib::Request& req, httplib::Response& res) {
  auto store = stores.acquire();
  if (!store) return send_store_unavailable(res, store.message());
  const std::string path_device = req.matches[1];
  const auto device = authenticate_pusher(req, res, *store, path_device);
  if (!device) return;

  auto batch = parse_scan_batch(req.body);
  if (!batch) return send_body_error(res, batch.error());
  const auto answer = ingest_scans(**store, *device, std::move(batch.value()), now_instant());
  if (answer.store_error) return store_failure(res, *store, *answer.store_error);
  if (!answer.metric_label.empty()) metrics.count_rejected_batch(answer.metric_label);
  if (answer.ok()) {
    metrics.add_scans_stored(answer.stored);
    metrics.set_sync_lag(device->id, answer.lag);
    if (answer.stored > 0 && options.on_scans_stored) options.on_scans_stored();
  }
  res.status = answer.status;
  res.set_content(ingest_answer_body(answer), "application/json");
}

// POST /api/v1/devices/{id}/branches (sync/PROTOCOL.md "Branches"): a kiosk whose scans from
// `diverged_at` on differ from what the server holds (restored from an old backup, or a cloned
// store) continues as a new device linked to this one, so that both histories are kept.
void HttpServer::Impl::handle_branch(const httplib::Request& req, httplib::Response& res) {
  auto store = stores.acquire();
  if (!store) return send_store_unavailable(res, store.message());
  const auto device = authenticate(req, res, *store);
  if (!device) return;
  const std::string path_device = req.matches[1];
  if (path_device != device->id) {
    return send_error(res, 403, "wrong_device", "a device token only branches its own device");
  }
  const json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return send_error(res, 400, "malformed_json", "the body is not a JSON object");
  }
  for (const char* field : {"diverged_at", "hash"}) {
    if (!body.contains(field)) {
      return send_error(res, 400, "missing_field", std::string("field '") + field + "' is missing",
                        json{{"field", field}});
    }
  }
  if (!body["diverged_at"].is_number_unsigned()) {
    return send_error(res, 400, "wrong_type", "field 'diverged_at' must be an integer >= 1",
                      json{{"field", "diverged_at"}});
  }
  if (!body["hash"].is_string()) {
    return send_error(res, 400, "wrong_type", "field 'hash' must be a string",
                      json{{"field", "hash"}});
  }
  const auto diverged_at = body["diverged_at"].get<std::uint64_t>();
  const auto hash = body["hash"].get<std::string>();
  if (diverged_at == 0 ||
      diverged_at > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return send_error(res, 400, "invalid_value", "field 'diverged_at' must be >= 1",
                      json{{"field", "diverged_at"}});
  }
  if (!digest_from_hex(hash)) {
    return send_error(res, 400, "invalid_value", "field 'hash' must be 64 hexadecimal characters",
                      json{{"field", "hash"}});
  }
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

void HttpServer::Impl::handle_healthz(httplib::Response& res) {
  auto store = stores.acquire();
  if (!store) {
    std::cerr << "muster-server: health check: " << store.message() << '\n';
    res.status = 503;
    return res.set_content("unhealthy: database unavailable\n", "text/plain");
  }
  auto league = (*store)->league();
  if (!league) {
    if (league.code() == DbError::io) store->mark_broken();
    std::cerr << "muster-server: health check: " << league.message() << '\n';
    res.status = 503;
    return res.set_content("unhealthy: database unavailable\n", "text/plain");
  }
  res.status = 200;
  res.set_content("ok\n", "text/plain");
}

void HttpServer::Impl::handle_metrics(httplib::Response& res) {
  std::vector<DeviceSeen> seen;
  if (auto store = stores.acquire()) {
    if (auto devices = (*store)->devices()) {
      for (const auto& d : *devices)
        seen.push_back({d.id, d.name, d.last_seen, d.rollbacks});
    }
  }
  res.status = 200;
  res.set_content(metrics.render(seen), "text/plain; version=0.0.4");
}

void HttpServer::Impl::install_routes() {
  auto& s = *server;
  // Every handler runs after its request was read in full: from here until the answer is
  // written, the connection guard leaves the connection alone.
  const auto guarded = [this](auto handler) {
    return [this, handler](const httplib::Request& req, httplib::Response& res) {
      if (guard) guard->handling(req.remote_addr, req.remote_port);
      handler(req, res);
    };
  };
  s.Post("/api/v1/devices", guarded([this](const httplib::Request& req, httplib::Response& res) {
           handle_provision(req, res);
         }));
  s.Get(R"(/api/v1/events/([^/]+)/package)",
        guarded([this](const httplib::Request& req, httplib::Response& res) {
          handle_package(req, res);
        }));
  s.Get(R"(/api/v1/events/([^/]+)/scans)",
        guarded([this](const httplib::Request& req, httplib::Response& res) {
          handle_peer_scans(req, res);
        }));
  s.Post(R"(/api/v1/devices/([^/]+)/scans)",
         guarded([this](const httplib::Request& req, httplib::Response& res) {
           handle_scans(req, res);
         }));
  s.Post(R"(/api/v1/devices/([^/]+)/branches)",
         guarded([this](const httplib::Request& req, httplib::Response& res) {
           handle_branch(req, res);
         }));
  s.Get("/api/v1/relay/package",
        guarded([this](const httplib::Request& req, httplib::Response& res) {
          handle_relay_package(req, res);
        }));
  s.Post("/api/v1/relay/devices",
         guarded([this](const httplib::Request& req, httplib::Response& res) {
           handle_relay_device(req, res);
         }));
  s.Get(R"(/api/v1/officials/([^/]+)/transcript)",
        guarded([this](const httplib::Request& req, httplib::Response& res) {
          handle_transcript(stores, options, req, res);
        }));
  s.Get("/api/v1/time", guarded([](const httplib::Request&, httplib::Response& res) {
          send_json(res, 200, time_json(now_instant()));
        }));
  s.Get("/healthz",
        guarded([this](const httplib::Request&, httplib::Response& res) { handle_healthz(res); }));
  s.Get("/metrics",
        guarded([this](const httplib::Request&, httplib::Response& res) { handle_metrics(res); }));
  install_console_routes(s, {options.database, tls, options.threads}); // /console
  if (options.official_mail) install_me_routes(s, {options.database, tls, *options.official_mail});
  // The console's pages (web/) are read in full before routing too: the guard leaves them alone
  // like the API's (a live page's stream must not count as a client still sending).
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response&) {
    if (guard && (req.path.rfind("/console", 0) == 0 || req.path.rfind("/me", 0) == 0))
      guard->handling(req.remote_addr, req.remote_port);
    return httplib::Server::HandlerResponse::Unhandled;
  });

  // Runs for every status >= 400; fills the JSON error body when a handler did not.
  s.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    switch (res.status) {
    case 404:
      return send_error(res, 404, "not_found", "no such endpoint");
    case 413:
      return send_error(res, 413, "body_too_large", "the request body exceeds the size limit");
    case 400:
      return send_error(res, 400, "bad_request", "the request could not be read");
    default: {
      const int status = res.status;
      return send_error(res, status, "http_" + std::to_string(status), "the request failed");
    }
    }
  });
  // Exceptions are bugs: caught once here, logged, and answered without internals.
  s.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr error) {
        try {
          if (error) std::rethrow_exception(error);
        } catch (const std::exception& e) {
          std::cerr << "muster-server: internal error in " << req.method << ' ' << req.path << ": "
                    << e.what() << '\n';
        } catch (...) {
          std::cerr << "muster-server: internal error in " << req.method << ' ' << req.path << '\n';
        }
        send_error(res, 500, "internal", "internal server error");
      });
  // Counted before the response is written (the logger runs after), so a client that reads
  // /metrics right after an answer sees it counted.
  s.set_post_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    metrics.count_request(endpoint_label(req), res.status);
  });
  // Runs after the answer was written: the connection's next request gets a fresh deadline.
  s.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    if (guard) guard->answered(req.remote_addr, req.remote_port);
    if (options.log_requests) {
      // Path only (no query, no headers): nothing secret ends up in the log.
      std::cerr << req.remote_addr << ' ' << req.method << ' ' << req.path << ' ' << res.status
                << '\n';
    }
  });
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { stop(); }

int HttpServer::port() const { return impl_->port; }
bool HttpServer::tls() const { return impl_->tls; }

void HttpServer::stop() {
  if (impl_->stopped.exchange(true)) return;
  if (impl_->guard) impl_->guard->stop();
  impl_->server->stop();
  if (impl_->listener.joinable()) impl_->listener.join();
}

namespace {
// Debian's libcpp-httplib 0.11 is a compiled library that listens with a backlog of 5: when
// more than 5 kiosks connect at once (every door syncing after the network returns) the kernel
// drops handshakes, and clients stall a second or see the connection fail. Calling listen()
// again on the bound socket raises the backlog (Linux allows it); httplib offers no access to
// its socket, so it is found by its listening port.
void widen_listen_backlog(int port) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", error)) {
    int fd = -1;
    const std::string name = entry.path().filename().string();
    if (std::from_chars(name.data(), name.data() + name.size(), fd).ec != std::errc{}) continue;
    int listening = 0;
    socklen_t length = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0 || listening == 0) {
      continue;
    }
    sockaddr_storage address{};
    socklen_t address_length = sizeof address;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &address_length) != 0) continue;
    int bound_port = -1;
    if (address.ss_family == AF_INET) {
      bound_port = ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
    } else if (address.ss_family == AF_INET6) {
      bound_port = ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port);
    }
    if (bound_port == port) (void)::listen(fd, SOMAXCONN);
  }
}
} // namespace

Result<std::unique_ptr<HttpServer>, HttpError> HttpServer::start(const HttpOptions& options) {
  if (sodium_init() < 0) return fail(HttpError::invalid, "libsodium could not be initialised");
  if (options.threads < 1 || options.threads > 256) {
    return fail(HttpError::invalid, "threads must be between 1 and 256");
  }
  if (options.port < 0 || options.port > 65535) {
    return fail(HttpError::invalid, "port must be between 0 and 65535");
  }
  if (options.tls_cert.has_value() != options.tls_key.has_value()) {
    return fail(HttpError::invalid, "TLS needs both a certificate and a key");
  }
  if (options.request_read_timeout.count() < 1 || options.max_connections_per_address < 0) {
    return fail(HttpError::invalid, "the request read timeout must be positive and the "
                                    "per-address connection limit 0 (none) or more");
  }
  if (options.provision_attempts_per_window < 1 || options.provision_window.count() < 1) {
    return fail(HttpError::invalid, "the provisioning rate limit must allow at least one attempt");
  }

  auto impl = std::make_unique<Impl>(options);
  {
    // Fail now, not on the first request, when the database is missing or not initialised.
    auto store = impl->stores.acquire();
    if (!store) return fail(HttpError::store, store.message());
    auto league = (*store)->league();
    if (!league) return fail(HttpError::store, league.message());
  }
  if (options.league_key_file) {
    auto key = load_league_key(*options.league_key_file);
    if (!key) return fail(HttpError::league_key, key.message());
    impl->league_key.emplace(std::move(key.value()));
  }

  if (options.tls_cert) {
    for (const auto& file : {*options.tls_cert, *options.tls_key}) {
      std::error_code ec;
      if (!std::filesystem::is_regular_file(file, ec)) {
        return fail(HttpError::tls, "cannot read " + file.string());
      }
    }
    auto ssl =
        std::make_unique<httplib::SSLServer>(options.tls_cert->c_str(), options.tls_key->c_str());
    if (!ssl->is_valid()) {
      return fail(HttpError::tls, "the TLS certificate or key is invalid or they do not match");
    }
    impl->server = std::move(ssl);
    impl->tls = true;
  } else {
    impl->server = std::make_unique<httplib::Server>();
  }
  // A client that disconnects mid-answer must not kill the server with SIGPIPE (OpenSSL writes).
  std::signal(SIGPIPE, SIG_IGN);

  auto& server = *impl->server;
  const auto threads = static_cast<std::size_t>(options.threads);
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_payload_max_length(options.max_body_bytes);
  impl->install_routes();

  if (options.port == 0) {
    impl->port = server.bind_to_any_port(options.host);
    if (impl->port <= 0) return fail(HttpError::bind, "cannot listen on " + options.host);
  } else {
    if (!server.bind_to_port(options.host, options.port)) {
      return fail(HttpError::bind, "cannot listen on " + options.host + ":" +
                                       std::to_string(options.port) + " (in use or not allowed)");
    }
    impl->port = options.port;
  }
  widen_listen_backlog(impl->port);
  // httplib's own per-read timeouts bound a silent client; the guard bounds a slow one.
  server.set_read_timeout(std::chrono::seconds(5));
  server.set_write_timeout(std::chrono::seconds(30));
  impl->guard = std::make_unique<ConnectionGuard>(impl->port, options.request_read_timeout,
                                                  options.max_connections_per_address);
  impl->guard->start();
  impl->listener = std::thread([&server] { server.listen_after_bind(); });

  // 0.11.4 has no wait_until_ready(): poll is_running(), bounded.
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (!server.is_running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (!server.is_running()) {
    server.stop();
    impl->listener.join();
    return fail(HttpError::bind, "the HTTP server did not start");
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

int run_http_server(const HttpOptions& options) {
  // Block the stop signals before any thread starts so that only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto server = HttpServer::start(options);
  if (!server) {
    std::cerr << "muster-server: cannot serve: " << server.message() << '\n';
    return 1;
  }
  std::cerr << "muster-server: listening on " << ((*server)->tls() ? "https" : "http") << "://"
            << options.host << ':' << (*server)->port() << " (database: "
            << (options.database.rfind("postgres", 0) == 0 ? "postgresql" : options.database) << ")"
            << (options.league_key_file ? "" : "; no League key: packages disabled") << '\n';
  int received = 0;
  sigwait(&stop_signals, &received);
  std::cerr << "muster-server: stopping (" << (received == SIGINT ? "SIGINT" : "SIGTERM") << ")\n";
  (*server)->stop();
  return 0;
}

} // namespace muster::server
