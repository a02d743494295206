// Provisioning codes: a one-time code that lets a kiosk register itself for an event.
#include "shared/time.hpp"
#include "sync/server/admin_commands.hpp"
#include "sync/server/admin_support.hpp"
#include "sync/server/http_api.hpp"

namespace muster::server {
namespace {

constexpr std::string_view kCodeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

} // namespace

using namespace admin_support; // NOLINT(google-build-using-namespace)

std::string new_provisioning_code() {
  const std::string raw = random_text(kCodeAlphabet, 12);
  return raw.substr(0, 4) + "-" + raw.substr(4, 4) + "-" + raw.substr(8, 4);
}

int run_provision(const ProvisionOptions& options, std::ostream& out, std::ostream& err) {
  if (options.device_name.empty() || options.device_name.size() > 100) {
    err << "error: --name must be 1 to 100 characters (e.g. \"Ballroom A door\")\n";
    return 1;
  }
  auto store = open_existing_store(options.database);
  if (!store) return report(store, err);
  if (auto event = find_event(**store, options.event_id); !event) return report(event, err);
  const std::string code = new_provisioning_code();
  const Instant expires = now_instant() + options.valid_for;
  auto added = (*store)->add_provisioning_code(hash_secret(code), options.event_id,
                                               options.device_name, expires);
  if (!added) return report(added, err);
  out << "One-time provisioning code for device \"" << options.device_name << "\" at event "
      << options.event_id << ".\nIt works once and expires at " << format_utc(expires)
      << ". On the kiosk run: muster-kiosk --data DIR provision https://SERVER:PORT CODE\n"
      << code << "\n";
  return 0;
}

} // namespace muster::server
