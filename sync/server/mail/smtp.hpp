#pragma once
// Sending one stored message over SMTP with libcurl (the library the kiosk's sync client
// already links; no mail library). smtp:// upgrades with STARTTLS, smtps:// is TLS from the
// first byte. What the server answered is sorted into what the outbox needs to know:
// accepted (mark sent), refused for good (5xx to this recipient or message: record, go on),
// deferred (4xx: keep, go on) and outage (no connection, TLS, login or the sender refused:
// stop the run, keep everything). Messages never carry an e-mail address: logs stay clean.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace muster::server::mail {

enum class TlsMode : std::uint8_t {
  automatic, // smtp://: STARTTLS required unless the host is loopback (a local MTA)
  required,  // smtp://: STARTTLS required
  optional,  // smtp://: STARTTLS when the server offers it
};

struct SmtpSettings {
  std::string url;  // smtp://host[:port] or smtps://host[:port]
  std::string from; // envelope sender and From: address
  std::string user; // empty: no AUTH
  std::string password;
  TlsMode tls = TlsMode::automatic;
  std::optional<std::filesystem::path> ca_file; // trust this CA (PEM) instead of the system's
  long connect_timeout_seconds = 15;
  long timeout_seconds = 120; // one whole message
};

// Checks the URL's scheme and host: the words of the problem, or nullopt when fine.
std::optional<std::string> check_smtp_url(std::string_view url);

enum class SendOutcome : std::uint8_t { accepted, refused, deferred, outage };

struct SendResult {
  SendOutcome outcome = SendOutcome::outage;
  std::string detail; // "RCPT failed: 550 (refused by the SMTP server)"; never an address
};

class SmtpSender {
public:
  explicit SmtpSender(SmtpSettings settings);
  ~SmtpSender();
  SmtpSender(const SmtpSender&) = delete;
  SmtpSender& operator=(const SmtpSender&) = delete;

  // Sends `content` (CRLF lines; curl dot-stuffs) to one recipient. Reuses the connection
  // between calls.
  SendResult send(std::string_view recipient, std::string_view content);

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace muster::server::mail
