#include "sync/server/web/event_counts.hpp"
#include "sync/server/web/staff_correction.hpp"

#include <algorithm>
#include <map>

#include "shared/time.hpp"
#include <nlohmann/json.hpp>

namespace muster::server {

bool inside_now(const CreditRow& row, Instant now) {
  const Attendance& a = row.attendance;
  if (!a.first_arrival || *a.first_arrival > now) return false;
  if (now >= row.session.end) return false;
  for (const auto& interval : a.intervals) {
    if (interval.from <= now && now < interval.to) return true;
  }
  // Arrived in the lead time before the start: the intervals begin at the start.
  return now < row.session.start && !a.final_leave;
}

std::vector<SessionCounts> count_sessions(const Event& event, std::span<const CreditRow> rows,
                                          Instant now) {
  std::vector<SessionCounts> counts;
  std::map<std::string, std::size_t> index;
  for (const auto& session : event.sessions) {
    index.emplace(session.id, counts.size());
    counts.push_back(SessionCounts{session});
  }
  for (const auto& row : rows) {
    auto found = index.find(row.session.id);
    if (found == index.end()) continue;
    SessionCounts& c = counts[found->second];
    if (row.attendance.first_arrival) ++c.arrived;
    if (inside_now(row, now)) ++c.inside;
    if (row.attendance.early_leave) ++c.left_early;
  }
  return counts;
}

DoorScans count_door_scans(std::span<const Scan> event_scans) {
  DoorScans counted;
  for (const auto& scan : event_scans) {
    DoorScanCount& door = counted[scan.device_id];
    if (door.scans++ == 0 || scan.sequence > door.latest_sequence) {
      door.latest_sequence = scan.sequence;
      door.latest_offset_ms = scan.clock_offset_ms;
    }
  }
  return counted;
}

std::vector<DoorRow> door_rows(const std::string& event_id, std::span<const DeviceRecord> devices,
                               std::span<const Scan> event_scans, Instant now,
                               std::chrono::minutes stale_after) {
  return door_rows(event_id, devices, count_door_scans(event_scans), now, stale_after);
}

std::vector<DoorRow> door_rows(const std::string& event_id, std::span<const DeviceRecord> devices,
                               const DoorScans& scans, Instant now,
                               std::chrono::minutes stale_after) {
  std::vector<DoorRow> rows;
  for (const auto& device : devices) {
    // The console's corrections device (staff_correction.hpp) is not a door and never syncs.
    if (device.event_id != event_id || is_console_device(device.id)) continue;
    DoorRow row;
    row.device = device;
    if (auto found = scans.find(device.id); found != scans.end()) {
      row.scans = found->second.scans;
      row.clock_offset_ms = found->second.latest_offset_ms;
    }
    row.stale = !device.last_seen || now - *device.last_seen > stale_after;
    rows.push_back(std::move(row));
  }
  std::sort(rows.begin(), rows.end(), [](const DoorRow& a, const DoorRow& b) {
    return std::tie(a.device.name, a.device.id) < std::tie(b.device.name, b.device.id);
  });
  return rows;
}

std::string counts_json(const Event& event, const std::vector<SessionCounts>& counts, Instant now) {
  nlohmann::json sessions = nlohmann::json::array();
  for (const auto& c : counts) {
    sessions.push_back({{"id", c.session.id},
                        {"arrived", c.arrived},
                        {"inside", c.inside},
                        {"left_early", c.left_early}});
  }
  return nlohmann::json{{"event_id", event.id}, {"as_of", format_utc(now)}, {"sessions", sessions}}
      .dump();
}

} // namespace muster::server
