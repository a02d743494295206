// The venue relay's forwarding: every device registered upstream, then its chain sent from the
// upstream's acked_through in bounded batches, with its clock samples.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "shared/scan_json.hpp"
#include "sync/server/relay_internal.hpp"

namespace muster::server::relay_impl {

using nlohmann::json;

Relay::Outcome Relay::forward_all(ServerStore& store, RelayStore& relay) {
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

Relay::Outcome Relay::record_device_error(RelayStore& relay, RelayProgress& progress,
                                          const std::string& message, bool hold) {
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

Relay::Outcome Relay::register_device(RelayStore& relay, RelayProgress& progress,
                                      const DeviceRecord& device) {
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

Relay::Outcome Relay::forward_device(ServerStore& store, RelayStore& relay,
                                     const DeviceRecord& device) {
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
  DeviceTurn turn{device, std::move(progress), *head, std::nullopt,
                  std::max<std::size_t>(1, std::min(options_.batch_size, kMaxScansPerBatch))};
  // Bounded: each round acknowledges something, shrinks the batch or is the one resend a 409
  // allows; anything else ends this device's turn.
  const std::uint64_t pending = turn.head.sequence > turn.progress.upstream_acked
                                    ? turn.head.sequence - turn.progress.upstream_acked
                                    : 0;
  const std::uint64_t max_rounds = pending * 2 + 64;
  for (std::uint64_t round = 0; round < max_rounds && !stopping_; ++round) {
    if (const auto ended = forward_round(store, relay, turn)) return *ended;
  }
  return Outcome::ok;
}

std::optional<Relay::Outcome> Relay::forward_round(ServerStore& store, RelayStore& relay,
                                                   DeviceTurn& turn) {
  RelayProgress& progress = turn.progress;
  auto samples =
      relay.clock_samples_after(turn.device.id, progress.samples_through, kSamplesPerRequest);
  if (!samples) return local_failure(samples.message());
  if (turn.head.sequence <= progress.upstream_acked && samples->empty()) {
    if (!progress.last_error.empty()) {
      progress.last_error.clear();
      (void)relay.save_progress(progress, now_instant());
    }
    return Outcome::ok;
  }
  std::vector<Scan> batch;
  if (turn.head.sequence > progress.upstream_acked) {
    if (!turn.chain) {
      auto scans = store.scans_for_device(turn.device.id);
      if (!scans) return local_failure(scans.message());
      turn.chain = std::move(scans.value());
    }
    for (const auto& scan : *turn.chain) {
      if (scan.sequence > progress.upstream_acked && batch.size() < turn.batch_size) {
        batch.push_back(scan);
      }
    }
  }
  std::vector<ClockSample> sample_list;
  for (const auto& stored : *samples)
    sample_list.push_back(stored.sample);
  const std::string body = scan_batch_to_json(batch, turn.device.event_id, sample_list);
  auto response = http_->post_json(upstream_ + "/api/v1/devices/" + turn.device.id + "/scans", body,
                                   options_.token);
  if (!response) return unreachable("forwarding scans", response.message());
  if (response->status == 200) return take_acknowledgement(relay, turn, *response, batch, *samples);
  return take_batch_refusal(relay, turn, *response, batch);
}

std::optional<Relay::Outcome>
Relay::take_acknowledgement(RelayStore& relay, DeviceTurn& turn, const sync::HttpResponse& response,
                            const std::vector<Scan>& batch,
                            const std::vector<StoredClockSample>& samples) {
  RelayProgress& progress = turn.progress;
  const json answer = json::parse(response.body, nullptr, false);
  if (!answer.is_object() || !answer.contains("acked_through") ||
      !answer["acked_through"].is_number_unsigned()) {
    return unreachable("forwarding scans", "the upstream's answer was not readable");
  }
  const auto acked = answer["acked_through"].get<std::uint64_t>();
  const bool progressed = acked > progress.upstream_acked || !samples.empty();
  if (acked > progress.upstream_acked) progress.upstream_acked = acked;
  if (!samples.empty()) progress.samples_through = samples.back().received_ms;
  progress.last_error.clear();
  if (auto saved = relay.save_progress(progress, now_instant()); !saved) {
    return local_failure(saved.message());
  }
  if (!batch.empty() && acked < batch.back().sequence && !progressed) {
    return record_device_error(relay, progress,
                               "the upstream acknowledged nothing new (acked_through " +
                                   std::to_string(acked) + ")");
  }
  return std::nullopt;
}

std::optional<Relay::Outcome> Relay::take_batch_refusal(RelayStore& relay, DeviceTurn& turn,
                                                        const sync::HttpResponse& response,
                                                        const std::vector<Scan>& batch) {
  RelayProgress& progress = turn.progress;
  const UpstreamError e = upstream_error(response);
  if (response.status == 409 && e.acked_through) {
    const std::uint64_t first_sent =
        batch.empty() ? progress.upstream_acked + 1 : batch.front().sequence;
    const bool at_anchor = first_sent == *e.acked_through + 1;
    if (at_anchor && turn.resent_at_anchor) {
      return record_device_error(relay, progress,
                                 "the upstream holds other records for this device "
                                 "(sequence " +
                                     std::to_string(e.first_bad_sequence) +
                                     "): nothing is dropped; the League must look");
    }
    turn.resent_at_anchor = turn.resent_at_anchor || at_anchor;
    // The upstream's acknowledgement is the anchor: resend from just after it.
    progress.upstream_acked = *e.acked_through;
    if (auto saved = relay.save_progress(progress, now_instant()); !saved) {
      return local_failure(saved.message());
    }
    return std::nullopt;
  }
  if (response.status == 413 && turn.batch_size > 1) {
    turn.batch_size = std::max<std::size_t>(1, turn.batch_size / 2);
    return std::nullopt;
  }
  if (response.status == 404 && e.code.find("unknown_device") != std::string::npos) {
    // The upstream lost the device (a restored database): register it again next round.
    progress.registered = false;
    return record_device_error(relay, progress, "the upstream does not know the device", false);
  }
  if (retryable(response.status) || response.status == 401) {
    return answered_error("forwarding scans", response);
  }
  // 400/403/422: the upstream will refuse this batch again until someone looks; the
  // scans stay here and the other devices go on.
  return record_device_error(relay, progress, "the upstream refused the batch: " + e.message);
}

} // namespace muster::server::relay_impl
