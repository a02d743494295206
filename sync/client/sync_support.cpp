#include "sync/client/sync_support.hpp"

#include <chrono>

namespace muster::sync::detail {

std::string trim_slash(std::string_view url) {
  std::string out(url);
  while (!out.empty() && out.back() == '/')
    out.pop_back();
  return out;
}

Instant now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

std::int64_t now_ms() { return now().time_since_epoch().count(); }

// Which failures are worth retrying and which need a person (PROTOCOL.md, "Retry rules").
Error<SyncError> status_error(const HttpResponse& response, std::string_view what) {
  const ServerError e = server_error(response);
  const std::string words =
      std::string(what) + ": " + e.message + (e.code.empty() ? "" : " (" + e.code + ")");
  const long s = response.status;
  if (s >= 500 || s == 429 || s == 408) return fail(SyncError::unreachable, words);
  if (s == 401 || s == 403 || s == 404) {
    return fail(SyncError::unauthorized,
                words + "; provision this kiosk again (muster-kiosk provision URL CODE)");
  }
  return fail(SyncError::refused, words + "; the server will refuse this again, staff must look");
}

Error<SyncError> transport_error(const Error<TransportError>& e, std::string_view what) {
  if (e.code == TransportError::invalid_url || e.code == TransportError::insecure_url) {
    return fail(SyncError::bad_url, e.message);
  }
  std::string words;
  switch (e.code) {
  case TransportError::connect:
    words = "cannot reach the server";
    break;
  case TransportError::timeout:
    words = "the server did not answer in time";
    break;
  case TransportError::tls:
    words = "the server's certificate or key did not verify";
    break;
  case TransportError::reset:
  case TransportError::truncated:
    words = "the connection broke";
    break;
  default:
    words = "network error";
    break;
  }
  return fail(SyncError::unreachable, std::string(what) + ": " + words + " (" + e.message + ")");
}

} // namespace muster::sync::detail
