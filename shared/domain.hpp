#pragma once
// The shared vocabulary of Muster: who attends, what an event is, and what a scan records.
// Plain structs; behaviour lives in the units that use them (credit, scan_log, store, import).
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace muster {

// An instant on the UTC time line, to the millisecond. Stored and compared in UTC;
// shown in the event's time zone (see time.hpp).
using Instant = std::chrono::sys_time<std::chrono::milliseconds>;

// `manager` (city/town manager, ICMA) came later: new roles go at the end.
enum class Role : std::uint8_t { mayor, councilmember, clerk, staff, guest, manager };
inline constexpr std::size_t kRoleCount = 6;

std::optional<Role> parse_role(std::string_view text); // exact lower-case names as in the CSV
std::string_view to_string(Role role);
std::vector<Role> all_roles(); // in enum order
// Mayors and councilmembers: they sit on the council (roster municipality, Certified
// Municipality). Whether a role earns credit is the program's `eligible_roles`, never this.
bool is_elected(Role role);

struct Attendee {
  std::string id;
  std::string first_name;
  std::string last_name;
  Role role = Role::guest;
  std::string municipality; // the town's name as written on the roster
  std::string email;        // server only: never stored on a kiosk, never in an event package
  // The League's municipality id (import-municipalities); "" when the roster gives none.
  std::string municipality_id = {}; // (initialised: positional {...} inits stay valid)
};

// "First Last" as a person reads it on a badge, a form or a page: one space only when both parts
// are there, and the id when the roster gives no name at all.
std::string full_name(const Attendee& attendee);

// A municipality of the League (muster-server import-municipalities): its identity, so officials
// refer to it by id, not by a spelling; the council has `council_seats` seats besides the mayor.
struct Municipality {
  std::string id;
  std::string name;
  int council_seats = 0;
  bool operator==(const Municipality&) const = default;
};

// Per-event rules that turn attendance into credit hours (design.md, "Credit from attendance").
struct CreditPolicy {
  std::chrono::minutes arrival_grace{10}; // arriving this late still counts from the start
  std::chrono::minutes leave_grace{10};   // leaving this early still counts to the end
  double increment_hours = 0.25;          // credit is rounded down to a multiple of this
  std::chrono::seconds debounce{60};      // repeated scans closer than this are one scan
  // A scan this long before a session starts is an arrival for it (presence.hpp); kiosks and
  // the server use the same value, from the event.
  std::chrono::minutes lead_time{15};
};

struct Session {
  std::string id;
  std::string title;
  std::string room;
  Instant start;
  Instant end;
  double credit_hours = 0.0;
  std::string course_code;
  bool core = false;
  std::string topic;
};

// A short question the kiosk asks after an official leaves a session (design.md: "optional
// short survey"). Answered by touching one of the choices; "Skip" is always offered.
struct SurveyQuestion {
  std::string id;                   // badge-id characters, unique within the event
  std::string text;                 // "Was this session useful for your work?"
  std::vector<std::string> choices; // 2..6 answers, e.g. {"Yes", "Somewhat", "No"}
  friend bool operator==(const SurveyQuestion&, const SurveyQuestion&) = default;
};

struct Event {
  std::string id;
  std::string name;
  std::string timezone; // IANA name, e.g. "America/Chicago"
  std::string location;
  CreditPolicy credit_policy;
  std::vector<Session> sessions;
  std::vector<SurveyQuestion> survey; // empty: no survey after a leave
  // The credit programs (ids, e.g. "alm-cmo") the event grants credit under, and the roles
  // those programs make eligible (the server resolves them from the program files at
  // import-event; the kiosk gets them in the event package).
  std::vector<std::string> programs = default_event_programs();
  std::vector<Role> eligible_roles = default_eligible_roles();

  static std::vector<std::string> default_event_programs() { return {"alm-cmo"}; }
  static std::vector<Role> default_eligible_roles() { return {Role::mayor, Role::councilmember}; }
};

// Whether `role` earns credit at the event (one of its programs makes the role eligible).
bool grants_credit(const Event& event, Role role);

// BLAKE2b-256 digest: the links of each device's hash chain.
using Digest = std::array<std::uint8_t, 32>;

// arrive/leave/correction are a session's attendance. The others are facts about the event that
// never count as attendance (shared/credit.cpp skips them):
//   checkin       the official checked in to the event at a registration desk (session_id empty);
//   survey        answers to the event's survey after a leave (details: {"answers": {...}});
//   registration  staff registered a walk-in, a provisional attendee the League must confirm
//                 (details: {"first_name", "last_name", "role", "municipality"});
//   reprint       a desk reprinted a lost badge: badge_payload is the NEW badge (signed by the
//                 desk's certified device key), details: {"old_serial": ...} is revoked.
enum class ScanKind : std::uint8_t {
  arrive,
  leave,
  correction,
  checkin,
  survey,
  registration,
  reprint
};
// True for arrive, leave and correction: the kinds that make up a session's attendance.
bool is_attendance(ScanKind kind);
// What a staff correction asserts: a manual or walk-in arrival, a forgotten check-out,
// or that an earlier scan (by device and sequence) was a mistake and does not count.
enum class Correction : std::uint8_t { none, arrive, leave, void_scan };

std::string_view to_string(ScanKind kind);
std::optional<ScanKind> parse_scan_kind(std::string_view text);
std::string_view to_string(Correction correction);
std::optional<Correction> parse_correction(std::string_view text);

// A scan is an immutable fact. Nothing about it is ever updated or deleted; attendance and
// credit are derived from the set of scans.
struct Scan {
  std::string device_id;
  std::uint64_t sequence = 0; // 1, 2, 3, ... per device, without gaps
  std::string attendee_id;
  std::string badge_serial;  // empty for a staff correction made without a badge
  std::string badge_payload; // the signed payload as scanned, so the server can re-verify it
  std::string session_id;
  ScanKind kind = ScanKind::arrive;
  Instant wall_time;                // the device's wall clock at the scan
  std::int64_t monotonic_ms = 0;    // the device's monotonic clock at the scan
  std::int64_t clock_offset_ms = 0; // estimate of (server clock - device clock) at the scan
  // The device's boot (/proc/sys/kernel/random/boot_id) its monotonic clock counts from: the
  // server corrects the time from a clock sample of the same boot (shared/clock_correction.hpp).
  // Empty on scans recorded before boot ids existed. Hashed with the scan (muster-scan-v3).
  std::string boot_id;

  // Staff corrections only (kind == correction).
  Correction correction = Correction::none;
  Instant effective_time; // the time the correction asserts, on the device's clock
  std::string staff_id;
  std::string reason;
  std::string voids_device_id; // for Correction::void_scan: the scan it cancels
  std::uint64_t voids_sequence = 0;

  // Structured facts of the non-attendance kinds and of a confirmed leave, as one compact JSON
  // object text (see ScanKind); empty for plain scans. Hashed with the scan (muster-scan-v2).
  std::string details;

  // Hash chain (see scan_log.hpp).
  Digest prev_hash{};
  Digest hash{};
};

// The scan's time on the server's clock: the device time the scan asserts plus the offset
// estimate. The original device times stay in the scan.
Instant corrected_time(const Scan& scan);
// The time attendance counts a scan at: corrected_time to the nearest second. A clock offset
// measured over the network carries milliseconds of noise; without this, a leave scanned at
// 16:00:00 on a kiosk measured 3 ms fast would cost a whole credit increment.
Instant counted_time(const Scan& scan);

} // namespace muster
