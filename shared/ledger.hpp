#pragma once
// An official's credit ledger: the credits posted to them (League events via the kiosk, approved
// outside training, online courses), and the official's own record (role, term, designations).
// Entries are facts as posted; whether and where an entry counts is decided by the program's
// rules at evaluation time (progress.hpp), never stored.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shared/domain.hpp"

namespace muster {

// A calendar date (no time of day, no zone): ledger dates are the event's local date.
using Date = std::chrono::year_month_day;

// "2026-03-02" -> Date; nullopt for anything else (strict: 4-2-2 digits, a real day).
std::optional<Date> parse_date(std::string_view text);
std::string format_date(Date date); // "2026-03-02"

// Adds whole years, keeping month and day; Feb 29 in a year without one becomes Mar 1.
Date add_years(Date date, int years);

enum class CreditSource : std::uint8_t {
  league_event, // attended a League event (posted when the event is closed)
  outside,      // non-League training, counts only when the League approved it
  online,       // League online course or webinar recording, counts only with a passed test
};
std::string_view to_string(CreditSource source);
std::optional<CreditSource> parse_credit_source(std::string_view text);

struct LedgerEntry {
  std::string id; // stable unique key, e.g. "ev-2026-spring/s3"; breaks ties in order
  std::string official_id;
  Date date{};             // the day the training took place (event's local date)
  double hours = 0;        // credit hours as posted (already rounded by the attendance rules)
  std::string course_code; // decides "core" against the program's core course list
  std::string topic;       // for the "same topic only every N years" rule; empty: course_code
  std::string title;
  CreditSource source = CreditSource::league_event;
  bool approved = false;            // outside: the League approved it (agenda + registration seen);
                                    // league_event after leaving office: pre-approved
  bool test_passed = false;         // online: the test on the material was passed
  std::optional<double> test_score; // online: the score in percent, when recorded; decides
                                    // against the program's pass score instead of test_passed
  std::string points_event;  // qualifying event type for points (program's points.events); ""
  std::string category;      // cycle programs (AMCTO): PDU category id
  std::string competency;    // cycle programs (AMCTO): competency id
  std::string documents_ref; // where the supporting documents are (audits, approvals)
  std::string event_id;      // League event the credit came from, if any
  // Not stored: the hours the course was offered with (the session's credit hours), filled in
  // by the server from the event; 0: unknown, the entry's own hours stand for it.
  double offered_hours = 0;
  // league_event: the programs (ids) the event granted credit under; the entry counts only in
  // those. Empty: any program (outside and online credit, and entries posted before events
  // named their programs).
  std::vector<std::string> programs = {};
};

// A designation (level) the official already holds, e.g. Basic earned before Muster existed.
struct Designation {
  std::string level_id; // a level id of the program ("basic"), or the cycle's designation id
  Date earned_on{};
};

// A fact of the role history: from `effective` on, the attendee holds `role` (a roster import
// that changed the role records one). Credit is judged by the role on the day of the training.
struct RoleChange {
  Date effective{};
  Role role = Role::guest;
  bool operator==(const RoleChange&) const = default;
};

// The role on `date`: the latest change effective on or before it. Before the first recorded
// change the first one holds (the roster the attendee first came in with is all we know);
// `fallback` when there is no history at all. `history` need not be sorted.
Role role_on(std::span<const RoleChange> history, Date date, Role fallback);

struct Official {
  std::string id;
  Role role = Role::councilmember; // today's role (the roster's)
  std::vector<RoleChange> roles;   // the role history; empty: `role` on every date
  [[nodiscard]] Role role_on(Date date) const { return muster::role_on(roles, date, role); }
  std::optional<Date> term_start;  // start of the current term
  bool first_term = false;         // the current term is the official's first
  std::optional<Date> left_office; // separation date, if no longer in office
  std::vector<Designation> designations;
};

// The order every evaluation uses: date, then id, then the remaining fields, so the result never
// depends on the order entries were posted or loaded in.
bool ledger_order(const LedgerEntry& a, const LedgerEntry& b);

// The session's day on the event's local calendar: the date credit and roles are judged on.
Date session_date(const Event& event, const Session& session);

// A League-event credit for one session, dated on the event's local calendar day. This is what
// closing an event posts for each eligible official.
LedgerEntry make_league_entry(const Event& event, const Session& session,
                              std::string_view official_id, double credit_hours);

// The entry id make_league_entry gives a session: "<event id>/<session id>".
std::string league_entry_id(std::string_view event_id, std::string_view session_id);

} // namespace muster
