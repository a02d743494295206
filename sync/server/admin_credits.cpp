// Credit per attendee and session from every device's scans (compute_credits), its CSV and
// JSON, and the credits command.
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "shared/csv.hpp"
#include "shared/hours.hpp"
#include "shared/presence.hpp"
#include "shared/time.hpp"
#include "sync/server/admin_commands.hpp"
#include "sync/server/admin_support.hpp"
#include "sync/server/scan_clock.hpp"

namespace muster::server {

using nlohmann::json;
using namespace admin_support; // NOLINT(google-build-using-namespace)

namespace {

std::string optional_utc(const std::optional<Instant>& instant) {
  return instant ? format_utc(*instant) : std::string();
}

std::string optional_local(const std::optional<Instant>& instant, std::string_view zone) {
  return instant ? format_local(*instant, zone) : std::string();
}

std::string joined(const std::vector<std::string>& items, std::string_view separator) {
  std::string text;
  for (const auto& item : items) {
    if (!text.empty()) text += separator;
    text += item;
  }
  return text;
}

// Walk-ins: provisional ones are flagged; one confirmed as an existing attendee
// (confirm-walk-in --as) has their scans counted for that attendee.
struct WalkInLinks {
  std::set<std::string, std::less<>> provisional;
  std::map<std::string, std::string, std::less<>> same_as; // walk-in id -> attendee id
};

AdminResult<WalkInLinks> walk_in_links(ServerStore& store) {
  auto walk_ins = store.walk_ins("", true);
  if (!walk_ins) return store_error(walk_ins);
  WalkInLinks links;
  for (const WalkInRecord& w : *walk_ins) {
    if (w.provisional) links.provisional.insert(w.attendee.id);
    if (!w.same_as.empty()) links.same_as.emplace(w.attendee.id, w.same_as);
  }
  return links;
}

// Every scan of each attendee at the event (presence is judged across sessions), a confirmed
// walk-in's under the attendee's id.
struct GroupedScans {
  std::map<std::string, std::vector<Scan>, std::less<>> by_attendee;
  std::map<std::string, std::set<std::string>, std::less<>> merged; // attendee -> walk-in ids
};

GroupedScans group_scans(std::vector<Scan> scans, const WalkInLinks& links) {
  GroupedScans grouped;
  for (Scan& scan : scans) {
    if (const auto alias = links.same_as.find(scan.attendee_id); alias != links.same_as.end()) {
      grouped.merged[alias->second].insert(scan.attendee_id);
      scan.attendee_id = alias->second;
    }
    grouped.by_attendee[scan.attendee_id].push_back(std::move(scan));
  }
  return grouped;
}

// What every row of one attendee shares: who they are, and when the desk checked them in.
CreditRow attendee_row(const std::string& attendee_id,
                       const std::map<std::string, Attendee, std::less<>>& people,
                       const WalkInLinks& links, const GroupedScans& grouped,
                       const std::vector<Scan>& their_scans) {
  CreditRow base;
  if (const auto it = people.find(attendee_id); it != people.end()) {
    base.attendee = it->second;
    base.attendee.email.clear();
  } else {
    base.attendee.id = attendee_id;
    base.on_roster = false;
  }
  base.provisional = links.provisional.contains(attendee_id);
  // Event-level scans (no session): the desk's check-in shows as "checked in at".
  for (const Scan& scan : their_scans) {
    if (scan.kind != ScanKind::checkin) continue;
    const Instant when = corrected_time(scan);
    if (!base.checked_in_at || when < *base.checked_in_at) base.checked_in_at = when;
  }
  if (const auto it = grouped.merged.find(attendee_id); it != grouped.merged.end()) {
    base.walk_in_ids.assign(it->second.begin(), it->second.end());
  }
  return base;
}

// The attended stretches as credit counts them: clipped to the session, grace applied.
json intervals_json(const std::vector<Interval>& intervals) {
  json out = json::array();
  for (const Interval& interval : intervals)
    out.push_back({{"from", format_utc(interval.from)}, {"to", format_utc(interval.to)}});
  return out;
}

} // namespace

AdminResult<std::vector<CreditRow>> compute_credits(ServerStore& store, const Event& event) {
  // Every time below is the clock-corrected one (sync/server/scan_clock.hpp).
  auto clocked = clocked_scans_for_event(store, event.id);
  if (!clocked) return store_error(clocked);
  auto roster = store.roster();
  if (!roster) return store_error(roster);
  std::map<std::string, Attendee, std::less<>> people;
  for (Attendee& attendee : *roster)
    people.emplace(attendee.id, std::move(attendee));
  auto links = walk_in_links(store);
  if (!links) return links.error();
  // A copy: the scans are regrouped (moved), the clock notes read the originals.
  const GroupedScans grouped = group_scans(clocked->scans, *links);

  // Credit is judged by the role held on the session's date, not today's.
  auto histories = store.role_histories();
  if (!histories) return store_error(histories);
  const auto role_on_day = [&](const Attendee& attendee, const Session& session) {
    const auto history = histories->find(attendee.id);
    if (history == histories->end()) return attendee.role;
    return role_on(history->second, session_date(event, session), attendee.role);
  };

  // Each attendee's scans among the clocked ones, found once (clock_notes per row).
  std::map<std::string_view, std::vector<std::size_t>, std::less<>> clocked_of;
  for (std::size_t i = 0; i < clocked->scans.size(); ++i)
    clocked_of[clocked->scans[i].attendee_id].push_back(i);

  std::vector<CreditRow> rows;
  for (const auto& [attendee_id, their_scans] : grouped.by_attendee) {
    const CreditRow base = attendee_row(attendee_id, people, *links, grouped, their_scans);
    // Presence across doors (shared/presence.hpp) places every scan in a session; the rows
    // come back in session order (start, then id).
    const auto eligible = [&](const Session& session) {
      return base.on_roster && grants_credit(event, role_on_day(base.attendee, session));
    };
    for (auto& item : compute_event_attendance(event, eligible, their_scans, event.timezone)) {
      CreditRow row = base;
      row.attendee.role = role_on_day(base.attendee, item.session);
      row.session = std::move(item.session);
      row.attendance = std::move(item.attendance);
      row.review = std::move(item.review);
      std::vector<std::string> ids = row.walk_in_ids;
      ids.push_back(attendee_id);
      std::vector<std::size_t> candidates;
      for (const std::string& id : ids) {
        if (const auto found = clocked_of.find(id); found != clocked_of.end()) {
          candidates.insert(candidates.end(), found->second.begin(), found->second.end());
        }
      }
      row.clock = clock_notes(event, row.session, ids, *clocked, candidates);
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

std::string credits_csv(const Event& event, const std::vector<CreditRow>& rows) {
  std::string text =
      "attendee_id,name,role,municipality,session_id,session_title,arrived,left,arrived_local,"
      "left_local,early_leave,early_leave_time,credit_hours,eligible,devices\n";
  for (const CreditRow& row : rows) {
    const Attendance& a = row.attendance;
    const std::vector<std::string> fields = {row.attendee.id,
                                             row.on_roster ? full_name(row.attendee)
                                                           : std::string(),
                                             std::string(to_string(row.attendee.role)),
                                             row.attendee.municipality,
                                             row.session.id,
                                             row.session.title,
                                             optional_utc(a.first_arrival),
                                             optional_utc(a.final_leave),
                                             optional_local(a.first_arrival, event.timezone),
                                             optional_local(a.final_leave, event.timezone),
                                             a.early_leave ? "true" : "false",
                                             optional_utc(a.early_leave_time),
                                             format_hours(a.credit_hours, HoursStyle::two_decimals),
                                             a.eligible ? "true" : "false",
                                             joined(a.devices, ";")};
    std::string line;
    for (const auto& field : fields) {
      if (!line.empty()) line += ',';
      line += csv_cell(field);
    }
    text += line + "\n";
  }
  return text;
}

std::string credits_json(const Event& event, const std::vector<CreditRow>& rows) {
  const auto optional_time = [](const std::optional<Instant>& instant) {
    return instant ? json(format_utc(*instant)) : json(nullptr);
  };
  json attendees = json::array();
  for (const CreditRow& row : rows) {
    if (attendees.empty() || attendees.back()["attendee_id"] != row.attendee.id) {
      attendees.push_back({{"attendee_id", row.attendee.id},
                           {"name", row.on_roster ? full_name(row.attendee) : std::string()},
                           {"role", to_string(row.attendee.role)},
                           {"municipality", row.attendee.municipality},
                           {"on_roster", row.on_roster},
                           {"provisional", row.provisional},
                           {"walk_in_ids", row.walk_in_ids},
                           {"checked_in_at", optional_time(row.checked_in_at)},
                           {"eligible", row.on_roster && grants_credit(event, row.attendee.role)},
                           {"total_credit_hours", 0.0},
                           {"sessions", json::array()}});
    }
    const Attendance& a = row.attendance;
    json& person = attendees.back();
    person["total_credit_hours"] = person["total_credit_hours"].get<double>() + a.credit_hours;
    person["sessions"].push_back(
        {{"session_id", row.session.id},
         {"title", row.session.title},
         {"role", to_string(row.attendee.role)}, // the role on the session's date
         {"arrived", optional_time(a.first_arrival)},
         {"left", optional_time(a.final_leave)},
         {"arrived_local",
          a.first_arrival ? json(format_local(*a.first_arrival, event.timezone)) : json(nullptr)},
         {"left_local",
          a.final_leave ? json(format_local(*a.final_leave, event.timezone)) : json(nullptr)},
         {"early_leave", a.early_leave},
         {"early_leave_time", optional_time(a.early_leave_time)},
         {"attended_minutes", std::chrono::duration_cast<std::chrono::minutes>(a.attended).count()},
         {"credit_hours", a.credit_hours},
         {"eligible", a.eligible},
         {"devices", a.devices},
         {"notes", a.notes},
         {"review", row.review},
         {"intervals", intervals_json(a.intervals)}});
    // Only when there is something to say, so the JSON of true clocks is unchanged.
    if (!row.clock.empty()) person["sessions"].back()["clock"] = row.clock;
  }
  const json document = {{"event_id", event.id},
                         {"event_name", event.name},
                         {"timezone", event.timezone},
                         {"attendees", std::move(attendees)}};
  return document.dump(2) + "\n";
}

AdminResult<admin_support::EventCredits> admin_support::event_credits(std::string_view database,
                                                                      std::string_view event_id) {
  auto store = open_existing_store(database);
  if (!store) return store.error();
  auto event = find_event(**store, event_id);
  if (!event) return event.error();
  auto rows = compute_credits(**store, *event);
  if (!rows) return rows.error();
  return EventCredits{std::move(*store), std::move(*event), std::move(*rows)};
}

int run_credits(std::string_view database, std::string_view event_id, CreditsFormat format,
                std::ostream& out, std::ostream& err) {
  auto credits = event_credits(database, event_id);
  if (!credits) return report(credits, err);
  out << (format == CreditsFormat::json ? credits_json(credits->event, credits->rows)
                                        : credits_csv(credits->event, credits->rows));
  return 0;
}

} // namespace muster::server
