// /me/ sign-in by a code mailed to the roster's address, and sign-out (me_internal.hpp).
// Sessions and CSRF tokens are the console's (account_store.hpp, accounts.hpp): a session of
// the user name "official:<id>" (no console account can have a ':' in its name, so a /me/
// session never opens the console and a console session never opens /me/).
#include <sodium.h>

#include <chrono>

#include "shared/sodium_init.hpp"
#include "shared/text.hpp"
#include "sync/server/mail/mime.hpp"
#include "sync/server/web/accounts.hpp"
#include "sync/server/web/me_internal.hpp"
#include "sync/server/web/official_store.hpp"
#include "sync/server/web/page_me.hpp"

namespace muster::server::me {

namespace {

constexpr auto kCodeLifetime = std::chrono::minutes(15);
constexpr std::int64_t kCodeTries = 5;

// Eight random digits: with 5 tries per code and 3 codes per address per 15 minutes, guessing
// stays below 1 in 100,000 a day.
std::string new_code() {
  ensure_sodium();
  std::string code;
  for (int i = 0; i < 8; ++i)
    code.push_back(static_cast<char>('0' + randombytes_uniform(10)));
  return code;
}

std::string digits_only(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c >= '0' && c <= '9') out.push_back(c);
  }
  return out;
}

} // namespace

std::string trimmed_field(const httplib::Request& req, const char* name) {
  return std::string(trim(web::form_value(req, name), kWhitespace));
}

std::string Me::cookie(std::string_view name, std::string_view value, long long max_age) const {
  std::string out = std::string(name) + "=" + std::string(value) +
                    "; Path=/me; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age);
  if (options_.tls) out += "; Secure";
  return out;
}

std::string Me::login_token(const httplib::Request& req, httplib::Response& res) const {
  std::string token = cookie_value(req, kLoginCookie);
  if (token.size() != 64) {
    token = random_token();
    res.set_header("Set-Cookie", cookie(kLoginCookie, token, 3600));
  }
  return token;
}

std::optional<Me::Session> Me::signed_in(const httplib::Request& req, AccountStore& accounts) {
  const std::string token = cookie_value(req, kSessionCookie);
  if (token.size() != 64) return std::nullopt;
  auto session = accounts.session(hash_secret(token), now_ms());
  if (!session || !session->user_name.starts_with(kSessionPrefix)) return std::nullopt;
  return Session{session->user_name.substr(kSessionPrefix.size()), std::move(*session)};
}

void Me::post_login(const httplib::Request& req, httplib::Response& res) {
  const std::string expected = cookie_value(req, kLoginCookie);
  const std::string presented = web::form_value(req, "csrf_token");
  if (!csrf_matches(expected, presented)) {
    return send_text(res, 403, "forbidden: the form's token is missing (reload the page)");
  }
  const std::string email = lower_ascii(trimmed_field(req, "email"));
  if (!mail::valid_address(email)) {
    return send_html(res, 400, web::me_email_page(presented, "That is not an e-mail address."));
  }
  const auto now = SignInThrottle::Clock::now();
  const std::string address_key = "email:" + email;
  const std::string client_key = "client:" + req.remote_addr;
  const long long wait = std::max(requests_per_address_.retry_after(address_key, now),
                                  requests_per_client_.retry_after(client_key, now));
  if (wait > 0) {
    res.set_header("Retry-After", std::to_string(wait));
    return send_html(res, 429,
                     web::me_email_page(presented, "Too many codes asked for: try again in " +
                                                       std::to_string(wait) + " seconds."));
  }
  // Every request counts, known address or not.
  requests_per_address_.failed(address_key, now);
  requests_per_client_.failed(client_key, now);
  OPEN_OR_503(store, open_server_store(options_.database));
  OPEN_OR_503(officials, open_official_store(options_.database));
  auto roster = store.roster();
  if (!roster) return send_text(res, 503, "the database is unavailable");
  std::vector<const Attendee*> matches;
  for (const auto& a : *roster) {
    if (!a.email.empty() && lower_ascii(trim(a.email, kWhitespace)) == email) matches.push_back(&a);
  }
  const std::string code = new_code();
  SignInCode row;
  row.login_hash = hash_secret(presented);
  // An address shared by two people on the roster signs in neither: which page would it be?
  row.attendee_id = matches.size() == 1 ? matches[0]->id : "";
  row.code_hash = hash_secret(code);
  const Instant at = now_ms();
  row.expires_at = at + kCodeLifetime;
  row.tries_left = kCodeTries;
  if (auto put = officials.put_code(row, at); !put) {
    std::cerr << "muster-server: /me/: " << put.message() << '\n';
    return send_text(res, 503, "the database is unavailable");
  }
  if (!row.attendee_id.empty()) {
    auto league = store.league();
    mail::MessageParts parts;
    parts.from_name = league ? league->name : "Muster";
    parts.from_address = options_.smtp.from;
    parts.to_name = full_name(*matches[0]);
    parts.to_address = matches[0]->email;
    parts.subject = "Your sign-in code: " + code.substr(0, 4) + " " + code.substr(4);
    // A sign-in code is never stored as text: not in the outbox, so its Message-ID is random.
    parts.message_id = "<" + random_token().substr(0, 32) + ".sign-in@" +
                       mail::address_domain(options_.smtp.from) + ">";
    parts.date = at;
    parts.body = "Your code to see your credit hours: " + code.substr(0, 4) + " " + code.substr(4) +
                 "\n\nIt works for 15 minutes and for one sign-in. If you did not ask for it, "
                 "ignore this message.\n";
    mailer_.send(matches[0]->email, mail::build_message(parts));
  }
  send_html(res, 200, web::me_code_page(presented, "", false));
}

void Me::post_code(const httplib::Request& req, httplib::Response& res) {
  const std::string login = cookie_value(req, kLoginCookie);
  const std::string presented = web::form_value(req, "csrf_token");
  if (!csrf_matches(login, presented)) {
    return send_text(res, 403, "forbidden: the form's token is missing (reload the page)");
  }
  const auto now = SignInThrottle::Clock::now();
  const std::string client_key = "client:" + req.remote_addr;
  if (const long long wait = wrong_codes_per_client_.retry_after(client_key, now); wait > 0) {
    res.set_header("Retry-After", std::to_string(wait));
    return send_html(res, 429,
                     web::me_code_page(presented,
                                       "Too many wrong codes: try again in " +
                                           std::to_string(wait) + " seconds.",
                                       true));
  }
  OPEN_OR_503(officials, open_official_store(options_.database));
  const std::string login_hash = hash_secret(login);
  const Instant at = now_ms();
  auto row = officials.code(login_hash, at);
  if (!row) {
    return send_html(res, 400,
                     web::me_email_page(presented, "That code has expired or was used "
                                                   "up: ask for a new one."));
  }
  auto left = officials.use_try(login_hash);
  if (!left) return send_text(res, 503, "the database is unavailable");
  const std::string typed = digits_only(web::form_value(req, "code"));
  const bool right = *left >= 0 && !row->attendee_id.empty() && typed.size() == 8 &&
                     csrf_matches(row->code_hash, hash_secret(typed));
  if (!right) {
    wrong_codes_per_client_.failed(client_key, now);
    if (*left <= 0) {
      (void)officials.remove_code(login_hash);
      return send_html(res, 401,
                       web::me_email_page(presented, "Wrong code, and no tries left: "
                                                     "ask for a new one."));
    }
    return send_html(res, 401,
                     web::me_code_page(
                         presented, "Wrong code. " + std::to_string(*left) + " tries left.", true));
  }
  (void)officials.remove_code(login_hash);
  OPEN_OR_503(accounts, open_account_store(options_.database));
  // A fresh session token: a cookie planted before cannot become a session.
  const std::string token = random_token();
  ConsoleSession session{
      hash_secret(token), std::string(kSessionPrefix) + row->attendee_id, random_token(), at,
      at + std::chrono::duration_cast<std::chrono::milliseconds>(kConsoleSessionLifetime)};
  if (auto added = accounts.add_session(session); !added) {
    return send_text(res, 503, "the database is unavailable");
  }
  (void)accounts.append_audit(
      AuditEntry{at, std::string(kSessionPrefix) + row->attendee_id, "me-sign-in", "", ""});
  res.set_header("Set-Cookie", cookie(kSessionCookie, token,
                                      std::chrono::seconds(kConsoleSessionLifetime).count()));
  res.set_header("Set-Cookie", cookie(kLoginCookie, "", 0));
  redirect(res, "/me/");
}

void Me::post_logout(const httplib::Request& req, httplib::Response& res) {
  OPEN_OR_503(accounts, open_account_store(options_.database));
  auto who = signed_in(req, accounts);
  const std::string presented = web::form_value(req, "csrf_token");
  if (!who || !csrf_matches(who->session.csrf_token, presented)) {
    return send_text(res, 403, "forbidden: the form's token is missing (reload the page)");
  }
  (void)accounts.remove_session(who->session.token_hash);
  res.set_header("Set-Cookie", cookie(kSessionCookie, "", 0));
  redirect(res, "/me/");
}

} // namespace muster::server::me
