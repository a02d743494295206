#pragma once
// The kiosk's sync engine: its own thread running sync passes (sync_pass.hpp) on its own store
// connection, so the UI never waits for the network. Backoff with jitter and a cap after a
// failure; while backing off it probes the server cheaply and retries at once when the network
// is back. The UI reads state() (a snapshot under a mutex) and may call sync_now().
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "shared/domain.hpp"
#include "shared/kiosk_store.hpp"
#include "shared/result.hpp"
#include "sync/client/http_client.hpp"
#include "sync/client/sync_pass.hpp"

namespace muster::sync {

struct SyncEngineOptions {
  std::filesystem::path store_path; // the kiosk's store file; the engine opens its own connection
  HttpClientOptions http;
  SyncPassOptions pass;
  PackageApplier apply;                            // empty: no pull
  std::chrono::milliseconds idle_interval{30000};  // between passes when all is well
  std::chrono::milliseconds backoff_initial{1000}; // first wait after a failure
  std::chrono::milliseconds backoff_cap{300000};   // never wait longer than this
  std::chrono::milliseconds probe_interval{5000};  // while backing off: is the server back?
  std::uint64_t jitter_seed = 0;                   // 0: random
  std::function<void()> on_change; // called on the engine thread after each pass (wake the UI)
};

// What the staff screen shows.
struct SyncState {
  bool running = false;
  bool syncing = false;          // a pass is under way
  bool server_reachable = false; // the last request reached the server
  std::uint64_t queued = 0;      // scans not yet acknowledged
  std::optional<Instant> last_success;
  std::string last_error; // plain words; "" after a success
  std::uint64_t passes = 0;
  std::uint64_t failures_in_a_row = 0;
  std::chrono::milliseconds next_wait{0};
  std::size_t largest_batch = 0;
  std::size_t largest_request_bytes = 0;
  std::uint64_t scans_stored = 0;
};

// Exponential backoff: initial * 2^(failures-1), capped, times a jitter factor in [0.5, 1.5).
std::chrono::milliseconds backoff_delay(std::uint64_t failures, std::chrono::milliseconds initial,
                                        std::chrono::milliseconds cap, double jitter_unit);

class SyncEngine {
public:
  explicit SyncEngine(SyncEngineOptions options);
  ~SyncEngine(); // stops and joins
  SyncEngine(const SyncEngine&) = delete;
  SyncEngine& operator=(const SyncEngine&) = delete;

  void start(); // starts the thread (idempotent)
  void stop();  // wakes the thread and joins it; an in-flight request ends by its timeout
  [[nodiscard]] SyncState state() const;
  void sync_now();        // run a pass now (new scans, staff button)
  void network_changed(); // the OS says the network is back: retry at once

private:
  void run();
  // One pass and its wait; false when stopping.
  bool run_once(std::optional<KioskStore>& store, HttpClient& http, std::uint64_t& failures,
                std::mt19937_64& random, std::uniform_real_distribution<double>& unit,
                const std::function<bool()>& stopping);
  void record_internal_error(const std::string& what, std::uint64_t& failures);
  bool wait_for(std::chrono::milliseconds delay, bool probe, HttpClient& http,
                const std::string& probe_url);

  SyncEngineOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_requested_ = false;
  bool poke_ = false;
  SyncState state_;
  std::thread thread_;
};

} // namespace muster::sync
