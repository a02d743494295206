#pragma once
// The venue relay's tables (schema migration 10, server_store_schema.cpp), beside ServerStore in
// the same database, over the same SQL seam (sql_connection.hpp) so both backends behave alike.
//
// Two sides use them:
// - the League server (upstream): relay tokens, each for one event and stored hashed
//   (hash_secret), and the devices a relay registered, for which a relay token may push;
// - the relay itself (sync/server/relay.hpp): the upstream's signed package envelopes it serves
//   to its kiosks (relay_state) and, per device, how far its chain is acknowledged upstream.
// One connection: not thread-safe, open one per thread.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/clock_correction.hpp"
#include "sync/server/server_store.hpp"

namespace muster::server {

class SqlConnection;

// The prefix of every relay token: "muster-relay.<64 hex>".
inline constexpr std::string_view kRelayTokenPrefix = "muster-relay.";

struct RelayTokenRecord {
  std::string event_id;
  std::string label;
  bool revoked = false;
};

// How far one device's chain reached the upstream (relay side).
struct RelayProgress {
  std::string device_id;
  bool registered = false;          // the upstream knows the device (POST /api/v1/relay/devices)
  std::uint64_t upstream_acked = 0; // the upstream's acked_through for the device
  std::int64_t samples_through = 0; // clock samples received (relay clock, ms) up to this went up
  std::string last_error;           // "" when the last attempt went through
};

// A clock sample as the relay stored it, with when it arrived (the forwarding watermark).
struct StoredClockSample {
  ClockSample sample;
  std::int64_t received_ms = 0;
};

// Where a device's history left its parent's (empty parent: not a branch).
struct BranchLink {
  std::string parent_id{};
  std::uint64_t diverged_at = 0;
};

class RelayStore {
public:
  explicit RelayStore(std::unique_ptr<SqlConnection> db);
  ~RelayStore();
  RelayStore(const RelayStore&) = delete;
  RelayStore& operator=(const RelayStore&) = delete;

  // ---- upstream side ----
  DbResult<Ok> add_relay_token(std::string_view token_hash, std::string_view event_id,
                               std::string_view label, Instant now);
  // not_found for a hash that never was a relay token.
  DbResult<RelayTokenRecord> relay_token(std::string_view token_hash);
  // Revokes the token with this hash, or (hash empty) every unrevoked relay token with this
  // label; the number revoked.
  DbResult<std::uint64_t> revoke_relay_tokens(std::string_view token_hash, std::string_view label,
                                              Instant now);
  // Creates the device (no device token: it can only be reached through a relay) for the event,
  // with the kiosk's own public key when it has one (MUPK1, "" for none), or confirms it when a
  // relay registered it for the same event before (idempotent; a key learnt later is added).
  // A device known otherwise (provisioned directly, `register-device`) is taken over only when
  // it is of the same event and the relay names its very key: the same kiosk, now behind a
  // relay. Anything else is a conflict (another event, another key, no key to prove it).
  // A branch (a kiosk restored behind the relay) names its parent and where it left the
  // parent's history: the League links them as the relay did, so the branch keeps the rights
  // a branch has over its own earlier scans, and the parent is counted as rolled back once.
  DbResult<DeviceRecord>
  register_relay_device(std::string_view device_id, std::string_view device_name,
                        std::string_view event_id, std::string_view relay_label, Instant now,
                        std::string_view public_key = {}, const BranchLink& branch = {});
  // The label of the relay that registered the device; nullopt when none did.
  DbResult<std::optional<std::string>> relay_of_device(std::string_view device_id);

  // ---- relay side ----
  DbResult<std::optional<std::string>> state(std::string_view name);
  // Sets several values in one transaction (an envelope and its cursor change together).
  DbResult<Ok> set_state(const std::vector<std::pair<std::string, std::string>>& values);
  DbResult<RelayProgress> progress(std::string_view device_id); // zeros when none recorded
  DbResult<Ok> save_progress(const RelayProgress& progress, Instant now);
  DbResult<std::vector<RelayProgress>> all_progress();
  // The device's clock samples received after `received_after` (ms), oldest first, at most
  // `limit`; a group that arrived at the same millisecond is never cut (the watermark is the
  // arrival time), so fewer may come back.
  DbResult<std::vector<StoredClockSample>>
  clock_samples_after(std::string_view device_id, std::int64_t received_after, std::size_t limit);

private:
  std::unique_ptr<SqlConnection> db_;
};

// Opens (and, through open_server_store, upgrades) the database. schema error when the
// database is not initialised.
DbResult<std::unique_ptr<RelayStore>> open_relay_store(std::string_view database);

} // namespace muster::server
