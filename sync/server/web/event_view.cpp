#include "sync/server/web/event_view.hpp"

#include "shared/time.hpp"
#include "sync/server/scan_clock.hpp"
#include "sync/server/web/timeline.hpp"

namespace muster::server::web {

namespace {

// The part of the event the rows depend on (an edited session changes them): ids and times.
std::string sessions_key(const Event& event) {
  std::string key = event.timezone;
  for (const Session& session : event.sessions) {
    key += '\n' + session.id + ' ' + std::to_string(session.start.time_since_epoch().count()) +
           ' ' + std::to_string(session.end.time_since_epoch().count()) + ' ' +
           std::to_string(session.credit_hours);
  }
  return key;
}

} // namespace

std::shared_ptr<const EventView> EventViews::get(ServerStore& store, const Event& event,
                                                 std::uint64_t generation, std::string& error) {
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard lock(mutex_);
    auto& slot = entries_[event.id];
    if (!slot) slot = std::make_shared<Entry>();
    entry = slot;
  }
  std::lock_guard computing(entry->computing);
  // Read before computing: a change during the computation makes the next caller compute again.
  auto scans = store.event_scan_count(event.id);
  if (!scans) {
    error = scans.message();
    return nullptr;
  }
  const std::string sessions = sessions_key(event);
  const auto now = std::chrono::steady_clock::now();
  if (entry->view && entry->generation == generation && entry->scans == *scans &&
      entry->sessions == sessions && now - entry->at < kMaxAge) {
    return entry->view;
  }
  auto rows = compute_credits(store, event);
  if (!rows) {
    error = rows.message();
    return nullptr;
  }
  // The doors' clock offsets as the server places their scans (scan_clock.hpp): a door whose
  // clock is minutes off shows that, not the offset its kiosk believed when it scanned.
  auto event_scans = clocked_scans_for_event(store, event.id);
  if (!event_scans) {
    error = event_scans.message();
    return nullptr;
  }
  auto view = std::make_shared<EventView>();
  view->event = event;
  view->rows = std::move(*rows);
  view->timeline_json = timelines_json(event, session_timelines(event, view->rows));
  view->doors = count_door_scans(event_scans->scans);
  entry->generation = generation;
  entry->scans = *scans;
  entry->sessions = sessions;
  entry->at = now;
  entry->view = view;
  {
    std::lock_guard lock(mutex_);
    ++computations_;
  }
  return view;
}

std::uint64_t EventViews::computations() const {
  std::lock_guard lock(mutex_);
  return computations_;
}

std::string live_payload(const EventView& view, Instant now) {
  return "{\"counts\":" + counts_json(view.event, count_sessions(view.event, view.rows, now), now) +
         ",\"timeline\":" + view.timeline_json + "}";
}

} // namespace muster::server::web
