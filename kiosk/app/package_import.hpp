#pragma once
// `muster-kiosk import-package FILE`: a kiosk set up from a USB stick, no network. The signed
// event package (shared/event_package.hpp) is verified, then its event, roster, revoked serials,
// League keys and device certificates go into the kiosk store.
//
// Trust: the first package is trusted on first use (its own League key must sign it); its keys
// are kept in settings and every later package must be signed by one of them.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "shared/event_package.hpp"
#include "shared/kiosk_setting_names.hpp" // kPackageCursor
#include "shared/kiosk_store.hpp"
#include "shared/result.hpp"

namespace muster::kiosk {

enum class PackageImportError : std::uint8_t {
  io,           // the file cannot be read
  refused,      // the package did not verify or parse (see the message)
  other_league, // signed for another League than this kiosk's
  missing_base, // a delta package, but this kiosk lacks the changes before it
  store,        // the store refused a write
};

struct PackageSummary {
  std::string league_id;
  std::string event_id; // empty when a delta did not change the event
  std::size_t sessions = 0;
  std::size_t attendees = 0;
  std::size_t revoked_serials = 0;
  std::size_t league_keys = 0;
  std::size_t device_certificates = 0;
  std::uint64_t cursor = 0;
  bool trusted_on_first_use = false;
};

// Verifies against the League keys this kiosk holds, then applies.
Result<PackageSummary, PackageImportError> import_package(KioskStore& store,
                                                          std::string_view envelope);
Result<PackageSummary, PackageImportError> import_package_file(KioskStore& store,
                                                               const std::filesystem::path& path);

} // namespace muster::kiosk
