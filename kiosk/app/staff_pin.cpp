#include "kiosk/app/staff_pin.hpp"

#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <string>

#include "kiosk/app/kiosk_settings.hpp"
#include "shared/sodium_init.hpp"
#include "shared/time.hpp"

namespace muster::kiosk {

namespace {

int stored_failures(const KioskStore& store) {
  const auto text = setting_or(store, kSettingStaffPinFailures, "0");
  int value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc{} && value >= 0 ? value : 0;
}

} // namespace

bool valid_pin_text(std::string_view pin) {
  return pin.size() >= 4 && pin.size() <= 12 &&
         std::all_of(pin.begin(), pin.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::chrono::seconds pin_lockout_after(int failures) {
  if (failures < kStaffPinFreeAttempts) return std::chrono::seconds{0};
  auto lockout = kStaffPinFirstLockout;
  for (int i = kStaffPinFreeAttempts; i < failures && lockout < kStaffPinMaxLockout; ++i) {
    lockout *= 2;
  }
  return std::min(lockout, kStaffPinMaxLockout);
}

Result<Ok, PinError> StaffPin::set(std::string_view pin) {
  if (!valid_pin_text(pin)) return fail(PinError::invalid, "a staff PIN is 4 to 12 digits");
  if (!sodium_started()) return fail(PinError::hashing, "libsodium could not start");
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(hash, pin.data(), pin.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return fail(PinError::hashing, "not enough memory to hash the staff PIN");
  }
  for (const auto& [key, value] :
       {std::pair<std::string_view, std::string>{kSettingStaffPinHash, std::string(hash)},
        {kSettingStaffPinFailures, "0"},
        {kSettingStaffPinLockedUntil, ""}}) {
    if (auto saved = store_->set_setting(key, value); !saved) {
      return fail(PinError::store, "cannot save the staff PIN: " + saved.message());
    }
  }
  return Ok{};
}

bool StaffPin::is_set() const { return !setting_or(*store_, kSettingStaffPinHash, "").empty(); }

Result<Ok, PinError> StaffPin::ensure_demo() {
  if (is_set()) return Ok{};
  return set(kDemoStaffPin);
}

int StaffPin::failures() const { return stored_failures(*store_); }

std::chrono::seconds StaffPin::locked_for(Instant now) const {
  const auto until = parse_iso8601(setting_or(*store_, kSettingStaffPinLockedUntil, ""));
  if (!until || *until <= now) return std::chrono::seconds{0};
  return std::chrono::ceil<std::chrono::seconds>(*until - now);
}

Result<PinCheck, PinError> StaffPin::check(std::string_view pin, Instant now) {
  PinCheck out;
  const auto hash = setting_or(*store_, kSettingStaffPinHash, "");
  if (hash.empty()) {
    out.verdict = PinVerdict::not_set;
    return out;
  }
  if (const auto locked = locked_for(now); locked.count() > 0) {
    out.verdict = PinVerdict::locked;
    out.locked_for = locked;
    return out;
  }
  if (!sodium_started()) return fail(PinError::hashing, "libsodium could not start");
  const bool matches =
      valid_pin_text(pin) && crypto_pwhash_str_verify(hash.c_str(), pin.data(), pin.size()) == 0;
  if (matches) {
    if (stored_failures(*store_) != 0) {
      if (auto saved = store_->set_setting(kSettingStaffPinFailures, "0"); !saved) {
        return fail(PinError::store, "cannot save the PIN attempts: " + saved.message());
      }
    }
    out.verdict = PinVerdict::accepted;
    return out;
  }
  // A streak of wrong PINs long past is forgotten: taps spread over a day do not add up.
  const auto last_failure = parse_iso8601(setting_or(*store_, kSettingStaffPinLastFailure, ""));
  const bool streak_over = !last_failure || now - *last_failure > kStaffPinForgetFailuresAfter;
  const int failures = (streak_over ? 0 : stored_failures(*store_)) + 1;
  if (auto saved = store_->set_setting(kSettingStaffPinFailures, std::to_string(failures));
      !saved) {
    return fail(PinError::store, "cannot save the PIN attempts: " + saved.message());
  }
  if (auto saved = store_->set_setting(kSettingStaffPinLastFailure, format_utc(now)); !saved) {
    return fail(PinError::store, "cannot save the PIN attempts: " + saved.message());
  }
  const auto lockout = pin_lockout_after(failures);
  if (lockout.count() > 0) {
    if (auto saved = store_->set_setting(kSettingStaffPinLockedUntil,
                                         format_utc(now + std::chrono::milliseconds(lockout)));
        !saved) {
      return fail(PinError::store, "cannot save the PIN lockout: " + saved.message());
    }
    out.verdict = PinVerdict::locked;
    out.locked_for = lockout;
    return out;
  }
  out.verdict = PinVerdict::wrong;
  out.attempts_left = kStaffPinFreeAttempts - failures;
  return out;
}

} // namespace muster::kiosk
