#include "sync/server/device_commands.hpp"

#include <chrono>
#include <fstream>
#include <sstream>

#include "shared/badge.hpp"
#include "shared/scan_export.hpp"
#include "sync/server/admin_commands.hpp"
#include "sync/server/scan_ingest.hpp"

namespace muster::server {
namespace {

// A USB export of a kiosk that scanned for years is far smaller; a bigger file is not one.
constexpr std::uintmax_t kMaxExportBytes = 1ULL << 30U;

Instant now_ms() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

int failed(std::ostream& err, std::string_view command, std::string_view message) {
  err << "muster-server " << command << ": " << message << '\n';
  return 1;
}

bool read_text(const std::string& path, std::string& text, std::string& error) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    error = "cannot read " + path + ": " + ec.message();
    return false;
  }
  if (size > kMaxExportBytes) {
    error = path + " is larger than 1 GiB: not a scan export";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (!in) {
    error = "cannot read " + path;
    return false;
  }
  text = buffer.str();
  return true;
}

// The same key, whatever id its text gives it: the 32 key bytes are the identity.
bool same_key(std::string_view stored_text, const PublicKey& key) {
  auto stored = parse_public_key(stored_text);
  return stored && stored->bytes == key.bytes;
}

std::string trimmed(std::string line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
    line.pop_back();
  const auto start = line.find_first_not_of(" \t");
  return start == std::string::npos ? std::string() : line.substr(start);
}

} // namespace

int run_register_device(const RegisterDeviceOptions& options, std::ostream& out,
                        std::ostream& err) {
  constexpr std::string_view kCommand = "register-device";
  std::string text;
  std::string error;
  if (!read_text(options.key_file, text, error)) return failed(err, kCommand, error);
  // `muster-kiosk device-key --out` writes "device_id", "fingerprint" and "public_key" lines;
  // a bare MUPK1 line (certify-desk's form) works with --device-id.
  std::string device_id = options.device_id;
  std::string key_text;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    line = trimmed(line);
    if (line.rfind("device_id ", 0) == 0) {
      const std::string named = trimmed(line.substr(10));
      if (!options.device_id.empty() && named != options.device_id) {
        return failed(err, kCommand,
                      "the key file names device " + named + ", --device-id says " +
                          options.device_id);
      }
      device_id = named;
    } else if (line.rfind("public_key ", 0) == 0) {
      key_text = trimmed(line.substr(11));
    } else if (line.rfind("MUPK1", 0) == 0) {
      key_text = line;
    }
  }
  if (key_text.empty()) {
    return failed(err, kCommand,
                  options.key_file + " holds no public key (make it with 'muster-kiosk "
                                     "device-key --out FILE' on the kiosk)");
  }
  auto key = parse_public_key(key_text);
  if (!key) return failed(err, kCommand, options.key_file + ": " + key.message());
  if (device_id.empty()) {
    return failed(err, kCommand, "the key file does not name the device: give --device-id");
  }
  if (!is_valid_badge_id(device_id)) {
    return failed(err, kCommand,
                  "device id '" + device_id + "' must be 1 to 64 of A-Z a-z 0-9 - _");
  }
  auto store = open_existing_store(options.database);
  if (!store) return failed(err, kCommand, store.message());
  DeviceRecord wanted;
  wanted.id = device_id;
  wanted.event_id = options.event_id;
  wanted.name = options.name.empty() ? device_id : options.name;
  wanted.public_key = to_text(*key);
  auto device = (*store)->register_device(wanted, now_ms());
  if (!device) {
    if (device.code() == DbError::conflict) {
      return failed(err, kCommand,
                    "device " + device_id +
                        " is registered with another key: this key file is from another kiosk "
                        "(or the kiosk's store was replaced); nothing changed");
    }
    return failed(err, kCommand, device.message());
  }
  out << "Registered device " << device->id << " (" << device->name << ", event "
      << device->event_id << "), key fingerprint " << key_fingerprint(*key) << '\n';
  if (device->event_id != options.event_id) {
    out << "Note: the device was known already, for event " << device->event_id
        << "; its event is unchanged (provision it with a code of the new event)\n";
  }
  return 0;
}

namespace {

// The file's device: the registered one whose key signed it, or one registered now when
// --accept-key names the file's key. nullopt with `error` (the whole message) otherwise.
std::optional<DeviceRecord> file_device(ServerStore& store, const ImportScansOptions& options,
                                        const ScanExportHeader& header,
                                        const std::string& fingerprint, std::ostream& out,
                                        std::string& error) {
  auto device = store.device(header.device_id);
  if (!device && device.code() != DbError::not_found) {
    error = device.message();
    return std::nullopt;
  }
  const bool known_key = device && same_key(device->public_key, header.device_key);
  if (known_key) return std::move(device.value());
  if (device && !device->public_key.empty()) {
    auto registered = parse_public_key(device->public_key);
    error = options.file + ": device " + header.device_id +
            " is registered with another key (fingerprint " +
            (registered ? key_fingerprint(*registered) : std::string("unreadable")) +
            "), the file is signed with key " + fingerprint +
            ": it is not that device's file; nothing was stored";
    return std::nullopt;
  }
  const std::string unknown = device ? "device " + header.device_id + " has no registered key"
                                     : "device " + header.device_id + " is not registered";
  if (options.accept_key.empty()) {
    error = options.file + ": " + unknown + ". The file's device key fingerprint is " +
            fingerprint +
            ": compare it with the one the kiosk shows ('muster-kiosk device-key'), then import "
            "again with --accept-key " +
            fingerprint +
            " (or register the key with 'muster-server register-device'); nothing was stored";
    return std::nullopt;
  }
  if (trimmed(options.accept_key) != fingerprint) {
    error = options.file + ": --accept-key " + options.accept_key +
            " is not this file's device key fingerprint (" + fingerprint +
            "); check the kiosk; nothing was stored";
    return std::nullopt;
  }
  DeviceRecord wanted;
  wanted.id = header.device_id;
  wanted.event_id = header.event_id;
  wanted.name = options.name.empty() ? header.device_id : options.name;
  wanted.public_key = to_text(header.device_key);
  auto registered = store.register_device(wanted, now_ms());
  if (!registered) {
    error = "registering device " + header.device_id + ": " + registered.message() +
            "; nothing was stored";
    return std::nullopt;
  }
  out << "Registered device " << registered->id << " with key " << fingerprint << '\n';
  return std::move(registered.value());
}

// Why the file's scans were refused, with the line of the scan and what the server holds.
std::string refusal_text(const ImportScansOptions& options, const ScanExportHeader& header,
                         const IngestAnswer& answer) {
  std::string where;
  for (const auto& [name, value] : answer.error_fields) {
    if ((name == "sequence" || name == "first_bad_sequence") && value >= header.first_sequence &&
        value <= header.last_sequence) {
      // Line 1 is the header; scan lines follow in sequence order.
      where = "line " + std::to_string(value - header.first_sequence + 2) + ": ";
    }
  }
  std::string detail;
  for (const auto& [name, value] : answer.top_fields) {
    if (name == "acked_through") {
      detail =
          " (the server holds this device's scans 1 to " + std::to_string(value) +
          (header.first_sequence > value + 1 ? "; import the export with the scans before " +
                                                   std::to_string(header.first_sequence) + " first)"
                                             : ")");
    }
  }
  // Samples are stored after the scans' transaction: only then is something already kept.
  const bool scans_kept = answer.error_code == "invalid_sample";
  return options.file + ": " + where + answer.message + detail + " [" + answer.error_code + "]; " +
         (scans_kept ? "the scans were stored, the clock samples were not" : "nothing was stored");
}

void print_imported(std::ostream& out, const ImportScansOptions& options,
                    const ScanExportHeader& header, const IngestAnswer& answer) {
  if (answer.stored == 0) {
    out << "Nothing new in " << options.file << ": all " << answer.duplicates << " scans of device "
        << header.device_id << " were already stored; the database is unchanged\n";
    return;
  }
  out << "Imported " << options.file << ": " << answer.stored << " new scans of device "
      << header.device_id << " stored";
  if (answer.duplicates > 0) out << ", " << answer.duplicates << " already stored";
  out << "; the server holds its scans 1 to " << answer.acked_through << '\n';
}

} // namespace

int run_import_scans(const ImportScansOptions& options, std::ostream& out, std::ostream& err) {
  constexpr std::string_view kCommand = "import-scans";
  std::string text;
  std::string error;
  if (!read_text(options.file, text, error)) return failed(err, kCommand, error);
  auto file = read_scan_export(text);
  if (!file) {
    return failed(err, kCommand,
                  options.file + ": " + file.message() + " (" +
                      std::string(to_string(file.code().fault)) + "); nothing was stored");
  }
  const ScanExportHeader& header = file->header;
  const std::string fingerprint = key_fingerprint(header.device_key);

  auto store = open_existing_store(options.database);
  if (!store) return failed(err, kCommand, store.message());
  auto league = (*store)->league();
  if (!league) return failed(err, kCommand, league.message());
  if (header.league_id != league->id) {
    return failed(err, kCommand,
                  options.file + ": the file is from a kiosk of League '" + header.league_id +
                      "', this database is League '" + league->id + "'; nothing was stored");
  }
  const auto device = file_device(**store, options, header, fingerprint, out, error);
  if (!device) return failed(err, kCommand, error);

  ScanBatch batch;
  batch.event_id = header.event_id;
  batch.scans = file->scans;
  batch.clock_samples = file->clock_samples;
  const auto answer = ingest_scans(**store, *device, std::move(batch), now_ms());
  if (!answer.ok()) return failed(err, kCommand, refusal_text(options, header, answer));
  print_imported(out, options, header, answer);
  if (!file->clock_samples.empty()) {
    out << file->clock_samples.size() << " clock samples kept\n";
  }
  return 0;
}

} // namespace muster::server
