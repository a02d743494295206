#include "shared/presence.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "shared/text.hpp"
#include "shared/time.hpp"

namespace muster {
namespace {

const Session* find_session(const Event& event, std::string_view id) {
  const auto it = std::find_if(event.sessions.begin(), event.sessions.end(),
                               [&](const Session& s) { return s.id == id; });
  return it == event.sessions.end() ? nullptr : &*it;
}

// The session of `room` a scan at `time` belongs to: the one running (the latest started, so a
// session running over is superseded by the next), else the next within the lead time.
const Session* session_in_room(const Event& event, std::string_view room, Instant time,
                               std::chrono::minutes lead_time) {
  const Session* running = nullptr;
  const Session* upcoming = nullptr;
  for (const Session& session : event.sessions) {
    if (!same_room(session.room, room) || session.end <= session.start) continue;
    if (session.start <= time && time < session.end) {
      if (!running || std::tie(session.start, session.id) > std::tie(running->start, running->id))
        running = &session;
    } else if (time < session.start && session.start - time <= lead_time) {
      if (!upcoming ||
          std::tie(session.start, session.id) < std::tie(upcoming->start, upcoming->id))
        upcoming = &session;
    }
  }
  return running ? running : upcoming;
}

bool details_say(const Scan& scan, std::string_view key) {
  return !scan.details.empty() && scan.details.find(key) != std::string::npos;
}
bool explicit_leave(const Scan& scan) {
  return scan.kind == ScanKind::leave && details_say(scan, "\"confirmed\"");
}
bool explicit_stay(const Scan& scan) {
  return scan.kind == ScanKind::arrive && details_say(scan, "\"staying\"");
}

std::string words_for(PresenceAction action) {
  switch (action) {
  case PresenceAction::arrival:
    return "an arrival";
  case PresenceAction::leave:
    return "a leave";
  case PresenceAction::stay:
    return "staying inside";
  default:
    return std::string(to_string(action));
  }
}

struct Entry {
  std::size_t index;
  const Scan* scan;
  Instant time;
};

class Walker {
public:
  Walker(const Event& event, const PresenceRules& rules, std::string_view zone)
      : event_(event), rules_(rules), zone_(zone) {}

  void take(const Entry& entry, PlacedScan& placed) {
    const Scan& scan = *entry.scan;
    if (open_ && entry.time >= open_->end) open_ = nullptr; // a session that ends closes itself
    if (scan.kind == ScanKind::correction) return take_correction(entry, placed);

    const Session* recorded = find_session(event_, scan.session_id);
    if (!recorded) {
      placed.review = "scan " + scan.device_id + " #" + std::to_string(scan.sequence) +
                      " names session '" + scan.session_id + "', which the event does not have";
      placed.disagrees = true;
      return;
    }
    const std::string room = fold_room(recorded->room);
    const bool leave_answer = explicit_leave(scan);
    const bool stay_answer = explicit_stay(scan);
    placed.explicit_answer = leave_answer || stay_answer;
    if (const auto last = last_in_room_.find(room); !placed.explicit_answer &&
                                                    last != last_in_room_.end() &&
                                                    entry.time - last->second < rules_.debounce) {
      placed.action = PresenceAction::duplicate;
      return;
    }
    last_in_room_[room] = entry.time;

    if (open_ && same_room(open_->room, room)) {
      placed.session_id = open_->id;
      if (stay_answer) {
        placed.action = PresenceAction::stay;
        add(*open_, scan, ScanKind::arrive);
      } else {
        placed.action = PresenceAction::leave;
        add(*open_, scan, ScanKind::leave);
        open_ = nullptr;
      }
    } else {
      const Session* session = session_in_room(event_, room, entry.time, rules_.lead_time);
      if (!session) session = recorded; // nothing scheduled then: trust the door's choice
      placed.session_id = session->id;
      if (leave_answer) {
        placed.action = PresenceAction::leave; // not inside: credit notes the lone leave
        add(*session, scan, ScanKind::leave);
      } else {
        close_open_at(scan, placed);
        placed.action = PresenceAction::arrival;
        add(*session, scan, ScanKind::arrive);
        open_ = session;
      }
    }
    judge(scan, placed);
  }

  Presence finish(std::vector<PlacedScan> placed) {
    Presence presence;
    presence.placed = std::move(placed);
    std::vector<const Session*> order;
    for (const auto& [id, scans] : by_session_)
      order.push_back(find_session(event_, id));
    std::sort(order.begin(), order.end(), [](const Session* a, const Session* b) {
      return std::tie(a->start, a->id) < std::tie(b->start, b->id);
    });
    for (const Session* session : order)
      presence.by_session.emplace_back(session->id, std::move(by_session_[session->id]));
    if (open_) presence.inside = open_->id;
    return presence;
  }

private:
  void take_correction(const Entry& entry, PlacedScan& placed) {
    const Scan& scan = *entry.scan;
    placed.explicit_answer = true;
    const Session* session = find_session(event_, scan.session_id);
    if (!session) {
      placed.review = "correction " + scan.device_id + " #" + std::to_string(scan.sequence) +
                      " names session '" + scan.session_id + "', which the event does not have";
      placed.disagrees = true;
      return;
    }
    placed.session_id = session->id;
    by_session_[session->id].push_back(scan); // credit applies the correction's own rules
    if (scan.correction == Correction::arrive) {
      if (open_ == session) {
        placed.action = PresenceAction::stay;
        return;
      }
      close_open_at(scan, placed);
      placed.action = PresenceAction::arrival;
      open_ = session;
    } else if (scan.correction == Correction::leave) {
      placed.action = PresenceAction::leave;
      if (open_ == session) open_ = nullptr;
    }
  }

  // One body, one room: an arrival elsewhere ends the open stay at that moment.
  void close_open_at(const Scan& scan, PlacedScan& placed) {
    if (!open_) return;
    Scan leave = scan;
    leave.session_id = open_->id;
    if (scan.kind == ScanKind::correction) {
      leave.correction = Correction::leave;
    } else {
      leave.kind = ScanKind::leave;
      leave.details.clear();
    }
    by_session_[open_->id].push_back(std::move(leave));
    placed.closed_session = open_->id;
    open_ = nullptr;
  }

  void add(const Session& session, const Scan& scan, ScanKind kind) {
    Scan counted = scan;
    counted.kind = kind;
    counted.session_id = session.id;
    by_session_[session.id].push_back(std::move(counted));
  }

  // The door's label against the rule: kept, and listed for review where they differ.
  void judge(const Scan& scan, PlacedScan& placed) const {
    const bool door_said_arrive = scan.kind == ScanKind::arrive;
    const bool rule_says_arrive =
        placed.action == PresenceAction::arrival || placed.action == PresenceAction::stay;
    const bool other_session = placed.session_id != scan.session_id;
    if (door_said_arrive == rule_says_arrive && !other_session) return;
    placed.disagrees = true;
    const Session* recorded = find_session(event_, scan.session_id);
    const Session* counted = find_session(event_, placed.session_id);
    placed.review = "door " + scan.device_id + " #" + std::to_string(scan.sequence) + " recorded " +
                    (door_said_arrive ? "an arrival" : "a leave") + " at " +
                    format_local(placed.time, zone_, "%H:%M:%S") + " for \"" +
                    (recorded ? recorded->title : scan.session_id) +
                    "\"; by the scans of every door this is " + words_for(placed.action) +
                    " for \"" + (counted ? counted->title : placed.session_id) + "\"";
  }

  const Event& event_;
  const PresenceRules& rules_;
  std::string_view zone_;
  const Session* open_ = nullptr;
  std::map<std::string, Instant, std::less<>> last_in_room_;
  std::map<std::string, std::vector<Scan>, std::less<>> by_session_;
};

using ScanKey = std::pair<std::string_view, std::uint64_t>;

} // namespace

std::string fold_room(std::string_view room) { return lower_ascii(trim(room, kWhitespace)); }

bool same_room(std::string_view a, std::string_view b) { return fold_room(a) == fold_room(b); }

std::string_view to_string(PresenceAction action) {
  switch (action) {
  case PresenceAction::arrival:
    return "arrival";
  case PresenceAction::leave:
    return "leave";
  case PresenceAction::stay:
    return "stay";
  case PresenceAction::duplicate:
    return "duplicate";
  case PresenceAction::unplaced:
    return "unplaced";
  case PresenceAction::voided:
    return "voided";
  }
  return "unplaced";
}

PresenceRules presence_rules(const CreditPolicy& policy) {
  PresenceRules rules;
  rules.lead_time = std::max(policy.lead_time, std::chrono::minutes{0});
  rules.debounce =
      std::max(std::chrono::milliseconds{policy.debounce}, std::chrono::milliseconds{0});
  return rules;
}

std::vector<PlacedScan> Presence::reviews() const {
  std::vector<PlacedScan> out;
  for (const PlacedScan& p : placed)
    if (p.disagrees) out.push_back(p);
  return out;
}

Presence resolve_presence(const Event& event, std::span<const Scan> scans,
                          const PresenceRules& rules, std::string_view time_zone) {
  std::set<ScanKey> voided;
  for (const Scan& scan : scans) {
    if (scan.kind == ScanKind::correction && scan.correction == Correction::void_scan)
      voided.emplace(scan.voids_device_id, scan.voids_sequence);
  }
  std::vector<Entry> entries;
  std::vector<PlacedScan> placed;
  std::set<ScanKey> seen;
  for (std::size_t i = 0; i < scans.size(); ++i) {
    const Scan& scan = scans[i];
    if (!is_attendance(scan.kind)) continue;
    if (!seen.emplace(scan.device_id, scan.sequence).second) continue; // a re-sent copy
    if (scan.kind == ScanKind::correction && scan.correction == Correction::void_scan) continue;
    if (voided.contains(ScanKey{scan.device_id, scan.sequence})) {
      PlacedScan gone;
      gone.index = i;
      gone.time = counted_time(scan);
      gone.action = PresenceAction::voided;
      placed.push_back(gone);
      continue;
    }
    entries.push_back(Entry{i, &scan, counted_time(scan)});
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.time, a.scan->device_id, a.scan->sequence) <
           std::tie(b.time, b.scan->device_id, b.scan->sequence);
  });
  Walker walker(event, rules, time_zone);
  for (const Entry& entry : entries) {
    PlacedScan result;
    result.index = entry.index;
    result.time = entry.time;
    walker.take(entry, result);
    placed.push_back(std::move(result));
  }
  std::stable_sort(placed.begin(), placed.end(),
                   [](const PlacedScan& a, const PlacedScan& b) { return a.time < b.time; });
  return walker.finish(std::move(placed));
}

bool inside_at(const Event& event, const Presence& presence, std::string_view session_id,
               Instant now) {
  if (!presence.inside || *presence.inside != session_id) return false;
  const Session* session = find_session(event, session_id);
  return session && now < session->end;
}

std::vector<SessionAttendance> compute_event_attendance(const Event& event,
                                                        const SessionEligibility& eligible,
                                                        std::span<const Scan> scans,
                                                        std::string_view time_zone) {
  const Presence presence =
      resolve_presence(event, scans, presence_rules(event.credit_policy), time_zone);
  std::vector<SessionAttendance> out;
  for (const auto& [session_id, counted] : presence.by_session) {
    const Session* session = find_session(event, session_id);
    SessionAttendance item;
    item.session = *session;
    item.attendance = compute_attendance(*session, event.credit_policy,
                                         eligible && eligible(*session), counted, time_zone);
    for (const PlacedScan& p : presence.placed) {
      if (!p.disagrees) continue;
      const bool here = p.session_id == session_id || scans[p.index].session_id == session_id;
      if (here) item.review.push_back(p.review);
    }
    out.push_back(std::move(item));
  }
  return out;
}

} // namespace muster
