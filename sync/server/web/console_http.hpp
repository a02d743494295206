#pragma once
// What every console handler needs, whichever file it lives in (console.cpp, the action_*.cpp
// and people routes): the signed-in user of a request, the CSRF guard of every POST, the audit
// entry, and the answers with the console's security headers. docs/console.md has the rules.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "shared/domain.hpp"
#include "sync/server/web/account_store.hpp"
#include "sync/server/web/pages.hpp"

namespace httplib {
struct Request;
struct Response;
} // namespace httplib

namespace muster::server::web {

inline constexpr std::string_view kSessionCookie = "muster_console";
inline constexpr std::string_view kLoginCookie = "muster_login_csrf";

Instant now_ms();

// Event, session, attendee and device ids in console URLs and forms: 1 to 128 of letters,
// digits, '-', '_', '.'.
bool valid_event_id(std::string_view id);

std::string cookie_value(const httplib::Request& req, std::string_view name);

// What a page may run: the console's own scripts (live counts, the chart), or none at all (the
// officials' pages at /me/ are plain forms).
enum class PageScripts { own, none };

// no-store, nosniff, DENY framing and the strict Content-Security-Policy (script-src 'self' or
// 'none').
void secure_headers(httplib::Response& res, PageScripts scripts = PageScripts::own);
void send_html(httplib::Response& res, int status, const std::string& html,
               PageScripts scripts = PageScripts::own);
void send_text(httplib::Response& res, int status, const std::string& text,
               PageScripts scripts = PageScripts::own);
void redirect(httplib::Response& res, const std::string& to,
              PageScripts scripts = PageScripts::own);

struct SignedIn {
  ConsoleUser user;
  ConsoleSession session;
  [[nodiscard]] Viewer viewer() const;
};

// The signed-in user of the request, or nullopt (no, unknown or expired session).
std::optional<SignedIn> signed_in(const httplib::Request& req, AccountStore& accounts);
// For POSTs: a session and its CSRF token, else 403 (answered here). The role check follows.
std::optional<SignedIn> post_guard(const httplib::Request& req, httplib::Response& res,
                                   AccountStore& accounts);
// Appends an audit entry (a failure is logged: the action itself is already done).
void audit(AccountStore& accounts, std::string actor, std::string action, std::string target,
           std::string detail);

// The account store of `database`, or nullptr after answering 503.
std::unique_ptr<AccountStore> open_accounts(const std::string& database, httplib::Response& res);

// A signed-in user whose role is at least `least` (viewer < staff < admin), else the answer is
// sent: a redirect to the sign-in page without a session, 403 with a too small role.
std::optional<SignedIn> require_role(const httplib::Request& req, httplib::Response& res,
                                     AccountStore& accounts, ConsoleRole least);
// For an action's POST: post_guard (session and CSRF token, else 403), then the role, else 403
// and an audit entry "<action>-refused" (so refusals show in the trail too).
std::optional<SignedIn> require_post(const httplib::Request& req, httplib::Response& res,
                                     AccountStore& accounts, ConsoleRole least,
                                     std::string_view action, std::string_view target);

// A form field's value, or "" when absent.
std::string form_value(const httplib::Request& req, const char* name);

} // namespace muster::server::web
