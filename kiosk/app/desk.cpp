#include "kiosk/app/desk.hpp"

#include <sodium.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <istream>
#include <ostream>
#include <sstream>
#include <system_error>
#include <utility>

#include "kiosk/app/badge_image.hpp"
#include "kiosk/app/kiosk_settings.hpp"
#include "shared/sodium_init.hpp"
#include "shared/text.hpp"
#include "shared/time.hpp"

namespace muster::kiosk {

namespace {

void refuse(DeskOutcome& outcome, std::string code, std::string reason, std::string detail) {
  outcome.result = DeskResult::rejected;
  outcome.code = std::move(code);
  outcome.reason = std::move(reason);
  outcome.detail = std::move(detail);
}

// A refused badge in the words of the door's outcomes (checkin.hpp): code and short words.
std::pair<std::string, std::string> badge_refusal(BadgeError error) {
  const CheckinReason reason = reason_for(error);
  return {std::string(to_string(reason)), std::string(reason_words(reason))};
}

std::string hex(std::size_t bytes) {
  if (!sodium_started()) return std::string(bytes * 2, '0');
  std::string out;
  constexpr std::string_view kHex = "0123456789ABCDEF";
  for (std::size_t i = 0; i < bytes; ++i) {
    const auto byte = static_cast<unsigned char>(randombytes_uniform(256));
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0x0F]);
  }
  return out;
}

// "<old>-R<n>": the old serial without an earlier "-R<n>", with the next n; random when unknown
// or too long for a badge id.
std::string next_serial(std::string_view old_serial) {
  if (!old_serial.empty()) {
    std::string base(old_serial);
    int n = 1;
    if (const auto at = base.rfind("-R");
        at != std::string::npos && at + 2 < base.size() &&
        std::all_of(base.begin() + static_cast<std::ptrdiff_t>(at) + 2, base.end(),
                    [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }) &&
        base.size() - at <= 6) {
      n = std::atoi(base.c_str() + at + 2) + 1;
      base.resize(at);
    }
    std::string serial = base + "-R" + std::to_string(n);
    if (is_valid_badge_id(serial)) return serial;
  }
  return "R" + hex(8);
}

// Tokens for a file name: the serial is a badge id, so already safe.
std::string shell_quote(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

bool on_path(const std::string& program) {
  if (program.find('/') != std::string::npos) {
    std::error_code ec;
    return std::filesystem::exists(program, ec);
  }
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  std::string_view rest = path;
  while (!rest.empty()) {
    const auto colon = rest.find(':');
    const auto dir = rest.substr(0, colon);
    std::error_code ec;
    if (!dir.empty() && std::filesystem::exists(std::filesystem::path(dir) / program, ec)) {
      return true;
    }
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return false;
}

// The last badge serial this kiosk saw for the attendee, or "".
std::string last_badge_serial(const KioskStore& store, std::string_view attendee_id) {
  auto scans = store.scans_for_attendee(attendee_id);
  if (!scans) return {};
  const Scan* last = nullptr;
  for (const auto& scan : *scans) {
    if (scan.badge_serial.empty()) continue;
    if (last == nullptr || scan.wall_time >= last->wall_time) last = &scan;
  }
  return last != nullptr ? last->badge_serial : std::string();
}

// The next serial after `old_serial` that is not revoked here (at most 20 tries).
std::string unrevoked_serial_after(const KioskStore& store, const std::string& old_serial) {
  std::string serial = next_serial(old_serial);
  for (int attempt = 0; attempt < 20; ++attempt) {
    auto revoked = store.is_revoked(serial);
    if (revoked && !*revoked) break;
    serial = next_serial(serial);
  }
  return serial;
}

// The reprinted badge's image in `print_dir` (outcome.image); false, with the outcome's message
// saying so, when it could not be written (the reprint itself is recorded: outcome.ok).
bool write_reprint_image(ReprintOutcome& outcome, const Attendee& attendee,
                         const std::string& event_name, const std::filesystem::path& print_dir) {
  const std::string& serial = outcome.new_serial;
  const std::string& old_serial = outcome.old_serial;
  std::error_code ec;
  std::filesystem::create_directories(print_dir, ec);
  outcome.image = print_dir / (attendee.id + "-" + serial + ".png");
  const std::string name = full_name(attendee);
  std::string subtitle = std::string(to_string(attendee.role));
  if (!attendee.municipality.empty()) subtitle += ", " + attendee.municipality;
  auto written = write_badge_png(outcome.image, outcome.payload, {name, subtitle, event_name});
  outcome.ok = true;
  if (!written) {
    outcome.message =
        "New badge " + serial + " recorded (old " +
        (old_serial.empty() ? std::string("serial unknown") : old_serial + " revoked") +
        "), but the image could not be written: " + written.message();
    return false;
  }
  return true;
}

// The new badge's payload, signed with the desk's key; nullopt with `message` saying why when it
// cannot be signed or the League has not certified the key (no door would accept it).
std::optional<std::string> reprint_payload(const TrustStore& trust, const SigningKey& key,
                                           std::string_view attendee_id, const std::string& serial,
                                           Instant at, std::string& message) {
  auto payload = sign_badge({trust.league_id(), std::string(attendee_id), serial}, key);
  if (!payload) {
    message = "Cannot sign the new badge: " + payload.message();
    return std::nullopt;
  }
  // The desk's own certificate (from the package) must vouch for its key, or no door would
  // accept the reprint.
  if (auto verified = trust.verify(*payload, at); !verified) {
    message = "Reprint refused: this desk's key " + key.key_id() +
              " is not certified by the League (" + std::string(to_string(verified.code())) +
              "). Run 'muster-server certify-desk' with the key from 'muster-kiosk "
              "desk-key', then import the new event package or sync.";
    return std::nullopt;
  }
  return *payload;
}

} // namespace

std::string_view to_string(DeskResult result) {
  switch (result) {
  case DeskResult::checked_in:
    return "checked_in";
  case DeskResult::already_checked_in:
    return "already_checked_in";
  case DeskResult::rejected:
    return "rejected";
  }
  return "rejected";
}

Result<std::optional<SigningKey>, SettingsError> desk_key(const KioskStore& store) {
  return device_key(store);
}

Result<SigningKey, SettingsError> ensure_desk_key(KioskStore& store) {
  return ensure_device_key(store);
}

Result<Ok, SettingsError> certify_demo_desk(KioskStore& store,
                                            const std::filesystem::path& league_secret_file) {
  std::ifstream in(league_secret_file);
  std::string text;
  if (!in || !std::getline(in, text)) {
    return fail(SettingsError::invalid, "cannot read " + league_secret_file.string());
  }
  auto league_key = parse_signing_key(trim(text, kWhitespace));
  if (!league_key) return fail(SettingsError::invalid, "demo League key: " + league_key.message());
  auto desk = ensure_desk_key(store);
  if (!desk) return desk.error();
  const auto league_id = setting_or(store, kSettingLeagueId, "");
  auto certificate = certify_device(league_id, desk->public_key(), std::nullopt, *league_key);
  if (!certificate) return fail(SettingsError::invalid, certificate.message());
  std::vector<PublicKey> keys;
  std::vector<DeviceCertificate> certificates{*certificate};
  std::istringstream key_lines(setting_or(store, kSettingLeagueKeys, ""));
  for (std::string line; std::getline(key_lines, line);) {
    if (auto key = parse_public_key(trim(line, kWhitespace))) keys.push_back(*key);
  }
  std::istringstream cert_lines(setting_or(store, kSettingDeviceCertificates, ""));
  for (std::string line; std::getline(cert_lines, line);) {
    auto other = parse_device_certificate(trim(line, kWhitespace));
    if (other && other->device_key.key_id != desk->key_id()) certificates.push_back(*other);
  }
  return save_trust(store, league_id, keys, certificates);
}

Result<Desk, CheckinError> Desk::open(KioskStore& store, DeskOptions options) {
  Desk desk(store, std::move(options));
  if (auto loaded = desk.reload(); !loaded) return loaded.error();
  return desk;
}

Result<Ok, CheckinError> Desk::reload() {
  auto setup = load_kiosk_setup(*store_);
  if (!setup) return setup.error();
  event_ = std::move(setup->event);
  trust_ = std::move(setup->trust);
  device_id_ = std::move(setup->device_id);
  if (options_.print_dir.empty()) {
    options_.print_dir = setting_or(*store_, kSettingDeskPrintDir, "");
  }
  if (options_.print_dir.empty()) options_.print_dir = store_->path().parent_path() / "reprints";
  printer_ = options_.printer ? *options_.printer : setting_or(*store_, kSettingDeskPrinter, "");
  return Ok{};
}

std::string Desk::local_time(Instant at) const {
  return format_local(at, event_.timezone, "%H:%M");
}

std::vector<Session> Desk::day_sessions(Instant at) const {
  const auto day = local_date(at, event_.timezone);
  std::vector<Session> out;
  for (const auto& session : event_.sessions) {
    if (local_date(session.start, event_.timezone) == day) out.push_back(session);
  }
  std::sort(out.begin(), out.end(), [](const Session& a, const Session& b) {
    return a.start != b.start ? a.start < b.start : a.id < b.id;
  });
  return out;
}

std::optional<Scan> Desk::check_in_of(std::string_view attendee_id) const {
  auto scans = store_->scans_for_attendee(attendee_id);
  if (!scans) return std::nullopt;
  std::optional<Scan> first;
  for (auto& scan : *scans) {
    if (scan.kind != ScanKind::checkin) continue;
    if (!first || scan.wall_time < first->wall_time) first = std::move(scan);
  }
  return first;
}

Result<std::vector<Attendee>, StoreError> Desk::search(std::string_view query) const {
  return store_->search_roster(query, 20);
}

DeskOutcome Desk::greet(std::string_view attendee_id, Instant at) {
  DeskOutcome outcome;
  outcome.attendee_id = std::string(attendee_id);
  outcome.sessions = day_sessions(at);
  auto attendee = store_->attendee(attendee_id);
  if (!attendee) {
    if (attendee.code() == StoreError::not_found) {
      refuse(outcome, "not_found", "not found: see staff",
             "This badge is genuine, but its holder is not on this desk's roster. Please see "
             "staff.");
    } else {
      refuse(outcome, "not_recorded", "not recorded",
             "This check-in was NOT recorded: " + attendee.message() + ". Please tell staff.");
    }
    return outcome;
  }
  outcome.attendee = *attendee;
  outcome.display_name = full_name(*attendee);
  if (auto earlier = check_in_of(attendee_id)) {
    outcome.result = DeskResult::already_checked_in;
    outcome.checked_in_at = earlier->wall_time;
    outcome.checked_in_local = local_time(earlier->wall_time);
    outcome.detail = "Already checked in at " + outcome.checked_in_local + ".";
    return outcome;
  }
  outcome.result = DeskResult::checked_in;
  return outcome;
}

DeskOutcome Desk::record_check_in(Scan draft, Instant at) {
  auto outcome = greet(draft.attendee_id, at);
  if (outcome.result != DeskResult::checked_in) return outcome;
  draft.device_id = device_id_;
  draft.kind = ScanKind::checkin;
  draft.session_id.clear();
  draft.wall_time = at;
  draft.clock_offset_ms = clock_offset_ms(*store_);
  draft.boot_id = boot_id_;
  auto stored = store_->append_scan(std::move(draft));
  if (!stored) {
    refuse(outcome, "not_recorded", "not recorded",
           "This check-in was NOT recorded: " + stored.message() + ". Please tell staff.");
    return outcome;
  }
  outcome.checked_in_at = stored->wall_time;
  outcome.checked_in_local = local_time(stored->wall_time);
  outcome.detail = "Checked in at " + outcome.checked_in_local + ".";
  outcome.recorded = std::move(*stored);
  return outcome;
}

DeskOutcome Desk::scan(const RawScan& scan) {
  const auto text = trim(scan.text, kWhitespace);
  DeskOutcome outcome;
  if (text.empty()) {
    refuse(outcome, "empty_scan", "empty scan", "Nothing was read. Please scan again.");
    return outcome;
  }
  auto verified = trust_->verify(text, scan.at);
  if (!verified && verified.code() == BadgeError::unknown_key) {
    // A package synced in the background may have brought a key or certificate since open().
    if (auto fresh = load_trust(*store_)) {
      trust_ = std::move(*fresh);
      verified = trust_->verify(text, scan.at);
    }
  }
  if (!verified) {
    auto [code, words] = badge_refusal(verified.code());
    refuse(outcome, code, words,
           verified.code() == BadgeError::unknown_key || verified.code() == BadgeError::malformed
               ? "This is not a badge this desk can verify. Staff can find you by name."
               : "This badge cannot be accepted (" + words + "). Staff can find you by name.");
    return outcome;
  }
  auto revoked = store_->is_revoked(verified->serial);
  if (!revoked) {
    refuse(outcome, "not_recorded", "not recorded",
           "This check-in was NOT recorded: " + revoked.message() + ". Please tell staff.");
    return outcome;
  }
  if (*revoked) {
    outcome = greet(verified->attendee_id, scan.at);
    refuse(outcome, "revoked", "revoked badge",
           "This badge was replaced or cancelled (serial " + verified->serial +
               "). Staff can reprint a badge.");
    outcome.checked_in_at.reset();
    outcome.checked_in_local.clear();
    return outcome;
  }
  Scan draft;
  draft.attendee_id = verified->attendee_id;
  draft.badge_serial = verified->serial;
  draft.badge_payload = std::string(text);
  draft.monotonic_ms = scan.monotonic.count();
  return record_check_in(std::move(draft), scan.at);
}

DeskOutcome Desk::check_in_by_staff(std::string_view attendee_id, std::string_view staff_id,
                                    std::string_view reason, Instant at,
                                    std::chrono::milliseconds monotonic) {
  if (trim(staff_id, kWhitespace).empty() || trim(reason, kWhitespace).empty()) {
    DeskOutcome outcome;
    outcome.attendee_id = std::string(attendee_id);
    refuse(outcome, "invalid_correction", "staff and reason needed",
           "A check-in without a badge needs the staff member and a reason.");
    return outcome;
  }
  Scan draft;
  draft.attendee_id = std::string(attendee_id);
  draft.staff_id = std::string(trim(staff_id, kWhitespace));
  draft.reason = std::string(trim(reason, kWhitespace));
  draft.monotonic_ms = monotonic.count();
  return record_check_in(std::move(draft), at);
}

bool Desk::can_reprint(Instant at) const {
  auto key = desk_key(*store_);
  if (!key || !key->has_value()) return false;
  auto trust = load_trust(*store_); // the desk's certificate may have come with a later sync
  if (!trust) return false;
  auto payload = sign_badge({trust->league_id(), "PROBE", "PROBE"}, **key);
  return payload && trust->verify(*payload, at).ok();
}

ReprintOutcome Desk::reprint(std::string_view attendee_id, std::string_view staff_id,
                             std::string_view reason, Instant at,
                             std::chrono::milliseconds monotonic, std::string old_serial) {
  ReprintOutcome outcome;
  if (trim(staff_id, kWhitespace).empty() || trim(reason, kWhitespace).empty()) {
    outcome.message = "A reprint needs the staff member and a reason.";
    return outcome;
  }
  auto attendee = store_->attendee(attendee_id);
  if (!attendee) {
    outcome.message = "No attendee " + std::string(attendee_id) + " on this desk's roster.";
    return outcome;
  }
  auto key = desk_key(*store_);
  if (!key || !key->has_value()) {
    outcome.message =
        "This desk has no device key: run 'muster-kiosk --data DIR desk-key', have the League "
        "certify it (muster-server certify-desk) and import the new event package.";
    return outcome;
  }
  if (old_serial.empty()) old_serial = last_badge_serial(*store_, attendee_id);
  if (!old_serial.empty() && !is_valid_badge_id(old_serial)) {
    outcome.message = "The old serial '" + old_serial + "' is not a badge serial.";
    return outcome;
  }
  outcome.old_serial = old_serial;
  // The desk's certificate may have come with a sync since open(): reprints use fresh trust.
  if (auto fresh = load_trust(*store_)) trust_ = std::move(*fresh);
  const std::string serial = unrevoked_serial_after(*store_, old_serial);
  auto payload = reprint_payload(*trust_, **key, attendee_id, serial, at, outcome.message);
  if (!payload) return outcome;

  Scan draft;
  draft.device_id = device_id_;
  draft.attendee_id = std::string(attendee_id);
  draft.badge_serial = serial;
  draft.badge_payload = *payload;
  draft.kind = ScanKind::reprint;
  draft.wall_time = at;
  draft.monotonic_ms = monotonic.count();
  draft.clock_offset_ms = clock_offset_ms(*store_);
  draft.boot_id = boot_id_;
  draft.staff_id = std::string(trim(staff_id, kWhitespace));
  draft.reason = std::string(trim(reason, kWhitespace));
  draft.details = nlohmann::json{{"old_serial", old_serial}}.dump();
  auto stored = store_->append_scan(std::move(draft));
  if (!stored) {
    outcome.message = "The reprint was NOT recorded: " + stored.message();
    return outcome;
  }
  outcome.recorded = *stored;
  outcome.new_serial = serial;
  outcome.payload = *payload;
  if (!old_serial.empty()) {
    const std::array<std::string, 1> serials{old_serial};
    if (auto revoked = store_->add_revoked_serials(serials); !revoked) {
      outcome.message = "The reprint was recorded, but the old serial could not be revoked here: " +
                        revoked.message();
      return outcome;
    }
  }

  const std::string name = full_name(*attendee);
  if (!write_reprint_image(outcome, *attendee, event_.name, options_.print_dir)) return outcome;
  if (!printer_.empty() && on_path(options_.lp_command)) {
    const std::string command = shell_quote(options_.lp_command) + " -d " + shell_quote(printer_) +
                                " -- " + shell_quote(outcome.image.string()) + " >/dev/null 2>&1";
    // Queued, not run here: lp can take seconds (or hang on a dead print server) and this is
    // the UI thread.
    printer_queue_->submit(command);
    outcome.sent_to_printer = true;
  }
  outcome.message =
      "New badge " + serial + " for " + name +
      (old_serial.empty() ? std::string(" (no earlier serial known here)")
                          : " (old " + old_serial + " revoked)") +
      (outcome.sent_to_printer ? ": sent to printer " + printer_ + ", file " : ": saved as ") +
      outcome.image.string();
  return outcome;
}

std::string desk_outcome_json(const DeskOutcome& outcome) {
  using json = nlohmann::ordered_json;
  const auto text_or_null = [](const std::string& text) -> json {
    if (text.empty()) return nullptr;
    return text;
  };
  json out;
  out["result"] = std::string(to_string(outcome.result));
  out["attendee"] = text_or_null(outcome.attendee_id);
  out["name"] = text_or_null(outcome.display_name);
  out["municipality"] = outcome.attendee ? text_or_null(outcome.attendee->municipality) : nullptr;
  out["checked_in_at"] = outcome.checked_in_at ? json(format_utc(*outcome.checked_in_at)) : nullptr;
  json sessions = json::array();
  for (const auto& session : outcome.sessions) {
    sessions.push_back({{"id", session.id},
                        {"title", session.title},
                        {"room", session.room},
                        {"start", format_utc(session.start)},
                        {"end", format_utc(session.end)}});
  }
  out["sessions"] = std::move(sessions);
  if (outcome.result == DeskResult::rejected) {
    out["reason"] = outcome.reason;
    out["code"] = outcome.code;
  }
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::size_t run_desk_headless(Desk& desk, std::istream& in, std::ostream& out,
                              const HeadlessOptions& options) {
  ScanClock clock(options.simulated_clock);
  std::size_t answered = 0;
  // A simulated monotonic time is not the boot's: no real clock sample may correct it.
  if (options.simulated_clock) desk.set_boot_id(std::string(kSimulatedBootId));
  for (std::string line; std::getline(in, line);) {
    std::string_view text = line;
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    DeskOutcome outcome;
    if (!clock.take_time(text)) {
      refuse(outcome, "bad_time", "bad time: expected @<ISO 8601 instant with offset> then a space",
             "");
    } else {
      outcome = desk.scan(clock.scan(std::string(text)));
    }
    out << desk_outcome_json(outcome) << '\n' << std::flush;
    ++answered;
  }
  return answered;
}

} // namespace muster::kiosk
