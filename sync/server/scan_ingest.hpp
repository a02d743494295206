#pragma once
// The one set of rules a device's scans pass before the server keeps them: the HTTP push
// (POST /api/v1/devices/{id}/scans), a relay's forwarded push and `muster-server import-scans`
// (a kiosk's USB export) all call ingest_scans, so a scan accepted one way is accepted every way.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "shared/domain.hpp"
#include "shared/scan_json.hpp"
#include "sync/server/server_store.hpp"

namespace muster::server {

// What the server answers a batch, independent of how the batch came in. On success status is
// 200 and stored/duplicates/acked_through say what happened; otherwise error_code and message
// say why (the HTTP error body's "code" and "message"), with the extra numeric fields of the
// error object (e.g. "sequence") and of the body's top level (e.g. "acked_through").
struct IngestAnswer {
  int status = 200;
  std::string error_code;
  std::string message;
  std::vector<std::pair<std::string, std::uint64_t>> error_fields;
  std::vector<std::pair<std::string, std::uint64_t>> top_fields;
  // Set when the batch was refused for a reason /metrics counts (muster_rejected_batches_total).
  std::string metric_label;
  // Set when the store failed (the caller answers 503 and may drop the connection); the other
  // fields then mean nothing.
  std::optional<Error<DbError>> store_error;

  std::uint64_t stored = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t acked_through = 0;
  // How long the oldest newly stored scan waited on the device (0 when nothing new was stored).
  std::chrono::milliseconds lag{0};

  [[nodiscard]] bool ok() const { return status == 200 && !store_error; }
};

// Checks and stores one batch of `device`'s scans, in this order: the batch's event, the scans'
// device ids, implausible times, sessions, corrections' authority, badges (a reprint must be
// signed by a certified desk valid at `now`), the chain and the store's rules, and then the
// batch's clock samples. Nothing of a refused batch is stored. The scans are sorted by sequence
// (a client may send them in any order) and scans without a device id get the device's.
IngestAnswer ingest_scans(ServerStore& store, const DeviceRecord& device, ScanBatch batch,
                          Instant now);

// The JSON body of an answer, exactly as the HTTP API sends it (sync/PROTOCOL.md): the success
// object, or {"error":{"code", "message", ...error_fields}, ...top_fields}. Not for store_error.
std::string ingest_answer_body(const IngestAnswer& answer);

} // namespace muster::server
