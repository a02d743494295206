#pragma once
// Presence across doors (design.md): the one rule that says, from every door's scans of one
// official at one event, which session each scan belongs to and whether it is an arrival or a
// leave. The kiosk calls it to decide what to show ("Welcome" or "Leaving early?"), the server
// to compute credit (compute_event_attendance); nothing else decides presence.
//
// The rule, in order (docs/credit.md has a worked example):
//  1. Only attendance scans count (is_attendance); staff voids remove the scan they name first;
//     the same (device, sequence) twice counts once. Every time is counted_time(scan):
//     the clock-corrected time to the nearest second.
//  2. A badge scan belongs to the ROOM of the session its door recorded (every door of a room
//     is one door to the rule). It is placed in the session of that room running at its time
//     (the latest started); else the next one starting within the lead time; else, as a last
//     resort, the session the door recorded (credit then clips it to that session's times).
//     So a scan after a session has ended, within the next session's lead time, is an arrival
//     for the next session, never a leave from the last (nobody scans out at a normal end).
//  3. Scans are taken in time order (ties: device, sequence), so the result never depends on
//     the order they arrived in. A badge scan within the debounce of the previous counted badge
//     scan in the same room, at any door, is the same scan seen twice and is dropped.
//  4. One body, one room: the official is inside at most one session at a time. In that
//     session's room a scan alternates: arrival when outside, leave when inside. An arrival
//     anywhere else closes the open session at that moment. A session that ends closes itself.
//  5. Explicit answers outrank the alternation: "Yes, I am leaving" (a leave whose details say
//     {"confirmed":...}) is a leave; "No, I am staying" (details {"answer":"staying"}) keeps the
//     official inside. Staff corrections (arrive / leave) name their session and apply there.
//  6. A door's own label (arrive or leave, the session it guessed) is kept; where the rule
//     disagrees, the credit follows the rule and the scan becomes a review item for staff.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shared/credit.hpp"
#include "shared/domain.hpp"

namespace muster {

// Details of the kiosk's explicit answers (design.md, "Presence across doors").
inline constexpr std::string_view kConfirmedLeaveDetails = R"({"confirmed":"kiosk"})";
inline constexpr std::string_view kStayingDetails = R"({"answer":"staying"})";

// Rooms compare without case and surrounding blanks ("Ballroom A " is "ballroom a").
std::string fold_room(std::string_view room);
bool same_room(std::string_view a, std::string_view b);

enum class PresenceAction : std::uint8_t {
  arrival,   // opens a stay in `session_id`
  leave,     // closes the stay in `session_id`
  stay,      // "No, I am staying", or an arrival while already inside: nothing changes
  duplicate, // within the debounce of the previous scan in the room: the same scan twice
  unplaced,  // no session in the room at that time (and none recorded by the door)
  voided,    // removed by a staff void
};
std::string_view to_string(PresenceAction action);

// What the rule made of one input scan.
struct PlacedScan {
  std::size_t index = 0;  // position in the input span
  Instant time;           // corrected time
  std::string session_id; // the session the rule placed it in ("" when unplaced)
  PresenceAction action = PresenceAction::unplaced;
  bool explicit_answer = false; // a kiosk answer or a staff correction
  // The rule disagrees with the door: the door recorded `kind` in `session_id` of the scan, the
  // rule counts `action` in `session_id` above. Such scans are listed for review.
  bool disagrees = false;
  std::string review;         // words for staff when disagrees, else ""
  std::string closed_session; // an arrival that closed a stay in another room: that session
};

struct PresenceRules {
  std::chrono::minutes lead_time{15};
  std::chrono::milliseconds debounce{60000};
};
PresenceRules presence_rules(const CreditPolicy& policy);

struct Presence {
  std::vector<PlacedScan> placed; // in the rule's time order
  // Per session id, the scans as the rule counts them (kinds set to arrive/leave, session ids
  // set to the placed session, times as corrected), ready for compute_attendance. A stay closed
  // by an arrival in another room gets a leave at that moment.
  std::vector<std::pair<std::string, std::vector<Scan>>> by_session;
  // The session the official is inside at the end of the scans (the last one open), if any.
  std::optional<std::string> inside;
  std::vector<PlacedScan> reviews() const; // the disagreeing scans
};

// Applies the rule to one official's scans of `event` (any kinds, any order, every door).
Presence resolve_presence(const Event& event, std::span<const Scan> scans,
                          const PresenceRules& rules, std::string_view time_zone = "UTC");

// Whether the official is inside `session_id` at `now`, by the rule (a session that has ended
// closes itself).
bool inside_at(const Event& event, const Presence& presence, std::string_view session_id,
               Instant now);

struct SessionAttendance {
  Session session;
  Attendance attendance;
  std::vector<std::string> review; // the rule disagreed with a door here: words for staff
};

// The official's attendance in every session the rule placed a scan in, ordered by session
// start then id. `eligible(session)` says whether the official earns credit in that session
// (their role on its date, in a program the event grants): false gives the same attendance
// with zero credit hours.
using SessionEligibility = std::function<bool(const Session&)>;
std::vector<SessionAttendance> compute_event_attendance(const Event& event,
                                                        const SessionEligibility& eligible,
                                                        std::span<const Scan> scans,
                                                        std::string_view time_zone = "UTC");

} // namespace muster
