#pragma once
// The pages of the console's actions (page_*.cpp beside pages.hpp): pure functions from data to
// HTML, like pages.hpp's.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/domain.hpp"
#include "sync/server/credit_commands.hpp"
#include "sync/server/web/account_store.hpp"
#include "sync/server/web/pages.hpp"

namespace muster::server::web {

// Attendee id -> "First Last" (the roster's names, for tables of ids).
using NameIndex = std::map<std::string, std::string, std::less<>>;

// GET /console/events/{id}/close (admins): the credit table a close would post, the late-sync
// report (doors not synced since the last session ended, walk-ins held back, and once closed the
// scans after the close and the credits that differ), then the confirm button
// (data-testid="close-event") posting to /close.
std::string close_preview_page(const Viewer& viewer, const Event& event,
                               const ClosePreview& preview, const NameIndex& names, Instant now);

// The event page's part for this file's features (one line in page_event.cpp): the timeline
// charts' canvases and scripts, the downloads, and links to the action pages by role.
std::string event_actions_html(const Viewer& viewer, const Event& event);

// A message above an action page after a POST (the redirect's ?done=...): fixed words per
// action, so the query string cannot put text on the page.
std::string done_message(std::string_view done);
// done_message as a status paragraph (data-testid="action-done"), or "".
std::string done_html(std::string_view done);

// GET /console/events/{id}/walk-ins (staff, admins): every walk-in of the event; provisional
// ones with a confirm form and a merge form (same_as: the existing attendee), each with a reason.
std::string walk_ins_page(const Viewer& viewer, const Event& event,
                          const std::vector<WalkInRecord>& walk_ins, std::string_view done);

// One review item: where a door's label disagreed with the presence rule (CreditRow::review),
// or an official's dispute of a session (dispute_review.hpp), and its resolution when staff
// resolved it (an audit entry "review-resolve": who, when, why).
struct ReviewItem {
  std::string attendee_id;
  std::string name;
  std::string session_id;
  std::string words;
  std::string key; // "EVENT/ATTENDEE/SESSION/<hash of the words>": the resolution's target
  std::optional<AuditEntry> resolution;
  bool dispute = false; // an official's dispute (words: the note), not a door's disagreement
};
// The items of `rows` as `muster-server review` lists them (once per attendee and words; doors
// named), resolutions matched by key.
std::vector<ReviewItem> review_items(const Event& event, const std::vector<CreditRow>& rows,
                                     const std::vector<DeviceRecord>& devices,
                                     const std::vector<AuditEntry>& resolutions);
std::string review_page(const Viewer& viewer, const Event& event,
                        const std::vector<ReviewItem>& items, std::string_view done);

// GET /console/events/{id}/badges?q=... (staff, admins): attendees matching q (id or name, at
// most 50) with the event's badges; staff reprint the current one, admins revoke a serial.
struct BadgeLine {
  Attendee attendee;
  std::vector<BadgeRecord> badges; // of this event, oldest first
};
std::string badges_page(const Viewer& viewer, const Event& event, std::string_view query,
                        const std::vector<BadgeLine>& lines, bool more, std::string_view done);
// The reprinted badge: the PNG (data: URL) to print, same serial.
std::string badge_reprint_page(const Viewer& viewer, const Event& event, const Attendee& attendee,
                               const BadgeRecord& badge, std::string_view png_base64);

// GET /console/events/{id}/devices (admins): the event's devices with a revoke form each, and
// the form for a new provisioning code.
std::string devices_page(const Viewer& viewer, const Event& event,
                         const std::vector<DeviceRecord>& devices, std::string_view done);
// The new code as text and as a QR code (inline SVG), shown once.
std::string provisioning_code_page(const Viewer& viewer, const Event& event,
                                   std::string_view device_name, std::string_view code,
                                   std::string_view qr_svg, Instant expires);

} // namespace muster::server::web
