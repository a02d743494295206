#pragma once
// A small HTTPS client over ONE reused libcurl handle (keep-alive): JSON GET and POST with a
// bearer token, gzip, connect and total timeouts, TLS verification always on, an optional CA
// file and public-key pin. No curl type appears here (pimpl). Not thread-safe: one per thread.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "shared/result.hpp"

namespace muster::sync {

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout{30000}; // a whole request, answer included
  std::string ca_file;                            // empty: the system's CA certificates
  std::string pinned_public_key;    // CURLOPT_PINNEDPUBLICKEY: "sha256//BASE64" or a key file
  bool allow_insecure_http = false; // plain http to a host that is not loopback
  // Polled during a transfer; true aborts it (the engine's stop() must not wait for a timeout).
  std::function<bool()> cancelled;
};

enum class TransportError : std::uint8_t {
  invalid_url,  // not an http(s) URL
  insecure_url, // plain http to a non-loopback host without allow_insecure_http
  connect,      // refused, unreachable, name not found
  timeout,      // connect or total timeout
  tls,          // certificate or pin did not verify
  reset,        // the connection broke (reset, nothing received, send/receive error)
  cancelled,    // HttpClientOptions::cancelled said stop
  truncated,    // the answer ended before its announced length
  other,
};
std::string_view to_string(TransportError error);

struct HttpResponse {
  long status = 0;
  std::string body;
  std::optional<std::chrono::seconds> retry_after; // Retry-After header, seconds form
  std::optional<std::string> muster_cursor;        // X-Muster-Cursor header
  std::size_t request_bytes = 0;                   // body bytes sent
};

// https always; http only to 127.0.0.0/8, ::1 or localhost unless allow_insecure_http.
Result<Ok, TransportError> check_server_url(std::string_view url, bool allow_insecure_http);

class HttpClient {
public:
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  [[nodiscard]] const HttpClientOptions& options() const;

  // bearer: "" sends no Authorization header. An HTTP error status is a response, not an error.
  Result<HttpResponse, TransportError> get(const std::string& url, std::string_view bearer);
  Result<HttpResponse, TransportError> post_json(const std::string& url, std::string_view body,
                                                 std::string_view bearer);

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
};

} // namespace muster::sync
