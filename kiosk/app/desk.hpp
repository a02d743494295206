#pragma once
// The registration desk (`muster-kiosk --desk`): the event's check-in desk rather than a session
// door. A badge scan records the official's event check-in (ScanKind::checkin, no session) and
// greets them with the day's sessions and rooms; staff find officials by name, check them in
// without a badge and reprint lost badges.
//
// Reprints: the League's private key never leaves the server. The desk has its own device key
// (desk-key: created once, the secret kept in the store's settings), which the League certifies
// (`muster-server certify-desk`); the certificate comes to every kiosk in the event package, so
// every door verifies a reprinted badge offline. A reprint revokes the old serial on this kiosk
// at once and records ScanKind::reprint {badge = the new badge, details {"old_serial"}}; the
// server revokes the old serial everywhere at the next sync.
//
// Headless desk JSON (one object per line, after the scan is durably committed):
//   {"result": "checked_in"|"already_checked_in"|"rejected", "attendee": id|null,
//    "name": ...|null, "municipality": ...|null, "checked_in_at": ISO|null,
//    "sessions": [{"id","title","room","start","end"}], "reason": ... (rejected only)}
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kiosk/app/checkin.hpp"
#include "kiosk/app/headless.hpp"
#include "kiosk/app/print_queue.hpp"
#include "kiosk/scan/raw_scan.hpp"
#include "shared/badge.hpp"
#include "shared/boot_id.hpp"
#include "shared/domain.hpp"
#include "shared/kiosk_store.hpp"
#include "shared/result.hpp"

namespace muster::kiosk {

// Settings the desk keeps (the store's settings table).
inline constexpr std::string_view kSettingDeskSecretKey = kSettingDeviceSecretKey; // MUSK1
inline constexpr std::string_view kSettingDeskPrintDir = "desk.print_dir";
inline constexpr std::string_view kSettingDeskPrinter = "desk.printer"; // lp -d NAME; empty: none

// The desk's key is the kiosk's device key (kiosk_settings.hpp ensure_device_key).
Result<SigningKey, SettingsError> ensure_desk_key(KioskStore& store);
// The desk key when one was made (nullopt otherwise).
Result<std::optional<SigningKey>, SettingsError> desk_key(const KioskStore& store);

// --demo --desk: the demo League (its secret key is in DIR/demo, see demo.hpp) certifies this
// desk's key at once, so reprints work in the demo without a server. Idempotent.
Result<Ok, SettingsError> certify_demo_desk(KioskStore& store,
                                            const std::filesystem::path& league_secret_file);

enum class DeskResult : std::uint8_t { checked_in, already_checked_in, rejected };
std::string_view to_string(DeskResult result); // "checked_in", ...

// Why a desk scan was refused: the Checkin reasons for badges, plus not_found (a genuine badge
// of someone missing from this kiosk's roster).
struct DeskOutcome {
  DeskResult result = DeskResult::rejected;
  std::string code;        // "revoked", "not_found", "forged", "unknown_badge", ...
  std::string reason;      // short words: "revoked badge", "not found: see staff"
  std::string detail;      // a sentence for the screen
  std::string attendee_id; // empty when unknown
  std::optional<Attendee> attendee;
  std::string display_name;             // "Loretta Haynes"
  std::optional<Instant> checked_in_at; // this check-in, or the earlier one
  std::string checked_in_local;         // "09:02" in the event's time zone
  std::vector<Session> sessions;        // the day's sessions, by start
  std::optional<Scan> recorded;         // the checkin scan when one was recorded now
};

struct ReprintOutcome {
  bool ok = false;
  std::string message;    // what the screen says (where the file is, or why not)
  std::string old_serial; // empty: none known
  std::string new_serial;
  std::string payload;          // the new badge's QR payload
  std::filesystem::path image;  // the PNG written
  bool sent_to_printer = false; // handed to the print queue (lp runs off this thread)
  std::optional<Scan> recorded;
};

struct DeskOptions {
  // Where reprinted badge PNGs go; empty: the setting, else DATA/reprints (the caller's default).
  std::filesystem::path print_dir;
  // Printer for `lp -d`; nullopt: the setting (empty: no printer, files only).
  std::optional<std::string> printer;
  std::string lp_command = "lp"; // found on PATH; tests point it elsewhere
};

class Desk {
public:
  // The store must outlive the Desk and stay on this thread.
  static Result<Desk, CheckinError> open(KioskStore& store, DeskOptions options = {});
  // Re-reads the event, trust and settings (after an import or a sync).
  Result<Ok, CheckinError> reload();

  // A badge scan: verify offline, then record the check-in (once per attendee).
  DeskOutcome scan(const RawScan& scan);
  // Staff check someone in without a badge (found by name): staff id and reason are recorded.
  DeskOutcome check_in_by_staff(std::string_view attendee_id, std::string_view staff_id,
                                std::string_view reason, Instant at,
                                std::chrono::milliseconds monotonic);
  // Reprints a lost badge: a new serial signed by the desk key, the old serial (given, else the
  // last one this kiosk saw for the attendee) revoked here at once, a reprint scan recorded,
  // the badge PNG written to the print folder and sent to the printer when one is configured.
  ReprintOutcome reprint(std::string_view attendee_id, std::string_view staff_id,
                         std::string_view reason, Instant at, std::chrono::milliseconds monotonic,
                         std::string old_serial = {});

  Result<std::vector<Attendee>, StoreError> search(std::string_view query) const;
  // The attendee's event check-in on this kiosk (the first one), if any.
  [[nodiscard]] std::optional<Scan> check_in_of(std::string_view attendee_id) const;
  // The event's sessions on the local day of `at`, by start.
  [[nodiscard]] std::vector<Session> day_sessions(Instant at) const;
  // Whether this desk can reprint: it has a key and the League certified it (the package).
  [[nodiscard]] bool can_reprint(Instant at) const;

  [[nodiscard]] const Event& event() const { return event_; }
  [[nodiscard]] const std::string& device_id() const { return device_id_; }
  // The boot id recorded with every scan (shared/boot_id.hpp); the simulated clock replaces it.
  [[nodiscard]] const std::string& boot_id() const { return boot_id_; }
  void set_boot_id(std::string boot_id) { boot_id_ = std::move(boot_id); }
  [[nodiscard]] const std::filesystem::path& print_dir() const { return options_.print_dir; }
  [[nodiscard]] std::string local_time(Instant at) const; // "09:02"
  // Blocks until the reprints handed to the printer were printed (tests, headless runs).
  void wait_for_printing() { printer_queue_->wait_idle(); }
  // Print jobs that failed since the last call (the staff screen says so).
  [[nodiscard]] int take_print_failures() { return printer_queue_->take_failures(); }

private:
  Desk(KioskStore& store, DeskOptions options) : store_(&store), options_(std::move(options)) {}
  DeskOutcome greet(std::string_view attendee_id, Instant at);
  DeskOutcome record_check_in(Scan draft, Instant at);

  KioskStore* store_;
  DeskOptions options_;
  std::shared_ptr<PrintQueue> printer_queue_ = std::make_shared<PrintQueue>();
  Event event_;
  std::optional<TrustStore> trust_;
  std::string device_id_;
  std::string boot_id_ = current_boot_id();
  std::string printer_;
};

// The headless desk JSON object for one outcome, on one line.
std::string desk_outcome_json(const DeskOutcome& outcome);
// `muster-kiosk --desk headless`: reads scans until end of input; returns lines answered.
std::size_t run_desk_headless(Desk& desk, std::istream& in, std::ostream& out,
                              const HeadlessOptions& options);

} // namespace muster::kiosk
