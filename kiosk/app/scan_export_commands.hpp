#pragma once
// The kiosk's identity and its scans on a USB stick (docs/deployment.md "USB-only venue"):
//   muster-kiosk --data DIR device-key [--out FILE]
//   muster-kiosk --data DIR export-scans --out FILE [--since-last-export]
// The file format is shared/scan_export.hpp; `muster-server import-scans` reads it.
#include <filesystem>
#include <ostream>
#include <string>

#include "shared/kiosk_store.hpp"

namespace muster::kiosk {

// Where the last export ended (a setting), for --since-last-export.
inline constexpr std::string_view kSettingLastExportSequence = "export.last_sequence";

// Prints the device id, the fingerprint and the public key (MUPK1); with `out_file`, also
// writes them there as "device_id ID", "fingerprint FP" and "public_key MUPK1..." lines (for
// `muster-server register-device --key FILE`). Nothing secret leaves the store.
int run_device_key(KioskStore& store, const std::filesystem::path& out_file, std::ostream& out,
                   std::ostream& err);

struct ExportScansOptions {
  std::filesystem::path out_file;
  bool since_last_export = false; // only what was recorded after the previous export
};

// Writes this device's chain (and the clock samples the server has not had) signed with the
// device key. The file is written whole to FILE.part, flushed, then renamed: a stick pulled
// out mid-write leaves no half file under the final name.
int run_export_scans(KioskStore& store, const ExportScansOptions& options, std::ostream& out,
                     std::ostream& err);

} // namespace muster::kiosk
