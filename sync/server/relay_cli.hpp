#pragma once
// The command line of relay.hpp (relay, relay-token), kept out of main.cpp as revoke_cli.hpp is.
// Included by main.cpp only (CLI11 is linked to the program).
#include <CLI/CLI.hpp>

#include <fstream>
#include <optional>
#include <ostream>
#include <string>

#include "sync/server/cli_options.hpp"
#include "sync/server/relay.hpp"

namespace muster::server {

class RelayCli {
public:
  explicit RelayCli(CLI::App& app) {
    relay_ = app.add_subcommand(
        "relay", "run a venue relay until SIGINT or SIGTERM: kiosks provision and sync against "
                 "it as against the League server; it forwards their scans upstream and pulls "
                 "the event package down, and works without the upstream for as long as needed");
    relay_
        ->add_option("--db", relay_options_.http.database,
                     std::string(kDbHelp) + " of the relay (its own; created when missing)")
        ->required();
    relay_
        ->add_option("--upstream", relay_options_.upstream,
                     "the League server's URL, e.g. https://league.example.org")
        ->required();
    auto* token =
        relay_->add_option("--token", relay_options_.token,
                           "the relay token from 'muster-server relay-token' (muster-relay....)");
    auto* token_file = relay_->add_option(
        "--token-file", token_file_,
        "a file holding the relay token (kept out of the process list; mode 0600)");
    token->excludes(token_file);
    token_file->excludes(token);
    relay_->add_option("--package", package_,
                       "a full package file ('muster-server package') to start from when the "
                       "upstream cannot be reached");
    relay_->add_option("--listen", listen_, "HOST:PORT to listen on for the kiosks")
        ->default_str(listen_);
    relay_->add_option("--tls-cert", tls_cert_, "TLS certificate (PEM); HTTPS with --tls-key");
    relay_->add_option("--tls-key", tls_key_, "TLS private key (PEM)");
    relay_
        ->add_option("--request-timeout", request_timeout_,
                     "seconds a connection has to send each request (headers and body)")
        ->default_val(request_timeout_)
        ->check(CLI::Range(1, 3600));
    relay_
        ->add_option("--max-connections-per-address", max_connections_,
                     "connections of one client address still sending a request (0: no limit)")
        ->default_val(max_connections_)
        ->check(CLI::Range(0, 100000));
    relay_->add_option("--ca-file", relay_options_.ca_file,
                       "CA bundle for the upstream's certificate (default: the system's)");
    relay_->add_option("--pin", relay_options_.pinned_key,
                       "pin the upstream's public key: sha256//BASE64");
    relay_->add_flag("--insecure-http", relay_options_.allow_insecure_http,
                     "allow plain http:// to an upstream that is not on loopback");
    relay_
        ->add_option("--interval", interval_s_,
                     "seconds between rounds (package pull, forwarding) while the upstream "
                     "answers; a kiosk's push starts a round at once")
        ->default_val(interval_s_)
        ->check(CLI::Range(1, 3600));
    relay_
        ->add_option("--max-backoff", max_backoff_s_,
                     "the longest wait between attempts while the upstream is away, seconds "
                     "(it is probed every 5 s meanwhile)")
        ->default_val(max_backoff_s_)
        ->check(CLI::Range(1, 86400));
    relay_->add_option("--batch-size", relay_options_.batch_size, "scans per forwarded request")
        ->default_val(relay_options_.batch_size)
        ->check(CLI::Range(1, 5000));

    status_ = app.add_subcommand(
        "relay-status", "on a relay: each device's scans and how many the League server has "
                        "acknowledged");
    status_->add_option("--db", status_database_, std::string(kDbHelp) + " of the relay")
        ->required();

    token_ = app.add_subcommand(
        "relay-token", "print a new relay token for one event (shown once, stored hashed); "
                       "revoke it with revoke-token");
    add_db_option(token_, token_options_.database);
    token_->add_option("--event", token_options_.event_id, "the event the relay serves")
        ->required();
    token_->add_option("--label", token_options_.label,
                       "a name for the relay, e.g. \"Convention center\" (default: relay EVENT)");
  }

  // The exit code when one of these commands was chosen; nullopt otherwise.
  std::optional<int> run(std::ostream& out, std::ostream& err) {
    if (*token_) return run_relay_token(token_options_, out, err);
    if (*status_) return run_relay_status(status_database_, out, err);
    if (!*relay_) return std::nullopt;
    if (!token_file_.empty()) {
      std::ifstream in(token_file_);
      if (!in || !std::getline(in, relay_options_.token)) {
        err << "error: cannot read the relay token from " << token_file_ << '\n';
        return 1;
      }
      while (!relay_options_.token.empty() &&
             (relay_options_.token.back() == '\r' || relay_options_.token.back() == ' ')) {
        relay_options_.token.pop_back();
      }
    }
    if (relay_options_.token.empty()) {
      err << "error: give the relay token with --token-file FILE (or --token TOKEN)\n";
      return 2;
    }
    if (!parse_listen()) {
      err << "error: --listen must be HOST:PORT, e.g. 0.0.0.0:8080 (got '" << listen_ << "')\n";
      return 2;
    }
    if (tls_cert_.empty() != tls_key_.empty()) {
      err << "error: --tls-cert and --tls-key go together (both for HTTPS, neither for HTTP)\n";
      return 2;
    }
    if (!tls_cert_.empty()) {
      relay_options_.http.tls_cert = tls_cert_;
      relay_options_.http.tls_key = tls_key_;
    }
    if (!package_.empty()) relay_options_.package_file = package_;
    relay_options_.http.request_read_timeout = std::chrono::seconds(request_timeout_);
    relay_options_.http.max_connections_per_address = max_connections_;
    relay_options_.interval = std::chrono::seconds(interval_s_);
    relay_options_.max_backoff = std::chrono::seconds(max_backoff_s_);
    return run_relay(relay_options_, out, err);
  }

private:
  // "HOST:PORT", "[::1]:PORT" or ":PORT" (all interfaces), as `serve --listen`.
  bool parse_listen() {
    const auto colon = listen_.rfind(':');
    if (colon == std::string::npos || colon + 1 >= listen_.size()) return false;
    std::string host = listen_.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    if (host.empty()) host = "0.0.0.0";
    const std::string digits = listen_.substr(colon + 1);
    if (digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos) {
      return false;
    }
    const int port = std::stoi(digits);
    if (port > 65535) return false;
    relay_options_.http.host = host;
    relay_options_.http.port = port;
    return true;
  }

  CLI::App* relay_ = nullptr;
  CLI::App* token_ = nullptr;
  CLI::App* status_ = nullptr;
  std::string status_database_;
  std::string token_file_;
  RelayOptions relay_options_;
  RelayTokenOptions token_options_;
  std::string package_;
  std::string listen_ = "0.0.0.0:8080";
  std::string tls_cert_;
  std::string tls_key_;
  int request_timeout_ = 20;
  int max_connections_ = 6;
  int interval_s_ = 10;
  int max_backoff_s_ = 300;
};

} // namespace muster::server
