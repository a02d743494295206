// The venue relay's package side: the upstream's signed event package pulled, verified,
// applied to the relay's own store and kept to serve to the kiosks unchanged.
#include <algorithm>

#include "shared/badge.hpp"
#include "sync/server/relay_internal.hpp"

namespace muster::server::relay_impl {
namespace {

std::vector<PublicKey> trusted_keys(ServerStore& store) {
  std::vector<PublicKey> keys;
  if (auto records = store.league_keys()) {
    for (const auto& record : *records) {
      if (auto key = parse_public_key(record.public_key_text)) keys.push_back(*key);
    }
  }
  return keys;
}

} // namespace

void PackageCache::set_full(std::string envelope, std::uint64_t cursor) {
  const std::lock_guard lock(mutex_);
  full_ = ServedPackage{std::move(envelope), cursor};
  delta_.reset();
}
void PackageCache::set_delta(std::string envelope, std::uint64_t cursor) {
  const std::lock_guard lock(mutex_);
  delta_ = ServedPackage{std::move(envelope), cursor};
}
std::optional<ServedPackage> PackageCache::serve(std::uint64_t since) {
  const std::lock_guard lock(mutex_);
  if (!full_) return std::nullopt;
  if (delta_ && since >= full_->cursor) return delta_;
  return full_;
}
std::uint64_t PackageCache::full_cursor() {
  const std::lock_guard lock(mutex_);
  return full_ ? full_->cursor : 0;
}
std::uint64_t PackageCache::latest_cursor() {
  const std::lock_guard lock(mutex_);
  if (delta_) return delta_->cursor;
  return full_ ? full_->cursor : 0;
}
bool PackageCache::has_full() {
  const std::lock_guard lock(mutex_);
  return full_.has_value();
}
bool PackageCache::delta_outgrew_full() {
  const std::lock_guard lock(mutex_);
  return full_ && delta_ && delta_->envelope.size() * 2 > full_->envelope.size();
}

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

Result<Ok, std::string> Relay::load_state(RelayStore& relay) {
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

Result<Ok, std::string> Relay::take_envelope(ServerStore& store, RelayStore& relay,
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

Relay::Outcome Relay::pull_package(ServerStore& store, RelayStore& relay) {
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

} // namespace muster::server::relay_impl
