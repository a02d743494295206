#pragma once
// The kiosk's settings (key/value rows in the KioskStore) and what is derived from them: the
// device id, the clock offset, the door's room, and the League trust a badge is verified with.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "shared/badge.hpp"
#include "shared/kiosk_setting_names.hpp"
#include "shared/kiosk_store.hpp"
#include "shared/result.hpp"

namespace muster::kiosk {

// Setting names (the store's settings table), besides those the sync client shares
// (shared/kiosk_setting_names.hpp). Keys and certificates are one text form per line.
// The device's Ed25519 key (MUSK1, a secret). The name is the registration desk's: one kiosk
// has one key, and a desk's certified key is its device key (stores made before keep theirs).
inline constexpr std::string_view kSettingDeviceSecretKey = "desk.secret_key";
inline constexpr std::string_view kSettingRoom = "room";
inline constexpr std::string_view kSettingSessionOverride = "session_override"; // staff's pick
inline constexpr std::string_view kSettingLeadTimeMin = "lead_time_min";
inline constexpr std::string_view kSettingLeagueId = "league_id";
inline constexpr std::string_view kSettingLeagueKeys = "league_public_keys";          // MUPK1 lines
inline constexpr std::string_view kSettingDeviceCertificates = "device_certificates"; // MUC1
// The event's credit programs and the roles they make eligible, from the last package with the
// event (one name a line): the store's event table has no place for them.
inline constexpr std::string_view kSettingEventPrograms = "event_programs";
inline constexpr std::string_view kSettingEligibleRoles = "event_eligible_roles";

enum class SettingsError : std::uint8_t {
  store,      // the store could not be read or written
  not_set_up, // no League trust yet: import an event package (or run --demo)
  invalid,    // a stored or given value is not valid (bad key text, bad device id, ...)
};

// The device id from settings; on first use a random one ("K-" + 12 hex digits) is created
// and kept, so scans from one kiosk always form one chain. The device key is made with it
// (ensure_device_key), so a kiosk has its whole identity from its first start.
Result<std::string, SettingsError> ensure_device_id(KioskStore& store);
// The device key: made once ("DESK-" + device id), then always the same. It signs the kiosk's
// scan exports, proves its id when provisioning and, certified, a desk's reprinted badges.
Result<SigningKey, SettingsError> ensure_device_key(KioskStore& store);
// The device key when one was made (nullopt otherwise).
Result<std::optional<SigningKey>, SettingsError> device_key(const KioskStore& store);
// Sets the device id (--device-id). Refused once this store holds scans of another id, which
// would split the device's hash chain.
Result<Ok, SettingsError> set_device_id(KioskStore& store, std::string_view device_id);

// The clock offset estimate from the last sync; 0 when never synced or unreadable.
std::int64_t clock_offset_ms(const KioskStore& store);

// The trust a badge is verified with: League id, League keys, certified device keys.
// Revoked serials stay in the store (KioskStore::is_revoked), which may hold many.
Result<TrustStore, SettingsError> load_trust(const KioskStore& store);
// Saves the League id and keys (replacing earlier ones) and the device certificates.
Result<Ok, SettingsError> save_trust(KioskStore& store, std::string_view league_id,
                                     std::span<const PublicKey> league_keys,
                                     std::span<const DeviceCertificate> certificates);

// Keeps the event's programs and eligible roles (package import) / puts them back on the event
// read from the store (unset: the defaults, the ALM program's mayors and councilmembers).
Result<Ok, SettingsError> save_event_programs(KioskStore& store, const Event& event);
void load_event_programs(const KioskStore& store, Event& event);

// A setting, or `fallback` when unset or unreadable.
std::string setting_or(const KioskStore& store, std::string_view key, std::string fallback);

} // namespace muster::kiosk
