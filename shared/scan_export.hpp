#pragma once
// A kiosk's scans on a USB stick (`muster-kiosk export-scans`, `muster-server import-scans`):
// a line-oriented text file, so a refusal can name the line (docs/formats.md "Scan export").
//
//   line 1      {"format":"muster-scans-v1","device_id":..,"event_id":..,"league_id":..,
//                "device_public_key":"MUPK1..","first_sequence":..,"last_sequence":..,..}
//   then        one scan per line, in sequence order, in the protocol's scan JSON
//   then        {"clock_samples":[...]} lines (the protocol's clock samples), if any
//   last line   {"signature":"<128 hex>"}: Ed25519 by the device key over "MUX1." followed by
//               every byte of the file before this line
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shared/badge.hpp"
#include "shared/clock_correction.hpp"
#include "shared/domain.hpp"
#include "shared/result.hpp"

namespace muster {

inline constexpr std::string_view kScanExportFormat = "muster-scans-v1";

struct ScanExportHeader {
  std::string device_id;
  std::string event_id;
  std::string league_id;
  PublicKey device_key;
  std::uint64_t first_sequence = 0; // 0 with last_sequence 0: no scans
  std::uint64_t last_sequence = 0;
  Instant exported_at{};
};

struct ScanExport {
  ScanExportHeader header;
  std::vector<Scan> scans; // first_sequence..last_sequence, chained
  std::vector<ClockSample> clock_samples;
};

enum class ExportFault : std::uint8_t {
  unreadable,    // not the format: a line that is not what its place needs
  bad_scan,      // a scan line is not a valid scan of this device's chain
  bad_hash,      // a scan line's hash does not match its content (edited)
  broken_chain,  // a scan line does not follow the one before it
  bad_signature, // the signature line is missing or does not verify (altered, truncated)
};
std::string_view to_string(ExportFault fault);

// Where and why a file was refused; the message starts with "line N: ".
struct ExportProblem {
  ExportFault fault = ExportFault::unreadable;
  std::size_t line = 0; // 1-based
};

// The file's text. The scans must be one device's consecutive chain (as the kiosk store holds
// it); `key` is the device key whose public half is header.device_key.
std::string write_scan_export(const ScanExportHeader& header, std::span<const Scan> scans,
                              std::span<const ClockSample> clock_samples, const SigningKey& key);

// Checks every line (format, scan JSON, each scan's hash and link to the one before) and the
// signature against the key the header names. Who that key belongs to is the reader's call.
Result<ScanExport, ExportProblem> read_scan_export(std::string_view text);

// The signature of the signature line ("MUX1." + text); for the writer and tests.
Signature sign_scan_export_text(std::string_view export_text, const SigningKey& key);

// What a person compares between the kiosk's screen and the server's prompt: the first 80 bits
// of BLAKE2b-256 over the 32 key bytes, as five groups of four upper-case hex digits.
std::string key_fingerprint(const PublicKey& key);

} // namespace muster
