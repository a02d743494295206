#pragma once
// What the kiosk window shows and what a person can ask of it, without the window: the screens,
// the intents a view hands back, the state a view draws (KioskState), and the app's options.
// KioskApp (kiosk_app.hpp) changes the state; StaffMode (staff_mode.hpp) its staff part.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "kiosk/app/checkin.hpp"
#include "kiosk/app/desk.hpp"
#include "kiosk/scan/raw_scan.hpp"
#include "shared/domain.hpp"

namespace muster::kiosk {

// survey: the event's questions after a leave confirmed in the window (one at a time).
enum class Screen : std::uint8_t { attract, result, confirm_leave, staff_pin, staff, survey };
std::string_view to_string(Screen screen); // "attract", "result", "confirm_leave", ...

enum class Flash : std::uint8_t { none, success, failure };
std::string_view to_string(Flash flash);

// A sound cue, decided here and played by the window where an audio device exists
// (kiosk/ui/sound.hpp): success = two rising tones, failure = one low buzz.
enum class Sound : std::uint8_t { none, success, failure };
std::string_view to_string(Sound sound);

// Intents: what a person asked for on a screen.
struct DismissResult {}; // result screen: "OK" (else it times out)
struct AnswerLeave {
  bool yes = false;
}; // "Leaving early?": confirm or cancel
// Result screen after a break arrival ("Welcome to the next session"): "I am leaving".
struct LeaveInstead {};
struct AnswerSurvey {
  std::size_t choice = 0;
};                    // survey: the current question's choice (0-based)
struct SkipSurvey {}; // survey: "Skip" / Esc: leave this question unanswered
struct OpenStaff {};  // corner button / F2: the PIN pad
struct PinDigit {
  char digit = '0';
};
struct PinBackspace {};
struct PinSubmit {};
struct CloseStaff {}; // leave the PIN pad or staff mode
struct StaffSearch {
  std::string query;
};
struct StaffPickSession {
  std::optional<std::string> session_id;
}; // nullopt: automatic
struct StaffManual {
  std::string attendee_id;
  Correction kind = Correction::arrive; // arrive or leave
  std::string reason;
};
struct StaffExport {
  std::filesystem::path folder;
};
// Walk-in registration (kiosk/app/walk_in.hpp): a provisional attendee, arrived at the door.
struct StaffWalkIn {
  std::string first_name;
  std::string last_name;
  std::string municipality;
  std::string role = "guest";
  std::string reason;
};
struct StaffSetRoom {
  std::string room;
}; // empty: all rooms; clears a session pick
// Registration desk (--desk, kiosk/app/desk.hpp): check in without a badge; reprint a lost badge
// (old_serial empty: the last one this kiosk saw for the attendee).
struct StaffDeskCheckIn {
  std::string attendee_id;
  std::string reason;
};
struct StaffDeskReprint {
  std::string attendee_id;
  std::string reason;
  std::string old_serial;
};
using Intent = std::variant<DismissResult, AnswerLeave, LeaveInstead, AnswerSurvey, SkipSurvey,
                            OpenStaff, PinDigit, PinBackspace, PinSubmit, CloseStaff, StaffSearch,
                            StaffPickSession, StaffManual, StaffExport, StaffWalkIn, StaffSetRoom,
                            StaffDeskCheckIn, StaffDeskReprint>;

// One attendee of a session, for staff's "today at this door" list and the CSV export.
struct DoorRow {
  std::string session_id;
  std::string attendee_id;
  std::string name;
  std::string municipality;
  std::string role;
  std::string arrival; // local "HH:MM", empty when none counted
  std::string leave;   // local "HH:MM", empty while inside
  bool inside = false;
  bool early_leave = false;
  bool eligible = false;
  double credit_hours = 0;
  bool provisional = false; // a walk-in the League has not confirmed (WALKIN-... id)
};

struct SyncStatus {
  std::uint64_t queued = 0; // scans not yet acknowledged by the server
  std::string last_success; // empty: never
  std::string last_error;   // empty: none
  std::string branch_note;  // "restored from a backup or cloned: continues as branch ..."
  // The kiosk's identity, what the server's operator compares (register-device, import-scans
  // --accept-key).
  std::string device_id;
  std::string key_fingerprint;
};

struct KioskAppOptions {
  bool demo = false;                    // shows the demo PIN on the PIN pad
  std::string staff_id = "kiosk-staff"; // recorded with staff corrections
  std::chrono::milliseconds result_timeout{5000};
  std::chrono::milliseconds confirm_timeout{20000}; // unanswered "Leaving early?" = cancel
  std::chrono::milliseconds survey_timeout{20000};  // idle on a survey question: back to attract
  // How often the attract screen looks for a package the background sync applied (new League
  // keys, desk certificates, sessions), so the door uses it without a restart.
  std::chrono::milliseconds package_check_interval{5000};
  std::chrono::milliseconds pin_timeout{30000};
  std::chrono::milliseconds staff_timeout{300000}; // staff mode idle: back to attract
  std::chrono::milliseconds flash_duration{600};
  std::function<Instant()> wall_clock = wall_clock_now;
  // --desk: scans check officials in to the event (the result screen greets them) and staff
  // mode adds desk check-in and reprints. Must outlive the app. nullptr: a session door.
  Desk* desk = nullptr;
};

// Everything a view shows; changes bump `revision`.
struct KioskState {
  Screen screen = Screen::attract;
  std::uint64_t revision = 0;
  std::optional<CheckinOutcome> outcome; // result, confirm_leave and survey screens (the leave)
  std::size_t survey_question = 0;       // survey: index into the event's survey
  std::size_t survey_answered = 0;       // survey: questions answered so far
  std::string survey_message;            // the last survey's result ("Thank you", an error)
  Flash flash = Flash::none;
  std::chrono::milliseconds flash_until{0};
  Sound sound = Sound::none; // the last cue; the window plays it when sound_serial moves
  std::uint64_t sound_serial = 0;
  std::size_t pin_length = 0; // digits typed (the view shows dots)
  std::string pin_message;    // "Wrong PIN, 3 attempts left", "Locked for 30 s", ...
  std::string staff_query;
  std::vector<Attendee> search_results;
  std::string staff_session_id; // the session staff look at (the door's)
  std::string staff_session_title;
  std::vector<DoorRow> door_rows; // staff_session's attendees
  std::size_t inside_count = 0;   // of staff_session
  SyncStatus sync;
  std::string last_walk_in;  // id of the last walk-in staff registered here
  std::string staff_message; // the last staff action's result
  bool staff_message_error = false;
  std::optional<DeskOutcome> desk_outcome; // desk mode: the result screen's greeting
  std::string desk_reprint_image;          // desk mode: the last reprint's PNG
  // Words for staff when the kiosk's clock looks wrong (Checkin::ClockView::suspect); empty
  // when it looks right. Staff mode shows them, the attract screen a small marker; the door
  // keeps recording either way.
  std::string clock_warning;
};

} // namespace muster::kiosk
