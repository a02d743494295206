// ServerStore's package deltas: what changed for one event since a kiosk's cursor.

#include "sync/server/sql_server_store.hpp"

namespace muster::server::store_impl {

DbResult<PackageDelta> SqlServerStore::package_since(std::string_view event_id,
                                                     std::uint64_t cursor) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  auto snapshot = SqlTransaction::begin_read(*db_); // never committed: dropping it ends it
  if (!snapshot) return snapshot.error();
  // The counter first: a change committed after this read is sent again next time, never lost.
  auto counter = db_->exec("SELECT counter FROM changes WHERE id = 1");
  if (!counter) return counter.error();
  PackageDelta delta;
  delta.next_cursor = counter->rows.empty() ? 0 : unsigned_integer(counter->rows[0][0]);
  // A cursor from the future (another database, a restored backup): send everything.
  delta.since_cursor = cursor > delta.next_cursor ? 0 : cursor;
  const auto since = static_cast<std::int64_t>(delta.since_cursor);

  auto ev = db_->exec("SELECT change FROM events WHERE id = $1", Params{std::string(event_id)});
  if (!ev) return ev.error();
  if (ev->rows.empty()) return fail(DbError::not_found, "no event '" + std::string(event_id) + "'");
  if (integer(ev->rows[0][0]) > since) {
    auto loaded = load_event(event_id);
    if (!loaded) return loaded.error();
    delta.event = std::move(*loaded);
  }
  auto people = db_->exec("SELECT " + std::string(kAttendeeColumns) +
                              " FROM attendees WHERE change > $1 ORDER BY id",
                          Params{since});
  if (!people) return people.error();
  delta.attendees.reserve(people->rows.size());
  for (const auto& row : people->rows) {
    Attendee attendee = attendee_from(row);
    attendee.email.clear(); // never leaves the server
    delta.attendees.push_back(std::move(attendee));
  }
  // Badges are valid League-wide, so every revocation matters to every event's kiosks.
  auto revoked = db_->exec(
      "SELECT serial FROM badges WHERE revoked_at IS NOT NULL AND change > $1 ORDER BY serial",
      Params{since});
  if (!revoked) return revoked.error();
  for (const auto& row : revoked->rows)
    delta.revoked_serials.push_back(text(row[0]));
  auto keys = league_keys();
  if (!keys) return keys.error();
  delta.league_keys = std::move(*keys);
  auto certificates = device_certificates();
  if (!certificates) return certificates.error();
  delta.device_certificates = std::move(*certificates);
  return delta;
}

} // namespace muster::server::store_impl
