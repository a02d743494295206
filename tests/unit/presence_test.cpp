#include "shared/presence.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "shared/time.hpp"

namespace muster {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

Instant utc(const std::string& iso) {
  const auto parsed = parse_iso8601(iso);
  EXPECT_TRUE(parsed.has_value()) << iso;
  return parsed.value_or(Instant{});
}
// Every case is on 2026-03-02 in UTC unless it says otherwise.
Instant at(const std::string& hh_mm_ss) { return utc("2026-03-02T" + hh_mm_ss + "Z"); }

Session session(std::string id, std::string room, Instant start, Instant end, double hours) {
  Session s;
  s.id = id;
  s.title = "Title of " + id;
  s.room = std::move(room);
  s.start = start;
  s.end = end;
  s.credit_hours = hours;
  return s;
}

// Rooms A and B, with a break in A between two sessions and a parallel session in B:
//   a1  A  09:00-12:00  3.0 h        b1  B  10:30-12:00  1.5 h
//   a2  A  12:15-13:15  1.0 h        b2  b  11:00-12:00  1.0 h  (room spelled "b ")
Event agenda() {
  Event event;
  event.id = "ev";
  event.timezone = "UTC";
  event.credit_policy.arrival_grace = minutes{10};
  event.credit_policy.leave_grace = minutes{10};
  event.credit_policy.increment_hours = 0.25;
  event.credit_policy.debounce = seconds{60};
  event.credit_policy.lead_time = minutes{15};
  event.sessions = {session("a1", "Room A", at("09:00"), at("12:00"), 3.0),
                    session("a2", "room a ", at("12:15"), at("13:15"), 1.0),
                    session("b1", "Room B", at("10:30"), at("12:00"), 1.5)};
  return event;
}

// One official's scans, with gap-free sequences per device.
class Doors {
public:
  // A badge scan as the door labelled it: kind arrive or leave, in the door's session guess.
  Doors& scan(const std::string& device, Instant time, const std::string& session_id,
              ScanKind kind = ScanKind::arrive, const std::string& details = "") {
    Scan& s = push(device, kind);
    s.session_id = session_id;
    s.wall_time = time;
    s.details = details;
    return *this;
  }
  Doors& staff(Correction correction, const std::string& session_id, Instant effective) {
    Scan& s = push("staff-1", ScanKind::correction);
    s.session_id = session_id;
    s.correction = correction;
    s.wall_time = at("14:00");
    s.effective_time = effective;
    return *this;
  }
  Doors& void_scan(const std::string& device, std::uint64_t sequence) {
    Scan& s = push("staff-1", ScanKind::correction);
    s.correction = Correction::void_scan;
    s.session_id = "a1";
    s.wall_time = s.effective_time = at("14:00");
    s.voids_device_id = device;
    s.voids_sequence = sequence;
    return *this;
  }
  // A door whose clock ran `offset` slow: it writes wall - offset and knows the offset.
  Doors& skewed(std::chrono::milliseconds offset) {
    scans_.back().wall_time -= offset;
    scans_.back().clock_offset_ms = offset.count();
    return *this;
  }
  std::vector<Scan>& all() { return scans_; }

private:
  Scan& push(const std::string& device, ScanKind kind) {
    Scan s;
    s.device_id = device;
    s.sequence = ++next_[device];
    s.attendee_id = "off-1";
    s.kind = kind;
    scans_.push_back(s);
    return scans_.back();
  }
  std::vector<Scan> scans_;
  std::map<std::string, std::uint64_t> next_;
};

struct Credit {
  double hours = 0;
  bool early = false;
};
// An official who earns credit in every session.
bool always(const Session&) { return true; }

std::map<std::string, Credit> credit_of(const Event& event, const std::vector<Scan>& scans) {
  std::map<std::string, Credit> out;
  for (const auto& item : compute_event_attendance(event, always, scans))
    out[item.session.id] = Credit{item.attendance.credit_hours, item.attendance.early_leave};
  return out;
}

// Every permutation we try gives the same credit as the input order.
void expect_order_independent(const Event& event, std::vector<Scan> scans) {
  const auto expected = compute_event_attendance(event, always, scans);
  std::mt19937 random(12345);
  for (int round = 0; round < 40; ++round) {
    std::shuffle(scans.begin(), scans.end(), random);
    if (round % 3 == 0 && !scans.empty()) scans.push_back(scans.front()); // a re-sent scan
    const auto again = compute_event_attendance(event, always, scans);
    ASSERT_EQ(again.size(), expected.size());
    for (std::size_t i = 0; i < again.size(); ++i) {
      EXPECT_EQ(again[i].session.id, expected[i].session.id);
      EXPECT_EQ(again[i].attendance, expected[i].attendance) << again[i].session.id;
      EXPECT_EQ(again[i].review, expected[i].review);
    }
  }
}

TEST(Presence, ScanAtTheRoomsOtherDoorIsALeaveInBothOrders) {
  const Event event = agenda();
  Doors doors;
  doors.scan("A-1", at("09:00"), "a1").scan("A-2", at("09:40"), "a1"); // A-2 never heard of A-1
  for (int order = 0; order < 2; ++order) {
    auto scans = doors.all();
    if (order == 1) std::reverse(scans.begin(), scans.end());
    const auto result = compute_event_attendance(event, always, scans);
    ASSERT_EQ(result.size(), 1U);
    const Attendance& a = result[0].attendance;
    // 40 of 180 minutes of 3.0 h = 0.667 h, rounded down to 0.5.
    EXPECT_DOUBLE_EQ(a.credit_hours, 0.5);
    EXPECT_TRUE(a.early_leave);
    ASSERT_TRUE(a.early_leave_time);
    EXPECT_EQ(*a.early_leave_time, at("09:40"));
    ASSERT_EQ(result[0].review.size(), 1U) << "the door's arrival label is listed for review";
    EXPECT_NE(result[0].review[0].find("A-2"), std::string::npos);
    EXPECT_NE(result[0].review[0].find("a leave"), std::string::npos);
  }
  expect_order_independent(event, doors.all());
}

TEST(Presence, ThreeDoorsAlternateAcrossTheRoom) {
  const Event event = agenda();
  Doors doors;
  doors.scan("A-1", at("09:00"), "a1")
      .scan("A-2", at("09:40"), "a1")                  // leave
      .scan("A-3", at("10:30"), "a1")                  // back
      .scan("A-3", at("10:30:20"), "a1")               // double scan: same scan
      .scan("A-1", at("11:00"), "a1", ScanKind::leave) // leaves again
      .scan("A-2", at("11:20"), "a1");                 // and back for good
  // Stays 09:00-09:40, 10:30-11:00, 11:20-12:00 = 40 + 30 + 40 = 110 of 180 min: 1.833 -> 1.75.
  const auto credit = credit_of(event, doors.all());
  EXPECT_DOUBLE_EQ(credit.at("a1").hours, 1.75);
  EXPECT_FALSE(credit.at("a1").early);
  const auto result = compute_event_attendance(event, always, doors.all());
  EXPECT_EQ(result[0].attendance.absences.size(), 2U);
  expect_order_independent(event, doors.all());
}

TEST(Presence, DoorThatNeverSyncedLabelsEveryScanAnArrival) {
  const Event event = agenda();
  Doors doors;
  doors.scan("A-1", at("09:00"), "a1")
      .scan("A-2", at("09:30"), "a1")
      .scan("A-2", at("10:00"), "a1");
  // 09:00-09:30 + 10:00-12:00 = 150 of 180 min = 2.5 h.
  EXPECT_DOUBLE_EQ(credit_of(event, doors.all()).at("a1").hours, 2.5);
  const auto presence = resolve_presence(event, doors.all(), presence_rules(event.credit_policy));
  EXPECT_EQ(presence.reviews().size(), 1U) << "only 09:30 disagrees with its door's label";
  EXPECT_EQ(presence.inside, std::optional<std::string>("a1"));
  expect_order_independent(event, doors.all());
}

TEST(Presence, ArrivalInAnotherRoomClosesTheOpenSession) {
  Event event = agenda();
  Doors doors;
  doors.scan("B-1", at("10:40"), "b1").scan("A-1", at("11:00"), "a1");
  // b1: 10:40 is within grace: from 10:30 to 11:00 = 30 of 90 min of 1.5 h = 0.5.
  // a1: 11:00 to 12:00 = 60 of 180 min of 3.0 h = 1.0. Together 1.5 h, never both in full.
  const auto credit = credit_of(event, doors.all());
  EXPECT_DOUBLE_EQ(credit.at("b1").hours, 0.5);
  EXPECT_TRUE(credit.at("b1").early);
  EXPECT_DOUBLE_EQ(credit.at("a1").hours, 1.0);
  expect_order_independent(event, doors.all());
}

TEST(Presence, ParallelRoomsNeverAddUpToMoreThanTheWallTime) {
  Event event = agenda();
  Doors doors;
  doors.scan("A-1", at("09:00"), "a1")
      .scan("B-1", at("10:30"), "b1")
      .scan("A-2", at("11:15"), "a1")
      .scan("B-2", at("11:45"), "b1");
  const auto result = compute_event_attendance(event, always, doors.all());
  std::chrono::milliseconds total{0};
  for (const auto& item : result)
    total += item.attendance.attended;
  EXPECT_LE(total, std::chrono::milliseconds{at("12:00") - at("09:00")});
  const auto credit = credit_of(event, doors.all());
  // a1: 09:00-10:30 + 11:15-11:45 = 120 of 180 -> 2.0; b1: 10:30-11:15 + 11:45-12:00 = 60/90 -> 1.0
  EXPECT_DOUBLE_EQ(credit.at("a1").hours, 2.0);
  EXPECT_DOUBLE_EQ(credit.at("b1").hours, 1.0);
  expect_order_independent(event, doors.all());
}

TEST(Presence, ScanInTheBreakIsAnArrivalForTheNextSessionNotALeave) {
  const Event event = agenda();
  Doors doors;
  doors.scan("A-1", at("08:50"), "a1").scan("A-2", at("12:05"), "a2");
  const auto credit = credit_of(event, doors.all());
  EXPECT_DOUBLE_EQ(credit.at("a1").hours, 3.0);
  EXPECT_FALSE(credit.at("a1").early);
  EXPECT_DOUBLE_EQ(credit.at("a2").hours, 1.0);
  // A door that still used the old rule labelled the break scan a leave of a1: credit follows
  // the rule, and the label is listed.
  Doors old_label;
  old_label.scan("A-1", at("08:50"), "a1").scan("A-2", at("12:05"), "a1", ScanKind::leave);
  const auto again = credit_of(event, old_label.all());
  EXPECT_DOUBLE_EQ(again.at("a1").hours, 3.0);
  EXPECT_DOUBLE_EQ(again.at("a2").hours, 1.0);
  EXPECT_EQ(resolve_presence(event, old_label.all(), presence_rules(event.credit_policy))
                .reviews()
                .size(),
            1U);
}

TEST(Presence, IAmLeavingAfterTheBreakWelcomeRecordsNoNextSession) {
  const Event event = agenda();
  Doors doors;
  doors.scan("A-1", at("09:00"), "a1")
      .scan("A-2", at("12:05"), "a2")
      .scan("A-2", at("12:05:05"), "a2", ScanKind::leave, std::string(kConfirmedLeaveDetails));
  const auto credit = credit_of(event, doors.all());
  EXPECT_DOUBLE_EQ(credit.at("a1").hours, 3.0);
  EXPECT_DOUBLE_EQ(credit.count("a2") ? credit.at("a2").hours : 0.0, 0.0);
  expect_order_independent(event, doors.all());
}

TEST(Presence, NoIAmStayingKeepsTheOfficialInside) {
  const Event event = agenda();
  Doors doors;
  doors.scan("A-1", at("09:00"), "a1")
      .scan("A-2", at("10:00"), "a1", ScanKind::arrive, std::string(kStayingDetails))
      .scan("A-1", at("11:00"), "a1");
  // The staying answer outranks the alternation: 11:00 is then the leave.
  const auto credit = credit_of(event, doors.all());
  EXPECT_DOUBLE_EQ(credit.at("a1").hours, 2.0);
  EXPECT_TRUE(credit.at("a1").early);
  expect_order_independent(event, doors.all());
}

TEST(Presence, ConfirmedLeaveAndStaffCorrectionsOutrankTheAlternation) {
  const Event event = agenda();
  Doors doors;
  doors.scan("A-1", at("09:00"), "a1")
      .staff(Correction::leave, "a1", at("10:00"))  // forgot to scan out
      .staff(Correction::arrive, "b1", at("10:30")) // seen in room B by staff
      .scan("A-2", at("11:30"), "a1");              // back in room A: arrival, closes b1
  const auto credit = credit_of(event, doors.all());
  // a1: 09:00-10:00 + 11:30-12:00 = 90 of 180 min -> 1.5; b1: 10:30-11:30 = 60 of 90 -> 1.0.
  EXPECT_DOUBLE_EQ(credit.at("a1").hours, 1.5);
  EXPECT_DOUBLE_EQ(credit.at("b1").hours, 1.0);
  expect_order_independent(event, doors.all());
}

TEST(Presence, AVoidedScanNoLongerFlipsTheAlternation) {
  const Event event = agenda();
  Doors doors;
  doors.scan("A-1", at("09:00"), "a1").scan("A-2", at("09:40"), "a1").void_scan("A-2", 1);
  EXPECT_DOUBLE_EQ(credit_of(event, doors.all()).at("a1").hours, 3.0);
  expect_order_independent(event, doors.all());
}

TEST(Presence, DoubleScanAtTwoDoorsWithinTheDebounceIsOneScan) {
  const Event event = agenda();
  Doors doors;
  doors.scan("A-1", at("09:00:00"), "a1").scan("A-2", at("09:00:40"), "a1");
  const auto credit = credit_of(event, doors.all());
  EXPECT_DOUBLE_EQ(credit.at("a1").hours, 3.0);
  EXPECT_FALSE(credit.at("a1").early);
}

TEST(Presence, ClockCorrectedTimesDecideTheOrder) {
  const Event event = agenda();
  Doors doors;
  // A-2's clock runs 2 h slow: it wrote 07:40 but knew the offset; truly 09:40.
  doors.scan("A-1", at("09:00"), "a1").scan("A-2", at("09:40"), "a1").skewed(std::chrono::hours{2});
  EXPECT_DOUBLE_EQ(credit_of(event, doors.all()).at("a1").hours, 0.5);
}

TEST(Presence, SessionSpanningMidnight) {
  Event event = agenda();
  event.sessions = {session("late", "Hall", at("23:00"), utc("2026-03-03T01:00:00Z"), 2.0)};
  Doors doors;
  doors.scan("H-1", at("22:50"), "late").scan("H-2", utc("2026-03-03T00:30:00Z"), "late");
  // 23:00-00:30 = 90 of 120 min of 2.0 h = 1.5.
  const auto credit = credit_of(event, doors.all());
  EXPECT_DOUBLE_EQ(credit.at("late").hours, 1.5);
  EXPECT_TRUE(credit.at("late").early);
  expect_order_independent(event, doors.all());
}

TEST(Presence, SessionAcrossTheSpringDaylightSavingChange) {
  // America/Chicago, 2026-03-08: 02:00 CST jumps to 03:00 CDT. 01:00 CST to 04:00 CDT is two
  // real hours, whatever the wall clock says.
  Event event = agenda();
  event.timezone = "America/Chicago";
  event.sessions = {session("night", "Hall", utc("2026-03-08T01:00:00-06:00"),
                            utc("2026-03-08T04:00:00-05:00"), 2.0)};
  Doors doors;
  doors.scan("H-1", utc("2026-03-08T00:55:00-06:00"), "night")
      .scan("H-2", utc("2026-03-08T03:00:00-05:00"), "night"); // one real hour after 01:00 CST
  const auto result = compute_event_attendance(event, always, doors.all(), event.timezone);
  ASSERT_EQ(result.size(), 1U);
  EXPECT_DOUBLE_EQ(result[0].attendance.credit_hours, 1.0);
  EXPECT_EQ(result[0].attendance.attended, std::chrono::hours{1});
}

TEST(Presence, ScanWithNoSessionInItsRoomFallsBackToTheDoorsChoice) {
  const Event event = agenda();
  Doors doors;
  doors.scan("B-1", at("14:00"), "b1");
  const auto result = compute_event_attendance(event, always, doors.all());
  ASSERT_EQ(result.size(), 1U);
  EXPECT_EQ(result[0].session.id, "b1");
  EXPECT_DOUBLE_EQ(result[0].attendance.credit_hours, 0.0);
  EXPECT_FALSE(result[0].attendance.notes.empty());
}

TEST(Presence, InsideAtFollowsTheRuleAcrossDoors) {
  const Event event = agenda();
  Doors doors;
  doors.scan("A-1", at("09:00"), "a1");
  auto presence = resolve_presence(event, doors.all(), presence_rules(event.credit_policy));
  EXPECT_TRUE(inside_at(event, presence, "a1", at("09:30")));
  EXPECT_FALSE(inside_at(event, presence, "a1", at("12:01"))) << "a session that ends closes";
  doors.scan("A-2", at("09:40"), "a1");
  presence = resolve_presence(event, doors.all(), presence_rules(event.credit_policy));
  EXPECT_FALSE(inside_at(event, presence, "a1", at("09:45")));
}

// Eligibility is per session (the role on the session's date): the same attendance, no hours
// where the official was not eligible.
TEST(Presence, EligibilityIsDecidedPerSession) {
  const Event event = agenda();
  Doors doors;
  doors.scan("A-1", at("09:00"), "a1").scan("B-1", at("10:30"), "b1");
  const auto only_b1 = [](const Session& s) { return s.id == "b1"; };
  const auto result = compute_event_attendance(event, only_b1, doors.all());
  ASSERT_EQ(result.size(), 2U);
  EXPECT_EQ(result[0].session.id, "a1");
  EXPECT_FALSE(result[0].attendance.eligible);
  EXPECT_DOUBLE_EQ(result[0].attendance.credit_hours, 0.0);
  EXPECT_EQ(result[0].attendance.attended, std::chrono::minutes{90});
  EXPECT_TRUE(result[1].attendance.eligible);
  EXPECT_DOUBLE_EQ(result[1].attendance.credit_hours, 1.5);
}

TEST(Presence, RoomsCompareWithoutCaseAndBlanks) {
  EXPECT_TRUE(same_room(" Room A", "room a "));
  EXPECT_FALSE(same_room("Room A", "Room B"));
  EXPECT_EQ(fold_room("  Ballroom A "), "ballroom a");
}

TEST(Presence, EveryDoorsOrderOfSyncGivesTheSameCreditOnAMixedDay) {
  const Event event = agenda();
  Doors doors;
  doors.scan("A-1", at("08:55"), "a1")
      .scan("A-3", at("09:20:30"), "a1")
      .scan("A-2", at("09:21"), "a1") // within the debounce of A-3: the same scan
      .scan("B-2", at("10:35"), "b1")
      .scan("A-2", at("11:10"), "a1")
      .scan("A-1", at("12:10"), "a2")
      .scan("A-3", at("12:40"), "a2", ScanKind::leave, std::string(kConfirmedLeaveDetails));
  expect_order_independent(event, doors.all());
  const auto credit = credit_of(event, doors.all());
  // a1: 08:55->09:00 (grace) to 09:20:30, then 11:10-12:00: 20.5 + 50 = 70.5 of 180 -> 1.175 -> 1.0
  EXPECT_DOUBLE_EQ(credit.at("a1").hours, 1.0);
  // b1: 10:35 (grace -> 10:30) to 11:10 = 40 of 90 of 1.5 h = 0.667 -> 0.5
  EXPECT_DOUBLE_EQ(credit.at("b1").hours, 0.5);
  // a2: 12:10 (-> 12:15) to 12:40 = 25 of 60 min -> 0.4167 -> 0.25
  EXPECT_DOUBLE_EQ(credit.at("a2").hours, 0.25);
}

} // namespace
} // namespace muster
