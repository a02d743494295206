#pragma once
// The server's clock correction at read time (sync/PROTOCOL.md "Clock"): every scan of an event
// placed in true time from its device's clock samples (shared/clock_correction.hpp). The stored
// scans never change; credit, forms and review read these corrected copies, so any order of
// syncs gives the same result once the same scans and samples are in.
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "shared/clock_correction.hpp"
#include "shared/domain.hpp"
#include "sync/server/server_store.hpp"

namespace muster::server {

struct ClockedScans {
  // The event's scans with clock_offset_ms replaced by the corrected offset (the original
  // wall time, monotonic time and boot id kept); in the store's order.
  std::vector<Scan> scans;
  std::vector<ScanClock> clocks; // parallel to scans: the carried offset and the flags
  // Devices that sent at least one clock sample. Only their unverified scans are flagged: a
  // client that never measures its clock (or predates samples) gives nothing to judge by.
  std::set<std::string, std::less<>> sampled_devices; // doors (see door_of)
  // Each device's first ancestor (itself unless it is a branch of a restored or cloned kiosk).
  std::map<std::string, std::string, std::less<>> door_of;
  [[nodiscard]] const std::string& door(const std::string& device_id) const {
    const auto found = door_of.find(device_id);
    return found == door_of.end() ? device_id : found->second;
  }
};

DbResult<ClockedScans> clocked_scans_for_event(ServerStore& store, std::string_view event_id);

// Words for staff about the clocks of the scans placed in `session` (same room, counted inside
// its window from the lead time before the start to the end) of `attendee_ids`: "kiosk clock
// corrected by +2 h 00 min", "kiosk clock not verified", "kiosk clock ahead of the server: time
// limited to its receipt". Unique, in a fixed order.
std::vector<std::string> clock_notes(const Event& event, const Session& session,
                                     const std::vector<std::string>& attendee_ids,
                                     const ClockedScans& clocked);
// The same, looking only at `candidates` (indices into clocked.scans that include every scan of
// `attendee_ids`): compute_credits indexes the event's scans by attendee once, instead of
// reading all of them for each row (quadratic in the event's size; issue 19).
std::vector<std::string> clock_notes(const Event& event, const Session& session,
                                     const std::vector<std::string>& attendee_ids,
                                     const ClockedScans& clocked,
                                     const std::vector<std::size_t>& candidates);

} // namespace muster::server
