// The event package: the one builder for the file (`muster-server package`), the HTTP endpoint
// (http_packages.cpp) and the demo, and the package command.
#include "shared/event_package.hpp"
#include "sync/server/admin_commands.hpp"
#include "sync/server/admin_support.hpp"

namespace muster::server {

using namespace admin_support; // NOLINT(google-build-using-namespace)

AdminResult<EventPackage> build_event_package(ServerStore& store, std::string_view event_id,
                                              std::uint64_t since_cursor, Instant now) {
  if (auto event = find_event(store, event_id); !event) return event.error();
  auto league = store.league();
  if (!league) return store_error(league);
  auto delta = store.package_since(event_id, since_cursor);
  if (!delta) return store_error(delta);
  EventPackage package;
  package.league_id = league->id;
  package.since_cursor = delta->since_cursor;
  package.cursor = delta->next_cursor;
  package.event = std::move(delta->event);
  package.attendees = std::move(delta->attendees);
  for (Attendee& attendee : package.attendees)
    attendee.email.clear();
  package.revoked_serials = std::move(delta->revoked_serials);
  for (const LeagueKeyRecord& record : delta->league_keys) {
    auto key = parse_public_key(record.public_key_text);
    if (!key) {
      return fail(AdminError::damaged, "the database holds an unreadable League key " +
                                           record.key_id + ": " + key.message());
    }
    package.league_keys.push_back(std::move(*key));
  }
  for (const DeviceCertificateRecord& record : delta->device_certificates) {
    auto certificate = parse_device_certificate(record.certificate_text);
    if (!certificate) {
      return fail(AdminError::damaged, "the database holds an unreadable device certificate " +
                                           record.key_id + ": " + certificate.message());
    }
    package.device_certificates.push_back(std::move(*certificate));
  }
  package.generated_at = now;
  return package;
}

int run_package(const PackageOptions& options, std::ostream& out, std::ostream& err) {
  auto store = open_existing_store(options.database);
  if (!store) return report(store, err);
  if (auto event = find_event(**store, options.event_id); !event) return report(event, err);
  auto key = load_checked_league_key(**store, options.database, options.league_key, err);
  if (!key) return report(key, err);
  auto package = build_event_package(**store, options.event_id, 0, now_instant());
  if (!package) return report(package, err);
  if (auto written = write_file_atomically(options.out_file, sign_package(*package, *key));
      !written) {
    return report(written, err);
  }
  out << "Wrote the signed package of event " << options.event_id << " to "
      << options.out_file.string() << ": " << package->attendees.size() << " attendees, "
      << (package->event ? package->event->sessions.size() : 0) << " sessions, "
      << package->revoked_serials.size() << " revoked serials, cursor " << package->cursor
      << ".\nLoad it on a kiosk with: muster-kiosk --data DIR import-package "
      << options.out_file.string() << "\n";
  return 0;
}

} // namespace muster::server
