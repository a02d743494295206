#include "kiosk/app/kiosk_settings.hpp"

#include <sodium.h>

#include <array>
#include <charconv>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "shared/sodium_init.hpp"

namespace muster::kiosk {

namespace {

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> lines;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
      line.pop_back();
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

} // namespace

std::string setting_or(const KioskStore& store, std::string_view key, std::string fallback) {
  auto value = store.setting(key);
  if (!value || !value->has_value()) return fallback;
  return **value;
}

Result<Ok, SettingsError> save_event_programs(KioskStore& store, const Event& event) {
  std::string programs;
  for (const auto& id : event.programs)
    programs += id + "\n";
  std::string roles;
  for (const Role role : event.eligible_roles)
    roles += std::string(to_string(role)) + "\n";
  for (const auto& [key, value] :
       {std::pair{kSettingEventPrograms, programs}, std::pair{kSettingEligibleRoles, roles}}) {
    if (auto saved = store.set_setting(key, value); !saved) {
      return fail(SettingsError::store, saved.message());
    }
  }
  return Ok{};
}

void load_event_programs(const KioskStore& store, Event& event) {
  const auto lines = [&](std::string_view key) -> std::optional<std::vector<std::string>> {
    auto value = store.setting(key);
    if (!value || !value->has_value()) return std::nullopt;
    std::vector<std::string> out;
    std::istringstream in(**value);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) out.push_back(line);
    }
    return out;
  };
  if (auto programs = lines(kSettingEventPrograms)) event.programs = *programs;
  if (auto names = lines(kSettingEligibleRoles)) {
    event.eligible_roles.clear();
    for (const auto& name : *names) {
      if (auto role = parse_role(name)) event.eligible_roles.push_back(*role);
    }
  }
}

namespace {

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> random(bytes);
  randombytes_buf(random.data(), random.size());
  std::string out;
  constexpr std::string_view kHex = "0123456789ABCDEF";
  for (const unsigned char byte : random) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0x0F]);
  }
  return out;
}

// The device key for `device_id`, made and kept when there is none yet.
Result<SigningKey, SettingsError> make_device_key_once(KioskStore& store,
                                                       std::string_view device_id) {
  auto existing = device_key(store);
  if (!existing) return existing.error();
  if (existing->has_value()) return std::move(**existing);
  std::string key_id = "DESK-" + std::string(device_id);
  if (!is_valid_badge_id(key_id)) key_id = "DESK-" + random_hex(6);
  auto key = SigningKey::generate(key_id);
  if (!key) return fail(SettingsError::invalid, "cannot make a device key: " + key.message());
  if (auto saved = store.set_setting(kSettingDeviceSecretKey, key->to_secret_text()); !saved) {
    return fail(SettingsError::store, saved.message());
  }
  return std::move(*key);
}

} // namespace

Result<std::string, SettingsError> ensure_device_id(KioskStore& store) {
  auto existing = store.setting(kSettingDeviceId);
  if (!existing) return fail(SettingsError::store, existing.message());
  if (!sodium_started()) return fail(SettingsError::store, "libsodium could not start");
  std::string id =
      existing->has_value() && !(*existing)->empty() ? **existing : "K-" + random_hex(6);
  if (!existing->has_value() || (*existing)->empty()) {
    if (auto saved = store.set_setting(kSettingDeviceId, id); !saved) {
      return fail(SettingsError::store, saved.message());
    }
  }
  // A store that cannot take the key now (opened read-only to recover scans) still has its id;
  // the commands that need the key make it (ensure_device_key) and say why they cannot.
  const bool new_id = !existing->has_value() || (*existing)->empty();
  if (auto key = make_device_key_once(store, id); !key && new_id) return key.error();
  return id;
}

Result<std::optional<SigningKey>, SettingsError> device_key(const KioskStore& store) {
  auto text = store.setting(kSettingDeviceSecretKey);
  if (!text) return fail(SettingsError::store, text.message());
  if (!text->has_value() || (*text)->empty()) return std::optional<SigningKey>{};
  auto key = parse_signing_key(**text);
  if (!key) return fail(SettingsError::invalid, "the stored device key: " + key.message());
  return std::optional<SigningKey>(std::move(*key));
}

Result<SigningKey, SettingsError> ensure_device_key(KioskStore& store) {
  auto device = ensure_device_id(store);
  if (!device) return device.error();
  return make_device_key_once(store, *device);
}

Result<Ok, SettingsError> set_device_id(KioskStore& store, std::string_view device_id) {
  if (!is_valid_badge_id(device_id)) {
    return fail(SettingsError::invalid,
                "device id '" + std::string(device_id) + "' must be 1 to 64 of A-Z a-z 0-9 - _");
  }
  auto current = store.setting(kSettingDeviceId);
  if (!current) return fail(SettingsError::store, current.message());
  if (current->has_value() && **current != device_id) {
    auto scans = store.last_sequence(**current);
    if (!scans) return fail(SettingsError::store, scans.message());
    if (*scans > 0) {
      return fail(SettingsError::invalid, "this kiosk already recorded scans as device " +
                                              **current +
                                              "; changing its id would split its scan chain");
    }
  }
  if (auto saved = store.set_setting(kSettingDeviceId, device_id); !saved) {
    return fail(SettingsError::store, saved.message());
  }
  return Ok{};
}

std::int64_t clock_offset_ms(const KioskStore& store) {
  const auto text = setting_or(store, kSettingClockOffsetMs, "0");
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return 0;
  return value;
}

Result<TrustStore, SettingsError> load_trust(const KioskStore& store) {
  const auto league_id = setting_or(store, kSettingLeagueId, "");
  if (league_id.empty()) {
    return fail(SettingsError::not_set_up,
                "this kiosk has no League keys yet: import an event package (or run --demo)");
  }
  auto trust = TrustStore::for_league(league_id);
  if (!trust) return fail(SettingsError::invalid, "stored League id: " + trust.message());
  for (const auto& line : lines_of(setting_or(store, kSettingLeagueKeys, ""))) {
    auto key = parse_public_key(line);
    if (!key) return fail(SettingsError::invalid, "stored League key: " + key.message());
    if (auto added = trust->add_league_key(*key); !added) {
      return fail(SettingsError::invalid, "stored League key: " + added.message());
    }
  }
  for (const auto& line : lines_of(setting_or(store, kSettingDeviceCertificates, ""))) {
    auto certificate = parse_device_certificate(line);
    // A certificate that no longer checks (its League key was removed) just stops trusting
    // that device's reprints; the rest of the kiosk keeps working.
    if (certificate) (void)trust->add_device_certificate(*certificate);
  }
  return std::move(*trust);
}

Result<Ok, SettingsError> save_trust(KioskStore& store, std::string_view league_id,
                                     std::span<const PublicKey> league_keys,
                                     std::span<const DeviceCertificate> certificates) {
  if (!is_valid_badge_id(league_id)) {
    return fail(SettingsError::invalid, "League id '" + std::string(league_id) + "' is not valid");
  }
  std::string keys;
  for (const auto& key : league_keys)
    keys += to_text(key) + "\n";
  std::string certs;
  for (const auto& certificate : certificates)
    certs += to_text(certificate) + "\n";
  for (const auto& [name, value] : std::array<std::pair<std::string_view, std::string_view>, 3>{
           {{kSettingLeagueId, league_id},
            {kSettingLeagueKeys, keys},
            {kSettingDeviceCertificates, certs}}}) {
    if (auto saved = store.set_setting(name, value); !saved) {
      return fail(SettingsError::store, saved.message());
    }
  }
  return Ok{};
}

} // namespace muster::kiosk
