// `muster-server relay-status` and `relay-token` (relay.hpp): the relay's progress per device,
// and a new relay token on the League server.
#include <sodium.h>

#include <algorithm>
#include <array>

#include "sync/server/relay_internal.hpp"

namespace muster::server {

using relay_impl::kDeltaCursor;
using relay_impl::kEventId;
using relay_impl::kFullCursor;
using relay_impl::now_instant;
using relay_impl::to_u64;

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
  if (sodium_init() < 0) {
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
