#include "shared/credit.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "shared/time.hpp"

namespace muster {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// Every test uses one day, 2026-03-02, in UTC unless it says otherwise.
Instant at(const std::string& hh_mm_ss) {
  const auto parsed = parse_iso8601("2026-03-02T" + hh_mm_ss + "Z");
  EXPECT_TRUE(parsed.has_value()) << hh_mm_ss;
  return parsed.value_or(Instant{});
}

// The standard session: 9:00-12:00, 3.0 credit hours.
Session morning() {
  Session session;
  session.id = "s1";
  session.title = "Open Meetings Act";
  session.start = at("09:00");
  session.end = at("12:00");
  session.credit_hours = 3.0;
  return session;
}

// The standard policy: grace 10/10 min, increment 0.25 h, debounce 60 s.
CreditPolicy standard_policy() {
  CreditPolicy policy;
  policy.arrival_grace = minutes{10};
  policy.leave_grace = minutes{10};
  policy.increment_hours = 0.25;
  policy.debounce = seconds{60};
  return policy;
}

// Builds scans for one attendee with gap-free sequence numbers per device.
class Scans {
public:
  Scans& arrive(const std::string& time, const std::string& device = "door-a") {
    return add(ScanKind::arrive, time, device);
  }
  Scans& leave(const std::string& time, const std::string& device = "door-a") {
    return add(ScanKind::leave, time, device);
  }
  Scans& correct(Correction correction, const std::string& effective,
                 const std::string& device = "staff-1") {
    Scan& scan = push(ScanKind::correction, device);
    scan.correction = correction;
    scan.wall_time = at("12:30"); // made after the session, effective earlier
    scan.effective_time = at(effective);
    scan.staff_id = "staff-ann";
    scan.reason = "test";
    return *this;
  }
  Scans& void_scan(const std::string& device, std::uint64_t sequence) {
    Scan& scan = push(ScanKind::correction, "staff-1");
    scan.correction = Correction::void_scan;
    scan.wall_time = scan.effective_time = at("12:30");
    scan.voids_device_id = device;
    scan.voids_sequence = sequence;
    return *this;
  }
  Scans& add(ScanKind kind, const std::string& time, const std::string& device) {
    push(kind, device).wall_time = at(time);
    return *this;
  }
  Scan& last() { return scans_.back(); }
  std::vector<Scan>& all() { return scans_; }

private:
  Scan& push(ScanKind kind, const std::string& device) {
    Scan scan;
    scan.device_id = device;
    scan.sequence = ++next_sequence_[device];
    scan.attendee_id = "a-17";
    scan.session_id = "s1";
    scan.kind = kind;
    scans_.push_back(scan);
    return scans_.back();
  }
  std::vector<Scan> scans_;
  std::map<std::string, std::uint64_t> next_sequence_;
};

Attendance compute(std::vector<Scan>& scans, Role role = Role::mayor,
                   const CreditPolicy& policy = standard_policy()) {
  // An event of the default program (ALM): mayors and councilmembers earn credit.
  return compute_attendance(morning(), policy, grants_credit(Event{}, role), scans);
}

// ---- Table: each case with hand-computed hours over the 9:00-12:00, 3.0 h session. ----

struct Step {
  ScanKind kind;
  const char* time;
  const char* device = "door-a";
};

struct CreditCase {
  const char* name;
  std::vector<Step> steps;
  double credit_hours;
  milliseconds attended;
  std::optional<const char*> early_leave_at; // empty: not an early leave
  std::size_t absences = 0;
  std::size_t notes = 0;
};

constexpr ScanKind kIn = ScanKind::arrive;
constexpr ScanKind kOut = ScanKind::leave;

// Failing instances print their name, not 80 bytes of hex.
void PrintTo(const CreditCase& c, std::ostream* out) { *out << c.name; }

class CreditTable : public ::testing::TestWithParam<CreditCase> {};

TEST_P(CreditTable, ComputesHandCheckedHours) {
  const CreditCase& c = GetParam();
  Scans scans;
  for (const Step& step : c.steps)
    scans.add(step.kind, step.time, step.device);
  const Attendance result = compute(scans.all());
  EXPECT_DOUBLE_EQ(result.credit_hours, c.credit_hours);
  EXPECT_EQ(result.attended, c.attended);
  EXPECT_TRUE(result.eligible);
  EXPECT_EQ(result.early_leave, c.early_leave_at.has_value());
  if (c.early_leave_at) {
    EXPECT_EQ(result.early_leave_time, at(*c.early_leave_at));
  } else {
    EXPECT_FALSE(result.early_leave_time.has_value());
  }
  EXPECT_EQ(result.absences.size(), c.absences);
  EXPECT_EQ(result.notes.size(), c.notes) << (result.notes.empty() ? "" : result.notes.front());
}

// Columns: name, scans, credit hours, attended, early-leave time, absences, notes.
// clang-format off
const CreditCase kCases[] = {
    {"FullStay", {{kIn, "09:00"}, {kOut, "12:00"}}, 3.0, minutes{180}, {}},
    {"ArrivalWithinGraceNoLeave", {{kIn, "09:05"}}, 3.0, minutes{180}, {}},
    {"ArrivalAtGraceEdgeCountsFromStart", {{kIn, "09:10"}}, 3.0, minutes{180}, {}},
    // 169 min 59 s = 2.83 h -> 2.75 h
    {"ArrivalJustAfterGrace", {{kIn, "09:10:01"}}, 2.75, minutes{169} + seconds{59}, {}},
    // 160 min = 2.6667 h -> 2.5 h
    {"LateArrivalRoundsDown", {{kIn, "09:20"}}, 2.5, minutes{160}, {}},
    {"ArriveInGraceLeaveAt11", {{kIn, "09:05"}, {kOut, "11:00"}}, 2.0, minutes{120}, "11:00", 1},
    // 9:00-10:00 + 10:30-12:00 = 150 min
    {"LeaveAndReentryAddUp", {{kIn, "09:00"}, {kOut, "10:00"}, {kIn, "10:30"}},
     2.5, minutes{150}, {}, 1},
    {"TwoDoorsArriving", {{kIn, "09:00:10", "door-a"}, {kIn, "09:00:40", "door-b"}},
     3.0, minutes{180}, {}},
    {"LeaveWithinGraceCountsToEnd", {{kIn, "09:00"}, {kOut, "11:52"}}, 3.0, minutes{180}, {}},
    {"LeaveAtGraceEdgeCountsToEnd", {{kIn, "09:00"}, {kOut, "11:50"}}, 3.0, minutes{180}, {}},
    {"LeaveBeforeGraceIsEarly", {{kIn, "09:00"}, {kOut, "11:45"}}, 2.75, minutes{165}, "11:45", 1},
    // 9:00-11:45 + 11:55-12:00 = 170 min = 2.83 h -> 2.75 h; came back, so not early
    {"ReturnBeforeEndIsNotEarly", {{kIn, "09:00"}, {kOut, "11:45"}, {kIn, "11:55"}},
     2.75, minutes{170}, {}, 1},
    // 9:00-10:30 = 90 min
    {"ArrivalBeforeStartCountsFromStart", {{kIn, "08:30"}, {kOut, "10:30"}},
     1.5, minutes{90}, "10:30", 1},
    // 9:30-12:00 = 150 min
    {"LeaveAfterEndCountsToEnd", {{kIn, "09:30"}, {kOut, "12:30"}}, 2.5, minutes{150}, {}},
    {"ArrivalAfterEndGivesNothing", {{kIn, "12:05"}}, 0.0, minutes{0}, {}, 0, 1},
    {"StayBeforeStartGivesNothing", {{kIn, "08:00"}, {kOut, "08:30"}}, 0.0, minutes{0}, {}, 0, 1},
    {"LeaveWithoutArrivalIsNotCredited", {{kOut, "10:40"}}, 0.0, minutes{0}, {}, 0, 1},
    // the stray leave is noted; 10:00-12:00 counts
    {"LeaveWithoutArrivalThenArrival", {{kOut, "09:30"}, {kIn, "10:00"}},
     2.0, minutes{120}, {}, 0, 1},
    {"SameLeaveAtTwoDoorsIsOneLeave",
     {{kIn, "09:00", "door-a"}, {kIn, "09:00:30", "door-b"},
      {kOut, "11:00", "door-a"}, {kOut, "11:00:30", "door-b"}},
     2.0, minutes{120}, "11:00", 1},
    {"SecondLeaveJustInsideDebounceIsSilent",
     {{kIn, "09:00"}, {kOut, "11:00"}, {kOut, "11:00:59", "door-b"}},
     2.0, minutes{120}, "11:00", 1},
    {"SecondLeaveAtDebounceEdgeIsNoted",
     {{kIn, "09:00"}, {kOut, "11:00"}, {kOut, "11:01", "door-b"}},
     2.0, minutes{120}, "11:00", 1, 1},
    // 45 + 45 + 30 = 120 min
    {"ThreeStaysAddUp",
     {{kIn, "09:00"}, {kOut, "09:45"}, {kIn, "10:00"}, {kOut, "10:45"},
      {kIn, "11:00"}, {kOut, "11:30"}},
     2.0, minutes{120}, "11:30", 3},
    // both stays start inside the arrival grace, so both count from 9:00 and merge: 60 min
    {"GapInsideArrivalGraceIsForgiven",
     {{kIn, "08:55"}, {kOut, "09:02"}, {kIn, "09:06"}, {kOut, "10:00"}},
     1.0, minutes{60}, "10:00", 1},
    {"ArrivalAndLeaveAtOneInstantGiveNothing", {{kIn, "10:00"}, {kOut, "10:00"}},
     0.0, minutes{0}, {}, 0, 1},
    {"NoScansNoCredit", {}, 0.0, minutes{0}, {}},
};
// clang-format on

INSTANTIATE_TEST_SUITE_P(Credit, CreditTable, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<CreditCase>& param_info) {
                           return std::string(param_info.param.name);
                         });

// ---- Individual cases ----

TEST(Credit, TwoDoorsListBothDevices) {
  Scans scans;
  scans.arrive("09:00:10", "door-b").arrive("09:00:40", "door-a");
  const Attendance result = compute(scans.all());
  EXPECT_EQ(result.devices, (std::vector<std::string>{"door-a", "door-b"}));
  EXPECT_EQ(result.first_arrival, at("09:00:10"));
  EXPECT_FALSE(result.final_leave.has_value());
  EXPECT_EQ(result.intervals, (std::vector<Interval>{{at("09:00"), at("12:00")}}));
}

TEST(Credit, ReportsFirstArrivalFinalLeaveAndAbsences) {
  Scans scans;
  scans.arrive("08:50").leave("10:00").arrive("10:30", "door-b").leave("11:40", "door-b");
  const Attendance result = compute(scans.all());
  EXPECT_EQ(result.first_arrival, at("08:50"));
  EXPECT_EQ(result.final_leave, at("11:40"));
  EXPECT_EQ(result.intervals,
            (std::vector<Interval>{{at("09:00"), at("10:00")}, {at("10:30"), at("11:40")}}));
  EXPECT_EQ(result.absences,
            (std::vector<Absence>{{at("10:00"), at("10:30")}, {at("11:40"), std::nullopt}}));
  // 60 + 70 = 130 min = 2.1667 h -> 2.0 h
  EXPECT_EQ(result.attended, minutes{130});
  EXPECT_DOUBLE_EQ(result.credit_hours, 2.0);
}

TEST(Credit, DeviceWithWrongClockIsCorrectedByItsOffset) {
  Scans scans;
  // The kiosk's clock is 3 h behind: it says 6:05 and 8:00; the offset estimate fixes it.
  scans.arrive("06:05", "door-slow").leave("08:00", "door-slow");
  for (Scan& scan : scans.all())
    scan.clock_offset_ms = std::chrono::milliseconds{hours{3}}.count();
  const Attendance result = compute(scans.all());
  EXPECT_EQ(result.first_arrival, at("09:05"));
  EXPECT_EQ(result.final_leave, at("11:00"));
  EXPECT_DOUBLE_EQ(result.credit_hours, 2.0);
  EXPECT_EQ(result.early_leave_time, at("11:00"));
}

TEST(Credit, ManualArrivalCountsLikeAScan) {
  Scans scans;
  scans.correct(Correction::arrive, "09:00").leave("11:00");
  const Attendance result = compute(scans.all());
  EXPECT_DOUBLE_EQ(result.credit_hours, 2.0);
  EXPECT_EQ(result.first_arrival, at("09:00"));
  EXPECT_EQ(result.devices, (std::vector<std::string>{"door-a", "staff-1"}));
}

TEST(Credit, ForgottenLeaveIsClosedByACorrection) {
  Scans scans;
  scans.arrive("09:00").correct(Correction::leave, "10:30");
  const Attendance result = compute(scans.all());
  EXPECT_DOUBLE_EQ(result.credit_hours, 1.5);
  EXPECT_TRUE(result.early_leave);
  EXPECT_EQ(result.early_leave_time, at("10:30"));
}

TEST(Credit, CorrectionUsesEffectiveTimeWithItsDeviceOffset) {
  Scans scans;
  scans.arrive("09:00").correct(Correction::leave, "10:00");
  scans.last().clock_offset_ms = std::chrono::milliseconds{minutes{30}}.count();
  const Attendance result = compute(scans.all());
  EXPECT_EQ(result.final_leave, at("10:30"));
  EXPECT_DOUBLE_EQ(result.credit_hours, 1.5);
}

TEST(Credit, VoidRemovesAWrongScanBeforeAnythingElse) {
  Scans scans;
  scans.arrive("09:00").leave("09:30"); // door-a #2: a leave tapped by mistake
  scans.void_scan("door-a", 2);
  const Attendance result = compute(scans.all());
  EXPECT_DOUBLE_EQ(result.credit_hours, 3.0);
  EXPECT_FALSE(result.early_leave);
  EXPECT_TRUE(result.absences.empty());
  EXPECT_TRUE(result.notes.empty());
  // Voids do not count as attendance evidence.
  EXPECT_EQ(result.devices, (std::vector<std::string>{"door-a"}));
}

TEST(Credit, VoidOfAnUnknownScanIsNoted) {
  Scans scans;
  scans.arrive("09:00").void_scan("door-z", 7);
  const Attendance result = compute(scans.all());
  EXPECT_DOUBLE_EQ(result.credit_hours, 3.0);
  ASSERT_EQ(result.notes.size(), 1U);
  EXPECT_NE(result.notes[0].find("(door-z #7)"), std::string::npos) << result.notes[0];
}

TEST(Credit, CorrectionLeaveIsNeverDebouncedAway) {
  Scans scans;
  // A staff leave 20 s after a counted leave is not a door double-scan: it must be seen.
  scans.arrive("09:00").leave("11:00").correct(Correction::leave, "11:00:20");
  const Attendance result = compute(scans.all());
  EXPECT_DOUBLE_EQ(result.credit_hours, 2.0);
  ASSERT_EQ(result.notes.size(), 1U);
  EXPECT_NE(result.notes[0].find("without an arrival"), std::string::npos) << result.notes[0];
}

TEST(Credit, CorrectionWithoutATypeIsIgnoredAndNoted) {
  Scans scans;
  scans.correct(Correction::none, "09:00");
  const Attendance result = compute(scans.all());
  EXPECT_TRUE(result.intervals.empty());
  EXPECT_EQ(result.notes.size(), 1U);
}

TEST(Credit, OtherSessionsScansAreIgnored) {
  Scans scans;
  scans.arrive("09:00").leave("10:00", "door-b");
  scans.last().session_id = "s2"; // the leave was for the room next door
  scans.void_scan("door-a", 1);
  scans.last().session_id = "s2"; // a void in another session voids nothing here
  const Attendance result = compute(scans.all());
  EXPECT_DOUBLE_EQ(result.credit_hours, 3.0);
  EXPECT_FALSE(result.early_leave);
  EXPECT_EQ(result.devices, (std::vector<std::string>{"door-a"}));
}

TEST(Credit, ClerkGetsAttendanceOnly) {
  Scans scans;
  scans.arrive("09:05").leave("11:00");
  const Attendance clerk = compute(scans.all(), Role::clerk);
  const Attendance mayor = compute(scans.all(), Role::mayor);
  EXPECT_FALSE(clerk.eligible);
  EXPECT_DOUBLE_EQ(clerk.credit_hours, 0.0);
  EXPECT_EQ(clerk.intervals, mayor.intervals);
  EXPECT_EQ(clerk.attended, minutes{120});
  EXPECT_TRUE(clerk.early_leave);
  EXPECT_DOUBLE_EQ(mayor.credit_hours, 2.0);
}

TEST(Credit, OnlyElectedOfficialsAreEligible) {
  Scans scans;
  scans.arrive("09:00");
  EXPECT_DOUBLE_EQ(compute(scans.all(), Role::councilmember).credit_hours, 3.0);
  for (Role role : {Role::clerk, Role::staff, Role::guest}) {
    const Attendance result = compute(scans.all(), role);
    EXPECT_FALSE(result.eligible) << to_string(role);
    EXPECT_DOUBLE_EQ(result.credit_hours, 0.0) << to_string(role);
    EXPECT_EQ(result.attended, minutes{180}) << to_string(role);
  }
}

TEST(Credit, NoIncrementGivesTheExactFraction) {
  CreditPolicy policy = standard_policy();
  policy.increment_hours = 0;
  Scans scans;
  scans.arrive("09:20");
  EXPECT_DOUBLE_EQ(compute(scans.all(), Role::mayor, policy).credit_hours, 3.0 * 160 / 180);
}

TEST(Credit, ZeroGracePolicyCountsExactMinutes) {
  CreditPolicy policy = standard_policy();
  policy.arrival_grace = minutes{0};
  policy.leave_grace = minutes{0};
  Scans scans;
  scans.arrive("09:05").leave("11:55"); // 170 min = 2.8333 h -> 2.75 h
  const Attendance result = compute(scans.all(), Role::mayor, policy);
  EXPECT_EQ(result.attended, minutes{170});
  EXPECT_DOUBLE_EQ(result.credit_hours, 2.75);
  EXPECT_EQ(result.early_leave_time, at("11:55"));
}

TEST(Credit, CreditScalesWithSessionCreditHours) {
  Session session = morning();
  session.credit_hours = 1.5; // the agenda gives 1.5 h for this 3 h slot
  Scans scans;
  scans.arrive("10:30"); // 90 of 180 min -> 0.75 h
  const Attendance result = compute_attendance(session, standard_policy(), true, scans.all());
  EXPECT_DOUBLE_EQ(result.credit_hours, 0.75);
}

TEST(Credit, InvertedSessionGivesNothingAndANote) {
  Session session = morning();
  session.end = session.start;
  Scans scans;
  scans.arrive("09:00");
  const Attendance result = compute_attendance(session, standard_policy(), true, scans.all());
  EXPECT_DOUBLE_EQ(result.credit_hours, 0.0);
  EXPECT_TRUE(result.intervals.empty());
  EXPECT_EQ(result.notes.size(), 1U);
}

TEST(Credit, NotesShowLocalTimeAndTheScan) {
  Scans scans;
  scans.leave("16:40"); // 10:40 CST
  const Attendance result =
      compute_attendance(morning(), standard_policy(), true, scans.all(), "America/Chicago");
  ASSERT_EQ(result.notes.size(), 1U);
  EXPECT_EQ(result.notes[0], "leave at 10:40 (door-a #1) without an arrival: not counted");
}

TEST(Credit, SameScanDeliveredTwiceCountsOnce) {
  Scans scans;
  scans.arrive("09:00").leave("10:00").arrive("10:30");
  std::vector<Scan> doubled = scans.all();
  doubled.push_back(scans.all()[1]); // a retried sync delivers door-a #2 again
  EXPECT_EQ(compute(doubled), compute(scans.all()));
  EXPECT_DOUBLE_EQ(compute(doubled).credit_hours, 2.5);
}

TEST(Credit, RoundsDownToIncrementWithoutFloatingLoss) {
  EXPECT_DOUBLE_EQ(round_down_to_increment(3.0, 0.25), 3.0);
  EXPECT_DOUBLE_EQ(round_down_to_increment(2.74, 0.25), 2.5);
  EXPECT_DOUBLE_EQ(round_down_to_increment(0.3, 0.1), 0.3); // 0.3 / 0.1 = 2.999...96
  EXPECT_DOUBLE_EQ(round_down_to_increment(0.29, 0.1), 0.2);
  EXPECT_DOUBLE_EQ(round_down_to_increment(1.7, 0.0), 1.7);
  EXPECT_DOUBLE_EQ(round_down_to_increment(1.7, -1.0), 1.7);
  EXPECT_DOUBLE_EQ(round_down_to_increment(-1.0, 0.25), 0.0);
  EXPECT_DOUBLE_EQ(round_down_to_increment(std::nan(""), 0.25), 0.0);
}

// ---- Property: the result never depends on the order scans arrive in. ----

std::vector<Scan> random_scans(std::mt19937& rng) {
  static const char* const kDevices[] = {"door-a", "door-b", "staff-1"};
  std::uniform_int_distribution<int> count_of(0, 12);
  std::uniform_int_distribution<int> device_of(0, 2);
  std::uniform_int_distribution<int> minute_of(-60, 210); // 8:00 to 12:30
  std::uniform_int_distribution<int> second_of(0, 59);
  std::uniform_int_distribution<int> percent(0, 99);
  std::vector<Scan> scans;
  std::map<std::string, std::uint64_t> next_sequence;
  const int count = count_of(rng);
  for (int i = 0; i < count; ++i) {
    Scan scan;
    scan.device_id = kDevices[device_of(rng)];
    scan.sequence = ++next_sequence[scan.device_id];
    scan.session_id = percent(rng) < 10 ? "s2" : "s1";
    // Few distinct seconds, so equal times across devices (ties) really happen.
    const Instant time = at("09:00") + minutes{minute_of(rng)} + seconds{second_of(rng) % 3 * 20};
    const int pick = percent(rng);
    if (scan.device_id == std::string("staff-1")) {
      scan.kind = ScanKind::correction;
      scan.wall_time = at("12:30");
      scan.effective_time = time;
      if (pick < 35) {
        scan.correction = Correction::arrive;
      } else if (pick < 70) {
        scan.correction = Correction::leave;
      } else if (pick < 95) {
        scan.correction = Correction::void_scan;
        scan.voids_device_id = kDevices[device_of(rng)];
        scan.voids_sequence = static_cast<std::uint64_t>(1 + i / 2);
      }
    } else {
      scan.kind = pick < 55 ? ScanKind::arrive : ScanKind::leave;
      scan.wall_time = time;
      if (percent(rng) < 10) scan.clock_offset_ms = std::chrono::milliseconds{minutes{-20}}.count();
    }
    scans.push_back(scan);
    if (percent(rng) < 5) scans.push_back(scan); // duplicate delivery
  }
  return scans;
}

TEST(Credit, ResultDoesNotDependOnScanOrder) {
  std::mt19937 rng(20260302);
  int with_credit = 0;
  int with_notes = 0;
  int with_absences = 0;
  for (int set = 0; set < 200; ++set) {
    std::vector<Scan> scans = random_scans(rng);
    const Attendance expected = compute(scans);
    with_credit += expected.credit_hours > 0 ? 1 : 0;
    with_notes += expected.notes.empty() ? 0 : 1;
    with_absences += expected.absences.empty() ? 0 : 1;
    // Invariants that hold for any scans: sorted, disjoint, inside the session, capped credit.
    EXPECT_LE(expected.attended, hours{3});
    EXPECT_LE(expected.credit_hours, 3.0);
    for (std::size_t i = 0; i < expected.intervals.size(); ++i) {
      EXPECT_LT(expected.intervals[i].from, expected.intervals[i].to);
      EXPECT_GE(expected.intervals[i].from, at("09:00"));
      EXPECT_LE(expected.intervals[i].to, at("12:00"));
      if (i > 0) {
        EXPECT_LT(expected.intervals[i - 1].to, expected.intervals[i].from);
      }
    }
    for (int shuffle = 0; shuffle < 20; ++shuffle) {
      std::shuffle(scans.begin(), scans.end(), rng);
      const Attendance again = compute(scans);
      ASSERT_EQ(again, expected) << "set " << set << " shuffle " << shuffle;
    }
  }
  // The generator must exercise real cases, or the property proves nothing.
  EXPECT_GT(with_credit, 50);
  EXPECT_GT(with_notes, 20);
  EXPECT_GT(with_absences, 20);
}

} // namespace
} // namespace muster
