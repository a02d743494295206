#pragma once
// The kiosk's network commands (issue 5, names fixed):
//   muster-kiosk --data DIR provision URL CODE
//   muster-kiosk --data DIR sync --once [--server URL]
// and the glue that lets the sync engine (sync/client) apply event packages with this kiosk's
// import (package_import.hpp) without sync/client depending on kiosk/.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <ostream>
#include <string>
#include <string_view>

#include "shared/kiosk_store.hpp"
#include "sync/client/sync_engine.hpp"
#include "sync/client/sync_pass.hpp"

namespace muster::kiosk {

struct SyncCommandOptions {
  std::string server_url;        // sync: overrides the provisioned URL for this run (a proxy)
  std::string device_name;       // provision: informational name sent to the server
  bool insecure_http = false;    // allow plain http to a host that is not loopback
  std::string ca_file;           // TLS: CA certificates to trust instead of the system's
  std::string pinned_public_key; // TLS: CURLOPT_PINNEDPUBLICKEY ("sha256//..." or a file)
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout{30000};
  std::size_t batch_size = sync::kDefaultBatchSize;
  int retries = 2; // sync --once: further passes after a network failure (1 s, 2 s apart)
};

// import_package as the engine's PackageApplier (returns the applied cursor).
sync::PackageApplier package_applier();

sync::HttpClientOptions http_options(const SyncCommandOptions& options);

// What the window's sync engine runs with: the store file, TLS options, package import.
sync::SyncEngineOptions engine_options(const std::filesystem::path& store_path,
                                       const SyncCommandOptions& options);

// The TLS choices made at provisioning (CA file, public-key pin, plain-http permission) are kept
// in the store's settings; this fills what `options` leaves unset from them, so later syncs and
// the window's background engine verify the server the same way.
SyncCommandOptions with_saved_tls(const KioskStore& store, SyncCommandOptions options);

// Each returns the process exit code (0 done; 1 with a message on `err`).
int run_provision(KioskStore& store, std::string_view server_url, std::string_view code,
                  const SyncCommandOptions& options, std::ostream& out, std::ostream& err);
int run_sync_once(KioskStore& store, const SyncCommandOptions& options, std::ostream& out,
                  std::ostream& err);

} // namespace muster::kiosk
