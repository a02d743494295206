#pragma once
// The parts of /me/ (me_routes.hpp) shared by its files: the Me handlers' class, the sign-in
// code mailer and the answers with /me/'s headers (no scripts at all on these pages).
// me_sign_in.cpp signs in and out, me_pages.cpp serves the page, PDFs, confirm and dispute.
#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "sync/server/http_api.hpp"
#include "sync/server/mail/smtp.hpp"
#include "sync/server/web/account_store.hpp"
#include "sync/server/web/accounts.hpp"
#include "sync/server/web/console_http.hpp"
#include "sync/server/web/me_routes.hpp"

namespace muster::server::me {

inline constexpr std::string_view kSessionCookie = "muster_me";
inline constexpr std::string_view kLoginCookie = "muster_me_login";
inline constexpr std::string_view kSessionPrefix = "official:";

using web::cookie_value;
using web::now_ms;

inline void send_html(httplib::Response& res, int status, const std::string& html) {
  web::send_html(res, status, html, web::PageScripts::none);
}
inline void send_text(httplib::Response& res, int status, const std::string& text) {
  web::send_text(res, status, text, web::PageScripts::none);
}
inline void redirect(httplib::Response& res, const std::string& to) {
  web::redirect(res, to, web::PageScripts::none);
}

// The form field's value, blanks trimmed.
std::string trimmed_field(const httplib::Request& req, const char* name);

// Codes are mailed from one thread, so the answer to the e-mail form takes the same time
// whether or not a message goes out (it never tells whether an address is known).
class Mailer {
public:
  explicit Mailer(mail::SmtpSettings settings);
  ~Mailer();
  Mailer(const Mailer&) = delete;
  Mailer& operator=(const Mailer&) = delete;

  // Queued for the mail thread; dropped in a flood (over 100 waiting: codes can be asked again).
  void send(std::string recipient, std::string content);

private:
  void loop();

  mail::SmtpSettings settings_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<std::string, std::string>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

class Me {
public:
  explicit Me(MeOptions options);

  static void install(const std::shared_ptr<Me>& self, httplib::Server& s);

private:
  struct Session {
    std::string official_id;
    ConsoleSession session;
  };
  std::optional<Session> signed_in(const httplib::Request& req, AccountStore& accounts);
  // A cookie of /me/ (HttpOnly, SameSite=Strict, Secure under TLS).
  [[nodiscard]] std::string cookie(std::string_view name, std::string_view value,
                                   long long max_age) const;
  // The form token of the sign-in pages: a fresh one in a cookie (double submit).
  std::string login_token(const httplib::Request& req, httplib::Response& res) const;

  void get_home(const httplib::Request& req, httplib::Response& res);
  void post_login(const httplib::Request& req, httplib::Response& res);
  void post_code(const httplib::Request& req, httplib::Response& res);
  void post_logout(const httplib::Request& req, httplib::Response& res);
  // The official's own documents and actions; another official's id answers 404.
  void get_pdf(const httplib::Request& req, httplib::Response& res, std::string_view kind);
  void post_action(const httplib::Request& req, httplib::Response& res, bool confirm);

  MeOptions options_;
  Mailer mailer_;
  SignInThrottle requests_per_address_;
  SignInThrottle requests_per_client_;
  SignInThrottle wrong_codes_per_client_;
};

#define OPEN_OR_503(var, expr)                                                                     \
  auto var##_opened = (expr);                                                                      \
  if (!var##_opened) {                                                                             \
    std::cerr << "muster-server: /me/: " << var##_opened.message() << '\n';                        \
    return send_text(res, 503, "the database is unavailable");                                     \
  }                                                                                                \
  auto& var = **var##_opened

} // namespace muster::server::me
