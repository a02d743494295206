// Badges (staff find and reprint, admins revoke): the reprint draws the attendee's current
// badge with write_badge_png (as issue-badges does; same serial, so printed badges stay
// valid); the revocation is the store's revoke_badge, as `muster-server revoke`.
#include <httplib.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sync/server/badge_render.hpp"
#include "sync/server/web/accounts.hpp"
#include "sync/server/web/action_pages.hpp"
#include "sync/server/web/actions.hpp"
#include "sync/server/web/console_http.hpp"

namespace muster::server::web {

namespace {

namespace fs = std::filesystem;
constexpr std::size_t kMaxLines = 50;

std::string lower(std::string text) {
  for (char& c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::optional<std::string> png_base64(const BadgeCard& card) {
  const fs::path path =
      fs::temp_directory_path() / ("muster-console-badge-" + std::to_string(::getpid()) + "-" +
                                   random_token().substr(0, 16) + ".png");
  std::optional<std::string> encoded;
  if (write_badge_png(card, path)) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    const std::string bytes = buffer.str();
    std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(),
                      reinterpret_cast<const unsigned char*>(bytes.data()), // NOLINT
                      bytes.size(), sodium_base64_VARIANT_ORIGINAL);
    out.resize(out.find('\0'));
    if (!bytes.empty()) encoded = std::move(out);
  }
  std::error_code ignored;
  fs::remove(path, ignored);
  return encoded;
}

// The roster's attendees whose id or name contains `needle` (all when it is empty), each with
// their badges at the event, at most kMaxLines; `more` says some were left out.
std::vector<BadgeLine> badge_lines(std::vector<Attendee>& roster,
                                   const std::vector<BadgeRecord>& badges,
                                   const std::string& needle, bool& more) {
  std::vector<BadgeLine> lines;
  more = false;
  for (Attendee& a : roster) {
    if (!needle.empty() && lower(a.id).find(needle) == std::string::npos &&
        lower(full_name(a)).find(needle) == std::string::npos) {
      continue;
    }
    if (lines.size() == kMaxLines) {
      more = true;
      break;
    }
    a.email.clear(); // never on a page
    BadgeLine line{std::move(a), {}};
    for (const BadgeRecord& b : badges) {
      if (b.attendee_id == line.attendee.id) line.badges.push_back(b);
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

// The attendee's newest badge at the event that is not revoked, or null.
const BadgeRecord* newest_valid_badge(const std::vector<BadgeRecord>& badges,
                                      const std::string& attendee_id) {
  const BadgeRecord* current = nullptr;
  for (const BadgeRecord& b : badges) {
    if (b.attendee_id == attendee_id && !b.revoked_at) current = &b; // the newest valid one
  }
  return current;
}

// GET .../badges?q=: find attendees and their badges.
void show_badges(const ConsoleOptions& options, const httplib::Request& req,
                 httplib::Response& res) {
  auto request = open_event_page(req, res, options, ConsoleRole::staff);
  if (!request) return;
  auto& [accounts, who, store, event, why] = *request;
  auto roster = store->roster();
  auto badges = store->badges_for_event(event.id);
  if (!roster || !badges) return send_text(res, 503, "the database is unavailable");
  const std::string query = form_value(req, "q").substr(0, 100);
  bool more = false;
  const auto lines = badge_lines(*roster, *badges, lower(query), more);
  send_html(res, 200,
            badges_page(who.viewer(), event, query, lines, more, form_value(req, "done")));
}

// POST .../badges/reprint: the attendee's current badge drawn again (same serial).
void reprint_badge(const ConsoleOptions& options, const httplib::Request& req,
                   httplib::Response& res) {
  const std::string attendee_id = form_value(req, "attendee_id");
  auto request =
      open_event_action(req, res, options, ConsoleRole::staff, "badge-reprint", attendee_id);
  if (!request) return;
  auto& [accounts, who, store, event, why] = *request;
  auto attendee = store->attendee(attendee_id);
  if (!attendee) return send_text(res, 404, "no attendee " + attendee_id);
  auto badges = store->badges_for_event(event.id);
  if (!badges) return send_text(res, 503, "the database is unavailable");
  const BadgeRecord* current = newest_valid_badge(*badges, attendee_id);
  if (current == nullptr) {
    return send_text(res, 409,
                     "no valid badge for " + attendee_id +
                         " at this event: `muster-server issue-badges` issues a new serial");
  }
  const BadgeCard card{current->payload,
                       attendee->first_name,
                       attendee->last_name,
                       attendee->municipality,
                       std::string(to_string(attendee->role)),
                       event.name};
  auto png = png_base64(card);
  if (!png) return send_text(res, 500, "the badge could not be drawn");
  audit(*accounts, who.user.name, "badge-reprint", attendee_id,
        "serial " + current->serial + "; why: " + why);
  send_html(res, 200, badge_reprint_page(who.viewer(), event, *attendee, *current, *png));
}

// POST .../badges/revoke: an admin revokes one serial of the event.
void revoke_event_badge(const ConsoleOptions& options, const httplib::Request& req,
                        httplib::Response& res) {
  const std::string serial = form_value(req, "serial");
  auto request = open_event_action(req, res, options, ConsoleRole::admin, "badge-revoke", serial);
  if (!request) return;
  auto& [accounts, who, store, event, why] = *request;
  auto badge = store->badge(serial);
  if (!badge || (!badge->event_id.empty() && badge->event_id != event.id)) {
    return send_text(res, 404, "no badge " + serial + " at this event");
  }
  auto revoked = store->revoke_badge(serial, now_ms());
  if (!revoked) return send_text(res, 503, "not revoked: " + revoked.message());
  audit(*accounts, who.user.name, "badge-revoke", serial,
        "attendee " + badge->attendee_id + "; why: " + why);
  redirect(res, "/console/events/" + event.id + "/badges?done=badge-revoked&q=" +
                    httplib::detail::encode_query_param(badge->attendee_id));
}

} // namespace

void route_badges(httplib::Server& server, const ConsoleOptions& options) {
  server.Get(R"(/console/events/([^/]+)/badges)",
             [options](const httplib::Request& req, httplib::Response& res) {
               show_badges(options, req, res);
             });
  server.Post(R"(/console/events/([^/]+)/badges/reprint)",
              [options](const httplib::Request& req, httplib::Response& res) {
                reprint_badge(options, req, res);
              });
  server.Post(R"(/console/events/([^/]+)/badges/revoke)",
              [options](const httplib::Request& req, httplib::Response& res) {
                revoke_event_badge(options, req, res);
              });
}

} // namespace muster::server::web
