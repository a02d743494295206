#pragma once
// The command line of `muster-server serve` (http_api.hpp): where to listen, TLS, the League
// key and the limits on slow clients. Included by main.cpp only (CLI11 is linked to the
// program).
#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include "sync/server/admin_cli.hpp"
#include "sync/server/cli_options.hpp"
#include "sync/server/http_api.hpp"
#include "sync/server/league_key.hpp"
#include "sync/server/mail/mail_cli.hpp"

namespace muster::server {

// "HOST:PORT", "[::1]:PORT" or ":PORT" (all interfaces of 0.0.0.0).
inline bool parse_listen(const std::string& text, std::string& host, int& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 >= text.size()) return false;
  host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  const std::string digits = text.substr(colon + 1);
  if (digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  port = std::stoi(digits);
  return port <= 65535;
}

// Limits on slow clients: the defaults of HttpOptions unless given.
struct ServeLimits {
  int request_timeout_seconds = 20;
  int max_connections_per_address = 6;
};

class ServeCli {
public:
  explicit ServeCli(CLI::App& app) {
    serve_ = app.add_subcommand("serve", "run the HTTP API until SIGINT or SIGTERM");
    add_db_option(serve_, database_);
    serve_->add_option("--league-key", league_key_, kKeyHelp);
    serve_->add_option("--listen", listen_, "HOST:PORT to listen on")->default_str(listen_);
    serve_->add_option("--tls-cert", tls_cert_, "TLS certificate (PEM); HTTPS with --tls-key");
    serve_->add_option("--tls-key", tls_key_, "TLS private key (PEM)");
    serve_
        ->add_option("--request-timeout", limits_.request_timeout_seconds,
                     "seconds a connection has to send each request (headers and body)")
        ->default_val(limits_.request_timeout_seconds)
        ->check(CLI::Range(1, 3600));
    serve_
        ->add_option("--max-connections-per-address", limits_.max_connections_per_address,
                     "connections of one client address still sending a request (0: no limit, "
                     "e.g. behind a reverse proxy)")
        ->default_val(limits_.max_connections_per_address)
        ->check(CLI::Range(0, 100000));
  }

  // The exit code when serve was chosen (after the server stopped); nullopt otherwise.
  std::optional<int> run(mail::MailCli& mail_cli) {
    if (!*serve_) return std::nullopt;
    return run_serve(database_, listen_, tls_cert_, tls_key_, league_key_, limits_, mail_cli);
  }

  // For options other command groups add to serve (the officials' page's mail settings).
  CLI::App* command() const { return serve_; }

private:
  static int run_serve(const std::string& database, const std::string& listen,
                       const std::string& cert, const std::string& tls_key,
                       const std::string& league_key, const ServeLimits& limits,
                       mail::MailCli& mail_cli) {
    HttpOptions options;
    options.database = database;
    std::string mail_error;
    options.official_mail = mail_cli.serve_settings(mail_error); // /me/ (docs/officials.md)
    options.program_file = mail_cli.serve_program();
    if (!mail_error.empty()) {
      std::cerr << "error: " << mail_error << '\n';
      return 2;
    }
    options.request_read_timeout = std::chrono::seconds(limits.request_timeout_seconds);
    options.max_connections_per_address = limits.max_connections_per_address;
    if (!parse_listen(listen, options.host, options.port)) {
      std::cerr << "error: --listen must be HOST:PORT, e.g. 127.0.0.1:8080 (got '" << listen
                << "')\n";
      return 2;
    }
    if (cert.empty() != tls_key.empty()) {
      std::cerr
          << "error: --tls-cert and --tls-key go together (both for HTTPS, neither for HTTP)\n";
      return 2;
    }
    options.tls_cert = optional_path(cert);
    options.tls_key = optional_path(tls_key);
    if (!league_key.empty()) {
      options.league_key_file = std::filesystem::path(league_key);
    } else if (auto path = default_league_key_path(database); path) {
      std::error_code ignored;
      // Without the key the server still syncs scans; only the package endpoint needs it.
      if (std::filesystem::exists(*path, ignored)) options.league_key_file = *path;
    }
    if (!options.league_key_file) {
      std::cerr << "warning: no League key file (--league-key): kiosks cannot download event "
                   "packages from this server\n";
    } else if (auto warning = league_key_permission_warning(*options.league_key_file)) {
      std::cerr << *warning << '\n';
    }
    return run_http_server(options);
  }

  CLI::App* serve_ = nullptr;
  std::string database_;
  std::string league_key_;
  std::string listen_ = "127.0.0.1:8080";
  std::string tls_cert_;
  std::string tls_key_;
  ServeLimits limits_;
};

} // namespace muster::server
