#include "sync/server/web/console_http.hpp"

#include <httplib.h>

#include <chrono>
#include <iostream>

#include "sync/server/http_api.hpp"
#include "sync/server/web/accounts.hpp"

namespace muster::server::web {

Instant now_ms() {
  return std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

bool valid_event_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.'))
      return false;
  }
  return true;
}

std::string cookie_value(const httplib::Request& req, std::string_view name) {
  const std::string header = req.get_header_value("Cookie");
  std::size_t pos = 0;
  while (pos < header.size()) {
    while (pos < header.size() && (header[pos] == ' ' || header[pos] == ';'))
      ++pos;
    const std::size_t end = std::min(header.find(';', pos), header.size());
    const std::string_view pair(header.data() + pos, end - pos);
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name &&
        pair[name.size()] == '=') {
      return std::string(pair.substr(name.size() + 1));
    }
    pos = end;
  }
  return {};
}

void secure_headers(httplib::Response& res, PageScripts scripts) {
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "same-origin");
  const std::string script_src = scripts == PageScripts::own ? "'self'" : "'none'";
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; script-src " + script_src +
                     "; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
                     "form-action 'self'; base-uri 'none'");
}

void send_html(httplib::Response& res, int status, const std::string& html, PageScripts scripts) {
  secure_headers(res, scripts);
  res.status = status;
  res.set_content(html, "text/html; charset=utf-8");
}

void send_text(httplib::Response& res, int status, const std::string& text, PageScripts scripts) {
  secure_headers(res, scripts);
  res.status = status;
  res.set_content(text + "\n", "text/plain; charset=utf-8");
}

void redirect(httplib::Response& res, const std::string& to, PageScripts scripts) {
  secure_headers(res, scripts);
  res.status = 303;
  res.set_header("Location", to);
  res.set_content("See " + to + "\n", "text/plain; charset=utf-8");
}

Viewer SignedIn::viewer() const {
  return Viewer{user.name, std::string(to_string(user.role)), session.csrf_token,
                user.role == ConsoleRole::admin};
}

std::optional<SignedIn> signed_in(const httplib::Request& req, AccountStore& accounts) {
  const std::string token = cookie_value(req, kSessionCookie);
  if (token.size() != 64) return std::nullopt;
  auto session = accounts.session(hash_secret(token), now_ms());
  if (!session) return std::nullopt;
  auto user = accounts.user(session->user_name);
  if (!user) return std::nullopt;
  return SignedIn{std::move(*user), std::move(*session)};
}

std::optional<SignedIn> post_guard(const httplib::Request& req, httplib::Response& res,
                                   AccountStore& accounts) {
  auto who = signed_in(req, accounts);
  if (!who) {
    send_text(res, 403, "forbidden: sign in at /console/login first");
    return std::nullopt;
  }
  const std::string presented =
      req.has_param("csrf_token") ? req.get_param_value("csrf_token") : std::string();
  if (!csrf_matches(who->session.csrf_token, presented)) {
    send_text(res, 403, "forbidden: the form's CSRF token is missing or wrong (reload the page)");
    return std::nullopt;
  }
  return who;
}

void audit(AccountStore& accounts, std::string actor, std::string action, std::string target,
           std::string detail) {
  auto appended = accounts.append_audit(AuditEntry{now_ms(), std::move(actor), std::move(action),
                                                   std::move(target), std::move(detail)});
  if (!appended) std::cerr << "muster-server: console audit: " << appended.message() << '\n';
}

std::unique_ptr<AccountStore> open_accounts(const std::string& database, httplib::Response& res) {
  auto opened = open_account_store(database);
  if (!opened) {
    std::cerr << "muster-server: console: " << opened.message() << '\n';
    send_text(res, 503, "the database is unavailable");
    return nullptr;
  }
  return std::move(*opened);
}

std::optional<SignedIn> require_role(const httplib::Request& req, httplib::Response& res,
                                     AccountStore& accounts, ConsoleRole least) {
  auto who = signed_in(req, accounts);
  if (!who) {
    redirect(res, "/console/login");
    return std::nullopt;
  }
  if (who->user.role < least) {
    send_text(res, 403,
              "forbidden: this page needs the " + std::string(to_string(least)) + " role");
    return std::nullopt;
  }
  return who;
}

std::optional<SignedIn> require_post(const httplib::Request& req, httplib::Response& res,
                                     AccountStore& accounts, ConsoleRole least,
                                     std::string_view action, std::string_view target) {
  auto who = post_guard(req, res, accounts);
  if (!who) return std::nullopt;
  if (who->user.role < least) {
    audit(accounts, who->user.name, std::string(action) + "-refused", std::string(target),
          "role " + std::string(to_string(who->user.role)));
    send_text(res, 403,
              "forbidden: " + std::string(action) + " needs the " + std::string(to_string(least)) +
                  " role");
    return std::nullopt;
  }
  return who;
}

std::string form_value(const httplib::Request& req, const char* name) {
  return req.has_param(name) ? req.get_param_value(name) : std::string();
}

} // namespace muster::server::web
