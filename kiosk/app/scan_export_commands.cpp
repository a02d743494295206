#include "kiosk/app/scan_export_commands.hpp"

#include <charconv>
#include <cstdio>
#include <fstream>

#include "kiosk/app/kiosk_settings.hpp"
#include "kiosk/scan/raw_scan.hpp"
#include "shared/scan_export.hpp"
#include "sync/client/sync_pass.hpp"

namespace muster::kiosk {
namespace {

namespace fs = std::filesystem;

// More than a kiosk records in years of events; a bound for the store's LIMIT.
constexpr std::size_t kMaxExportRows = 50'000'000;

// Writes `text` to `path` via a sibling temporary file, flushed before the rename.
bool write_whole_file(const fs::path& path, const std::string& text, std::string& error) {
  const fs::path part = path.string() + ".part";
  {
    std::ofstream file(part, std::ios::binary | std::ios::trunc);
    if (!file) {
      error = "cannot write " + part.string();
      return false;
    }
    file << text;
    file.flush();
    if (!file) {
      error = "writing " + part.string() + " failed (disk full?)";
      return false;
    }
  }
  // The data must be on the stick before the name says it is complete.
  if (FILE* f = std::fopen(part.c_str(), "rb")) {
    (void)std::fflush(f);
    (void)std::fclose(f);
  }
  std::error_code ec;
  fs::rename(part, path, ec);
  if (ec) {
    error = "cannot rename " + part.string() + " to " + path.string() + ": " + ec.message();
    return false;
  }
  return true;
}

std::uint64_t number_setting(const KioskStore& store, std::string_view key) {
  const std::string text = setting_or(store, key, "0");
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc{} && end == text.data() + text.size() ? value : 0;
}

} // namespace

int run_device_key(KioskStore& store, const fs::path& out_file, std::ostream& out,
                   std::ostream& err) {
  auto id = ensure_device_id(store);
  if (!id) {
    err << "muster-kiosk device-key: " << id.message() << '\n';
    return 1;
  }
  auto key = ensure_device_key(store);
  if (!key) {
    err << "muster-kiosk device-key: " << key.message() << '\n';
    return 1;
  }
  const std::string public_text = to_text(key->public_key());
  if (!out_file.empty()) {
    std::string error;
    // The device id travels with the key: register-device needs both, and nothing secret.
    const std::string file_text = "device_id " + *id + "\nfingerprint " +
                                  key_fingerprint(key->public_key()) + "\npublic_key " +
                                  public_text + "\n";
    if (!write_whole_file(out_file, file_text, error)) {
      err << "muster-kiosk device-key: " << error << '\n';
      return 1;
    }
  }
  out << "device id:   " << *id << '\n'
      << "fingerprint: " << key_fingerprint(key->public_key()) << '\n'
      << "public key:  " << public_text << '\n';
  if (!out_file.empty()) out << "public key written to " << out_file.string() << '\n';
  return 0;
}

int run_export_scans(KioskStore& store, const ExportScansOptions& options, std::ostream& out,
                     std::ostream& err) {
  const auto failed = [&err](const std::string& message) {
    err << "muster-kiosk export-scans: " << message << '\n';
    return 1;
  };
  if (options.out_file.empty()) return failed("--out FILE is required");
  auto id = ensure_device_id(store);
  if (!id) return failed(id.message());
  auto key = ensure_device_key(store);
  if (!key) return failed(key.message());

  ScanExportHeader header;
  header.device_id = *id;
  header.device_key = key->public_key();
  header.exported_at = wall_clock_now();
  header.league_id = setting_or(store, kSettingLeagueId, "");
  // The provisioned event when there is one, else the event of the imported package.
  header.event_id = setting_or(store, sync::kSettingEventId, "");
  if (header.event_id.empty()) {
    auto event = store.event();
    if (!event) {
      return failed(event.code() == StoreError::not_found
                        ? "this kiosk has no event yet: import an event package first "
                          "(muster-kiosk import-package FILE)"
                        : event.message());
    }
    header.event_id = event->id;
  }
  if (header.league_id.empty()) return failed("this kiosk has no League yet: import a package");

  const std::uint64_t after =
      options.since_last_export ? number_setting(store, kSettingLastExportSequence) : 0;
  auto scans = store.scans_after(*id, after, kMaxExportRows);
  if (!scans) return failed(scans.message());
  if (!scans->empty()) {
    header.first_sequence = scans->front().sequence;
    header.last_sequence = scans->back().sequence;
  }
  auto samples = store.unsent_clock_samples(kMaxExportRows);
  if (!samples) return failed(samples.message());
  std::vector<ClockSample> clock_samples;
  for (auto& [row, sample] : *samples)
    clock_samples.push_back(std::move(sample));

  const std::string text = write_scan_export(header, *scans, clock_samples, *key);
  std::string error;
  if (!write_whole_file(options.out_file, text, error)) return failed(error);
  if (!scans->empty()) {
    if (auto saved =
            store.set_setting(kSettingLastExportSequence, std::to_string(header.last_sequence));
        !saved) {
      return failed("the file is written, but where it ended could not be kept: " +
                    saved.message());
    }
  }
  out << "exported " << scans->size() << " scans of device " << *id;
  if (!scans->empty()) {
    out << " (sequence " << header.first_sequence << " to " << header.last_sequence << ")";
  }
  out << " and " << clock_samples.size() << " clock samples to " << options.out_file.string()
      << "\ndevice key fingerprint: " << key_fingerprint(key->public_key()) << '\n';
  return 0;
}

} // namespace muster::kiosk
