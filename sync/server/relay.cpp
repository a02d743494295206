// The venue relay (relay.hpp): the upstream's package down, every device's chain up.
#include "sync/server/relay.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <csignal>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "shared/badge.hpp"
#include "shared/event_package.hpp"
#include "shared/scan_json.hpp"
#include "shared/sodium_init.hpp"
#include "shared/time.hpp"
#include "sync/client/http_client.hpp"
#include "sync/server/relay_store.hpp"
#include "sync/server/server_store.hpp"

namespace muster::server {
namespace {

using nlohmann::json;

// relay_state names.
constexpr std::string_view kFullEnvelope = "full.envelope";
constexpr std::string_view kFullCursor = "full.cursor";
constexpr std::string_view kDeltaEnvelope = "delta.envelope";
constexpr std::string_view kDeltaCursor = "delta.cursor";
constexpr std::string_view kEventId = "event_id";

constexpr auto kProbeEvery = std::chrono::seconds(5);
constexpr std::size_t kSamplesPerRequest = 500;
constexpr auto kHoldRefused = std::chrono::minutes(10); // a device the upstream refused waits

Instant now_instant() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

std::uint64_t to_u64(std::string_view text) {
  std::uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

std::string trim_slash(std::string url) {
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  return url;
}

// A log line with the time: a relay runs for days, its operator reads this afterwards.
std::ostream& log(std::ostream& err) {
  return err << format_utc(now_instant()) << " muster-server relay: ";
}

// The server's error sentence and code from an error body, or the status.
struct UpstreamError {
  std::string code;
  std::string message;
  std::uint64_t first_bad_sequence = 0;
  std::optional<std::uint64_t> acked_through;
};

UpstreamError upstream_error(const sync::HttpResponse& response) {
  UpstreamError out;
  const json body = json::parse(response.body, nullptr, false);
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    const json& e = body["error"];
    if (e.contains("code") && e["code"].is_string()) out.code = e["code"].get<std::string>();
    if (e.contains("message") && e["message"].is_string())
      out.message = e["message"].get<std::string>();
    if (e.contains("first_bad_sequence") && e["first_bad_sequence"].is_number_unsigned())
      out.first_bad_sequence = e["first_bad_sequence"].get<std::uint64_t>();
    if (body.contains("acked_through") && body["acked_through"].is_number_unsigned())
      out.acked_through = body["acked_through"].get<std::uint64_t>();
  }
  if (out.message.empty()) out.message = "HTTP status " + std::to_string(response.status);
  if (!out.code.empty()) out.message += " (" + out.code + ")";
  return out;
}

// Worth retrying later with backoff (PROTOCOL.md "Retry rules").
bool retryable(long status) { return status >= 500 || status == 429 || status == 408; }

// The envelopes the relay serves its kiosks: the latest full package (since 0) and the latest
// delta since that full package's cursor, both exactly as the upstream signed them. A kiosk at
// or past the full package's cursor gets the delta (its since_cursor is at most the kiosk's, which
// the kiosk's import accepts, and re-applying changes it already has changes nothing); any
// other kiosk gets the full package and the delta on its next pull.
class PackageCache {
public:
  void set_full(std::string envelope, std::uint64_t cursor) {
    const std::lock_guard lock(mutex_);
    full_ = ServedPackage{std::move(envelope), cursor};
    delta_.reset();
  }
  void set_delta(std::string envelope, std::uint64_t cursor) {
    const std::lock_guard lock(mutex_);
    delta_ = ServedPackage{std::move(envelope), cursor};
  }
  std::optional<ServedPackage> serve(std::uint64_t since) {
    const std::lock_guard lock(mutex_);
    if (!full_) return std::nullopt;
    if (delta_ && since >= full_->cursor) return delta_;
    return full_;
  }
  [[nodiscard]] std::uint64_t full_cursor() {
    const std::lock_guard lock(mutex_);
    return full_ ? full_->cursor : 0;
  }
  [[nodiscard]] std::uint64_t latest_cursor() {
    const std::lock_guard lock(mutex_);
    if (delta_) return delta_->cursor;
    return full_ ? full_->cursor : 0;
  }
  [[nodiscard]] bool has_full() {
    const std::lock_guard lock(mutex_);
    return full_.has_value();
  }
  [[nodiscard]] bool delta_outgrew_full() {
    const std::lock_guard lock(mutex_);
    return full_ && delta_ && delta_->envelope.size() * 2 > full_->envelope.size();
  }

private:
  std::mutex mutex_;
  std::optional<ServedPackage> full_;
  std::optional<ServedPackage> delta_;
};

std::vector<PublicKey> trusted_keys(ServerStore& store) {
  std::vector<PublicKey> keys;
  if (auto records = store.league_keys()) {
    for (const auto& record : *records) {
      if (auto key = parse_public_key(record.public_key_text)) keys.push_back(*key);
    }
  }
  return keys;
}

// Applies what a package says to the relay's own store, so that provisioning and the ingest
// checks (sessions, League keys, desk certificates) work locally exactly as upstream.
Result<Ok, std::string> apply_to_store(ServerStore& store, const EventPackage& package) {
  auto league = store.league();
  if (!league) {
    if (league.code() != DbError::schema) return fail(std::string("store"), league.message());
    // A fresh relay database: the League is the package's (its name is the League server's).
    if (auto made = store.initialise({package.league_id, package.league_id}); !made) {
      return fail(std::string("store"), made.message());
    }
  } else if (league->id != package.league_id) {
    return fail(std::string("league"), "the package is of League " + package.league_id +
                                           ", this relay's database of League " + league->id);
  }
  const Instant now = now_instant();
  auto known_keys = store.league_keys();
  if (!known_keys) return fail(std::string("store"), known_keys.message());
  for (const auto& key : package.league_keys) {
    const bool known = std::any_of(known_keys->begin(), known_keys->end(),
                                   [&](const auto& k) { return k.key_id == key.key_id; });
    if (known) continue;
    if (auto added = store.add_league_key({key.key_id, to_text(key), now, true}); !added) {
      return fail(std::string("store"), added.message());
    }
  }
  auto known_certificates = store.device_certificates();
  if (!known_certificates) return fail(std::string("store"), known_certificates.message());
  for (const auto& certificate : package.device_certificates) {
    const std::string text = to_text(certificate);
    const bool known = std::any_of(known_certificates->begin(), known_certificates->end(),
                                   [&](const auto& c) { return c.certificate_text == text; });
    if (known) continue;
    if (auto added = store.add_device_certificate({certificate.device_key.key_id, "", text, now});
        !added) {
      return fail(std::string("store"), added.message());
    }
  }
  if (package.event) {
    if (auto saved = store.upsert_event(*package.event); !saved) {
      return fail(std::string("store"), saved.message());
    }
  }
  if (!package.attendees.empty()) {
    if (auto saved = store.upsert_roster(package.attendees); !saved) {
      return fail(std::string("store"), saved.message());
    }
  }
  for (const auto& serial : package.revoked_serials) {
    // The relay knows no issued badges (packages do not carry them); the revocation reaches the
    // kiosks through the upstream's envelope, which is what they check at the door.
    if (auto revoked = store.revoke_badge(serial, now);
        !revoked && revoked.code() != DbError::not_found) {
      return fail(std::string("store"), revoked.message());
    }
  }
  return Ok{};
}

class Relay {
public:
  Relay(const RelayOptions& options, std::ostream& err)
      : options_(options), err_(err), upstream_(trim_slash(options.upstream)) {
    sync::HttpClientOptions http;
    http.ca_file = options.ca_file;
    http.pinned_public_key = options.pinned_key;
    http.allow_insecure_http = options.allow_insecure_http;
    http.cancelled = [this] { return stopping_.load(); };
    http_ = std::make_unique<sync::HttpClient>(http);
  }

  PackageCache& cache() { return cache_; }

  // Loads the envelopes the database holds (a restarted relay serves at once).
  Result<Ok, std::string> load_state(RelayStore& relay) {
    auto full = relay.state(kFullEnvelope);
    auto full_cursor = relay.state(kFullCursor);
    auto delta = relay.state(kDeltaEnvelope);
    auto delta_cursor = relay.state(kDeltaCursor);
    auto event = relay.state(kEventId);
    for (const auto* result : {&full, &full_cursor, &delta, &delta_cursor, &event}) {
      if (!*result) return fail(std::string("store"), result->message());
    }
    if (full->has_value() && full_cursor->has_value()) {
      cache_.set_full(**full, to_u64(**full_cursor));
      if (delta->has_value() && delta_cursor->has_value() && !(*delta)->empty()) {
        cache_.set_delta(**delta, to_u64(**delta_cursor));
      }
    }
    if (event->has_value()) event_id_ = **event;
    return Ok{};
  }

  // Verifies an envelope with the League keys the relay already trusts (none yet: trust on
  // first use, as a kiosk does), applies it to the store, and only then keeps it to serve.
  Result<Ok, std::string> take_envelope(ServerStore& store, RelayStore& relay,
                                        const std::string& envelope) {
    std::vector<PublicKey> trusted;
    if (store.league()) trusted = trusted_keys(store);
    auto opened = open_package(envelope, trusted);
    if (!opened) {
      return fail(std::string("package"), "the event package was refused (" +
                                              std::string(to_string(opened.code())) +
                                              "): " + opened.message());
    }
    const EventPackage& package = *opened;
    if (package.since_cursor == 0 && !package.event) {
      return fail(std::string("package"), "a full package without its event");
    }
    if (package.since_cursor != 0 && package.since_cursor != cache_.full_cursor()) {
      return fail(std::string("package"), "a delta since cursor " +
                                              std::to_string(package.since_cursor) +
                                              " does not follow this relay's package");
    }
    if (package.since_cursor == 0 && package.event && !event_id_.empty() &&
        package.event->id != event_id_) {
      return fail(std::string("package"), "the package is of event " + package.event->id +
                                              ", this relay serves event " + event_id_);
    }
    if (auto applied = apply_to_store(store, package); !applied) return applied;
    const std::string cursor = std::to_string(package.cursor);
    if (package.since_cursor == 0) {
      event_id_ = package.event->id;
      if (auto saved = relay.set_state({{std::string(kFullEnvelope), envelope},
                                        {std::string(kFullCursor), cursor},
                                        {std::string(kDeltaEnvelope), ""},
                                        {std::string(kDeltaCursor), "0"},
                                        {std::string(kEventId), event_id_}});
          !saved) {
        return fail(std::string("store"), saved.message());
      }
      cache_.set_full(envelope, package.cursor);
    } else {
      if (auto saved = relay.set_state(
              {{std::string(kDeltaEnvelope), envelope}, {std::string(kDeltaCursor), cursor}});
          !saved) {
        return fail(std::string("store"), saved.message());
      }
      cache_.set_delta(envelope, package.cursor);
    }
    return Ok{};
  }

  enum class Outcome : std::uint8_t { ok, unreachable, refused };

  // GET /api/v1/relay/package since the full package's cursor (everything when there is none,
  // or when the delta grew to half the full package: then a new full package replaces both).
  Outcome pull_package(ServerStore& store, RelayStore& relay) {
    const bool full = !cache_.has_full() || cache_.delta_outgrew_full();
    const std::uint64_t since = full ? 0 : cache_.full_cursor();
    auto response = http_->get(upstream_ + "/api/v1/relay/package?since=" + std::to_string(since),
                               options_.token);
    if (!response) return unreachable("pulling the package", response.message());
    if (response->status != 200) return answered_error("pulling the package", *response);
    if (!full && response->muster_cursor &&
        to_u64(*response->muster_cursor) == cache_.latest_cursor()) {
      return Outcome::ok; // nothing new upstream
    }
    auto taken = take_envelope(store, relay, response->body);
    if (!taken) {
      report_problem("package", "pulling the package: " + taken.message());
      return Outcome::refused;
    }
    log(err_) << "event package from upstream applied (cursor " << cache_.latest_cursor() << ")\n";
    return Outcome::ok;
  }

  // Every device of the event: registered upstream, then its chain from the upstream's
  // acked_through in bounded batches, with its clock samples.
  Outcome forward_all(ServerStore& store, RelayStore& relay) {
    auto devices = store.devices();
    if (!devices) return local_failure(devices.message());
    Outcome overall = Outcome::ok;
    for (const auto& device : *devices) {
      if (stopping_) return Outcome::ok;
      const Outcome outcome = forward_device(store, relay, device);
      if (outcome == Outcome::unreachable) return outcome;
      if (outcome == Outcome::refused) overall = Outcome::refused;
    }
    return overall;
  }

  void run_forever() {
    auto store = open_server_store(options_.http.database);
    auto relay = open_relay_store(options_.http.database);
    if (!store || !relay) {
      log(err_) << "cannot open the database: " << (!store ? store.message() : relay.message())
                << '\n';
      return;
    }
    int failures = 0;
    std::mt19937 random(std::random_device{}());
    while (!stopping_) {
      {
        const std::lock_guard lock(wait_mutex_);
        woken_ = false; // a push from now on starts another round
      }
      const Outcome pulled = pull_package(**store, **relay);
      const Outcome forwarded =
          pulled == Outcome::unreachable ? pulled : forward_all(**store, **relay);
      if (forwarded != Outcome::unreachable) {
        if (failures > 0) log(err_) << "upstream reachable again; caught up\n";
        if (failures > 0 || !clock_checked_) check_clock();
        failures = 0;
        wait_for(options_.interval, false);
        continue;
      }
      ++failures;
      // 1 s doubling to the cap, times [0.5, 1.5): kiosks' rule (PROTOCOL.md "Retry rules").
      const auto base = std::min<std::int64_t>(options_.max_backoff.count(),
                                               std::int64_t{1000} << std::min(failures - 1, 20));
      std::uniform_real_distribution<double> jitter(0.5, 1.5);
      wait_for(std::chrono::milliseconds(
                   static_cast<std::int64_t>(static_cast<double>(base) * jitter(random))),
               true);
    }
  }

  // Kiosks measure their clocks against the relay's (GET /api/v1/time here) and those samples
  // place their scans on the League server: a relay clock that is off shifts every door's scans.
  // It cannot be corrected afterwards, so say so loudly whenever the upstream can tell.
  void check_clock() {
    const auto before = std::chrono::system_clock::now();
    auto response = http_->get(upstream_ + "/api/v1/time", "");
    const auto after = std::chrono::system_clock::now();
    if (!response || response->status != 200) return;
    const json body = json::parse(response->body, nullptr, false);
    if (!body.is_object() || !body.contains("server_time_ms") ||
        !body["server_time_ms"].is_number_integer()) {
      return;
    }
    clock_checked_ = true;
    const auto middle = std::chrono::duration_cast<std::chrono::milliseconds>(
                            (before + (after - before) / 2).time_since_epoch())
                            .count();
    const std::int64_t offset = body["server_time_ms"].get<std::int64_t>() - middle;
    if (offset > 60'000 || offset < -60'000) {
      log(err_) << "WARNING: this machine's clock differs from the League server's by "
                << offset / 1000 << " s: kiosks take their time from the relay; set its clock "
                << "(NTP) before the doors scan\n";
    }
  }

  void wake() {
    {
      const std::lock_guard lock(wait_mutex_);
      woken_ = true;
    }
    wake_.notify_all();
  }

  void stop() {
    stopping_ = true;
    wake();
  }

private:
  // Waits `delay`, or less: woken by a kiosk's push (only while the upstream answers: a push
  // must not shorten the backoff) or by stop(); while the upstream is away, GET /api/v1/time
  // every 5 s ends the wait as soon as it answers.
  void wait_for(std::chrono::milliseconds delay, bool probing) {
    const auto until = std::chrono::steady_clock::now() + delay;
    while (!stopping_) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= until) return;
      const auto step =
          probing ? std::min<std::chrono::steady_clock::duration>(until - now, kProbeEvery)
                  : until - now;
      std::unique_lock lock(wait_mutex_);
      wake_.wait_for(lock, step, [&] { return stopping_.load() || (!probing && woken_); });
      if (stopping_ || (!probing && woken_)) return;
      lock.unlock();
      if (probing && std::chrono::steady_clock::now() < until) {
        auto probe = http_->get(upstream_ + "/api/v1/time", "");
        if (probe && probe->status == 200) return;
      }
    }
  }

  Outcome unreachable(std::string_view what, const std::string& detail) {
    report_problem("upstream", std::string(what) + ": the upstream is unreachable (" + detail +
                                   "); the relay keeps everything and retries");
    return Outcome::unreachable;
  }

  Outcome local_failure(const std::string& detail) {
    report_problem("store", "the relay's database: " + detail);
    return Outcome::unreachable; // back off: the next round tries again
  }

  Outcome answered_error(std::string_view what, const sync::HttpResponse& response) {
    const UpstreamError e = upstream_error(response);
    if (retryable(response.status)) return unreachable(what, e.message);
    if (response.status == 401) {
      report_problem("token", std::string(what) + ": the upstream refused the relay token (" +
                                  e.message + "): ask the League for a new one");
      return Outcome::unreachable; // nothing works without it: back off
    }
    report_problem("refused", std::string(what) + ": " + e.message);
    return Outcome::refused;
  }

  // Logged once per kind until it changes, not every round for days.
  void report_problem(const std::string& kind, const std::string& message) {
    if (last_problem_ == kind + message) return;
    last_problem_ = kind + message;
    log(err_) << message << '\n';
  }

  Outcome record_device_error(RelayStore& relay, RelayProgress& progress,
                              const std::string& message, bool hold = true) {
    // A refusal is not retried every round: the same batch would be refused again until the
    // upstream learns something (a desk certificate, a roster change) or someone looks.
    if (hold) held_[progress.device_id] = std::chrono::steady_clock::now() + kHoldRefused;
    if (progress.last_error != message) {
      log(err_) << "device " << progress.device_id << ": " << message << '\n';
      progress.last_error = message;
      (void)relay.save_progress(progress, now_instant());
    }
    return Outcome::refused;
  }

  Outcome register_device(RelayStore& relay, RelayProgress& progress, const DeviceRecord& device) {
    json request{{"device_id", device.id}, {"device_name", device.name}};
    // The kiosk's own key travels along, so the League knows the device as the kiosk itself
    // (a USB export or a later direct provisioning of the same kiosk then matches it).
    if (!device.public_key.empty()) request["public_key"] = device.public_key;
    // A kiosk restored behind the relay continued on a branch: the League links it the same
    // way, or it would refuse the branch's re-chained walk-ins and voids of its earlier scans.
    if (!device.parent_id.empty()) {
      request["parent_id"] = device.parent_id;
      request["diverged_at"] = device.diverged_at;
    }
    const std::string body = request.dump();
    auto response = http_->post_json(upstream_ + "/api/v1/relay/devices", body, options_.token);
    if (!response) return unreachable("registering a device", response.message());
    if (response->status == 200 || response->status == 201) {
      progress.registered = true;
      progress.last_error.clear();
      if (auto saved = relay.save_progress(progress, now_instant()); !saved) {
        return local_failure(saved.message());
      }
      return Outcome::ok;
    }
    if (retryable(response->status) || response->status == 401) {
      return answered_error("registering a device", *response);
    }
    return record_device_error(relay, progress,
                               "the upstream refused its registration: " +
                                   upstream_error(*response).message);
  }

  Outcome forward_device(ServerStore& store, RelayStore& relay, const DeviceRecord& device) {
    if (!event_id_.empty() && device.event_id != event_id_) return Outcome::ok;
    if (const auto held = held_.find(device.id); held != held_.end()) {
      if (std::chrono::steady_clock::now() < held->second) return Outcome::refused;
      held_.erase(held);
    }
    auto loaded = relay.progress(device.id);
    if (!loaded) return local_failure(loaded.message());
    RelayProgress progress = *loaded;
    if (!progress.registered) {
      if (const Outcome registered = register_device(relay, progress, device);
          registered != Outcome::ok) {
        return registered;
      }
    }
    auto head = store.chain_head(device.id);
    if (!head) return local_failure(head.message());
    std::optional<std::vector<Scan>> chain; // loaded once, when there is something to send
    std::size_t batch_size =
        std::max<std::size_t>(1, std::min(options_.batch_size, kMaxScansPerBatch));
    bool resent_at_anchor = false;
    // Bounded: each round acknowledges something, shrinks the batch or is the one resend a 409
    // allows; anything else ends this device's turn.
    const std::uint64_t pending =
        head->sequence > progress.upstream_acked ? head->sequence - progress.upstream_acked : 0;
    const std::uint64_t max_rounds = pending * 2 + 64;
    for (std::uint64_t round = 0; round < max_rounds && !stopping_; ++round) {
      auto samples =
          relay.clock_samples_after(device.id, progress.samples_through, kSamplesPerRequest);
      if (!samples) return local_failure(samples.message());
      if (head->sequence <= progress.upstream_acked && samples->empty()) {
        if (!progress.last_error.empty()) {
          progress.last_error.clear();
          (void)relay.save_progress(progress, now_instant());
        }
        return Outcome::ok;
      }
      std::vector<Scan> batch;
      if (head->sequence > progress.upstream_acked) {
        if (!chain) {
          auto scans = store.scans_for_device(device.id);
          if (!scans) return local_failure(scans.message());
          chain = std::move(scans.value());
        }
        for (const auto& scan : *chain) {
          if (scan.sequence > progress.upstream_acked && batch.size() < batch_size) {
            batch.push_back(scan);
          }
        }
      }
      std::vector<ClockSample> sample_list;
      for (const auto& stored : *samples)
        sample_list.push_back(stored.sample);
      const std::string body = scan_batch_to_json(batch, device.event_id, sample_list);
      auto response = http_->post_json(upstream_ + "/api/v1/devices/" + device.id + "/scans", body,
                                       options_.token);
      if (!response) return unreachable("forwarding scans", response.message());
      if (response->status == 200) {
        const json answer = json::parse(response->body, nullptr, false);
        if (!answer.is_object() || !answer.contains("acked_through") ||
            !answer["acked_through"].is_number_unsigned()) {
          return unreachable("forwarding scans", "the upstream's answer was not readable");
        }
        const auto acked = answer["acked_through"].get<std::uint64_t>();
        const bool progressed = acked > progress.upstream_acked || !samples->empty();
        if (acked > progress.upstream_acked) progress.upstream_acked = acked;
        if (!samples->empty()) progress.samples_through = samples->back().received_ms;
        progress.last_error.clear();
        if (auto saved = relay.save_progress(progress, now_instant()); !saved) {
          return local_failure(saved.message());
        }
        if (!batch.empty() && acked < batch.back().sequence && !progressed) {
          return record_device_error(relay, progress,
                                     "the upstream acknowledged nothing new (acked_through " +
                                         std::to_string(acked) + ")");
        }
        continue;
      }
      const UpstreamError e = upstream_error(*response);
      if (response->status == 409 && e.acked_through) {
        const std::uint64_t first_sent =
            batch.empty() ? progress.upstream_acked + 1 : batch.front().sequence;
        const bool at_anchor = first_sent == *e.acked_through + 1;
        if (at_anchor && resent_at_anchor) {
          return record_device_error(relay, progress,
                                     "the upstream holds other records for this device "
                                     "(sequence " +
                                         std::to_string(e.first_bad_sequence) +
                                         "): nothing is dropped; the League must look");
        }
        resent_at_anchor = resent_at_anchor || at_anchor;
        // The upstream's acknowledgement is the anchor: resend from just after it.
        progress.upstream_acked = *e.acked_through;
        if (auto saved = relay.save_progress(progress, now_instant()); !saved) {
          return local_failure(saved.message());
        }
        continue;
      }
      if (response->status == 413 && batch_size > 1) {
        batch_size = std::max<std::size_t>(1, batch_size / 2);
        continue;
      }
      if (response->status == 404 && e.code.find("unknown_device") != std::string::npos) {
        // The upstream lost the device (a restored database): register it again next round.
        progress.registered = false;
        return record_device_error(relay, progress, "the upstream does not know the device", false);
      }
      if (retryable(response->status) || response->status == 401) {
        return answered_error("forwarding scans", *response);
      }
      // 400/403/422: the upstream will refuse this batch again until someone looks; the
      // scans stay here and the other devices go on.
      return record_device_error(relay, progress, "the upstream refused the batch: " + e.message);
    }
    return Outcome::ok;
  }

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

Result<std::string, std::string> read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(std::string("io"), "cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > kMaxPackageBytes) {
    return fail(std::string("io"), path.string() + " is too large for a package");
  }
  return text.str();
}

// Waits for a stop signal up to `delay`; true when one came.
bool stop_signal_within(const sigset_t& signals, std::chrono::milliseconds delay) {
  timespec wait{};
  wait.tv_sec = static_cast<time_t>(delay.count() / 1000);
  wait.tv_nsec = static_cast<long>((delay.count() % 1000) * 1'000'000);
  return sigtimedwait(&signals, nullptr, &wait) > 0;
}

} // namespace

int run_relay(const RelayOptions& options, std::ostream& out, std::ostream& err) {
  if (!sodium_started()) {
    err << "error: libsodium could not be initialised\n";
    return 1;
  }
  if (options.upstream.empty()) {
    err << "error: --upstream is required (the League server's URL)\n";
    return 2;
  }
  if (auto checked = sync::check_server_url(options.upstream, options.allow_insecure_http);
      !checked) {
    err << "error: --upstream: " << checked.message() << '\n';
    return 2;
  }
  if (!options.token.starts_with(kRelayTokenPrefix) ||
      options.token.size() != kRelayTokenPrefix.size() + 64) {
    err << "error: --token must be a relay token (muster-relay.<64 hex>, from "
           "'muster-server relay-token' on the League server)\n";
    return 2;
  }
  if (options.interval.count() < 1 || options.max_backoff < std::chrono::seconds(1)) {
    err << "error: --interval must be positive and --max-backoff at least 1 s\n";
    return 2;
  }
  // Block the stop signals before any thread starts so that only this thread receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto opened = open_server_store(options.http.database);
  if (!opened) {
    err << "error: " << opened.message() << '\n';
    return 1;
  }
  ServerStore& store = **opened;
  Relay relay(options, err);
  std::unique_ptr<RelayStore> relay_store;
  const auto open_relay_tables = [&]() -> bool {
    if (relay_store) return true;
    auto tables = open_relay_store(options.http.database);
    if (!tables) return false;
    relay_store = std::move(tables.value());
    return relay.load_state(*relay_store).ok();
  };
  (void)open_relay_tables(); // an existing relay database: its envelopes

  if (options.package_file) {
    auto text = read_text_file(*options.package_file);
    if (!text) {
      err << "error: --package: " << text.message() << '\n';
      return 1;
    }
    auto peek = open_package(*text, {});
    if (!peek) {
      err << "error: --package: the package was refused (" << to_string(peek.code())
          << "): " << peek.message() << '\n';
      return 1;
    }
    if (peek->since_cursor != 0) {
      err << "error: --package: a relay starts from a full package (muster-server package "
             "writes one), not a delta\n";
      return 1;
    }
    if (!relay.cache().has_full() || peek->cursor > relay.cache().latest_cursor()) {
      // A fresh database is initialised from the package itself; relay tables come after.
      if (!relay_store) {
        if (auto applied = apply_to_store(store, *peek); !applied) {
          err << "error: --package: " << applied.message() << '\n';
          return 1;
        }
        if (!open_relay_tables()) {
          err << "error: cannot open the relay's tables in " << options.http.database << '\n';
          return 1;
        }
      }
      if (auto taken = relay.take_envelope(store, *relay_store, *text); !taken) {
        err << "error: --package: " << taken.message() << '\n';
        return 1;
      }
      out << "muster-server relay: started from the package file (cursor "
          << relay.cache().latest_cursor() << ")\n";
    }
  }
  // No package yet: the upstream must provide the first one before any kiosk can be served.
  for (int attempt = 1; !relay.cache().has_full(); ++attempt) {
    if (relay_store || open_relay_tables()) {
      if (relay.pull_package(store, *relay_store) == Relay::Outcome::ok &&
          relay.cache().has_full()) {
        break;
      }
    } else {
      // Not initialised: pull once into memory to initialise from the package.
      sync::HttpClientOptions http_options;
      http_options.ca_file = options.ca_file;
      http_options.pinned_public_key = options.pinned_key;
      http_options.allow_insecure_http = options.allow_insecure_http;
      sync::HttpClient http(http_options);
      auto response =
          http.get(trim_slash(options.upstream) + "/api/v1/relay/package?since=0", options.token);
      if (response && response->status == 200) {
        auto package = open_package(response->body, {});
        if (package && package->since_cursor == 0 && package->event) {
          if (auto applied = apply_to_store(store, *package); !applied) {
            err << "error: " << applied.message() << '\n';
            return 1;
          }
          continue; // the relay tables exist now: take the envelope as usual
        }
        err << "error: the upstream's package was refused\n";
        return 1;
      }
      if (response && response->status == 401) {
        err << "error: the upstream refused the relay token: " << upstream_error(*response).message
            << '\n';
        return 1;
      }
    }
    if (attempt == 1) {
      log(err) << "waiting for the upstream's first event package (or start with --package "
                  "FILE)\n";
    }
    const auto wait = std::min<std::chrono::milliseconds>(
        options.max_backoff, std::chrono::milliseconds(1000LL << std::min(attempt - 1, 8)));
    if (stop_signal_within(stop_signals, wait)) return 0;
  }

  HttpOptions http = options.http;
  PackageCache& cache = relay.cache();
  http.package_source = [&cache](std::uint64_t since) { return cache.serve(since); };
  http.on_scans_stored = [&relay] { relay.wake(); };
  http.league_key_file.reset();
  auto server = HttpServer::start(http);
  if (!server) {
    err << "error: cannot serve: " << server.message() << '\n';
    return 1;
  }
  std::thread forwarder([&relay] { relay.run_forever(); });
  out << "muster-server relay: listening on " << ((*server)->tls() ? "https" : "http") << "://"
      << http.host << ':' << (*server)->port() << " for event packages of cursor "
      << cache.latest_cursor() << "; upstream " << trim_slash(options.upstream) << std::endl;
  int received = 0;
  sigwait(&stop_signals, &received);
  log(err) << "stopping (" << (received == SIGINT ? "SIGINT" : "SIGTERM") << ")\n";
  relay.stop();
  forwarder.join();
  (*server)->stop();
  return 0;
}

int run_relay_status(const std::string& database, std::ostream& out, std::ostream& err) {
  auto store = open_server_store(database);
  if (!store) {
    err << "error: " << store.message() << '\n';
    return 1;
  }
  auto relay = open_relay_store(database);
  if (!relay) {
    err << "error: " << relay.message() << '\n';
    return 1;
  }
  auto event = (*relay)->state(kEventId);
  auto cursor = (*relay)->state(kDeltaCursor);
  auto full_cursor = (*relay)->state(kFullCursor);
  auto devices = (*store)->devices();
  for (const auto* failed : {&event, &cursor, &full_cursor}) {
    if (!*failed) {
      err << "error: " << failed->message() << '\n';
      return 1;
    }
  }
  if (!devices) {
    err << "error: " << devices.message() << '\n';
    return 1;
  }
  if (!event->has_value()) {
    err << "error: " << database << " is not a relay's database (no package from upstream)\n";
    return 1;
  }
  const std::uint64_t latest =
      std::max(to_u64(cursor->value_or("0")), to_u64(full_cursor->value_or("0")));
  out << "event " << **event << ", package cursor " << latest << " (from the League server)\n";
  out << "device\tname\tscans\ton League server\tstate\n";
  std::uint64_t pending = 0;
  for (const auto& device : *devices) {
    auto head = (*store)->chain_head(device.id);
    auto progress = (*relay)->progress(device.id);
    if (!head || !progress) {
      err << "error: " << (!head ? head.message() : progress.message()) << '\n';
      return 1;
    }
    const std::uint64_t up = std::min(progress->upstream_acked, head->sequence);
    pending += head->sequence - up;
    const std::string state = !progress->last_error.empty() ? progress->last_error
                              : !progress->registered && head->sequence > 0
                                  ? "not registered upstream yet"
                              : up == head->sequence ? "up to date"
                                                     : "forwarding";
    out << device.id << '\t' << device.name << '\t' << head->sequence << '\t' << up << '\t' << state
        << '\n';
  }
  if (pending == 0) {
    out << "Every scan of " << devices->size() << " device(s) is on the League server.\n";
  } else {
    out << pending << " scan(s) not on the League server yet (keep the relay running).\n";
  }
  return 0;
}

int run_relay_token(const RelayTokenOptions& options, std::ostream& out, std::ostream& err) {
  if (!sodium_started()) {
    err << "error: libsodium could not be initialised\n";
    return 1;
  }
  auto relay = open_relay_store(options.database);
  if (!relay) {
    err << "error: " << relay.message() << '\n';
    return 1;
  }
  std::array<unsigned char, 32> secret{};
  randombytes_buf(secret.data(), secret.size());
  std::string hex(secret.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), secret.data(), secret.size());
  hex.pop_back();
  sodium_memzero(secret.data(), secret.size());
  const std::string token = std::string(kRelayTokenPrefix) + hex;
  const std::string label = options.label.empty() ? "relay " + options.event_id : options.label;
  if (auto added =
          (*relay)->add_relay_token(hash_secret(token), options.event_id, label, now_instant());
      !added) {
    err << "error: " << added.message() << '\n';
    return 1;
  }
  out << "Relay token for event " << options.event_id << " (\"" << label
      << "\"; shown once, stored hashed; give it to 'muster-server relay --token'):\n"
      << token << "\n";
  return 0;
}

} // namespace muster::server
