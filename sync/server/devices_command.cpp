#include "sync/server/devices_command.hpp"

#include <nlohmann/json.hpp>

#include "shared/text.hpp"
#include "shared/time.hpp"
#include "sync/server/admin_commands.hpp"
#include "sync/server/server_store.hpp"
#include "sync/server/web/staff_correction.hpp"

namespace muster::server {

int run_devices(const DevicesOptions& options, std::ostream& out, std::ostream& err) {
  auto store = open_existing_store(options.database);
  if (!store) {
    err << "error: " << store.message() << '\n';
    return 1;
  }
  auto devices = (*store)->devices();
  if (!devices) {
    err << "error: " << devices.message() << '\n';
    return 1;
  }
  nlohmann::json list = nlohmann::json::array();
  for (const DeviceRecord& device : *devices) {
    if (!options.event_id.empty() && device.event_id != options.event_id) continue;
    auto head = (*store)->chain_head(device.id);
    if (!head) {
      err << "error: " << head.message() << '\n';
      return 1;
    }
    const std::string last_seen = device.last_seen ? format_utc(*device.last_seen) : "";
    const std::string rolled_back_at =
        device.rolled_back_at ? format_utc(*device.rolled_back_at) : "";
    if (options.json) {
      list.push_back({{"device_id", device.id},
                      {"name", device.name},
                      {"event_id", device.event_id},
                      {"created_at", format_utc(device.created_at)},
                      {"last_seen", last_seen},
                      {"scans", head->sequence},
                      {"revoked", device.token_hash.empty()},
                      {"parent_device_id", device.parent_id},
                      {"diverged_at", device.diverged_at},
                      {"rollbacks", device.rollbacks},
                      {"rolled_back_at", rolled_back_at},
                      {"console", is_console_device(device.id)}});
      continue;
    }
    out << printable(device.id) << '\t' << printable(device.name) << '\t'
        << printable(device.event_id) << "\tcreated " << format_utc(device.created_at)
        << "\tlast seen " << (last_seen.empty() ? "never" : last_seen) << '\t' << head->sequence
        << " scans";
    // The console's corrections "device" (staff_correction.hpp) is listed, for its scans'
    // sake, but marked: it is no door and no kiosk ever syncs as it.
    if (is_console_device(device.id)) out << "\tconsole: staff corrections, not a door";
    if (device.token_hash.empty()) out << "\trevoked";
    if (!device.parent_id.empty()) {
      out << "\tbranch of " << printable(device.parent_id) << " from #" << device.diverged_at;
    }
    if (device.rollbacks > 0) {
      out << "\trolled back " << device.rollbacks << (device.rollbacks == 1 ? " time" : " times")
          << ", last " << rolled_back_at;
      // The branches that continue it, so the operator sees where the scans went.
      std::string branches;
      for (const DeviceRecord& other : *devices) {
        if (other.parent_id != device.id) continue;
        branches += (branches.empty() ? "" : ", ") + printable(other.id);
      }
      if (!branches.empty()) out << " (continues as " << branches << ")";
    }
    out << '\n';
  }
  if (options.json) out << list.dump(2) << '\n';
  return 0;
}

} // namespace muster::server
