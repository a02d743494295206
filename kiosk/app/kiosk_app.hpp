#pragma once
// The kiosk window's application state without the window: which screen shows, when it goes
// back to "Scan your badge", the green/red flash, the PIN pad, the survey, and how each intent
// of a view becomes a Checkin call (staff mode's intents go to StaffMode, staff_mode.hpp). The
// state and intents themselves are in kiosk_state.hpp. The ImGui views (kiosk/ui) draw a KioskApp
// and hand back intents; tests drive a KioskApp directly (style.md: views are thin).
//
// Time: `now` is the monotonic clock in ms (the same clock as the wedge's key times); the wall
// clock used for scans and corrections comes from KioskAppOptions::wall_clock.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kiosk/app/checkin.hpp"
#include "kiosk/app/kiosk_state.hpp"
#include "kiosk/app/staff_mode.hpp"
#include "kiosk/app/staff_pin.hpp"
#include "kiosk/scan/raw_scan.hpp"
#include "kiosk/scan/wedge_detector.hpp"
#include "shared/domain.hpp"
#include "shared/kiosk_store.hpp"
#include "shared/result.hpp"

namespace muster::kiosk {

// Setting names the sync helper writes (ISO 8601 time / words); staff mode shows them.
inline constexpr std::string_view kSettingSyncLastSuccess = "sync.last_success";
inline constexpr std::string_view kSettingSyncLastError = "sync.last_error";
// Set by the sync client when this kiosk was found restored from a backup (or cloned) and
// continued on a branch of its identity (sync/client/sync_pass.hpp kSettingBranchNote).
inline constexpr std::string_view kSettingSyncBranchNote = "sync.branch_note";

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
  // One overload per intent; the variant form dispatches to them. Staff intents act only while
  // staff mode shows (StaffMode), the others only on their own screen.
  void handle(const Intent& intent, std::chrono::milliseconds now);
  void handle(const DismissResult& intent, std::chrono::milliseconds now);
  void handle(const AnswerLeave& intent, std::chrono::milliseconds now);
  void handle(const LeaveInstead& intent, std::chrono::milliseconds now);
  void handle(const AnswerSurvey& intent, std::chrono::milliseconds now);
  void handle(const SkipSurvey& intent, std::chrono::milliseconds now);
  void handle(const OpenStaff& intent, std::chrono::milliseconds now);
  void handle(const PinDigit& intent, std::chrono::milliseconds now);
  void handle(const PinBackspace& intent, std::chrono::milliseconds now);
  void handle(const PinSubmit& intent, std::chrono::milliseconds now);
  void handle(const CloseStaff& intent, std::chrono::milliseconds now);
  void handle(const StaffSearch& intent, std::chrono::milliseconds now);
  void handle(const StaffPickSession& intent, std::chrono::milliseconds now);
  void handle(const StaffManual& intent, std::chrono::milliseconds now);
  void handle(const StaffExport& intent, std::chrono::milliseconds now);
  void handle(const StaffWalkIn& intent, std::chrono::milliseconds now);
  void handle(const StaffSetRoom& intent, std::chrono::milliseconds now);
  void handle(const StaffDeskCheckIn& intent, std::chrono::milliseconds now);
  void handle(const StaffDeskReprint& intent, std::chrono::milliseconds now);
  // Timers: result/confirm/PIN/staff timeouts, the flash, a pending wedge burst.
  void tick(std::chrono::milliseconds now);
  // When tick() next has something to do (nullopt: nothing scheduled).
  [[nodiscard]] std::optional<std::chrono::milliseconds> next_deadline() const;

  [[nodiscard]] const KioskState& state() const { return state_; }
  [[nodiscard]] const Checkin& checkin() const { return *checkin_; }
  [[nodiscard]] const KioskAppOptions& options() const { return options_; }
  // The door's session now (for the attract screen).
  [[nodiscard]] std::optional<Session> door_session() const;
  // The result screen offers "I am leaving" (a break arrival, Checkin::leave_instead).
  [[nodiscard]] bool leave_instead_offered() const {
    return state_.screen == Screen::result && checkin_->leave_instead_offered();
  }
  // Sessions of the event in this door's room (all when no room), for staff's picker.
  [[nodiscard]] std::vector<Session> door_sessions() const { return staff_.door_sessions(); }
  // The distinct rooms of the event's sessions (first-seen spelling, sorted), for staff's picker.
  [[nodiscard]] std::vector<std::string> rooms() const { return staff_.rooms(); }
  // One JSON object (no newline) describing the screen, for --state-log and tests.
  [[nodiscard]] std::string state_json() const;

  // Rows of every attendee with scans in `session` (sorted by name).
  [[nodiscard]] std::vector<DoorRow> session_rows(const Session& session) const {
    return staff_.session_rows(session);
  }
  // Writes this kiosk's attendance (every session of the event) as CSV into `folder`;
  // returns the file written.
  Result<std::filesystem::path, StoreError> export_csv(const std::filesystem::path& folder) const {
    return staff_.export_csv(folder);
  }

private:
  void go(Screen screen, std::chrono::milliseconds now);
  void show_outcome(CheckinOutcome outcome, std::chrono::milliseconds now);
  void typed(const KeyEvent& key, std::chrono::milliseconds now);
  // The wedge detector's decision: bursts become scans, a person's keys act on the screen.
  void act_on(WedgeOutput out, std::chrono::milliseconds now);
  // How long the screen may sit idle before it goes back to attract; nothing on attract.
  [[nodiscard]] std::optional<std::chrono::milliseconds> idle_timeout() const;
  void submit_pin(std::chrono::milliseconds now);
  // Starts the survey after a leave recorded in the window (when the event has one).
  bool start_survey(std::chrono::milliseconds now);
  // Records the answers so far (if any) as one survey scan; does not change the screen.
  void finish_survey(std::chrono::milliseconds now);
  void next_question(std::chrono::milliseconds now);
  // True on the staff screen, which the intent keeps open (its idle timer restarts).
  bool staff_acts(std::chrono::milliseconds now);
  void changed() { ++state_.revision; }

  KioskStore* store_;
  Checkin* checkin_;
  StaffPin* pin_;
  KioskAppOptions options_;
  KioskState state_;
  StaffMode staff_; // after state_ and options_: it holds references to them
  WedgeDetector wedge_;
  std::string pin_entry_;
  std::vector<std::pair<std::string, std::string>> survey_answers_; // question id -> choice
  std::chrono::milliseconds screen_since_{0};      // last screen change or input on it
  std::optional<std::string> package_cursor_seen_; // the package cursor Checkin last loaded
  std::chrono::milliseconds next_package_check_{0};
  void reload_if_package_changed(std::chrono::milliseconds now);
  std::chrono::milliseconds next_clock_check_{0};
  // Compares the wall clock with this boot's monotonic clock and the event's days.
  void check_clock(std::chrono::milliseconds now);
};

} // namespace muster::kiosk
