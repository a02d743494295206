#pragma once
// `muster-server relay`: a muster-server at a venue with a local network but no (or unreliable)
// internet. Kiosks provision and sync against it exactly as against the League server (the same
// HTTP API, the same checks, over the relay's own store); in the background it
//  - forwards every device's chain upstream unchanged (same device ids, sequences and hashes),
//    per device from the upstream's acked_through, in bounded batches with the device's clock
//    samples, and keeps each device's progress in its database (relay_store.hpp);
//  - pulls the upstream's signed event package (new registrations, revocations, keys, desk
//    certificates), applies it to its own store (so `provision --db RELAY_DB` and the ingest
//    checks work locally) and serves the upstream's envelopes to its kiosks unchanged: it has no
//    League key and signs nothing.
// Without the upstream it goes on for as long as it must, backing off (1 s doubling to
// --max-backoff, probing GET /api/v1/time every 5 s) and catching up when the upstream returns.
// docs/deployment.md "Venue relay"; the upstream endpoints are in sync/PROTOCOL.md.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

#include "sync/server/http_api.hpp"

namespace muster::server {

struct RelayOptions {
  HttpOptions http;     // the venue side: database, listen address, TLS, limits
  std::string upstream; // the League server's base URL, e.g. https://league.example.org
  std::string token;    // muster-relay.<64 hex> from `muster-server relay-token`
  // A full package file (`muster-server package`) to start from when the upstream cannot be
  // reached (a venue that never had internet); ignored when the database holds a newer one.
  std::optional<std::filesystem::path> package_file;
  std::string ca_file;    // CA bundle for the upstream's certificate (empty: the system's)
  std::string pinned_key; // sha256//BASE64 pin of the upstream's public key
  bool allow_insecure_http = false;               // plain http:// to a non-loopback upstream
  std::chrono::milliseconds interval{10'000};     // between rounds while the upstream answers
  std::chrono::milliseconds max_backoff{300'000}; // cap of the wait while it does not
  std::size_t batch_size = 500;                   // scans per forwarded request
};

// Runs until SIGINT or SIGTERM. 0 after a clean stop; 1 when it could not start (message on
// `err`); 2 for bad options.
int run_relay(const RelayOptions& options, std::ostream& out, std::ostream& err);

// `muster-server relay-status --db RELAY_DB`: per device of the relay, its scans and how many
// of them the League server has acknowledged, and the relay's package cursor. Exit 0.
int run_relay_status(const std::string& database, std::ostream& out, std::ostream& err);

struct RelayTokenOptions {
  std::string database;
  std::string event_id;
  std::string label;
};

// `muster-server relay-token`: prints a new relay token for one event (once; only its hash is
// stored). Revoke it with `muster-server revoke-token --token T` (or --label).
int run_relay_token(const RelayTokenOptions& options, std::ostream& out, std::ostream& err);

} // namespace muster::server
