#pragma once
// `muster-kiosk --demo`: everything a kiosk needs without a server. On first run: a demo League
// key, 40 demo attendees, a demo event with sessions today in the local time zone (back to
// back from midnight to midnight, so the kiosk is live whenever it starts), printable badges
// and DIR/demo/badges.tsv. Later runs keep the key, roster and badges and move the sessions to
// the current day.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "shared/domain.hpp"
#include "shared/kiosk_store.hpp"
#include "shared/result.hpp"

namespace muster::kiosk {

inline constexpr std::string_view kDemoLeagueId = "DEMO";
inline constexpr std::string_view kDemoEventId = "demo-event";
inline constexpr std::string_view kDemoRoom = "Ballroom A";
inline constexpr std::size_t kDemoAttendees = 40;

enum class DemoError : std::uint8_t {
  store,      // the store could not be read or written
  io,         // the demo folder or a badge file could not be written
  real_event, // the store holds a real League's event: the demo would mix with it
};

struct DemoInfo {
  bool created = false;             // first run
  std::filesystem::path demo_dir;   // DIR/demo
  std::filesystem::path badges_tsv; // attendee id, name, role, payload (tab-separated, no header)
  std::filesystem::path badges_dir; // one PNG per attendee
  std::string room;                 // the demo door's room
  std::string time_zone;
};

// The machine's IANA time zone (TZ, else /etc/localtime), "UTC" when unknown.
std::string local_time_zone();

// The demo event with its sessions on the local calendar day of `now` in `time_zone`.
Event demo_event(Instant now, std::string_view time_zone);
// The 40 demo attendees (ids DEMO-001 ... DEMO-040, mixed roles and towns).
std::vector<Attendee> demo_roster();

// Creates the demo on first run, or moves its sessions to today. Refuses a store that holds
// another League's trust (real_event).
Result<DemoInfo, DemoError> ensure_demo(KioskStore& store, const std::filesystem::path& data_dir,
                                        Instant now);

} // namespace muster::kiosk
