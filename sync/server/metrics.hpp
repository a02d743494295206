#pragma once
// In-process counters for GET /metrics, rendered in the Prometheus text format (version 0.0.4).
// Counters are per server instance (Prometheus sums instances); devices' last-seen times come
// from the store so they survive a restart and agree across instances.
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "shared/domain.hpp"

namespace muster::server {

struct DeviceSeen {
  std::string device_id;
  std::string name;
  std::optional<Instant> last_seen;
  std::uint64_t rollbacks = 0; // times a kiosk of this device was found restored or cloned
};

class Metrics {
public:
  void count_request(std::string_view endpoint, int status);
  void add_scans_stored(std::uint64_t count);
  void count_rejected_batch(std::string_view reason);
  // A kiosk found restored from an old backup (or cloned) continued on a new branch.
  void count_rollback();
  // How long the oldest scan newly stored by a device's latest push waited on the device
  // (receive time minus its corrected scan time; 0 when the push stored nothing new).
  void set_sync_lag(std::string_view device_id, std::chrono::milliseconds lag);

  [[nodiscard]] std::uint64_t scans_stored() const;
  // The full exposition text, # HELP and # TYPE included.
  [[nodiscard]] std::string render(std::span<const DeviceSeen> devices) const;

private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::uint64_t> requests_;
  std::map<std::string, std::uint64_t, std::less<>> rejected_batches_;
  std::map<std::string, double, std::less<>> sync_lag_seconds_;
  std::uint64_t scans_stored_ = 0;
  std::uint64_t rollbacks_ = 0;
};

// A Prometheus label value with \, " and newline escaped.
std::string escape_label_value(std::string_view value);

} // namespace muster::server
