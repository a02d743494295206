#include "sync/server/web/people.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "shared/time.hpp"
#include "sync/server/scan_clock.hpp"
#include "sync/server/web/staff_correction.hpp"

namespace muster::server::web {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

// What of the attendee the (lower-case, trimmed) query matches; "" when nothing.
std::string match(const Attendee& a, const std::string& q) {
  if (q.empty()) return {};
  if (lower(a.id) == q) return "id";
  const std::string first = lower(a.first_name);
  const std::string last = lower(a.last_name);
  if ((first + " " + last).find(q) != std::string::npos ||
      (last + " " + first).find(q) != std::string::npos ||
      (last + ", " + first).find(q) != std::string::npos) {
    return "name";
  }
  if (lower(a.municipality).find(q) != std::string::npos) return "municipality";
  return {};
}

bool by_name(const PersonMatch& a, const PersonMatch& b) {
  return std::tie(a.attendee.last_name, a.attendee.first_name, a.attendee.id) <
         std::tie(b.attendee.last_name, b.attendee.first_name, b.attendee.id);
}

DbResult<std::set<std::string, std::less<>>> provisional_ids(ServerStore& store) {
  auto walk_ins = store.walk_ins("", false);
  if (!walk_ins) return walk_ins.error();
  std::set<std::string, std::less<>> ids;
  for (const auto& w : *walk_ins) {
    if (w.provisional) ids.insert(w.attendee.id);
  }
  return ids;
}

std::string hhmm(Instant at, const Event& event) {
  return format_local(at, event.timezone, "%H:%M");
}

std::string minutes_text(std::chrono::milliseconds ms) {
  const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(ms).count();
  if (minutes < 60) return std::to_string(minutes) + " min";
  return std::to_string(minutes / 60) + " h " + (minutes % 60 < 10 ? "0" : "") +
         std::to_string(minutes % 60) + " min";
}

std::string hours_text(double hours) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f h", hours);
  return buffer;
}

} // namespace

DbResult<std::vector<PersonMatch>> search_people(ServerStore& store, std::string_view query,
                                                 std::size_t limit) {
  const std::string q = lower(trimmed(query));
  std::vector<PersonMatch> found;
  if (q.empty()) return found;
  auto roster = store.roster();
  if (!roster) return roster.error();
  auto provisional = provisional_ids(store);
  if (!provisional) return provisional.error();
  // A badge serial names its attendee (the serial is printed under the QR code).
  std::string serial_owner;
  if (auto badge = store.badge(trimmed(query))) serial_owner = badge->attendee_id;
  for (auto& attendee : *roster) {
    std::string matched = attendee.id == serial_owner ? "badge serial" : match(attendee, q);
    if (matched.empty()) continue;
    attendee.email.clear();
    const bool walk_in = provisional->contains(attendee.id);
    found.push_back(PersonMatch{std::move(attendee), walk_in, std::move(matched), 0, 0});
  }
  std::sort(found.begin(), found.end(), by_name);
  if (found.size() > limit) found.resize(limit);
  return found;
}

AdminResult<std::vector<PersonMatch>> event_people(ServerStore& store, const Event& event,
                                                   std::string_view query, std::size_t limit) {
  auto rows = compute_credits(store, event);
  if (!rows) return rows.error();
  const std::string q = lower(trimmed(query));
  std::vector<PersonMatch> found;
  for (const CreditRow& row : *rows) { // sorted by attendee id
    if (found.empty() || found.back().attendee.id != row.attendee.id) {
      std::string matched = q.empty() ? std::string("attended") : match(row.attendee, q);
      if (matched.empty()) continue;
      Attendee attendee = row.attendee;
      attendee.email.clear();
      found.push_back(PersonMatch{std::move(attendee), row.provisional, std::move(matched), 0, 0});
    }
    found.back().sessions += 1;
    found.back().credit_hours += row.attendance.credit_hours;
  }
  std::sort(found.begin(), found.end(), by_name);
  if (found.size() > limit) found.resize(limit);
  return found;
}

AdminResult<Person> load_person(ServerStore& store, std::string_view attendee_id) {
  const auto store_failed = [](const Error<DbError>& e) {
    return fail(e.code == DbError::not_found ? AdminError::not_found : AdminError::store,
                e.message);
  };
  auto attendee = store.attendee(attendee_id);
  if (!attendee) return store_failed(attendee.error());
  Person person;
  person.attendee = std::move(*attendee);
  person.attendee.email.clear();
  auto walk_ins = store.walk_ins("", true);
  if (!walk_ins) return store_failed(walk_ins.error());
  // Their scans, and those of walk-ins the League confirmed as them (`confirm-walk-in --as`).
  std::set<std::string, std::less<>> ids{person.attendee.id};
  for (const auto& w : *walk_ins) {
    if (w.attendee.id == person.attendee.id) person.provisional = w.provisional;
    if (w.same_as == person.attendee.id) ids.insert(w.attendee.id);
  }
  auto devices = store.devices();
  if (!devices) return store_failed(devices.error());
  std::map<std::string, std::string, std::less<>> device_names;
  for (const auto& d : *devices)
    device_names[d.id] = d.name;
  auto events = store.events();
  if (!events) return store_failed(events.error());
  for (Event& event : *events) {
    auto clocked = clocked_scans_for_event(store, event.id);
    if (!clocked) return store_failed(clocked.error());
    PersonEvent entry;
    for (const Scan& scan : clocked->scans) {
      if (!ids.contains(scan.attendee_id)) continue;
      const auto name = device_names.find(scan.device_id);
      entry.scans.push_back(PersonScan{scan,
                                       name == device_names.end() ? std::string() : name->second,
                                       counted_time(scan), is_console_device(scan.device_id)});
    }
    if (entry.scans.empty()) continue;
    std::sort(entry.scans.begin(), entry.scans.end(), [](const auto& a, const auto& b) {
      return std::tie(a.counted, a.scan.device_id, a.scan.sequence) <
             std::tie(b.counted, b.scan.device_id, b.scan.sequence);
    });
    auto form = build_credit_form(store, event.id, person.attendee.id);
    if (form) {
      entry.rows = std::move(form->rows);
      entry.notes = std::move(form->notes);
    } else if (form.code() != CreditError::not_found) {
      return fail(AdminError::store, form.message());
    }
    entry.event = std::move(event);
    person.events.push_back(std::move(entry));
  }
  const auto latest = [](const Event& e) {
    Instant t{};
    for (const auto& s : e.sessions)
      t = std::max(t, s.start);
    return t;
  };
  std::stable_sort(person.events.begin(), person.events.end(),
                   [&](const PersonEvent& a, const PersonEvent& b) {
                     return latest(a.event) > latest(b.event);
                   });
  return person;
}

std::vector<std::string> credit_reasons(const Event& event, const CreditRow& row,
                                        const CreditFormNotes& notes) {
  const Session& s = row.session;
  const Attendance& a = row.attendance;
  const CreditPolicy& policy = event.credit_policy;
  std::vector<std::string> reasons;
  if (!a.eligible) {
    reasons.push_back("no credit: a " + std::string(to_string(row.attendee.role)) +
                      " earns none under this event's programs");
  }
  if (a.first_arrival) {
    if (*a.first_arrival < s.start) {
      reasons.push_back("arrived " + hhmm(*a.first_arrival, event) +
                        ", before the start: counted from " + hhmm(s.start, event));
    } else if (*a.first_arrival > s.start && *a.first_arrival <= s.start + policy.arrival_grace &&
               !a.intervals.empty() && a.intervals.front().from == s.start) {
      reasons.push_back("arrived " + hhmm(*a.first_arrival, event) + ", within the " +
                        std::to_string(policy.arrival_grace.count()) +
                        "-minute arrival grace: counted from the start " + hhmm(s.start, event));
    } else if (*a.first_arrival > s.start) {
      reasons.push_back("arrived late, " + hhmm(*a.first_arrival, event) + " (after the " +
                        std::to_string(policy.arrival_grace.count()) + "-minute grace)");
    }
  }
  if (a.final_leave && *a.final_leave < s.end && *a.final_leave >= s.end - policy.leave_grace &&
      !a.intervals.empty() && a.intervals.back().to == s.end) {
    reasons.push_back("left " + hhmm(*a.final_leave, event) + ", within the " +
                      std::to_string(policy.leave_grace.count()) +
                      "-minute leave grace: counted to the end " + hhmm(s.end, event));
  }
  if (a.early_leave && a.early_leave_time) {
    reasons.push_back("early leave at " + hhmm(*a.early_leave_time, event) +
                      " (did not come back)");
  }
  for (const Absence& absence : a.absences) {
    if (!absence.returned && a.early_leave) continue; // said above
    reasons.push_back(
        "away from " + hhmm(absence.left, event) +
        (absence.returned ? " to " + hhmm(*absence.returned, event) : std::string(" on")));
  }
  const auto duration = std::chrono::duration_cast<std::chrono::milliseconds>(s.end - s.start);
  if (a.eligible && duration.count() > 0) {
    const double share =
        static_cast<double>(a.attended.count()) / static_cast<double>(duration.count());
    const double raw = std::min(s.credit_hours, s.credit_hours * share);
    if (a.attended >= duration) {
      reasons.push_back("attended the whole session: " + hours_text(a.credit_hours));
    } else {
      std::string words = "attended " + minutes_text(a.attended) + " of " + minutes_text(duration) +
                          ": " + hours_text(raw);
      if (policy.increment_hours > 0 && std::abs(raw - a.credit_hours) > 1e-9) {
        words += ", rounded down to the " + hours_text(policy.increment_hours) +
                 " increment: " + hours_text(a.credit_hours);
      }
      reasons.push_back(words);
    }
  }
  if (!notes.confirmation.empty()) reasons.push_back("leave: " + notes.confirmation);
  for (const auto& note : a.notes)
    reasons.push_back(note);
  for (const auto& item : row.review)
    reasons.push_back("review: " + item);
  for (const auto& clock : row.clock)
    reasons.push_back(clock);
  return reasons;
}

} // namespace muster::server::web
