#pragma once
// The kiosk window's application state without the window: which screen shows, when it goes
// back to "Scan your badge", the green/red flash, the PIN pad, staff mode's data, and how each
// intent of a view becomes a Checkin call. The ImGui views (kiosk/ui) draw a KioskApp and hand
// back intents; tests drive a KioskApp directly (style.md: views are thin).
//
// Time: `now` is the monotonic clock in ms (the same clock as the wedge's key times); the wall
// clock used for scans and corrections comes from KioskAppOptions::wall_clock.
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
#include "kiosk/app/staff_pin.hpp"
#include "kiosk/scan/raw_scan.hpp"
#include "kiosk/scan/wedge_detector.hpp"
#include "shared/domain.hpp"
#include "shared/kiosk_store.hpp"
#include "shared/result.hpp"

namespace muster::kiosk {

enum class Screen : std::uint8_t { attract, result, confirm_leave, staff_pin, staff };
std::string_view to_string(Screen screen);  // "attract", "result", "confirm_leave", ...

enum class Flash : std::uint8_t { none, success, failure };
std::string_view to_string(Flash flash);

// Setting names the sync helper writes (ISO 8601 time / words); staff mode shows them.
inline constexpr std::string_view kSettingSyncLastSuccess = "sync.last_success";
inline constexpr std::string_view kSettingSyncLastError = "sync.last_error";

// Intents: what a person asked for on a screen.
struct DismissResult {};                 // result screen: "OK" (else it times out)
struct AnswerLeave { bool yes = false; };  // "Leaving early?": confirm or cancel
struct OpenStaff {};                      // corner button / F2: the PIN pad
struct PinDigit { char digit = '0'; };
struct PinBackspace {};
struct PinSubmit {};
struct CloseStaff {};                     // leave the PIN pad or staff mode
struct StaffSearch { std::string query; };
struct StaffPickSession { std::optional<std::string> session_id; };  // nullopt: automatic
struct StaffManual {
  std::string attendee_id;
  Correction kind = Correction::arrive;  // arrive or leave
  std::string reason;
};
struct StaffExport { std::filesystem::path folder; };
using Intent = std::variant<DismissResult, AnswerLeave, OpenStaff, PinDigit, PinBackspace,
                            PinSubmit, CloseStaff, StaffSearch, StaffPickSession, StaffManual,
                            StaffExport>;

// One attendee of a session, for staff's "today at this door" list and the CSV export.
struct DoorRow {
  std::string session_id;
  std::string attendee_id;
  std::string name;
  std::string municipality;
  std::string role;
  std::string arrival;  // local "HH:MM", empty when none counted
  std::string leave;    // local "HH:MM", empty while inside
  bool inside = false;
  bool early_leave = false;
  bool eligible = false;
  double credit_hours = 0;
};

struct SyncStatus {
  std::uint64_t queued = 0;  // scans not yet acknowledged by the server
  std::string last_success;  // empty: never
  std::string last_error;    // empty: none
};

struct KioskAppOptions {
  bool demo = false;                    // shows the demo PIN on the PIN pad
  std::string staff_id = "kiosk-staff";  // recorded with staff corrections
  std::chrono::milliseconds result_timeout{5000};
  std::chrono::milliseconds confirm_timeout{20000};  // unanswered "Leaving early?" = cancel
  std::chrono::milliseconds pin_timeout{30000};
  std::chrono::milliseconds staff_timeout{300000};   // staff mode idle: back to attract
  std::chrono::milliseconds flash_duration{600};
  std::function<Instant()> wall_clock = wall_clock_now;
};

// Everything a view shows; changes bump `revision`.
struct KioskState {
  Screen screen = Screen::attract;
  std::uint64_t revision = 0;
  std::optional<CheckinOutcome> outcome;  // result and confirm_leave screens
  Flash flash = Flash::none;
  std::chrono::milliseconds flash_until{0};
  std::size_t pin_length = 0;  // digits typed (the view shows dots)
  std::string pin_message;     // "Wrong PIN, 3 attempts left", "Locked for 30 s", ...
  std::string staff_query;
  std::vector<Attendee> search_results;
  std::string staff_session_id;     // the session staff look at (the door's)
  std::string staff_session_title;
  std::vector<DoorRow> door_rows;   // staff_session's attendees
  std::size_t inside_count = 0;     // of staff_session
  SyncStatus sync;
  std::string staff_message;        // the last staff action's result
  bool staff_message_error = false;
};

class KioskApp {
 public:
  // store, checkin and pin must outlive the app; all stay on the UI thread.
  KioskApp(KioskStore& store, Checkin& checkin, StaffPin& pin, KioskAppOptions options = {});

  // A scan from any scanner (wedge burst, camera). Accepted on attract, result and
  // confirm_leave; ignored (with a note) while the PIN pad or staff mode shows.
  void scan(const RawScan& scan, std::chrono::milliseconds now);
  // A key on the scanning screens goes through the wedge detector first: bursts become scans,
  // keys a person typed act on the screen (Enter/y/n). PIN pad: digits, Enter, Backspace ('\b').
  void key(const KeyEvent& key, std::chrono::milliseconds now);
  // Whether keys should come to key() (scanning screens, PIN pad) rather than to the widgets.
  [[nodiscard]] bool wants_keys() const;
  void handle(const Intent& intent, std::chrono::milliseconds now);
  // Timers: result/confirm/PIN/staff timeouts, the flash, a pending wedge burst.
  void tick(std::chrono::milliseconds now);
  // When tick() next has something to do (nullopt: nothing scheduled).
  [[nodiscard]] std::optional<std::chrono::milliseconds> next_deadline() const;

  [[nodiscard]] const KioskState& state() const { return state_; }
  [[nodiscard]] const Checkin& checkin() const { return *checkin_; }
  [[nodiscard]] const KioskAppOptions& options() const { return options_; }
  // The door's session now (for the attract screen).
  [[nodiscard]] std::optional<Session> door_session() const;
  // Sessions of the event in this door's room (all when no room), for staff's picker.
  [[nodiscard]] std::vector<Session> door_sessions() const;
  // One JSON object (no newline) describing the screen, for --state-log and tests.
  [[nodiscard]] std::string state_json() const;

  // Rows of every attendee with scans in `session` (sorted by name).
  [[nodiscard]] std::vector<DoorRow> session_rows(const Session& session) const;
  // Writes this kiosk's attendance (every session of the event) as CSV into `folder`;
  // returns the file written.
  Result<std::filesystem::path, StoreError> export_csv(const std::filesystem::path& folder) const;

 private:
  void go(Screen screen, std::chrono::milliseconds now);
  void show_outcome(CheckinOutcome outcome, std::chrono::milliseconds now);
  void typed(const KeyEvent& key, std::chrono::milliseconds now);
  void submit_pin(std::chrono::milliseconds now);
  void refresh_staff();
  void staff_note(std::string message, bool error);
  void changed() { ++state_.revision; }

  KioskStore* store_;
  Checkin* checkin_;
  StaffPin* pin_;
  KioskAppOptions options_;
  KioskState state_;
  WedgeDetector wedge_;
  std::string pin_entry_;
  std::chrono::milliseconds screen_since_{0};  // last screen change or input on it
};

}  // namespace muster::kiosk
