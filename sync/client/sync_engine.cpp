#include "sync/client/sync_engine.hpp"

#include <algorithm>
#include <exception>
#include <iostream>
#include <random>

#include "shared/kiosk_store.hpp"

namespace muster::sync {

std::chrono::milliseconds backoff_delay(std::uint64_t failures, std::chrono::milliseconds initial,
                                        std::chrono::milliseconds cap, double jitter_unit) {
  if (failures == 0) return std::chrono::milliseconds{0};
  const auto exponent = std::min<std::uint64_t>(failures - 1, 30);
  const double base =
      std::min(static_cast<double>(cap.count()),
               static_cast<double>(initial.count()) * static_cast<double>(1ULL << exponent));
  // ±50 % so that many kiosks coming back together do not hit the server at the same moment.
  const double jittered = base * (0.5 + std::clamp(jitter_unit, 0.0, 1.0));
  return std::chrono::milliseconds{
      static_cast<std::int64_t>(std::min(jittered, static_cast<double>(cap.count())))};
}

SyncEngine::SyncEngine(SyncEngineOptions options) : options_(std::move(options)) {}

SyncEngine::~SyncEngine() { stop(); }

void SyncEngine::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stop_requested_ = false;
  state_.running = true;
  thread_ = std::thread([this] { run(); });
}

void SyncEngine::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_requested_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  state_.running = false;
}

SyncState SyncEngine::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

void SyncEngine::sync_now() {
  {
    std::lock_guard lock(mutex_);
    poke_ = true;
  }
  wake_.notify_all();
}

void SyncEngine::network_changed() { sync_now(); }

// Waits up to `delay`; returns false when stopping. While backing off, probes /time every
// probe_interval and returns early when the server answers (the network is back).
bool SyncEngine::wait_for(std::chrono::milliseconds delay, bool probe, HttpClient& http,
                          const std::string& probe_url) {
  const auto deadline = std::chrono::steady_clock::now() + delay;
  while (true) {
    auto slice = deadline - std::chrono::steady_clock::now();
    if (probe)
      slice = std::min<std::chrono::steady_clock::duration>(slice, options_.probe_interval);
    {
      std::unique_lock lock(mutex_);
      if (slice > std::chrono::steady_clock::duration::zero()) {
        wake_.wait_for(lock, slice, [this] { return stop_requested_ || poke_; });
      }
      if (stop_requested_) return false;
      if (poke_) {
        poke_ = false;
        return true;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) return true;
    if (probe && !probe_url.empty()) {
      auto answer = http.get(probe_url, "");
      if (answer && answer->status == 200) return true;
    }
  }
}

void SyncEngine::run() {
  std::mt19937_64 random(options_.jitter_seed != 0 ? options_.jitter_seed : std::random_device{}());
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::optional<KioskStore> store;
  std::uint64_t failures = 0;
  const auto stopping = [this] {
    std::lock_guard lock(mutex_);
    return stop_requested_;
  };
  HttpClientOptions http_options = options_.http;
  http_options.cancelled = stopping; // stop() ends an in-flight request at once
  HttpClient http(http_options);
  while (!stopping()) {
    // Exceptions are bugs: one here must not end the kiosk (an uncaught exception on this
    // thread would call std::terminate). Recorded for the staff screen, then back off and retry.
    try {
      if (!run_once(store, http, failures, random, unit, stopping)) break;
    } catch (const std::exception& error) {
      record_internal_error(error.what(), failures);
      if (!wait_for(options_.backoff_cap / 10, false, http, "")) break;
    } catch (...) {
      record_internal_error("unknown exception", failures);
      if (!wait_for(options_.backoff_cap / 10, false, http, "")) break;
    }
  }
}

void SyncEngine::record_internal_error(const std::string& what, std::uint64_t& failures) {
  failures += 1;
  {
    std::lock_guard lock(mutex_);
    state_.syncing = false;
    state_.failures_in_a_row = failures;
    state_.last_error = "internal error in sync: " + what;
  }
  std::cerr << "muster-kiosk: internal error in sync: " << what << '\n';
  if (options_.on_change) {
    try {
      options_.on_change();
    } catch (...) {
      // The UI's wake-up failed as well; the staff screen reads state() on its next frame.
    }
  }
}

bool SyncEngine::run_once(std::optional<KioskStore>& store, HttpClient& http,
                          std::uint64_t& failures, std::mt19937_64& random,
                          std::uniform_real_distribution<double>& unit,
                          const std::function<bool()>& stopping) {
  {
    std::string probe_url;
    bool ok = false;
    bool transient = true;
    std::optional<std::chrono::seconds> retry_after;
    if (!store) {
      auto opened = KioskStore::open(options_.store_path);
      if (opened) {
        store.emplace(std::move(opened.value()));
      } else {
        std::lock_guard lock(mutex_);
        state_.last_error = "cannot open the kiosk store: " + opened.message();
      }
    }
    if (store) {
      {
        std::lock_guard lock(mutex_);
        state_.syncing = true;
      }
      const SyncReport report =
          run_sync_pass(*store, http, options_.pass, options_.apply, stopping);
      ok = report.ok;
      retry_after = report.retry_after;
      transient = report.error && report.error->code == SyncError::unreachable;
      failures = ok ? 0 : failures + 1;
      if (auto url = store->setting(kSettingServerUrl); url && url->has_value()) {
        probe_url = (options_.pass.server_url ? *options_.pass.server_url : **url) + "/api/v1/time";
      }
      std::lock_guard lock(mutex_);
      state_.syncing = false;
      state_.passes += 1;
      state_.server_reachable = report.server_reachable;
      state_.queued = report.queued;
      state_.failures_in_a_row = failures;
      state_.largest_batch = std::max(state_.largest_batch, report.largest_batch);
      state_.largest_request_bytes =
          std::max(state_.largest_request_bytes, report.largest_request_bytes);
      state_.scans_stored += report.stored;
      if (ok) {
        state_.last_success = std::chrono::time_point_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now());
        state_.last_error.clear();
      } else if (report.error) {
        state_.last_error = report.error->message;
      }
    } else {
      failures += 1;
    }
    auto wait =
        ok ? options_.idle_interval
           : backoff_delay(failures, options_.backoff_initial, options_.backoff_cap, unit(random));
    if (retry_after) {
      wait = std::max(wait, std::chrono::duration_cast<std::chrono::milliseconds>(*retry_after));
    }
    {
      std::lock_guard lock(mutex_);
      state_.next_wait = wait;
    }
    if (options_.on_change) options_.on_change();
    // Probe only for transport-like failures; a refusal needs a person, not a faster retry.
    return wait_for(wait, !ok && transient && !retry_after, http, probe_url);
  }
}

} // namespace muster::sync
