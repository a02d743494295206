#include "sync/server/scan_clock.hpp"

#include "shared/boot_id.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <utility>

namespace muster::server {
namespace {

// Offsets smaller than this are a clock that was right (network noise), not one the form
// should mention.
constexpr std::int64_t kNotableChangeMs = 60'000;

} // namespace

DbResult<ClockedScans> clocked_scans_for_event(ServerStore& store, std::string_view event_id) {
  auto scans = store.scans_for_event(event_id);
  if (!scans) return scans.error();
  auto samples = store.clock_samples_for_event(event_id);
  if (!samples) return samples.error();
  auto receipts = store.scan_receipts(event_id);
  if (!receipts) return receipts.error();
  auto devices = store.devices();
  if (!devices) return devices.error();
  // A branch (a restored or cloned kiosk) is the same hardware's clock as its parent: the
  // samples of either place the scans of both, so they are pooled by the first ancestor.
  std::map<std::string, std::string, std::less<>> parent_of;
  for (const DeviceRecord& device : *devices) {
    if (!device.parent_id.empty()) parent_of.emplace(device.id, device.parent_id);
  }
  ClockedScans out;
  for (const DeviceRecord& device : *devices) {
    std::string root = device.id;
    for (int depth = 0; depth < 64; ++depth) {
      const auto parent = parent_of.find(root);
      if (parent == parent_of.end()) break;
      root = parent->second;
    }
    out.door_of.emplace(device.id, std::move(root));
  }
  const auto door = [&out](const std::string& device_id) -> const std::string& {
    const auto found = out.door_of.find(device_id);
    return found == out.door_of.end() ? device_id : found->second;
  };
  std::map<std::string, std::vector<ClockSample>, std::less<>> by_device;
  for (DeviceClockSample& item : *samples)
    by_device[door(item.device_id)].push_back(std::move(item.sample));
  for (const auto& entry : by_device)
    out.sampled_devices.insert(entry.first);
  std::map<std::pair<std::string, std::uint64_t>, Instant> received;
  for (const ScanReceipt& receipt : *receipts)
    received.emplace(std::make_pair(receipt.device_id, receipt.sequence), receipt.received_at);

  out.clocks.reserve(scans->size());
  static const std::vector<ClockSample> kNone;
  for (Scan& scan : *scans) {
    const auto device = by_device.find(door(scan.device_id));
    const auto receipt = received.find(std::make_pair(scan.device_id, scan.sequence));
    const ScanClock clock =
        correct_scan_clock(scan, device == by_device.end() ? kNone : device->second,
                           receipt == received.end() ? std::optional<Instant>{} : receipt->second);
    scan.clock_offset_ms = clock.offset_ms;
    out.clocks.push_back(clock);
  }
  out.scans = std::move(*scans);
  return out;
}

std::vector<std::string> clock_notes(const Event& event, const Session& session,
                                     const std::vector<std::string>& attendee_ids,
                                     const ClockedScans& clocked) {
  std::vector<std::size_t> all(clocked.scans.size());
  for (std::size_t i = 0; i < all.size(); ++i)
    all[i] = i;
  return clock_notes(event, session, attendee_ids, clocked, all);
}

std::vector<std::string> clock_notes(const Event& event, const Session& session,
                                     const std::vector<std::string>& attendee_ids,
                                     const ClockedScans& clocked,
                                     const std::vector<std::size_t>& candidates) {
  std::map<std::string_view, std::string_view> room_of;
  for (const Session& s : event.sessions)
    room_of.emplace(s.id, s.room);
  const Instant window_start =
      session.start -
      std::chrono::duration_cast<std::chrono::milliseconds>(event.credit_policy.lead_time);
  std::set<std::int64_t> changes; // rounded to the minute
  bool not_verified = false;
  bool bounded = false;
  for (const std::size_t i : candidates) {
    const Scan& scan = clocked.scans[i];
    if (!is_attendance(scan.kind)) continue;
    if (std::find(attendee_ids.begin(), attendee_ids.end(), scan.attendee_id) ==
        attendee_ids.end()) {
      continue;
    }
    const auto room = room_of.find(scan.session_id);
    if (room == room_of.end() || room->second != session.room) continue;
    const Instant at = counted_time(scan);
    if (at < window_start || at > session.end) continue;
    const ScanClock& clock = clocked.clocks[i];
    if (clock.bounded) bounded = true;
    // Scans from before boot ids existed, or of a device that never measured its clock, claim
    // nothing about their clock: no flag.
    // Nor do scans of the simulated clock (drills, replays): their times are asserted.
    if (!clock.verified && !scan.boot_id.empty() && scan.boot_id != kSimulatedBootId &&
        clocked.sampled_devices.contains(clocked.door(scan.device_id))) {
      not_verified = true;
    }
    // What the proof did to the kiosk's wall time (a clock 2 h fast: "-2 h 00 min").
    if (clock.verified && std::abs(clock.offset_ms) >= kNotableChangeMs) {
      changes.insert((clock.offset_ms + (clock.offset_ms < 0 ? -30'000 : 30'000)) / 60'000);
    }
  }
  std::vector<std::string> notes;
  for (const std::int64_t minutes : changes)
    notes.push_back("kiosk clock corrected by " + describe_clock_change(minutes * 60'000));
  if (not_verified) notes.emplace_back("kiosk clock not verified");
  if (bounded) {
    notes.emplace_back("kiosk clock ahead of the server: time limited to its receipt");
  }
  return notes;
}

} // namespace muster::server
