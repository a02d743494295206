#pragma once
// What the event page, its counts and timeline JSON and the live pages' events need of one
// event, computed once per change of its data and shared by every request and the live
// notifier: compute_credits' rows (the presence rule over every door's scans; the counts are
// derived from them at each request's `now`, since inside-now moves with the clock), the
// timeline JSON, and each door's pushed scans. docs/console.md, "Live updates", has the design.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sync/server/admin_commands.hpp"
#include "sync/server/web/event_counts.hpp"

namespace muster::server::web {

struct EventView {
  Event event;                 // as it was when computed
  std::vector<CreditRow> rows; // compute_credits
  std::string timeline_json;   // timelines_json of the rows (does not move with the clock)
  DoorScans doors; // each device's stored scans of the event, clock-corrected (door_rows)
};

class EventViews {
public:
  // A view kept longer than this is computed again even when its key did not change: the key
  // covers this server's changes (`generation`, LiveHub::published) and every stored scan of
  // the event (corrections and other servers' or the CLI's pushes too), not a roster or
  // walk-in change made by the CLI, which shows within this time.
  static constexpr std::chrono::seconds kMaxAge{5};

  // The view of `event`, reused while `generation`, the event's stored scan count and its
  // sessions are what they were when it was computed (and it is younger than kMaxAge).
  // Concurrent callers for one event wait for a single computation. nullptr when the store
  // failed (`error` says why; a failure is not kept).
  std::shared_ptr<const EventView> get(ServerStore& store, const Event& event,
                                       std::uint64_t generation, std::string& error);

  [[nodiscard]] std::uint64_t computations() const;

private:
  struct Entry {
    std::mutex computing;
    std::uint64_t generation = 0;
    std::uint64_t scans = 0;
    std::string sessions;
    std::chrono::steady_clock::time_point at{};
    std::shared_ptr<const EventView> view;
  };
  mutable std::mutex mutex_; // guards the map and the count only
  std::map<std::string, std::shared_ptr<Entry>, std::less<>> entries_;
  std::uint64_t computations_ = 0;
};

// What the live pages' events carry (LiveHub::set_payload): the counts at `now` and the
// timeline, {"counts":{counts_json},"timeline":{timelines_json}}.
std::string live_payload(const EventView& view, Instant now);

} // namespace muster::server::web
