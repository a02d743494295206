// The console's routes: authentication (cookie sessions, CSRF, throttle), roles on every
// request, and the handlers that turn store and credit functions into pages (page_*.cpp).
#include "sync/server/web/console.hpp"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "sync/server/admin_commands.hpp"
#include "sync/server/credit_commands.hpp"
#include "sync/server/http_api.hpp"
#include "sync/server/ledger_store.hpp"
#include "sync/server/live_hub.hpp"
#include "sync/server/server_store.hpp"
#include "sync/server/web/account_store.hpp"
#include "sync/server/web/accounts.hpp"
#include "sync/server/web/actions.hpp"
#include "sync/server/web/console_http.hpp"
#include "sync/server/web/event_counts.hpp"
#include "sync/server/web/event_view.hpp"
#include "sync/server/web/pages.hpp"
#include "sync/server/web/people_routes.hpp"
#include "sync/server/web/static_files.hpp"
#include "sync/server/worker_pool.hpp"

namespace muster::server {

namespace {

// A live stream's longest wait on the hub (live_hub.hpp) before httplib checks for a stopping
// server; the hub's shutdown ends the wait at once anyway.
constexpr auto kLiveWait = std::chrono::milliseconds(1000);

// The shared request helpers (console_http.hpp): the page and action files use them too.
using web::audit;
using web::cookie_value;
using web::kLoginCookie;
using web::kSessionCookie;
using web::now_ms;
using web::post_guard;
using web::redirect;
using web::secure_headers;
using web::send_html;
using web::send_text;
using web::signed_in;
using web::SignedIn;
using web::valid_event_id;

class Console {
public:
  explicit Console(ConsoleOptions options)
      : options_(std::move(options)), account_throttle_(5, std::chrono::minutes(15)),
        address_throttle_(20, std::chrono::minutes(15)) {}

  static void install(const std::shared_ptr<Console>& self, httplib::Server& s);

private:
  std::string session_cookie(std::string_view value, long long max_age) const;

  void get_login(const httplib::Request& req, httplib::Response& res);
  void post_login(const httplib::Request& req, httplib::Response& res);
  void post_logout(const httplib::Request& req, httplib::Response& res);
  void get_events(const httplib::Request& req, httplib::Response& res);
  void get_event(const httplib::Request& req, httplib::Response& res, bool json);
  void get_live(const httplib::Request& req, httplib::Response& res);
  void post_close(const httplib::Request& req, httplib::Response& res);
  void get_audit(const httplib::Request& req, httplib::Response& res);

  ConsoleOptions options_;
  SignInThrottle account_throttle_;
  SignInThrottle address_throttle_;
};

std::string Console::session_cookie(std::string_view value, long long max_age) const {
  std::string cookie =
      std::string(kSessionCookie) + "=" + std::string(value) +
      "; Path=/console; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age);
  if (options_.tls) cookie += "; Secure";
  return cookie;
}

#define OPEN_ACCOUNTS(res)                                                                         \
  auto accounts_opened = open_account_store(options_.database);                                    \
  if (!accounts_opened) {                                                                          \
    std::cerr << "muster-server: console: " << accounts_opened.message() << '\n';                  \
    return send_text(res, 503, "the database is unavailable");                                     \
  }                                                                                                \
  AccountStore& accounts = **accounts_opened

void Console::get_login(const httplib::Request& req, httplib::Response& res) {
  OPEN_ACCOUNTS(res);
  if (signed_in(req, accounts)) return redirect(res, "/console/");
  const std::string login_csrf = random_token();
  std::string cookie = std::string(kLoginCookie) + "=" + login_csrf +
                       "; Path=/console/login; HttpOnly; SameSite=Strict; Max-Age=3600";
  if (options_.tls) cookie += "; Secure";
  res.set_header("Set-Cookie", cookie);
  send_html(res, 200, web::login_page(login_csrf, ""));
}

void Console::post_login(const httplib::Request& req, httplib::Response& res) {
  OPEN_ACCOUNTS(res);
  // The sign-in form is a POST too: its token is the one set in a cookie with the form.
  const std::string expected = cookie_value(req, kLoginCookie);
  const std::string presented =
      req.has_param("csrf_token") ? req.get_param_value("csrf_token") : std::string();
  if (!csrf_matches(expected, presented)) {
    return send_text(res, 403, "forbidden: the sign-in form's token is missing (reload the page)");
  }
  const std::string name = req.has_param("username") ? req.get_param_value("username") : "";
  const std::string password = req.has_param("password") ? req.get_param_value("password") : "";
  const auto now = SignInThrottle::Clock::now();
  const std::string account_key = "account:" + name;
  const std::string address_key = "address:" + req.remote_addr;
  const long long wait = std::max(account_throttle_.retry_after(account_key, now),
                                  address_throttle_.retry_after(address_key, now));
  if (wait > 0) {
    res.set_header("Retry-After", std::to_string(wait));
    audit(accounts, name, "sign-in-throttled", req.remote_addr, "");
    return send_html(res, 429,
                     web::login_page(presented, "Too many failed sign-ins: try again in " +
                                                    std::to_string(wait) + " seconds."));
  }
  std::optional<ConsoleUser> user;
  if (valid_user_name(name)) {
    if (auto found = accounts.user(name)) user = std::move(*found);
  }
  // An unknown name costs a hash check too, so the answer's timing does not tell which it was.
  static const std::string dummy = hash_password("muster-console-dummy-password");
  const bool ok = user ? verify_password(user->password_hash, password)
                       : (verify_password(dummy, password) && false);
  if (!ok) {
    account_throttle_.failed(account_key, now);
    address_throttle_.failed(address_key, now);
    audit(accounts, name, "sign-in-failed", req.remote_addr, "");
    return send_html(res, 401, web::login_page(presented, "Wrong user name or password."));
  }
  account_throttle_.succeeded(account_key);
  // A fresh token at every sign-in: a cookie planted before cannot become a session.
  if (const std::string old = cookie_value(req, kSessionCookie); old.size() == 64) {
    (void)accounts.remove_session(hash_secret(old));
  }
  const std::string token = random_token();
  const Instant created = now_ms();
  ConsoleSession session{
      hash_secret(token), user->name, random_token(), created,
      created + std::chrono::duration_cast<std::chrono::milliseconds>(kConsoleSessionLifetime)};
  if (auto added = accounts.add_session(session); !added) {
    std::cerr << "muster-server: console: " << added.message() << '\n';
    return send_text(res, 503, "the database is unavailable");
  }
  audit(accounts, user->name, "sign-in", req.remote_addr, "");
  res.set_header("Set-Cookie",
                 session_cookie(token, std::chrono::seconds(kConsoleSessionLifetime).count()));
  redirect(res, "/console/");
}

void Console::post_logout(const httplib::Request& req, httplib::Response& res) {
  OPEN_ACCOUNTS(res);
  auto who = post_guard(req, res, accounts);
  if (!who) return;
  (void)accounts.remove_session(who->session.token_hash);
  audit(accounts, who->user.name, "sign-out", "", "");
  res.set_header("Set-Cookie", session_cookie("", 0));
  redirect(res, "/console/login");
}

void Console::get_events(const httplib::Request& req, httplib::Response& res) {
  OPEN_ACCOUNTS(res);
  auto who = signed_in(req, accounts);
  if (!who) return redirect(res, "/console/login");
  auto store = open_server_store(options_.database);
  if (!store) return send_text(res, 503, "the database is unavailable");
  auto events = (*store)->events();
  if (!events) return send_text(res, 503, "the database is unavailable");
  send_html(res, 200, web::events_page(who->viewer(), *events));
}

void Console::get_event(const httplib::Request& req, httplib::Response& res, bool json) {
  OPEN_ACCOUNTS(res);
  auto who = signed_in(req, accounts);
  if (!who) {
    if (json) return send_text(res, 401, "sign in first");
    return redirect(res, "/console/login");
  }
  const std::string event_id = req.matches[1];
  if (!valid_event_id(event_id)) return send_text(res, 404, "no such event");
  auto store = open_server_store(options_.database);
  if (!store) return send_text(res, 503, "the database is unavailable");
  auto event = (*store)->event(event_id);
  if (!event) {
    if (event.code() == DbError::not_found) return send_text(res, 404, "no such event");
    return send_text(res, 503, "the database is unavailable");
  }
  std::string error;
  const auto view =
      options_.views->get(**store, *event, options_.live ? options_.live->published() : 0, error);
  if (!view) {
    std::cerr << "muster-server: console: " << error << '\n';
    return send_text(res, 503, "the counts are unavailable");
  }
  const Instant now = now_ms();
  const auto counts = count_sessions(view->event, view->rows, now);
  if (json) {
    secure_headers(res);
    // Pages get the counts inside their live events now (event_view.hpp); other users of this
    // JSON may still poll it: httplib 0.11 holds a worker thread per idle keep-alive
    // connection (5 s), so the answer closes its connection and the worker is free at once.
    res.set_header("Connection", "close");
    res.status = 200;
    return res.set_content(counts_json(view->event, counts, now), "application/json");
  }
  auto devices = (*store)->devices();
  if (!devices) return send_text(res, 503, "the database is unavailable");
  const auto doors = door_rows(event_id, *devices, view->doors, now);
  send_html(res, 200, web::event_page(who->viewer(), *event, counts, doors, now));
}

void Console::get_live(const httplib::Request& req, httplib::Response& res) {
  {
    OPEN_ACCOUNTS(res);
    if (!signed_in(req, accounts)) return send_text(res, 401, "sign in first");
  }
  const std::string event_id = req.matches[1];
  if (!valid_event_id(event_id)) return send_text(res, 404, "no such event");
  // The thread goes to the bounded stream budget (worker_pool.hpp): the API keeps its workers.
  std::shared_ptr<WorkerPool::StreamSlot> slot = WorkerPool::claim_stream();
  auto stream = slot && options_.live ? options_.live->subscribe(event_id) : nullptr;
  if (!stream) {
    res.set_header("Retry-After", "5");
    return send_text(res, 503, "too many live pages open; the page still works with a reload");
  }
  secure_headers(res);
  res.set_header("X-Accel-Buffering", "no");
  // The stream is the connection's last answer: once it ends (a stopping server, a dropped
  // stream) the worker need not wait out the keep-alive time, and the page reconnects anew.
  res.set_header("Connection", "close");
  res.set_chunked_content_provider("text/event-stream", [hub = options_.live, stream, slot](
                                                            std::size_t, httplib::DataSink& sink) {
    // Sleeps on the hub until something is due; returns at least every kLiveWait so that
    // httplib can see a stopping server between calls.
    const auto text = stream->next(kLiveWait);
    if (!text) {
      sink.done();
      return true;
    }
    return text->empty() || sink.write(text->data(), text->size());
  });
}

void Console::post_close(const httplib::Request& req, httplib::Response& res) {
  OPEN_ACCOUNTS(res);
  auto who = post_guard(req, res, accounts);
  if (!who) return;
  const std::string event_id = req.matches[1];
  if (who->user.role != ConsoleRole::admin) {
    audit(accounts, who->user.name, "close-event-refused", event_id,
          "role " + std::string(to_string(who->user.role)));
    return send_text(res, 403, "forbidden: closing an event needs the admin role");
  }
  if (!valid_event_id(event_id)) return send_text(res, 404, "no such event");
  auto store = open_server_store(options_.database);
  if (!store) return send_text(res, 503, "the database is unavailable");
  auto event = (*store)->event(event_id);
  if (!event)
    return send_text(res, event.code() == DbError::not_found ? 404 : 503,
                     event.code() == DbError::not_found ? "no such event"
                                                        : "the database is unavailable");
  auto ledger = open_ledger_store(options_.database);
  if (!ledger) return send_text(res, 503, "the database is unavailable");
  // The same core as `muster-server close-event` (credit_commands.hpp), without --amend.
  auto outcome = close_event(**store, **ledger, event_id, now_ms(), false);
  const std::string words =
      outcome ? describe_close(event_id, *outcome) : "close-event failed: " + outcome.message();
  audit(accounts, who->user.name, "close-event", event_id, outcome ? "ok" : outcome.message());
  if (outcome) notify_live(options_, event_id, "closed");
  send_html(res, outcome ? 200 : 409,
            web::close_result_page(who->viewer(), *event, words, outcome.ok()));
}

void Console::get_audit(const httplib::Request& req, httplib::Response& res) {
  OPEN_ACCOUNTS(res);
  auto who = signed_in(req, accounts);
  if (!who) return redirect(res, "/console/login");
  if (who->user.role != ConsoleRole::admin) {
    return send_text(res, 403, "forbidden: the audit trail needs the admin role");
  }
  auto entries = accounts.audit(500);
  if (!entries) return send_text(res, 503, "the database is unavailable");
  send_html(res, 200, web::audit_page(who->viewer(), *entries));
}

void Console::install(const std::shared_ptr<Console>& self, httplib::Server& s) {
  s.Get("/console",
        [](const httplib::Request&, httplib::Response& res) { redirect(res, "/console/"); });
  s.Get("/console/", [self](const httplib::Request& req, httplib::Response& res) {
    self->get_events(req, res);
  });
  s.Get("/console/login",
        [self](const httplib::Request& req, httplib::Response& res) { self->get_login(req, res); });
  s.Post("/console/login", [self](const httplib::Request& req, httplib::Response& res) {
    self->post_login(req, res);
  });
  s.Post("/console/logout", [self](const httplib::Request& req, httplib::Response& res) {
    self->post_logout(req, res);
  });
  s.Get(R"(/console/events/([^/]+))", [self](const httplib::Request& req, httplib::Response& res) {
    self->get_event(req, res, false);
  });
  s.Get(R"(/console/events/([^/]+)/counts)",
        [self](const httplib::Request& req, httplib::Response& res) {
          self->get_event(req, res, true);
        });
  s.Get(R"(/console/events/([^/]+)/live)",
        [self](const httplib::Request& req, httplib::Response& res) { self->get_live(req, res); });
  s.Post(
      R"(/console/events/([^/]+)/close)",
      [self](const httplib::Request& req, httplib::Response& res) { self->post_close(req, res); });
  web::install_action_routes(s, self->options_); // action_*.cpp: previews, downloads, actions
  s.Get("/console/audit",
        [self](const httplib::Request& req, httplib::Response& res) { self->get_audit(req, res); });
  s.Get("/console/static/console.css", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "max-age=300");
    res.set_content(std::string(web::console_css()), "text/css; charset=utf-8");
  });
  s.Get("/console/static/console.js", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "max-age=300");
    res.set_content(std::string(web::console_js()), "text/javascript; charset=utf-8");
  });
  web::install_people_routes(s, self->options_); // people_routes.cpp: search, officials
}

} // namespace

void notify_live(const ConsoleOptions& options, std::string_view event_id, std::string_view kind) {
  if (options.live) options.live->publish(event_id, kind);
}

void install_console_routes(httplib::Server& server, const ConsoleOptions& given) {
  ConsoleOptions options = given;
  if (!options.views) options.views = std::make_shared<web::EventViews>();
  if (options.live) {
    // Every live event carries the counts and the timeline (live_hub.hpp, set_payload): the
    // hub's notifier computes them once per change, from the same views as the pages. The hub
    // owns this function and joins its notifier before it goes: a plain pointer, no cycle.
    options.live->set_payload(
        [database = options.database, views = options.views,
         hub = options.live.get()](const std::string& event_id) -> std::optional<std::string> {
          auto store = open_server_store(database);
          if (!store) return std::nullopt;
          auto event = (*store)->event(event_id);
          if (!event) return std::nullopt;
          std::string error;
          const auto view = views->get(**store, *event, hub->published(), error);
          if (!view) {
            std::cerr << "muster-server: console: live: " << error << '\n';
            return std::nullopt;
          }
          return web::live_payload(*view, now_ms());
        });
  }
  Console::install(std::make_shared<Console>(options), server); // the handlers own it
}

} // namespace muster::server
