#include "sync/client/http_client.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <mutex>

#include "shared/text.hpp"

namespace muster::sync {
namespace {

struct CurlDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool is_loopback_host(std::string host) {
  host = lower_ascii(host);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host == "localhost" || host == "::1") return true;
  // 127.0.0.0/8 only as an address literal: "127.attacker.invalid" is a name anyone may own.
  in_addr address{};
  return inet_pton(AF_INET, host.c_str(), &address) == 1 && (ntohl(address.s_addr) >> 24) == 127;
}

size_t write_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* cancelled = static_cast<const std::function<bool()>*>(user);
  return (*cancelled)() ? 1 : 0; // non-zero aborts the transfer
}

size_t write_header(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<HttpResponse*>(user);
  const std::string_view line(data, size * count);
  const auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    const std::string name = lower_ascii(line.substr(0, colon));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    if (name == "retry-after") {
      long long seconds = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
      if (ec == std::errc{} && seconds >= 0) response->retry_after = std::chrono::seconds{seconds};
    } else if (name == "x-muster-cursor") {
      response->muster_cursor = std::string(value);
    }
  } else if (line.rfind("HTTP/", 0) == 0) {
    // A new response (e.g. after 100 Continue): forget headers of the previous one.
    response->retry_after.reset();
    response->muster_cursor.reset();
  }
  return size * count;
}

TransportError classify(CURLcode code) {
  switch (code) {
  case CURLE_URL_MALFORMAT:
  case CURLE_UNSUPPORTED_PROTOCOL:
    return TransportError::invalid_url;
  case CURLE_COULDNT_CONNECT:
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
    return TransportError::connect;
  case CURLE_OPERATION_TIMEDOUT:
    return TransportError::timeout;
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_CERTPROBLEM:
    return TransportError::tls;
  case CURLE_PARTIAL_FILE:
  case CURLE_BAD_CONTENT_ENCODING:
    return TransportError::truncated;
  case CURLE_ABORTED_BY_CALLBACK:
    return TransportError::cancelled;
  case CURLE_GOT_NOTHING:
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
  case CURLE_WEIRD_SERVER_REPLY:
    return TransportError::reset;
  default:
    return TransportError::other;
  }
}

} // namespace

std::string_view to_string(TransportError error) {
  switch (error) {
  case TransportError::invalid_url:
    return "invalid_url";
  case TransportError::insecure_url:
    return "insecure_url";
  case TransportError::connect:
    return "connect";
  case TransportError::timeout:
    return "timeout";
  case TransportError::tls:
    return "tls";
  case TransportError::reset:
    return "reset";
  case TransportError::truncated:
    return "truncated";
  case TransportError::cancelled:
    return "cancelled";
  case TransportError::other:
    return "other";
  }
  return "other";
}

Result<Ok, TransportError> check_server_url(std::string_view url, bool allow_insecure_http) {
  global_init_once();
  std::unique_ptr<CURLU, UrlDeleter> parsed(curl_url());
  if (!parsed) return fail(TransportError::other, "out of memory");
  const std::string text(url);
  if (curl_url_set(parsed.get(), CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) {
    return fail(TransportError::invalid_url, "'" + text + "' is not a valid server URL");
  }
  char* scheme = nullptr;
  char* host = nullptr;
  curl_url_get(parsed.get(), CURLUPART_SCHEME, &scheme, 0);
  curl_url_get(parsed.get(), CURLUPART_HOST, &host, 0);
  const std::string scheme_text = scheme != nullptr ? lower_ascii(scheme) : "";
  const std::string host_text = host != nullptr ? host : "";
  curl_free(scheme);
  curl_free(host);
  if (scheme_text == "https") return Ok{};
  if (scheme_text != "http") {
    return fail(TransportError::invalid_url,
                "'" + text + "' must start with https:// (or http:// for a local server)");
  }
  if (allow_insecure_http || is_loopback_host(host_text)) return Ok{};
  return fail(TransportError::insecure_url,
              "refusing plain http to " + host_text +
                  ": scans and the device token would cross the network unencrypted; use "
                  "https:// (or --insecure-http on a trusted network)");
}

struct HttpClient::Impl {
  HttpClientOptions options;
  std::unique_ptr<CURL, CurlDeleter> handle;
  char error_buffer[CURL_ERROR_SIZE] = {};

  Result<HttpResponse, TransportError> perform(const std::string& url, const std::string* body,
                                               std::string_view bearer) {
    if (auto checked = check_server_url(url, options.allow_insecure_http); !checked) {
      return checked.error();
    }
    CURL* h = handle.get();
    HttpResponse response;
    curl_slist* raw_headers = curl_slist_append(nullptr, "Accept: application/json");
    std::unique_ptr<curl_slist, SlistDeleter> headers(raw_headers);
    if (body != nullptr) {
      raw_headers = curl_slist_append(raw_headers, "Content-Type: application/json");
      raw_headers = curl_slist_append(raw_headers, "Expect:"); // no 100-continue round trip
    }
    if (!bearer.empty()) {
      raw_headers =
          curl_slist_append(raw_headers, ("Authorization: Bearer " + std::string(bearer)).c_str());
    }
    headers.release();
    headers.reset(raw_headers);

    error_buffer[0] = '\0';
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    if (body != nullptr) {
      curl_easy_setopt(h, CURLOPT_POST, 1L);
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, body->data());
      response.request_bytes = body->size();
    } else {
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &response);
    const CURLcode code = curl_easy_perform(h);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
    if (code != CURLE_OK) {
      const std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
      return fail(classify(code), detail);
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
    return response;
  }
};

HttpClient::HttpClient(HttpClientOptions options) : impl_(std::make_unique<Impl>()) {
  global_init_once();
  impl_->options = std::move(options);
  impl_->handle.reset(curl_easy_init());
  if (!impl_->handle) throw std::bad_alloc();
  CURL* h = impl_->handle.get();
  const auto& o = impl_->options;
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); // we run on a worker thread
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, impl_->error_buffer);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(o.total_timeout.count()));
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, ""); // every encoding libcurl has: gzip at least
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L); // a redirect could leak the token elsewhere
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, write_header);
  if (o.cancelled) {
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &impl_->options.cancelled);
  }
  if (!o.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, o.ca_file.c_str());
  if (!o.pinned_public_key.empty()) {
    curl_easy_setopt(h, CURLOPT_PINNEDPUBLICKEY, o.pinned_public_key.c_str());
  }
}

HttpClient::~HttpClient() = default;
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

const HttpClientOptions& HttpClient::options() const { return impl_->options; }

Result<HttpResponse, TransportError> HttpClient::get(const std::string& url,
                                                     std::string_view bearer) {
  return impl_->perform(url, nullptr, bearer);
}

Result<HttpResponse, TransportError>
HttpClient::post_json(const std::string& url, std::string_view body, std::string_view bearer) {
  const std::string copy(body);
  return impl_->perform(url, &copy, bearer);
}

} // namespace muster::sync
