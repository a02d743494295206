#pragma once
// The staff PIN that guards staff mode: kept only as an Argon2id hash (libsodium
// crypto_pwhash_str) in the store's settings. After 5 wrong PINs in a row the PIN pad locks,
// for 30 s, then twice as long after each further wrong PIN, capped at 5 minutes; a streak of
// wrong PINs is forgotten 15 minutes after its last one. The count and the lock survive a
// restart because they live in the store too.
// Decision: a passer-by tapping wrong PINs must not keep staff out for long (an hour
// was reachable), while guessing stays slow: after the free tries at most one guess per 5
// minutes, about 12 an hour, so a 4-digit PIN takes hundreds of hours on average.
#include <chrono>
#include <cstdint>
#include <string_view>

#include "shared/domain.hpp"
#include "shared/kiosk_store.hpp"
#include "shared/result.hpp"

namespace muster::kiosk {

inline constexpr std::string_view kSettingStaffPinHash = "staff.pin_hash";
inline constexpr std::string_view kSettingStaffPinFailures = "staff.pin_failures";
inline constexpr std::string_view kSettingStaffPinLockedUntil = "staff.pin_locked_until"; // ISO
inline constexpr int kStaffPinFreeAttempts = 5;
inline constexpr std::chrono::seconds kStaffPinFirstLockout{30};
inline constexpr std::chrono::seconds kStaffPinMaxLockout{300};
inline constexpr std::chrono::minutes kStaffPinForgetFailuresAfter{15};
inline constexpr std::string_view kSettingStaffPinLastFailure = "staff.pin_last_failure"; // ISO
inline constexpr std::string_view kDemoStaffPin = "1234";

enum class PinError : std::uint8_t {
  store,   // the store could not be read or written
  invalid, // not 4 to 12 digits
  hashing, // libsodium could not hash (out of memory)
};

enum class PinVerdict : std::uint8_t { accepted, wrong, locked, not_set };

struct PinCheck {
  PinVerdict verdict = PinVerdict::wrong;
  int attempts_left = 0;              // wrong: before the next lockout
  std::chrono::seconds locked_for{0}; // locked (also after the wrong PIN that locks)
};

// 4 to 12 ASCII digits.
bool valid_pin_text(std::string_view pin);

// The lockout after `failures` wrong PINs in a row: 0 below 5, then 30 s, 60 s, 120 s, 240 s,
// 5 min (the cap).
std::chrono::seconds pin_lockout_after(int failures);

class StaffPin {
public:
  explicit StaffPin(KioskStore& store) : store_(&store) {}

  // Sets (replaces) the PIN and clears failures and lockout.
  Result<Ok, PinError> set(std::string_view pin);
  [[nodiscard]] bool is_set() const;
  // Sets the demo PIN unless a PIN is already set.
  Result<Ok, PinError> ensure_demo();

  // Checks a PIN at `now`. While locked, the PIN is not even compared.
  Result<PinCheck, PinError> check(std::string_view pin, Instant now);
  // Seconds left of a lockout at `now` (0: not locked).
  [[nodiscard]] std::chrono::seconds locked_for(Instant now) const;
  [[nodiscard]] int failures() const;

private:
  KioskStore* store_;
};

} // namespace muster::kiosk
