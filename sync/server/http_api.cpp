#include "sync/server/http_api.hpp"
#include "shared/sodium_init.hpp"

#include <netinet/in.h>
#include <sodium.h>
#include <sys/socket.h>

#include <charconv>
#include <csignal>
#include <filesystem>
#include <iostream>

#include "sync/server/http_support.hpp"
#include "sync/server/league_key.hpp"
#include "sync/server/web/console.hpp"
#include "sync/server/web/me_routes.hpp"
#include "sync/server/worker_pool.hpp"

// The HTTP API's server and routing. The handlers live by resource: http_devices.cpp,
// http_scans.cpp, http_packages.cpp, http_relay_devices.cpp, http_admin.cpp; who asks is
// settled in http_auth.cpp; what they share is http_support.hpp.
namespace muster::server {

using namespace http_support; // NOLINT(google-build-using-namespace)

namespace {
constexpr auto kStartTimeout = std::chrono::seconds(10);
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

void HttpServer::Impl::install_routes() {
  install_api_routes();
  install_console_routes(*server, {options.database, tls, options.threads, live, nullptr,
                                   options.program_file}); // /console
  if (options.official_mail) {
    install_me_routes(*server,
                      {options.database, tls, *options.official_mail, options.program_file}); // /me
  }
  install_answer_handlers();
}

void HttpServer::Impl::install_api_routes() {
  auto& s = *server;
  // Every handler runs after its request was read in full: from here until the answer is
  // written, the connection guard leaves the connection alone.
  const auto guarded = [this](auto handler) {
    return [this, handler](const Request& req, Response& res) {
      if (guard) guard->handling(req.remote_addr, req.remote_port);
      (this->*handler)(req, res);
    };
  };
  s.Post("/api/v1/devices", guarded(&Impl::handle_provision));
  s.Get(R"(/api/v1/events/([^/]+)/package)", guarded(&Impl::handle_package));
  s.Get(R"(/api/v1/events/([^/]+)/scans)", guarded(&Impl::handle_peer_scans));
  s.Post(R"(/api/v1/devices/([^/]+)/scans)", guarded(&Impl::handle_scans));
  s.Post(R"(/api/v1/devices/([^/]+)/branches)", guarded(&Impl::handle_branch));
  s.Get("/api/v1/relay/package", guarded(&Impl::handle_relay_package));
  s.Post("/api/v1/relay/devices", guarded(&Impl::handle_relay_device));
  s.Get(R"(/api/v1/officials/([^/]+)/transcript)", guarded(&Impl::handle_transcript));
  s.Get("/api/v1/time", guarded(&Impl::handle_time));
  s.Get("/healthz", guarded(&Impl::handle_healthz));
  s.Get("/metrics", guarded(&Impl::handle_metrics));
  // The console's pages (web/) are read in full before routing too: the guard leaves them alone
  // like the API's (a live page's stream must not count as a client still sending).
  s.set_pre_routing_handler([this](const Request& req, Response&) {
    if (guard && (req.path.rfind("/console", 0) == 0 || req.path.rfind("/me", 0) == 0))
      guard->handling(req.remote_addr, req.remote_port);
    return httplib::Server::HandlerResponse::Unhandled;
  });
}

void HttpServer::Impl::install_answer_handlers() {
  auto& s = *server;
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
  impl_->live->shutdown(); // ends the live streams now: stopping joins the threads they hold
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

namespace {

Result<Ok, HttpError> check_options(const HttpOptions& options) {
  if (!sodium_started()) return fail(HttpError::invalid, "libsodium could not be initialised");
  if (options.threads < 1 || options.threads > 256) {
    return fail(HttpError::invalid, "threads must be between 1 and 256");
  }
  if (options.live_streams < 0 || options.live_streams > 1000) {
    return fail(HttpError::invalid, "live streams must be between 0 and 1000");
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
  return Ok{};
}

// Checks the store and the League key, and makes the plain or TLS server.
Result<Ok, HttpError> prepare(HttpServer::Impl& impl, const HttpOptions& options) {
  {
    // Fail now, not on the first request, when the database is missing or not initialised.
    auto store = impl.stores.acquire();
    if (!store) return fail(HttpError::store, store.message());
    auto league = (*store)->league();
    if (!league) return fail(HttpError::store, league.message());
  }
  if (options.league_key_file) {
    auto key = load_league_key(*options.league_key_file);
    if (!key) return fail(HttpError::league_key, key.message());
    impl.league_key.emplace(std::move(key.value()));
  }
  if (!options.tls_cert) {
    impl.server = std::make_unique<httplib::Server>();
    return Ok{};
  }
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
  impl.server = std::move(ssl);
  impl.tls = true;
  return Ok{};
}

Result<Ok, HttpError> bind_port(HttpServer::Impl& impl, const HttpOptions& options) {
  auto& server = *impl.server;
  if (options.port == 0) {
    impl.port = server.bind_to_any_port(options.host);
    if (impl.port <= 0) return fail(HttpError::bind, "cannot listen on " + options.host);
  } else {
    if (!server.bind_to_port(options.host, options.port)) {
      return fail(HttpError::bind, "cannot listen on " + options.host + ":" +
                                       std::to_string(options.port) + " (in use or not allowed)");
    }
    impl.port = options.port;
  }
  widen_listen_backlog(impl.port);
  return Ok{};
}

} // namespace

Result<std::unique_ptr<HttpServer>, HttpError> HttpServer::start(const HttpOptions& options) {
  if (auto checked = check_options(options); !checked) return checked.error();
  auto impl = std::make_unique<Impl>(options);
  if (auto prepared = prepare(*impl, options); !prepared) return prepared.error();
  // A client that disconnects mid-answer must not kill the server with SIGPIPE (OpenSSL writes).
  std::signal(SIGPIPE, SIG_IGN);

  auto& server = *impl->server;
  const auto threads = static_cast<std::size_t>(options.threads);
  const auto streams = static_cast<std::size_t>(options.live_streams);
  server.new_task_queue = [threads, streams] { return new WorkerPool(threads, streams); };
  server.set_payload_max_length(options.max_body_bytes);
  impl->install_routes();
  if (auto bound = bind_port(*impl, options); !bound) return bound.error();
  // httplib's own per-read timeouts bound a silent client; the guard bounds a slow one.
  server.set_read_timeout(std::chrono::seconds(5));
  server.set_write_timeout(std::chrono::seconds(30));
  impl->guard = std::make_unique<ConnectionGuard>(impl->port, options.request_read_timeout,
                                                  options.max_connections_per_address);
  impl->guard->start();
  impl->listener = std::thread([&server] { server.listen_after_bind(); });
  // The one notifier that sees scans stored outside this process (the CLI, another server on
  // the same PostgreSQL); this process's pushes wake the pages directly (http_scans.cpp).
  impl->live->watch(
      [&impl = *impl]() -> std::optional<std::uint64_t> {
        auto store = impl.stores.acquire();
        if (!store) return std::nullopt;
        auto count = (*store)->scan_count();
        if (!count) return std::nullopt;
        return *count;
      },
      std::chrono::seconds(1));

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
