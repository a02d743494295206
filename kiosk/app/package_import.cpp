#include "kiosk/app/package_import.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <iterator>
#include <sstream>
#include <vector>

#include "kiosk/app/kiosk_settings.hpp"

namespace muster::kiosk {

namespace {

std::vector<std::string> stored_lines(const KioskStore& store, std::string_view key) {
  std::vector<std::string> lines;
  std::istringstream in(setting_or(store, key, ""));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::uint64_t stored_cursor(const KioskStore& store) {
  auto cursor = store.cursor(kPackageCursor);
  if (!cursor || !cursor->has_value()) return 0;
  std::uint64_t value = 0;
  const auto& text = **cursor;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

Error<PackageImportError> store_failure(std::string_view what, const std::string& message) {
  return fail(PackageImportError::store, std::string(what) + ": " + message);
}

// The League keys this kiosk trusts now (none before its first package).
std::vector<PublicKey> trusted_keys(const KioskStore& store) {
  std::vector<PublicKey> trusted;
  for (const auto& line : stored_lines(store, kSettingLeagueKeys)) {
    if (auto key = parse_public_key(line)) trusted.push_back(*key);
  }
  return trusted;
}

// A verified package may still not fit this kiosk: another League's, or a delta whose base
// this kiosk never loaded.
Result<Ok, PackageImportError> check_fits_this_kiosk(const KioskStore& store,
                                                     const EventPackage& package) {
  const auto league = setting_or(store, kSettingLeagueId, "");
  if (!league.empty() && league != package.league_id) {
    return fail(PackageImportError::other_league,
                "this kiosk belongs to League " + league + ", the package to League " +
                    package.league_id + "; use a new --data folder for another League");
  }
  if (package.since_cursor > stored_cursor(store) || (package.since_cursor > 0 && !store.event())) {
    return fail(PackageImportError::missing_base,
                "this package only holds changes since cursor " +
                    std::to_string(package.since_cursor) +
                    ", and this kiosk has not loaded them; import a full package first");
  }
  return Ok{};
}

// The event (with its programs), the roster and the revoked serials the package carries.
Result<Ok, PackageImportError> save_event_roster_and_revocations(KioskStore& store,
                                                                 const EventPackage& package) {
  if (package.event) {
    if (auto saved = store.replace_event(*package.event); !saved) {
      return store_failure("saving the event", saved.message());
    }
    if (auto saved = save_event_programs(store, *package.event); !saved) {
      return store_failure("saving the event's programs", saved.message());
    }
  }
  if (auto saved = store.upsert_roster(package.attendees); !saved) {
    return store_failure("saving the roster", saved.message());
  }
  if (auto saved = store.add_revoked_serials(package.revoked_serials); !saved) {
    return store_failure("saving revoked serials", saved.message());
  }
  return Ok{};
}

// Keys accumulate: a key the kiosk trusted stays trusted for badges until a package
// leaves it out of a full package (key removal is the League's decision).
std::vector<PublicKey> keys_to_keep(const EventPackage& package,
                                    const std::vector<PublicKey>& trusted) {
  std::vector<PublicKey> keys = package.league_keys;
  if (package.since_cursor == 0) return keys;
  for (const auto& key : trusted) {
    if (std::none_of(keys.begin(), keys.end(),
                     [&](const PublicKey& k) { return k.key_id == key.key_id; })) {
      keys.push_back(key);
    }
  }
  return keys;
}

// Device certificates accumulate the same way: a delta adds to those the kiosk holds.
std::vector<DeviceCertificate> certificates_to_keep(const KioskStore& store,
                                                    const EventPackage& package) {
  std::vector<DeviceCertificate> certificates = package.device_certificates;
  if (package.since_cursor == 0) return certificates;
  for (const auto& line : stored_lines(store, kSettingDeviceCertificates)) {
    auto certificate = parse_device_certificate(line);
    if (certificate && std::none_of(certificates.begin(), certificates.end(), [&](const auto& c) {
          return c.device_key.key_id == certificate->device_key.key_id;
        })) {
      certificates.push_back(*certificate);
    }
  }
  return certificates;
}

PackageSummary summary_of(const EventPackage& package, std::size_t league_keys,
                          std::size_t device_certificates, bool trusted_on_first_use) {
  PackageSummary summary;
  summary.league_id = package.league_id;
  if (package.event) {
    summary.event_id = package.event->id;
    summary.sessions = package.event->sessions.size();
  }
  summary.attendees = package.attendees.size();
  summary.revoked_serials = package.revoked_serials.size();
  summary.league_keys = league_keys;
  summary.device_certificates = device_certificates;
  summary.cursor = package.cursor;
  summary.trusted_on_first_use = trusted_on_first_use;
  return summary;
}

} // namespace

Result<PackageSummary, PackageImportError> import_package(KioskStore& store,
                                                          std::string_view envelope) {
  const std::vector<PublicKey> trusted = trusted_keys(store);
  auto opened = open_package(envelope, trusted);
  if (!opened) {
    return fail(PackageImportError::refused, "the event package was refused (" +
                                                 std::string(to_string(opened.code())) +
                                                 "): " + opened.message());
  }
  const EventPackage& package = *opened;
  if (auto fits = check_fits_this_kiosk(store, package); !fits) return fits.error();
  if (auto saved = save_event_roster_and_revocations(store, package); !saved) return saved.error();
  const std::vector<PublicKey> keys = keys_to_keep(package, trusted);
  const std::vector<DeviceCertificate> certificates = certificates_to_keep(store, package);
  if (auto saved = save_trust(store, package.league_id, keys, certificates); !saved) {
    return store_failure("saving the League keys", saved.message());
  }
  if (auto saved = store.set_cursor(kPackageCursor, std::to_string(package.cursor)); !saved) {
    return store_failure("saving the package cursor", saved.message());
  }
  return summary_of(package, keys.size(), certificates.size(), trusted.empty());
}

Result<PackageSummary, PackageImportError> import_package_file(KioskStore& store,
                                                               const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return fail(PackageImportError::io, "cannot read " + path.string() + ": " + ec.message());
  if (size > kMaxPackageBytes) {
    return fail(PackageImportError::refused,
                path.string() + " is too large to be an event package");
  }
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in && !in.eof()) return fail(PackageImportError::io, "cannot read " + path.string());
  return import_package(store, bytes);
}

} // namespace muster::kiosk
