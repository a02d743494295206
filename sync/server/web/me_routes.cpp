// /me/: sign-in by mailed code, the official's page, PDFs, confirm and dispute (me_routes.hpp).
// Sessions and CSRF tokens are the console's (account_store.hpp, accounts.hpp): a session of
// the user name "official:<id>" (no console account can have a ':' in its name, so a /me/
// session never opens the console and a console session never opens /me/).
#include "sync/server/web/me_routes.hpp"

#include <httplib.h>
#include <sodium.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>
#include <unistd.h>

#include "shared/sodium_init.hpp"
#include "shared/time.hpp"
#include "sync/server/admin_commands.hpp"
#include "sync/server/credit_commands.hpp"
#include "sync/server/http_api.hpp"
#include "sync/server/ledger_store.hpp"
#include "sync/server/mail/mime.hpp"
#include "sync/server/mail/progress_words.hpp"
#include "sync/server/web/account_store.hpp"
#include "sync/server/web/accounts.hpp"
#include "sync/server/web/official_store.hpp"
#include "sync/server/web/page_me.hpp"

namespace muster::server {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSessionCookie = "muster_me";
constexpr std::string_view kLoginCookie = "muster_me_login";
constexpr std::string_view kSessionPrefix = "official:";
constexpr auto kCodeLifetime = std::chrono::minutes(15);
constexpr std::int64_t kCodeTries = 5;

Instant now_ms() {
  return std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.'))
      return false;
  }
  return true;
}

std::string lower(std::string text) {
  for (auto& c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string trim(std::string text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
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

void secure_headers(httplib::Response& res) {
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "same-origin");
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
                 "frame-ancestors 'none'; form-action 'self'; base-uri 'none'");
}

void send_html(httplib::Response& res, int status, const std::string& html) {
  secure_headers(res);
  res.status = status;
  res.set_content(html, "text/html; charset=utf-8");
}

void send_text(httplib::Response& res, int status, const std::string& text) {
  secure_headers(res);
  res.status = status;
  res.set_content(text + "\n", "text/plain; charset=utf-8");
}

void redirect(httplib::Response& res, const std::string& to) {
  secure_headers(res);
  res.status = 303;
  res.set_header("Location", to);
  res.set_content("See " + to + "\n", "text/plain; charset=utf-8");
}

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

std::string full_name(const Attendee& a) {
  if (a.first_name.empty()) return a.last_name;
  if (a.last_name.empty()) return a.first_name;
  return a.first_name + " " + a.last_name;
}

// Codes are mailed from one thread, so the answer to the e-mail form takes the same time
// whether or not a message goes out (it never tells whether an address is known).
class Mailer {
public:
  explicit Mailer(mail::SmtpSettings settings) : settings_(std::move(settings)) {
    thread_ = std::thread([this] { loop(); });
  }
  ~Mailer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  Mailer(const Mailer&) = delete;
  Mailer& operator=(const Mailer&) = delete;

  void send(std::string recipient, std::string content) {
    {
      std::lock_guard lock(mutex_);
      if (queue_.size() >= 100) return; // a flood: codes can be asked for again
      queue_.emplace_back(std::move(recipient), std::move(content));
    }
    wake_.notify_all();
  }

private:
  void loop() {
    mail::SmtpSender sender(settings_);
    for (;;) {
      std::pair<std::string, std::string> item;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;
        item = std::move(queue_.front());
        queue_.pop_front();
      }
      const auto result = sender.send(item.first, item.second);
      if (result.outcome != mail::SendOutcome::accepted) {
        // Never the address: the log is not the place for it.
        std::cerr << "muster-server: /me/: a sign-in code could not be mailed: " << result.detail
                  << '\n';
      }
    }
  }

  mail::SmtpSettings settings_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<std::string, std::string>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

class Me {
public:
  explicit Me(MeOptions options)
      : options_(std::move(options)), mailer_(options_.smtp),
        requests_per_address_(3, std::chrono::minutes(15)),
        requests_per_client_(10, std::chrono::minutes(15)),
        wrong_codes_per_client_(20, std::chrono::minutes(15)) {}

  static void install(const std::shared_ptr<Me>& self, httplib::Server& s);

private:
  struct Session {
    std::string official_id;
    ConsoleSession session;
  };
  std::optional<Session> signed_in(const httplib::Request& req, AccountStore& accounts);
  std::string cookie(std::string_view name, std::string_view value, long long max_age) const {
    std::string out = std::string(name) + "=" + std::string(value) +
                      "; Path=/me; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age);
    if (options_.tls) out += "; Secure";
    return out;
  }
  // The form token of the sign-in pages: a fresh one in a cookie (double submit).
  std::string login_token(const httplib::Request& req, httplib::Response& res) const {
    std::string token = cookie_value(req, kLoginCookie);
    if (token.size() != 64) {
      token = random_token();
      res.set_header("Set-Cookie", cookie(kLoginCookie, token, 3600));
    }
    return token;
  }

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

std::optional<Me::Session> Me::signed_in(const httplib::Request& req, AccountStore& accounts) {
  const std::string token = cookie_value(req, kSessionCookie);
  if (token.size() != 64) return std::nullopt;
  auto session = accounts.session(hash_secret(token), now_ms());
  if (!session || !session->user_name.starts_with(kSessionPrefix)) return std::nullopt;
  return Session{session->user_name.substr(kSessionPrefix.size()), std::move(*session)};
}

void Me::get_home(const httplib::Request& req, httplib::Response& res) {
  OPEN_OR_503(accounts, open_account_store(options_.database));
  auto who = signed_in(req, accounts);
  if (!who) {
    const std::string token = login_token(req, res);
    return send_html(res, 200, web::me_email_page(token, ""));
  }
  OPEN_OR_503(store, open_server_store(options_.database));
  OPEN_OR_503(ledger, open_ledger_store(options_.database));
  OPEN_OR_503(officials, open_official_store(options_.database));
  auto person = store.attendee(who->official_id);
  if (!person) return send_text(res, 404, "not found");
  web::MePage page;
  page.official_id = person->id;
  page.name = full_name(*person);
  page.csrf = who->session.csrf_token;
  if (req.has_param("done")) {
    const auto done = req.get_param_value("done");
    if (done == "confirmed") page.notice = "Thank you: your confirmation is recorded.";
    if (done == "disputed") page.notice = "Thank you: your note was sent to League staff.";
  }
  if (auto program = load_program(options_.program_file)) {
    page.program_name = program->name;
    if (auto transcript = build_transcript(store, ledger, *program, person->id, today_utc())) {
      const auto& progress = transcript->progress;
      const auto lines = mail::progress_lines(*program, progress);
      std::size_t i = 0;
      for (const auto& level : progress.levels) {
        if (i >= lines.size()) break;
        page.levels.push_back({lines[i], level.hours_counted, level.hours_required});
        ++i;
        if (!level.met) break;
      }
      for (; i < lines.size(); ++i)
        page.other_lines.push_back(lines[i]);
    }
  }
  auto events = store.events();
  if (!events) return send_text(res, 503, "the database is unavailable");
  auto disputes = officials.disputes(person->id, "");
  if (!disputes) return send_text(res, 503, "the database is unavailable");
  for (const auto& event : *events) {
    auto rows = compute_credits(store, event);
    if (!rows) continue;
    web::MeEvent e;
    e.id = event.id;
    e.name = event.name;
    for (const auto& row : *rows) {
      if (row.attendee.id != person->id) continue;
      const auto& a = row.attendance;
      const auto local = [&](const std::optional<Instant>& t) {
        return t ? format_local(*t, event.timezone, "%H:%M") : std::string("-");
      };
      web::MeSession s{row.session.id,
                       row.session.title,
                       local(a.first_arrival),
                       local(a.final_leave),
                       format_hours(a.credit_hours),
                       ""};
      for (const auto& d : *disputes) {
        if (d.event_id == event.id && d.session_id == row.session.id) s.dispute = d.note;
      }
      e.sessions.push_back(std::move(s));
    }
    if (e.sessions.empty()) continue;
    if (!event.sessions.empty()) e.dates = local_date(event.sessions.front().start, event.timezone);
    e.credit = grants_credit(event, person->role);
    if (auto confirmed = officials.confirmation(person->id, event.id); confirmed && *confirmed) {
      e.confirmed_on =
          format_date(Date{std::chrono::floor<std::chrono::days>((*confirmed)->confirmed_at)});
    }
    page.events.push_back(std::move(e));
  }
  send_html(res, 200, web::me_page(page));
}

void Me::post_login(const httplib::Request& req, httplib::Response& res) {
  const std::string expected = cookie_value(req, kLoginCookie);
  const std::string presented =
      req.has_param("csrf_token") ? req.get_param_value("csrf_token") : "";
  if (!csrf_matches(expected, presented)) {
    return send_text(res, 403, "forbidden: the form's token is missing (reload the page)");
  }
  const std::string email = lower(trim(req.has_param("email") ? req.get_param_value("email") : ""));
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
    if (!a.email.empty() && lower(trim(a.email)) == email) matches.push_back(&a);
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
  const std::string presented =
      req.has_param("csrf_token") ? req.get_param_value("csrf_token") : "";
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
  const std::string typed = digits_only(req.has_param("code") ? req.get_param_value("code") : "");
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
  const std::string presented =
      req.has_param("csrf_token") ? req.get_param_value("csrf_token") : "";
  if (!who || !csrf_matches(who->session.csrf_token, presented)) {
    return send_text(res, 403, "forbidden: the form's token is missing (reload the page)");
  }
  (void)accounts.remove_session(who->session.token_hash);
  res.set_header("Set-Cookie", cookie(kSessionCookie, "", 0));
  redirect(res, "/me/");
}

void Me::get_pdf(const httplib::Request& req, httplib::Response& res, std::string_view kind) {
  OPEN_OR_503(accounts, open_account_store(options_.database));
  auto who = signed_in(req, accounts);
  const std::string id = req.matches[1];
  // Not signed in, or another official's URL: the same 404, nothing said about who exists.
  if (!who || who->official_id != id) return send_text(res, 404, "not found");
  OPEN_OR_503(store, open_server_store(options_.database));
  std::optional<PdfDocument> document;
  std::string name;
  if (kind == "transcript") {
    OPEN_OR_503(ledger, open_ledger_store(options_.database));
    auto program = load_program(options_.program_file);
    if (!program) return send_text(res, 503, "the credit program is unavailable");
    auto transcript = build_transcript(store, ledger, *program, id, today_utc());
    if (!transcript) return send_text(res, 404, "not found");
    document = transcript_document(*transcript);
    name = "transcript.pdf";
  } else {
    const std::string event_id = req.matches[2];
    if (!valid_id(event_id)) return send_text(res, 404, "not found");
    auto form = build_credit_form(store, event_id, id);
    if (!form) return send_text(res, 404, "not found");
    if (kind == "credit-form") {
      document = credit_form_document(*form);
      OPEN_OR_503(officials, open_official_store(options_.database));
      add_confirmation_line(*document, officials, event_id, id);
    } else {
      auto letter = verification_letter_document(*form, now_ms());
      if (!letter) return send_text(res, 404, "not found");
      document = std::move(*letter);
    }
    name = std::string(kind) + "-" + event_id + ".pdf";
  }
  std::string dir = (fs::temp_directory_path() / "muster-me-XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) return send_text(res, 503, "no room for the document");
  const fs::path file = fs::path(dir) / "document.pdf";
  std::string bytes;
  if (write_pdf(*document, file)) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    bytes = buffer.str();
  }
  std::error_code ignored;
  fs::remove_all(dir, ignored);
  if (bytes.empty()) return send_text(res, 503, "the document could not be made");
  secure_headers(res);
  res.set_header("Content-Disposition", "inline; filename=\"" + name + "\"");
  res.status = 200;
  res.set_content(bytes, "application/pdf");
}

void Me::post_action(const httplib::Request& req, httplib::Response& res, bool confirm) {
  OPEN_OR_503(accounts, open_account_store(options_.database));
  auto who = signed_in(req, accounts);
  const std::string id = req.matches[1];
  const std::string event_id = req.matches[2];
  if (!who || who->official_id != id) return send_text(res, 404, "not found");
  const std::string presented =
      req.has_param("csrf_token") ? req.get_param_value("csrf_token") : "";
  if (!csrf_matches(who->session.csrf_token, presented)) {
    return send_text(res, 403,
                     "forbidden: the form's CSRF token is missing or wrong (reload the "
                     "page)");
  }
  OPEN_OR_503(store, open_server_store(options_.database));
  auto form = build_credit_form(store, event_id, id); // their own attendance only
  if (!form) return send_text(res, 404, "not found");
  OPEN_OR_503(officials, open_official_store(options_.database));
  const Instant at = now_ms();
  if (confirm) {
    if (auto done = officials.confirm({id, event_id, at}); !done) {
      return send_text(res, 503, "the database is unavailable");
    }
    (void)accounts.append_audit(
        AuditEntry{at, std::string(kSessionPrefix) + id, "me-confirm-credit-form", event_id, ""});
    return redirect(res, "/me/?done=confirmed");
  }
  const std::string session_id = req.has_param("session") ? req.get_param_value("session") : "";
  std::string note = trim(req.has_param("note") ? req.get_param_value("note") : "");
  bool attended = false;
  for (const auto& row : form->rows)
    attended = attended || row.session.id == session_id;
  if (!attended) return send_text(res, 404, "not found");
  if (note.empty()) return send_text(res, 400, "the note is empty: say what is wrong");
  if (note.size() > 500) note.resize(500);
  if (auto done = officials.add_dispute({id, event_id, session_id, note, at}); !done) {
    return send_text(res, 503, "the database is unavailable");
  }
  (void)accounts.append_audit(AuditEntry{at, std::string(kSessionPrefix) + id, "me-dispute",
                                         event_id + "/" + session_id, note});
  redirect(res, "/me/?done=disputed");
}

void Me::install(const std::shared_ptr<Me>& self, httplib::Server& s) {
  s.Get("/me", [](const httplib::Request&, httplib::Response& res) { redirect(res, "/me/"); });
  s.Get("/me/",
        [self](const httplib::Request& req, httplib::Response& res) { self->get_home(req, res); });
  s.Post("/me/login", [self](const httplib::Request& req, httplib::Response& res) {
    self->post_login(req, res);
  });
  s.Post("/me/code", [self](const httplib::Request& req, httplib::Response& res) {
    self->post_code(req, res);
  });
  s.Post("/me/logout", [self](const httplib::Request& req, httplib::Response& res) {
    self->post_logout(req, res);
  });
  s.Get(R"(/me/([^/]+)/transcript\.pdf)",
        [self](const httplib::Request& req, httplib::Response& res) {
          self->get_pdf(req, res, "transcript");
        });
  s.Get(R"(/me/([^/]+)/events/([^/]+)/credit-form\.pdf)",
        [self](const httplib::Request& req, httplib::Response& res) {
          self->get_pdf(req, res, "credit-form");
        });
  s.Get(R"(/me/([^/]+)/events/([^/]+)/verification-letter\.pdf)",
        [self](const httplib::Request& req, httplib::Response& res) {
          self->get_pdf(req, res, "verification-letter");
        });
  s.Post(R"(/me/([^/]+)/events/([^/]+)/confirm)",
         [self](const httplib::Request& req, httplib::Response& res) {
           self->post_action(req, res, true);
         });
  s.Post(R"(/me/([^/]+)/events/([^/]+)/dispute)",
         [self](const httplib::Request& req, httplib::Response& res) {
           self->post_action(req, res, false);
         });
}

} // namespace

void install_me_routes(httplib::Server& server, const MeOptions& options) {
  Me::install(std::make_shared<Me>(options), server); // the handlers own it
}

} // namespace muster::server
