// The HTTP API's shared pieces (http_support.hpp): error answers, token parsing, the store
// pool and the provisioning rate limiter.
#include "sync/server/http_support.hpp"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <iostream>

#include "shared/time.hpp"

namespace muster::server::http_support {

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

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void send_error(httplib::Response& res, int status, std::string_view code, std::string_view message,
                json extra_error, json extra_top) {
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

void send_store_unavailable(httplib::Response& res, std::string_view detail) {
  std::cerr << "muster-server: storage error: " << detail << '\n';
  send_error(res, 503, "store_unavailable", "the server's database is unavailable; retry later");
  res.set_header("Retry-After", "5");
}

void send_unauthorized(httplib::Response& res, std::string_view message) {
  res.set_header("WWW-Authenticate", "Bearer realm=\"muster\"");
  send_error(res, 401, "unauthorized", message);
}

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

DbResult<StorePool::Lease> StorePool::acquire() {
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

void StorePool::give_back(std::unique_ptr<ServerStore> store) {
  const std::lock_guard lock(mutex_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(store));
}

RateLimiter::RateLimiter(int limit, std::chrono::seconds window, Clock clock)
    : limit_(limit), window_(window), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
}

std::optional<std::chrono::seconds> RateLimiter::attempt(const std::string& client) {
  const auto now = clock_();
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

void RateLimiter::forget_expired(std::chrono::steady_clock::time_point now) {
  std::erase_if(windows_, [&](const auto& entry) { return now - entry.second.start >= window_; });
}

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

} // namespace muster::server::http_support
