#pragma once
// Per-session counts for the console's event page, derived from compute_credits' rows (the
// presence rule's attendance): who arrived, who is inside at `now`, who left early.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sync/server/admin_commands.hpp"

namespace muster::server {

struct SessionCounts {
  Session session;
  std::size_t arrived = 0;    // rows with a counted arrival
  std::size_t inside = 0;     // arrived, not left, the session not over at `now`
  std::size_t left_early = 0; // the attendance's early leave
};

// Inside now: the session has not ended and `now` falls in an attended interval, or (before the
// start, in the lead time) the arrival is already there.
bool inside_now(const CreditRow& row, Instant now);

// One entry per session of the event, in the event's session order.
std::vector<SessionCounts> count_sessions(const Event& event, std::span<const CreditRow> rows,
                                          Instant now);

// {"event_id":..,"as_of":..,"sessions":[{"id","arrived","inside","left_early"}]}
std::string counts_json(const Event& event, const std::vector<SessionCounts>& counts, Instant now);

// One door (device) of the event for the console's doors table.
struct DoorRow {
  DeviceRecord device;
  std::size_t scans = 0; // the device's scans stored on the server for this event
  // Server - device clock at its latest scan, as the server places it when given the event's
  // clocked scans (scan_clock.hpp: the door's clock samples; the kiosk's own estimate without).
  std::optional<std::int64_t> clock_offset_ms;
  bool stale = false; // never synced, or not for `stale_after`
};

inline constexpr std::chrono::minutes kDoorStaleAfter{10};

// Each device's stored scans of one event: how many, and the clock offset of its latest.
struct DoorScanCount {
  std::size_t scans = 0;
  std::optional<std::int64_t> latest_offset_ms;
  std::uint64_t latest_sequence = 0;
};
using DoorScans = std::map<std::string, DoorScanCount, std::less<>>;
DoorScans count_door_scans(std::span<const Scan> event_scans);

// The event's devices, sorted by name then id, with their pushed scans counted.
std::vector<DoorRow> door_rows(const std::string& event_id, std::span<const DeviceRecord> devices,
                               std::span<const Scan> event_scans, Instant now,
                               std::chrono::minutes stale_after = kDoorStaleAfter);
// The same from the counted scans (the console keeps them per change, event_view.hpp).
std::vector<DoorRow> door_rows(const std::string& event_id, std::span<const DeviceRecord> devices,
                               const DoorScans& scans, Instant now,
                               std::chrono::minutes stale_after = kDoorStaleAfter);

} // namespace muster::server
