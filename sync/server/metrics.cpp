#include "sync/server/metrics.hpp"

#include <iomanip>
#include <sstream>

namespace muster::server {

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    switch (c) {
    case '\\':
      out += "\\\\";
      break;
    case '"':
      out += "\\\"";
      break;
    case '\n':
      out += "\\n";
      break;
    default:
      out += c;
    }
  }
  return out;
}

void Metrics::count_request(std::string_view endpoint, int status) {
  const std::lock_guard lock(mutex_);
  ++requests_[{std::string(endpoint), status}];
}

void Metrics::add_scans_stored(std::uint64_t count) {
  const std::lock_guard lock(mutex_);
  scans_stored_ += count;
}

void Metrics::count_rejected_batch(std::string_view reason) {
  const std::lock_guard lock(mutex_);
  auto it = rejected_batches_.find(reason);
  if (it == rejected_batches_.end()) it = rejected_batches_.emplace(std::string(reason), 0).first;
  ++it->second;
}

void Metrics::count_rollback() {
  const std::lock_guard lock(mutex_);
  ++rollbacks_;
}

void Metrics::set_sync_lag(std::string_view device_id, std::chrono::milliseconds lag) {
  const std::lock_guard lock(mutex_);
  sync_lag_seconds_[std::string(device_id)] = static_cast<double>(lag.count()) / 1000.0;
}

std::uint64_t Metrics::scans_stored() const {
  const std::lock_guard lock(mutex_);
  return scans_stored_;
}

std::string Metrics::render(std::span<const DeviceSeen> devices) const {
  const std::lock_guard lock(mutex_);
  std::ostringstream out;
  out.imbue(std::locale::classic());
  out << std::fixed << std::setprecision(3); // for the gauges; integers are unaffected

  out << "# HELP muster_http_requests_total HTTP requests answered, by endpoint and status.\n"
      << "# TYPE muster_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    out << "muster_http_requests_total{endpoint=\"" << escape_label_value(key.first)
        << "\",status=\"" << key.second << "\"} " << count << '\n';
  }

  out << "# HELP muster_scans_stored_total Scans newly stored by this instance (duplicates not "
         "counted).\n"
      << "# TYPE muster_scans_stored_total counter\n"
      << "muster_scans_stored_total " << scans_stored_ << '\n';

  out << "# HELP muster_scan_batches_rejected_total Scan batches refused as a whole, by reason.\n"
      << "# TYPE muster_scan_batches_rejected_total counter\n";
  for (const auto& [reason, count] : rejected_batches_) {
    out << "muster_scan_batches_rejected_total{reason=\"" << escape_label_value(reason) << "\"} "
        << count << '\n';
  }

  out << "# HELP muster_devices Provisioned devices.\n"
      << "# TYPE muster_devices gauge\n"
      << "muster_devices " << devices.size() << '\n';

  out << "# HELP muster_device_last_seen_seconds Unix time of a device's last authenticated "
         "request.\n"
      << "# TYPE muster_device_last_seen_seconds gauge\n";
  for (const auto& device : devices) {
    if (!device.last_seen) continue;
    const auto ms = device.last_seen->time_since_epoch().count();
    out << "muster_device_last_seen_seconds{device=\"" << escape_label_value(device.device_id)
        << "\",name=\"" << escape_label_value(device.name) << "\"} "
        << static_cast<double>(ms) / 1000.0 << '\n';
  }

  out << "# HELP muster_device_rollbacks_total Branches made by this instance for kiosks restored "
         "from an old backup or cloned.\n"
      << "# TYPE muster_device_rollbacks_total counter\n"
      << "muster_device_rollbacks_total " << rollbacks_ << '\n';
  out << "# HELP muster_device_rollbacks Times a device's kiosk was found restored or cloned "
         "(from the database).\n"
      << "# TYPE muster_device_rollbacks gauge\n";
  for (const auto& device : devices) {
    if (device.rollbacks == 0) continue;
    out << "muster_device_rollbacks{device=\"" << escape_label_value(device.device_id)
        << "\",name=\"" << escape_label_value(device.name) << "\"} " << device.rollbacks << '\n';
  }

  out << "# HELP muster_device_sync_lag_seconds Age of the oldest scan newly stored by a "
         "device's latest push when it arrived.\n"
      << "# TYPE muster_device_sync_lag_seconds gauge\n";
  for (const auto& [device, seconds] : sync_lag_seconds_) {
    out << "muster_device_sync_lag_seconds{device=\"" << escape_label_value(device) << "\"} "
        << seconds << '\n';
  }
  return out.str();
}

} // namespace muster::server
