#pragma once
// muster-server's HTTP API (/api/v1, JSON; /healthz and /metrics at the root) on cpp-httplib.
// The wire contract is sync/PROTOCOL.md. No httplib or libpq type appears here: the server
// lives behind a pimpl so that callers (the CLI, tests) include only this header.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "shared/result.hpp"
#include "sync/server/mail/smtp.hpp"

namespace muster::server {

inline constexpr std::size_t kDefaultMaxBodyBytes = std::size_t{8} * 1024 * 1024;

// A package envelope someone else signed, as a venue relay serves it (relay.hpp).
struct ServedPackage {
  std::string envelope; // the signed envelope, exactly as the League server sent it
  std::uint64_t cursor = 0;
};

struct HttpOptions {
  std::string database; // SQLite path or postgresql:// URL (open_server_store)
  std::string host = "127.0.0.1";
  int port = 8080; // 0: any free port (tests); HttpServer::port() tells which
  std::optional<std::filesystem::path> tls_cert; // both set: HTTPS (httplib::SSLServer)
  std::optional<std::filesystem::path> tls_key;
  // The League signing key (league_key.hpp) that signs event packages. Without it the package
  // endpoint answers 503 "package_signing_unavailable"; everything else works.
  std::optional<std::filesystem::path> league_key_file;
  std::size_t max_body_bytes = kDefaultMaxBodyBytes; // larger request bodies get 413
  int threads = 8;                                   // worker threads (one store each)
  // Live console pages (Server-Sent Event streams) open at once; each holds a thread of its own,
  // outside the `threads` that serve requests (worker_pool.hpp). More get 503 and reload.
  int live_streams = 100;
  // Provisioning attempts per client IP per window; more get 429 with Retry-After.
  int provision_attempts_per_window = 10;
  std::chrono::seconds provision_window{60};
  // The clock those windows are measured on; empty: std::chrono::steady_clock. Tests set one
  // they advance, so a window passes without sleeping. Called from worker threads.
  std::function<std::chrono::steady_clock::time_point()> provision_clock;
  // Lifetime of a provisioning code is the CLI's business; the token never expires (revoke the
  // device instead). Reserved for admin endpoints: crypto_generichash hex of the admin token.
  std::string admin_token_hash;
  bool log_requests = true; // one line per request to stderr (method, path, status; no secrets)
  // A connection must finish sending each request (headers and body) within this time of its
  // arrival or of its previous answer, or it is closed (connection_guard.hpp: slow clients
  // must not hold the worker threads).
  std::chrono::milliseconds request_read_timeout{20'000};
  // Connections of one client address still sending a request; more are closed. 0: no limit
  // (behind a reverse proxy every client has the proxy's address: limit there instead).
  int max_connections_per_address = 6;
  // A venue relay (relay.hpp) has no League key: when set, the package endpoint answers with
  // what this returns for the kiosk's `since` (the upstream's signed envelopes; nullopt: 503
  // package_unavailable) instead of signing a package itself. Called from worker threads.
  std::function<std::optional<ServedPackage>(std::uint64_t since)> package_source;
  // Called after a push stored new scans (a relay wakes its forwarder). Worker threads.
  std::function<void()> on_scans_stored;
  // Set: the officials' own page /me/ (web/me_routes.hpp), its sign-in codes mailed with this.
  std::optional<mail::SmtpSettings> official_mail;
  // The credit program everything served follows (serve --program): /me/, the console's
  // transcript and report downloads, the API's transcripts. nullopt: the default program file.
  std::optional<std::filesystem::path> program_file;
};

enum class HttpError : std::uint8_t {
  store,      // the database could not be opened (message from the store)
  league_key, // league_key_file given but unreadable or invalid
  tls,        // certificate or key missing/invalid
  bind,       // host:port could not be bound
  invalid,    // bad options (threads < 1, tls_cert without tls_key, ...)
};
std::string_view to_string(HttpError error);

// A running server on its own thread. Used by run_http_server and directly by tests.
class HttpServer {
public:
  // Opens the store(s), binds host:port (port 0: ephemeral), starts listening on a background
  // thread and returns once the server accepts connections.
  static Result<std::unique_ptr<HttpServer>, HttpError> start(const HttpOptions& options);

  ~HttpServer(); // stops and joins
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  [[nodiscard]] int port() const;
  [[nodiscard]] bool tls() const;
  void stop(); // idempotent; returns after the listener thread has ended

  struct Impl;

private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Runs the server until SIGINT or SIGTERM. Returns the process exit code (0 after a clean
// stop; 1 with a message on stderr when it could not start).
int run_http_server(const HttpOptions& options);

// The hash under which tokens and provisioning codes are stored (BLAKE2b-256 hex of the text).
// Fine for high-entropy secrets; the CLI uses it when it creates a provisioning code.
std::string hash_secret(std::string_view secret);

} // namespace muster::server
