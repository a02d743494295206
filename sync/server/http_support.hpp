#pragma once
// What the http_*.cpp files share: the error answers, token parsing, the store pool, the
// provisioning rate limiter and HttpServer::Impl (the routes' state). Internal to the HTTP API;
// nothing outside sync/server/http_*.cpp includes it (callers use http_api.hpp).
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "shared/badge.hpp"
#include "shared/scan_json.hpp"
#include "sync/server/connection_guard.hpp"
#include "sync/server/http_api.hpp"
#include "sync/server/ledger_store.hpp"
#include "sync/server/live_hub.hpp"
#include "sync/server/metrics.hpp"
#include "sync/server/relay_store.hpp"
#include "sync/server/server_store.hpp"

namespace muster::server::http_support {

using nlohmann::json;

inline constexpr int kProtocolVersion = 1;
inline constexpr std::size_t kTokenSecretBytes = 32;
inline constexpr std::size_t kMaxPathIdLength = kMaxIdLength;

Instant now_instant();
std::string random_hex(std::size_t bytes);

// Every error body has one shape: {"error":{"code":..., "message":..., ...extra}}.
void send_json(httplib::Response& res, int status, const json& body);
void send_error(httplib::Response& res, int status, std::string_view code, std::string_view message,
                json extra_error = json::object(), json extra_top = json::object());
void send_body_error(httplib::Response& res, const Error<BodyError>& error);
// Storage failures the client cannot fix: say so without the database's own words.
void send_store_unavailable(httplib::Response& res, std::string_view detail);
// 401 with the Bearer challenge.
void send_unauthorized(httplib::Response& res, std::string_view message);

// The label for /metrics: the route, never the raw path (ids would explode the series).
std::string endpoint_label(const httplib::Request& req);

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

  DbResult<Lease> acquire();
  void give_back(std::unique_ptr<ServerStore> store);

private:
  static constexpr std::size_t kMaxIdle = 64;
  std::string database_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<ServerStore>> idle_;
};

// Fixed-window attempt counter per client address (provisioning codes are guessable only by
// trying; this bounds the tries). Behind a proxy all clients share the proxy's address.
// The clock is injectable so that a test advances it instead of sleeping out a window.
class RateLimiter {
public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  // An empty clock reads std::chrono::steady_clock.
  RateLimiter(int limit, std::chrono::seconds window, Clock clock = {});

  // nullopt: allowed. Otherwise the seconds to wait.
  std::optional<std::chrono::seconds> attempt(const std::string& client);

private:
  struct Window {
    std::chrono::steady_clock::time_point start;
    int count = 0;
  };
  static constexpr std::size_t kMaxClients = 10000;

  void forget_expired(std::chrono::steady_clock::time_point now);

  int limit_;
  std::chrono::seconds window_;
  Clock clock_;
  std::mutex mutex_;
  std::unordered_map<std::string, Window> windows_;
};

// Device tokens are "<device id>.<64 hex>": the id finds the record, the whole token is hashed
// and compared in constant time with the stored hash.
struct ParsedToken {
  std::string device_id;
  std::string token;
};
std::optional<ParsedToken> bearer_token(const httplib::Request& req);

// Relay tokens are "muster-relay.<64 hex>" (relay_store.hpp): no device id is "muster-relay".
bool is_relay_bearer(const httplib::Request& req);

// Bracket depth of a JSON text outside strings: a body nested deeper than the protocol allows
// is refused before a recursive parser sees it.
bool json_nested_within(std::string_view text, int limit);

bool is_valid_path_id(std::string_view id);

json time_json(Instant now);

} // namespace muster::server::http_support

namespace muster::server {

// The server's state: what the handlers in the http_*.cpp files share. One per HttpServer.
struct HttpServer::Impl {
  using Request = httplib::Request;
  using Response = httplib::Response;
  using Lease = http_support::StorePool::Lease;

  HttpOptions options;
  std::unique_ptr<httplib::Server> server;
  std::thread listener;
  http_support::StorePool stores;
  http_support::RateLimiter provision_limiter;
  Metrics metrics;
  std::optional<SigningKey> league_key;
  std::unique_ptr<ConnectionGuard> guard;
  int port = 0;
  bool tls = false;
  std::atomic<bool> stopped{false};
  std::shared_ptr<LiveHub> live; // the console's live pages, woken by each stored push

  explicit Impl(const HttpOptions& opts)
      : options(opts), stores(opts.database),
        provision_limiter(opts.provision_attempts_per_window, opts.provision_window,
                          opts.provision_clock),
        live(std::make_shared<LiveHub>(LiveHub::Limits{
            .max_streams = static_cast<std::size_t>(std::max(0, opts.live_streams))})) {}

  // Routing (http_api.cpp).
  void install_routes();
  void install_api_routes();
  void install_answer_handlers();

  // Devices (http_devices.cpp): provisioning, branches of restored kiosks.
  void handle_provision(const Request& req, Response& res);
  void handle_branch(const Request& req, Response& res);
  // Scans (http_scans.cpp): a device's push, the other doors' scans.
  void handle_scans(const Request& req, Response& res);
  void handle_peer_scans(const Request& req, Response& res);
  // Packages (http_packages.cpp): a device's or a relay's event package.
  void handle_package(const Request& req, Response& res);
  void handle_relay_package(const Request& req, Response& res);
  void send_package(const Request& req, Response& res, Lease& store, const std::string& event_id,
                    const std::string& caller_event);
  // Venue relays (http_relay_devices.cpp): a device a relay registered.
  void handle_relay_device(const Request& req, Response& res);
  // League staff and monitoring (http_admin.cpp): transcripts, the time, /healthz, /metrics.
  void handle_transcript(const Request& req, Response& res);
  void handle_time(const Request& req, Response& res);
  void handle_healthz(const Request& req, Response& res);
  void handle_metrics(const Request& req, Response& res);

  // ---- Who asks (http_auth.cpp) ----
  // The venue relay's side of the League server (relay.hpp, PROTOCOL.md "Venue relays").
  struct RelayCaller {
    std::string event_id;
    std::string label;
  };
  std::mutex relay_mutex;
  std::vector<std::unique_ptr<RelayStore>> relay_idle; // open relay-table connections
  DbResult<std::unique_ptr<RelayStore>> take_relay_store();
  // Only connections that did not fail come back (a failed one is dropped).
  void give_back_relay_store(std::unique_ptr<RelayStore> relay);
  // The relay token's event; answers 401/503 itself when there is none.
  std::optional<RelayCaller> authenticate_relay(const Request& req, Response& res);
  // A push's device: the device token's own, or one a relay of its event registered.
  std::optional<DeviceRecord> authenticate_pusher(const Request& req, Response& res, Lease& store,
                                                  const std::string& path_device);
  std::optional<DeviceRecord> authenticate_relay_pusher(const Request& req, Response& res,
                                                        Lease& store,
                                                        const std::string& path_device);
  // The device the request's bearer token belongs to; answers 401/503 itself when there is none.
  std::optional<DeviceRecord> authenticate(const Request& req, Response& res, Lease& store);
  // An admin token's ledger connection (it answers the transcript); answers 401/403/503 itself.
  std::optional<std::unique_ptr<LedgerStore>> authenticate_admin(const Request& req, Response& res);
  // Records when a device was last heard of (monitoring), at most once a second.
  static void touch_seen(Lease& store, const DeviceRecord& device);
  void store_failure(Response& res, Lease& store, const Error<DbError>& error);
};

} // namespace muster::server
