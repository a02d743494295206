#pragma once
// Shared by the server (sync/server) and the kiosk's sync client (sync/client): one codec.
// The JSON form of scans on the wire (sync/PROTOCOL.md, "Scan object"): field names exactly as
// in shared/domain.hpp Scan, times as integer milliseconds since the Unix epoch (UTC), digests
// as 64 lower-case hex characters. Strict about types, lenient about unknown fields (ignored,
// so a newer kiosk can add fields without breaking an older server).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shared/clock_correction.hpp"
#include "shared/domain.hpp"
#include "shared/result.hpp"

namespace muster {

inline constexpr std::size_t kMaxScansPerBatch = 5000;
inline constexpr std::size_t kMaxIdLength = 128;       // ids of attendees, sessions, devices...
inline constexpr std::size_t kMaxTextLength = 2000;    // reason
inline constexpr std::size_t kMaxDetailsLength = 8000; // details: a JSON object's text
inline constexpr std::size_t kMaxBootIdLength = 64;    // a boot id (a UUID: 36 characters)
inline constexpr std::size_t kMaxClockSamplesPerBatch = 1000;

// Why a request body was refused; `field` is a path like "scans[3].sequence" ("" for the body).
enum class BodyErrorKind : std::uint8_t {
  malformed_json, // not JSON at all                              -> 400
  missing_field,  // a required field is absent                   -> 400
  wrong_type,     // present with another JSON type               -> 400
  invalid_value,  // right type, value out of range or too long   -> 400
  too_many_scans, // more than kMaxScansPerBatch                   -> 413
};
std::string_view to_string(BodyErrorKind kind); // the wire error code, e.g. "missing_field"

struct BodyError {
  BodyErrorKind kind = BodyErrorKind::malformed_json;
  std::string field;
};

struct ScanBatch {
  std::optional<std::string> event_id; // optional: when present it must be the device's event
  std::vector<Scan> scans;
  // The device's clock samples (sync/PROTOCOL.md "Clock"); optional, may come without scans.
  std::vector<ClockSample> clock_samples;
};

// {"event_id"?: "...", "scans": [scan, ...], "clock_samples"?: [sample, ...]}. device_id may be
// omitted in a scan (the path's device is meant); it is left empty here and filled by the caller.
Result<ScanBatch, BodyError> parse_scan_batch(std::string_view body);

// One scan as a JSON object text (every field written), and a batch body.
std::string scan_to_json(const Scan& scan);
std::string scan_batch_to_json(std::span<const Scan> scans,
                               std::optional<std::string_view> event_id = std::nullopt,
                               std::span<const ClockSample> clock_samples = {});

// {"code": "...", "device_name"?: "...", "device_id"?: "...", "device_public_key"?: "MUPK1..."}
// for POST /api/v1/devices; device_id and device_public_key come together or not at all.
struct ProvisionRequest {
  std::string code;
  std::string device_name;
  std::string device_id;         // the kiosk's own id (empty: the server makes one)
  std::string device_public_key; // the kiosk's device key, MUPK1 text
};
Result<ProvisionRequest, BodyError> parse_provision_request(std::string_view body);

} // namespace muster
