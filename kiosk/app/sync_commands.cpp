#include "kiosk/app/sync_commands.hpp"

#include <thread>

#include "kiosk/app/kiosk_settings.hpp"
#include "kiosk/app/package_import.hpp"

namespace muster::kiosk {

namespace {

std::int64_t wall_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void print_report(const sync::SyncReport& report, std::ostream& out) {
  out << "pushed " << report.stored << " new scans";
  if (report.duplicates > 0) out << " (" << report.duplicates << " already on the server)";
  out << " in " << report.batches << (report.batches == 1 ? " batch" : " batches")
      << "; acknowledged through sequence " << report.acked_through;
  if (report.package_applied) out << "; event package at cursor " << report.package_cursor;
  if (report.clock) {
    out << "; clock offset " << report.clock->offset_ms << " ms (±" << report.clock->uncertainty_ms
        << " ms)";
  }
  out << '\n';
  if (!report.branched_to.empty()) {
    out << "this kiosk's store was restored from a backup or cloned: the server holds other "
           "scans of device "
        << report.branched_from << " from sequence " << report.branch_diverged_at << "; its "
        << report.branch_moved << " own scans from there continue as device " << report.branched_to
        << " (nothing lost; see muster-server devices)\n";
  }
}

} // namespace

sync::PackageApplier package_applier() {
  return
      [](KioskStore& store, std::string_view envelope) -> Result<std::uint64_t, sync::SyncError> {
        auto summary = import_package(store, envelope);
        if (!summary) {
          return fail(sync::SyncError::package,
                      "the event package from the server was refused: " + summary.message());
        }
        return summary->cursor;
      };
}

sync::HttpClientOptions http_options(const SyncCommandOptions& options) {
  sync::HttpClientOptions http;
  http.connect_timeout = options.connect_timeout;
  http.total_timeout = options.total_timeout;
  http.ca_file = options.ca_file;
  http.pinned_public_key = options.pinned_public_key;
  http.allow_insecure_http = options.insecure_http;
  return http;
}

sync::SyncEngineOptions engine_options(const std::filesystem::path& store_path,
                                       const SyncCommandOptions& options) {
  sync::SyncEngineOptions engine;
  engine.store_path = store_path;
  engine.http = http_options(options);
  engine.pass.batch_size = options.batch_size;
  if (!options.server_url.empty()) engine.pass.server_url = options.server_url;
  engine.apply = package_applier();
  return engine;
}

namespace {
constexpr std::string_view kSettingCaFile = "sync.ca_file";
constexpr std::string_view kSettingPin = "sync.pinned_public_key";
constexpr std::string_view kSettingInsecureHttp = "sync.insecure_http";

Result<Ok, StoreError> save_tls(KioskStore& store, const SyncCommandOptions& options) {
  if (auto saved = store.set_setting(kSettingCaFile, options.ca_file); !saved) return saved;
  if (auto saved = store.set_setting(kSettingPin, options.pinned_public_key); !saved) return saved;
  return store.set_setting(kSettingInsecureHttp, options.insecure_http ? "1" : "0");
}
} // namespace

SyncCommandOptions with_saved_tls(const KioskStore& store, SyncCommandOptions options) {
  const auto saved = [&store](std::string_view key) {
    auto value = store.setting(key);
    return value && *value ? **value : std::string();
  };
  if (options.ca_file.empty()) options.ca_file = saved(kSettingCaFile);
  if (options.pinned_public_key.empty()) options.pinned_public_key = saved(kSettingPin);
  if (!options.insecure_http) options.insecure_http = saved(kSettingInsecureHttp) == "1";
  return options;
}

int run_provision(KioskStore& store, std::string_view server_url, std::string_view code,
                  const SyncCommandOptions& options, std::ostream& out, std::ostream& err) {
  const auto http_opts = http_options(options);
  if (auto checked = sync::check_server_url(server_url, http_opts.allow_insecure_http); !checked) {
    err << "muster-kiosk provision: " << checked.message() << '\n';
    return 1;
  }
  // The kiosk provisions as itself: its own id and device key, made at its first start. A
  // current server keeps that id, so scans recorded before provisioning sync as they are.
  auto own_id = ensure_device_id(store);
  if (!own_id) {
    err << "muster-kiosk provision: " << own_id.message() << '\n';
    return 1;
  }
  auto key = ensure_device_key(store);
  if (!key) {
    err << "muster-kiosk provision: " << key.message() << '\n';
    return 1;
  }
  auto scans = store.last_sequence(*own_id);
  if (!scans) {
    err << "muster-kiosk provision: " << scans.message() << '\n';
    return 1;
  }
  sync::HttpClient http(http_opts);
  const std::int64_t t0 = wall_now_ms();
  auto provisioned = sync::provision_device(http, server_url, code, options.device_name, *own_id,
                                            to_text(key->public_key()));
  const std::int64_t t1 = wall_now_ms();
  if (!provisioned) {
    err << "muster-kiosk provision: " << provisioned.message() << '\n';
    return 1;
  }
  if (provisioned->device_id != *own_id && *scans > 0) {
    // An older server ignores the kiosk's id and makes one: taking it would split the chain.
    err << "muster-kiosk provision: the server gave this kiosk another device id ("
        << provisioned->device_id << "), but it already recorded " << *scans << " scans as device "
        << *own_id
        << "; a new id would split that scan chain, so this kiosk stays unprovisioned (the "
           "code is used up). Deliver its scans with 'muster-kiosk export-scans' and "
           "'muster-server import-scans', or upgrade the server.\n";
    return 1;
  }
  if (auto set = set_device_id(store, provisioned->device_id); !set) {
    err << "muster-kiosk provision: " << set.message() << '\n';
    return 1;
  }
  const std::int64_t first_offset =
      provisioned->server_time_ms != 0 ? provisioned->server_time_ms - (t0 + t1) / 2 : 0;
  if (auto saved = sync::save_provisioning(store, *provisioned, first_offset); !saved) {
    err << "muster-kiosk provision: " << saved.message() << '\n';
    return 1;
  }
  if (auto saved = save_tls(store, options); !saved) {
    err << "muster-kiosk provision: " << saved.message() << '\n';
    return 1;
  }
  out << "provisioned as device " << provisioned->device_id
      << (provisioned->device_name.empty() ? "" : " (" + provisioned->device_name + ")")
      << " for event " << provisioned->event_id << " at " << provisioned->server_url << '\n';
  sync::SyncPassOptions pass;
  pass.batch_size = options.batch_size;
  const auto report = sync::run_sync_pass(store, http, pass, package_applier());
  if (!report.ok) {
    err << "muster-kiosk provision: provisioned, but the event package could not be pulled: "
        << (report.error ? report.error->message : "unknown error")
        << "; run 'muster-kiosk sync --once' when the server is reachable\n";
    return 1;
  }
  out << "event package applied (cursor " << report.package_cursor << ")\n";
  return 0;
}

int run_sync_once(KioskStore& store, const SyncCommandOptions& given, std::ostream& out,
                  std::ostream& err) {
  const SyncCommandOptions options = with_saved_tls(store, given);
  sync::HttpClient http(http_options(options));
  sync::SyncPassOptions pass;
  pass.batch_size = options.batch_size;
  if (!options.server_url.empty()) pass.server_url = options.server_url;
  const auto applier = package_applier();
  sync::SyncReport report;
  for (int attempt = 0; attempt <= std::max(0, options.retries); ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::seconds{attempt});
    report = sync::run_sync_pass(store, http, pass, applier);
    if (report.ok || !report.error || report.error->code != sync::SyncError::unreachable) break;
  }
  if (!report.ok) {
    err << "muster-kiosk sync: " << (report.error ? report.error->message : "failed") << "; "
        << report.queued << " scans still waiting to be acknowledged\n";
    return 1;
  }
  print_report(report, out);
  if (report.queued > 0) {
    err << "muster-kiosk sync: " << report.queued
        << " scans are still not acknowledged by the server; run sync again\n";
    return 1;
  }
  out << "all scans acknowledged\n";
  return 0;
}

} // namespace muster::kiosk
