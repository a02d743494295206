// SMTP over libcurl (smtp.hpp).
#include "sync/server/mail/smtp.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <mutex>
#include <utility>

namespace muster::server::mail {

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string host_of(std::string_view url) {
  auto rest = url.substr(url.find("://") == std::string_view::npos ? 0 : url.find("://") + 3);
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    return std::string(rest.substr(1, close == std::string_view::npos ? rest.size() : close - 1));
  }
  const auto end = rest.find_first_of(":/?");
  return std::string(rest.substr(0, end));
}

bool loopback_host(std::string_view host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

struct Reader {
  std::string_view data;
  std::size_t pos = 0;
};

std::size_t read_callback(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* reader = static_cast<Reader*>(user);
  const std::size_t room = size * count;
  const std::size_t left = reader->data.size() - reader->pos;
  const std::size_t n = std::min(room, left);
  std::memcpy(buffer, reader->data.data() + reader->pos, n);
  reader->pos += n;
  return n;
}

} // namespace

std::optional<std::string> check_smtp_url(std::string_view url) {
  if (!url.starts_with("smtp://") && !url.starts_with("smtps://")) {
    return "--smtp-url must start with smtp:// (STARTTLS) or smtps:// (TLS), e.g. "
           "smtp://mail.example.org:587";
  }
  if (host_of(url).empty()) return "--smtp-url names no host";
  return std::nullopt;
}

struct SmtpSender::Impl {
  SmtpSettings settings;
  CURL* curl = nullptr;
  ~Impl() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
};

SmtpSender::SmtpSender(SmtpSettings settings) : impl_(std::make_unique<Impl>()) {
  global_init();
  impl_->settings = std::move(settings);
}

SmtpSender::~SmtpSender() = default;

SendResult SmtpSender::send(std::string_view recipient, std::string_view content) {
  const auto& s = impl_->settings;
  if (impl_->curl == nullptr) impl_->curl = curl_easy_init();
  CURL* curl = impl_->curl;
  if (curl == nullptr) return {SendOutcome::outage, "libcurl could not start"};
  std::array<char, CURL_ERROR_SIZE> error{};
  Reader reader{content, 0};
  const std::string from = "<" + s.from + ">";
  const std::string to = "<" + std::string(recipient) + ">";
  curl_slist* recipients = curl_slist_append(nullptr, to.c_str());
  const bool smtps = s.url.starts_with("smtps://");
  const bool need_tls =
      s.tls == TlsMode::required || (s.tls == TlsMode::automatic && !loopback_host(host_of(s.url)));

  curl_easy_setopt(curl, CURLOPT_URL, s.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error.data());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, s.connect_timeout_seconds);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, s.timeout_seconds);
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_callback);
  curl_easy_setopt(curl, CURLOPT_READDATA, &reader);
  curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(content.size()));
  if (!smtps) curl_easy_setopt(curl, CURLOPT_USE_SSL, need_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY);
  if (s.ca_file) curl_easy_setopt(curl, CURLOPT_CAINFO, s.ca_file->c_str());
  if (!s.user.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, s.user.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, s.password.c_str());
  }
  const CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(recipients);
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, nullptr);
  long reply = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply);
  if (code == CURLE_OK) return {SendOutcome::accepted, ""};

  std::string words = error[0] != '\0' ? std::string(error.data()) : curl_easy_strerror(code);
  // curl's words name the SMTP step and code ("RCPT failed: 550"), never the address; the
  // server's own reply text (which often repeats the address) is not kept.
  const bool rcpt = words.find("RCPT") != std::string::npos;
  const bool data = code == CURLE_WEIRD_SERVER_REPLY || words.find("DATA") != std::string::npos;
  if (data && !rcpt && reply >= 400 && reply < 600 &&
      words.find(std::to_string(reply)) == std::string::npos) {
    // curl says only "Weird server reply" for an answer after the message's data: keep the code
    // (mail-status shows it; staff tell a 554 policy refusal from a full mailbox by it).
    words = "the SMTP server answered " + std::to_string(reply) + " after the message's data";
  }
  if ((rcpt || data) && reply >= 500 && reply < 600) {
    return {SendOutcome::refused, words + " (refused by the SMTP server)"};
  }
  if ((rcpt || data) && reply >= 400 && reply < 500) {
    return {SendOutcome::deferred, words + " (the SMTP server asked to try later)"};
  }
  // Anything else (no connection, TLS, login, the sender refused, a timeout) is the mail
  // system's problem, not this message's: drop the connection and stop the run.
  curl_easy_cleanup(curl);
  impl_->curl = nullptr;
  return {SendOutcome::outage, words};
}

} // namespace muster::server::mail
