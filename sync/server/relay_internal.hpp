#pragma once
// Private to the relay_*.cpp files: the venue relay's parts (relay.hpp says what it does).
// relay.cpp runs it (`muster-server relay`, the serving and the background loop),
// relay_package.cpp pulls and applies the upstream's event package, relay_forward.cpp forwards
// each device's chain upstream, relay_commands.cpp holds relay-status and relay-token.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "shared/event_package.hpp"
#include "shared/result.hpp"
#include "sync/client/http_client.hpp"
#include "sync/client/sync_pass.hpp"
#include "sync/server/relay.hpp"
#include "sync/server/relay_store.hpp"
#include "sync/server/server_store.hpp"

namespace muster::server::relay_impl {

// relay_state names.
constexpr std::string_view kFullEnvelope = "full.envelope";
constexpr std::string_view kFullCursor = "full.cursor";
constexpr std::string_view kDeltaEnvelope = "delta.envelope";
constexpr std::string_view kDeltaCursor = "delta.cursor";
constexpr std::string_view kEventId = "event_id";

constexpr auto kProbeEvery = std::chrono::seconds(5);
constexpr std::size_t kSamplesPerRequest = 500;
constexpr auto kHoldRefused = std::chrono::minutes(10); // a device the upstream refused waits

Instant now_instant();
std::uint64_t to_u64(std::string_view text);
std::string trim_slash(std::string url);
// A log line with the time: a relay runs for days, its operator reads this afterwards.
std::ostream& log(std::ostream& err);

// The upstream's error sentence and code from an error body (the code appended to the
// sentence, for the relay's log), or the status.
using UpstreamError = sync::ServerError;
UpstreamError upstream_error(const sync::HttpResponse& response);

// Worth retrying later with backoff (PROTOCOL.md "Retry rules").
inline bool retryable(long status) { return status >= 500 || status == 429 || status == 408; }

// The envelopes the relay serves its kiosks: the latest full package (since 0) and the latest
// delta since that full package's cursor, both exactly as the upstream signed them. A kiosk at
// or past the full package's cursor gets the delta (its since_cursor is at most the kiosk's, which
// the kiosk's import accepts, and re-applying changes it already has changes nothing); any
// other kiosk gets the full package and the delta on its next pull.
class PackageCache {
public:
  void set_full(std::string envelope, std::uint64_t cursor);
  void set_delta(std::string envelope, std::uint64_t cursor);
  std::optional<ServedPackage> serve(std::uint64_t since);
  [[nodiscard]] std::uint64_t full_cursor();
  [[nodiscard]] std::uint64_t latest_cursor();
  [[nodiscard]] bool has_full();
  [[nodiscard]] bool delta_outgrew_full();

private:
  std::mutex mutex_;
  std::optional<ServedPackage> full_;
  std::optional<ServedPackage> delta_;
};

// Applies what a package says to the relay's own store, so that provisioning and the ingest
// checks (sessions, League keys, desk certificates) work locally exactly as upstream.
Result<Ok, std::string> apply_to_store(ServerStore& store, const EventPackage& package);

class Relay {
public:
  Relay(const RelayOptions& options, std::ostream& err);

  PackageCache& cache() { return cache_; }

  // relay_package.cpp
  // Loads the envelopes the database holds (a restarted relay serves at once).
  Result<Ok, std::string> load_state(RelayStore& relay);
  // Verifies an envelope with the League keys the relay already trusts (none yet: trust on
  // first use, as a kiosk does), applies it to the store, and only then keeps it to serve.
  Result<Ok, std::string> take_envelope(ServerStore& store, RelayStore& relay,
                                        const std::string& envelope);

  enum class Outcome : std::uint8_t { ok, unreachable, refused };

  // GET /api/v1/relay/package since the full package's cursor (everything when there is none,
  // or when the delta grew to half the full package: then a new full package replaces both).
  Outcome pull_package(ServerStore& store, RelayStore& relay);

  // relay_forward.cpp
  // Every device of the event: registered upstream, then its chain from the upstream's
  // acked_through in bounded batches, with its clock samples.
  Outcome forward_all(ServerStore& store, RelayStore& relay);

  // relay.cpp
  void run_forever();
  // Kiosks measure their clocks against the relay's (GET /api/v1/time here) and those samples
  // place their scans on the League server: a relay clock that is off shifts every door's scans.
  // It cannot be corrected afterwards, so say so loudly whenever the upstream can tell.
  void check_clock();
  void wake();
  void stop();

private:
  // One device's turn of forwarding (relay_forward.cpp).
  struct DeviceTurn {
    const DeviceRecord& device;
    RelayProgress progress;
    ChainAnchor head;
    std::optional<std::vector<Scan>> chain; // loaded once, when there is something to send
    std::size_t batch_size = 1;
    bool resent_at_anchor = false;
  };

  // Waits `delay`, or less: woken by a kiosk's push (only while the upstream answers: a push
  // must not shorten the backoff) or by stop(); while the upstream is away, GET /api/v1/time
  // every 5 s ends the wait as soon as it answers.
  void wait_for(std::chrono::milliseconds delay, bool probing);
  Outcome unreachable(std::string_view what, const std::string& detail);
  Outcome local_failure(const std::string& detail);
  Outcome answered_error(std::string_view what, const sync::HttpResponse& response);
  // Logged once per kind until it changes, not every round for days.
  void report_problem(const std::string& kind, const std::string& message);

  Outcome record_device_error(RelayStore& relay, RelayProgress& progress,
                              const std::string& message, bool hold = true);
  Outcome register_device(RelayStore& relay, RelayProgress& progress, const DeviceRecord& device);
  Outcome forward_device(ServerStore& store, RelayStore& relay, const DeviceRecord& device);
  // One request of a device's turn; nullopt: the turn goes on with another round.
  std::optional<Outcome> forward_round(ServerStore& store, RelayStore& relay, DeviceTurn& turn);
  std::optional<Outcome> take_acknowledgement(RelayStore& relay, DeviceTurn& turn,
                                              const sync::HttpResponse& response,
                                              const std::vector<Scan>& batch,
                                              const std::vector<StoredClockSample>& samples);
  std::optional<Outcome> take_batch_refusal(RelayStore& relay, DeviceTurn& turn,
                                            const sync::HttpResponse& response,
                                            const std::vector<Scan>& batch);

  const RelayOptions& options_;
  std::ostream& err_;
  std::string upstream_;
  std::unique_ptr<sync::HttpClient> http_;
  PackageCache cache_;
  std::string event_id_;
  std::string last_problem_;
  bool clock_checked_ = false;
  std::map<std::string, std::chrono::steady_clock::time_point> held_; // refused devices
  std::atomic<bool> stopping_{false};
  std::mutex wait_mutex_;
  std::condition_variable wake_;
  bool woken_ = false;
};

} // namespace muster::server::relay_impl
