#pragma once
// The console's live pages (Server-Sent Events) share one broadcaster: a kiosk's push, a staff
// correction or a close-event publishes once, and every open stream of that event is woken from
// its wait (a condition variable, no polling per page). Each stream has a bounded queue: a
// stream whose writer stopped taking messages (a page that stopped reading blocks its write)
// overflows it and is dropped; the browser reconnects and re-fetches, so nothing is lost.
// One notifier thread watches the store for scans written outside this process (the CLI, a
// second server on the same PostgreSQL). docs/console.md, "Live updates", has the design.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace muster::server {

class LiveHub {
public:
  struct Limits {
    std::size_t max_streams = 100; // more subscribers get nullptr (the page: 503)
    std::size_t queue = 32;        // messages a stream may hold unsent before it is dropped
    std::chrono::milliseconds keep_alive{15'000}; // a comment when nothing else was sent
    std::chrono::milliseconds min_gap{500};      // at most one event per stream per gap (coalesced)
    std::chrono::milliseconds lifetime{600'000}; // then the page reconnects (and re-authenticates)
    std::chrono::milliseconds fresh{1000}; // a payload this young greets a new page (set_payload)
  };

  // The data a page needs for `event_id` (the console: its counts and timeline), a JSON object;
  // nullopt when it cannot be computed now.
  using Payload = std::function<std::optional<std::string>(const std::string& event_id)>;

  class Stream {
  public:
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;
    ~Stream();
    // The next text to write on the wire, waiting at most `wait` (the caller's loop checks for
    // server shutdown between calls): "retry"/first event on the first call, then an event when
    // something was published (queued messages coalesce into one, the latest generation), a
    // keep-alive comment after keep_alive of silence, "" when nothing is due yet, and nullopt
    // when the stream must end (dropped, lifetime over, hub shut down).
    std::optional<std::string> next(std::chrono::milliseconds wait);
    [[nodiscard]] bool dropped() const;

  private:
    friend class LiveHub;
    Stream(LiveHub& hub, std::string event_id);
    LiveHub& hub_;
    std::string event_id_;
    // Guarded by hub_.mutex_: "kind\ndata" messages not yet written; whether the writer is away
    // writing (then nothing coalesces, so a writer stuck on a page that stopped reading
    // overflows the queue).
    std::deque<std::string> queue_;
    std::condition_variable wake_;
    bool writing_ = false;
    bool dropped_ = false;
    bool greeted_ = false;
    std::chrono::steady_clock::time_point opened_;
    std::chrono::steady_clock::time_point last_write_;
    std::chrono::steady_clock::time_point last_event_{};
  };

  LiveHub() : LiveHub(Limits{}) {}
  explicit LiveHub(Limits limits);
  LiveHub(const LiveHub&) = delete;
  LiveHub& operator=(const LiveHub&) = delete;
  ~LiveHub();

  // A stream for the live page of `event_id`, or nullptr when max_streams are open or the hub
  // was shut down. The stream unsubscribes when destroyed.
  std::shared_ptr<Stream> subscribe(std::string event_id);

  // Something changed for `event_id` ("" = for every event: a change seen by the watcher):
  // `kind` is the SSE event name ("scans" for an ingest or a correction, "closed").
  void publish(std::string_view event_id, std::string_view kind);

  // From now on every event a page gets carries its data: {"generation":"..","live":<payload>}
  // ("live" left out when the payload failed: the page then fetches). One notifier thread
  // computes it after a publish, once per event and min_gap however many pages are open, so an
  // open page costs no request; a new page is greeted with a payload younger than `fresh`, or
  // with {"generation":"..","pending":true} and the data follows as soon as it is computed.
  // Without a payload an event's data is the generation alone ("epoch.N").
  void set_payload(Payload payload);

  // Starts the notifier thread: every `period` it calls `generation` (the store's scan count;
  // nullopt when unavailable) and publishes "scans" to every stream when it changed.
  void watch(std::function<std::optional<std::uint64_t>()> generation,
             std::chrono::milliseconds period);

  // Ends every stream (next() returns nullopt at once) and the watcher; later subscribes fail.
  void shutdown();

  [[nodiscard]] std::size_t open_streams() const;
  [[nodiscard]] std::uint64_t dropped_streams() const;
  [[nodiscard]] std::uint64_t published() const;
  [[nodiscard]] std::uint64_t payloads_computed() const;

private:
  void unsubscribe(Stream* stream);
  // With mutex_ held: `message` ("kind\ndata") to every stream of `event_id` ("" = all).
  void deliver(std::string_view event_id, std::string_view kind, const std::string& message);
  // With mutex_ held: `event_id` needs its payload (again) for `kind`; wakes the notifier.
  void want_payload(const std::string& event_id, std::string_view kind);
  void notify_loop();
  std::string generation_text(std::uint64_t generation) const;

  const Limits limits_;
  const std::string epoch_; // random: a page tells this server's generations from an old one's
  mutable std::mutex mutex_;
  std::condition_variable watcher_wake_;
  std::vector<Stream*> streams_;
  std::uint64_t generation_ = 0;
  std::uint64_t dropped_ = 0;
  bool local_publish_ = false; // since the watcher's last look: its change may be ours
  bool shut_down_ = false;
  std::thread watcher_;

  // set_payload: the events whose payload is due (kinds to send), when each was last computed,
  // and the last one computed (its data text, when, and whether a publish came since).
  struct Pending {
    bool scans = false;
    bool closed = false;
  };
  struct Latest {
    std::string data;
    std::chrono::steady_clock::time_point at{};
    bool current = false;
  };
  Payload payload_;
  std::thread notifier_;
  std::condition_variable notifier_wake_;
  std::map<std::string, Pending, std::less<>> pending_;
  std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> computed_at_;
  std::map<std::string, Latest, std::less<>> latest_;
  std::uint64_t payloads_ = 0;
};

} // namespace muster::server
