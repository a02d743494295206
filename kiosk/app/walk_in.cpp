#include "kiosk/app/walk_in.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <utility>

#include "kiosk/app/kiosk_settings.hpp"
#include "shared/badge.hpp"
#include "shared/text.hpp"

namespace muster::kiosk {

namespace {

std::optional<std::string> field_problem(std::string_view value, std::string_view what,
                                         bool required) {
  const auto text = trim(value);
  if (required && text.empty()) return "Enter " + std::string(what) + ".";
  if (text.size() > kMaxWalkInField) {
    return "The " + std::string(what.substr(what.find(' ') + 1)) + " is too long (at most " +
           std::to_string(kMaxWalkInField) + " characters).";
  }
  if (!is_printable_utf8(text)) {
    return "The " + std::string(what.substr(what.find(' ') + 1)) +
           " has characters that cannot be printed (tabs, control keys).";
  }
  return std::nullopt;
}

std::uint64_t next_number(const KioskStore& store) {
  const auto text = setting_or(store, kSettingWalkInNext, "1");
  std::uint64_t number = 1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc{} || end != text.data() + text.size() || number == 0) number = 1;
  return number;
}

// True when the id names nobody yet on this kiosk: not in the roster and no scan of it (a
// registration whose roster write failed still holds its id).
bool unused(const KioskStore& store, const std::string& id) {
  if (store.attendee(id)) return false;
  auto scans = store.scans_for_attendee(id);
  return scans && scans->empty();
}

} // namespace

bool is_walk_in_id(std::string_view attendee_id) {
  return attendee_id.substr(0, kWalkInPrefix.size()) == kWalkInPrefix;
}

std::optional<std::string> walk_in_problem(const WalkInForm& form) {
  if (auto problem = field_problem(form.first_name, "a first name", true)) return problem;
  if (auto problem = field_problem(form.last_name, "a last name", true)) return problem;
  const auto role = parse_role(trim(form.role));
  if (!role) return "Choose a role: mayor, councilmember, clerk, staff or guest.";
  // An official's credit goes to a municipality's record; a guest may come from elsewhere.
  const bool official =
      *role == Role::mayor || *role == Role::councilmember || *role == Role::clerk;
  if (auto problem = field_problem(form.municipality, "a municipality", official)) return problem;
  if (auto problem = field_problem(form.reason, "a reason", true)) return problem;
  return std::nullopt;
}

Result<WalkInResult, WalkInError> register_walk_in(KioskStore& store, Checkin& checkin,
                                                   const WalkInForm& form,
                                                   std::string_view staff_id, Instant at,
                                                   std::chrono::milliseconds monotonic) {
  if (auto problem = walk_in_problem(form)) return fail(WalkInError::invalid, *problem);
  if (trim(staff_id).empty()) {
    return fail(WalkInError::invalid, "A walk-in needs the staff member's id.");
  }

  WalkInResult result;
  Attendee& attendee = result.attendee;
  attendee.first_name = std::string(trim(form.first_name));
  attendee.last_name = std::string(trim(form.last_name));
  attendee.municipality = std::string(trim(form.municipality));
  attendee.role = *parse_role(trim(form.role));

  auto number = next_number(store);
  for (;; ++number) {
    attendee.id = std::string(kWalkInPrefix) + checkin.device_id() + "-" + std::to_string(number);
    if (!is_valid_badge_id(attendee.id)) {
      return fail(WalkInError::invalid, "This kiosk's device id is too long for walk-in ids.");
    }
    if (unused(store, attendee.id)) break;
  }

  nlohmann::ordered_json details;
  details["first_name"] = attendee.first_name;
  details["last_name"] = attendee.last_name;
  details["role"] = std::string(to_string(attendee.role));
  details["municipality"] = attendee.municipality;

  Scan draft;
  draft.device_id = checkin.device_id();
  draft.attendee_id = attendee.id;
  draft.kind = ScanKind::registration;
  draft.wall_time = at;
  draft.monotonic_ms = monotonic.count();
  draft.clock_offset_ms = checkin.clock_view(at, monotonic).offset_ms;
  draft.boot_id = checkin.boot_id();
  draft.staff_id = std::string(trim(staff_id));
  draft.reason = std::string(trim(form.reason));
  draft.details = details.dump();
  auto stored = store.append_scan(std::move(draft));
  if (!stored) {
    return fail(WalkInError::store, "The walk-in was NOT registered: " + stored.message() + ".");
  }
  result.registration = std::move(*stored);
  // The registration is the fact; the roster row and the counter only make it visible here.
  if (auto added = store.upsert_roster(std::span<const Attendee>(&attendee, 1)); !added) {
    return fail(WalkInError::store, "The walk-in was registered (" + attendee.id +
                                        ") but not added to this kiosk's list: " + added.message() +
                                        ".");
  }
  (void)store.set_setting(kSettingWalkInNext, std::to_string(number + 1));

  if (checkin.door_session(at)) {
    StaffCorrection arrival;
    arrival.attendee_id = attendee.id;
    arrival.kind = Correction::arrive;
    arrival.effective_time = at;
    arrival.at = at;
    arrival.monotonic = monotonic;
    arrival.staff_id = std::string(trim(staff_id));
    arrival.reason = "walk-in: " + std::string(trim(form.reason));
    result.arrival = checkin.correct(arrival);
  }
  return result;
}

} // namespace muster::kiosk
