// ServerStore's signed things kiosks verify: League keys, badges (issue, revoke) and the
// certificates of desk devices' keys.

#include "sync/server/sql_server_store.hpp"

namespace muster::server::store_impl {

DbResult<Ok> SqlServerStore::add_league_key(const LeagueKeyRecord& key) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  if (key.key_id.empty() || key.public_key_text.empty() || has_nul(key.key_id) ||
      has_nul(key.public_key_text)) {
    return fail(DbError::invalid, "a League key needs a key id and a public key");
  }
  auto tx = begin_write(kLeagueScope);
  if (!tx) return tx.error();
  auto stamp = bump(*tx);
  if (!stamp) return stamp.error();
  auto inserted =
      db_->exec("INSERT INTO league_keys (key_id, public_key, created_at, active, change) "
                "VALUES ($1, $2, $3, 0, $4) ON CONFLICT (key_id) DO NOTHING",
                Params{key.key_id, key.public_key_text, to_ms(key.created_at), *stamp});
  if (!inserted) return inserted.error();
  if (inserted->affected == 0) {
    return fail(DbError::conflict, "the League key '" + key.key_id + "' exists already");
  }
  // The newest key signs from now on; older keys stay so earlier badges still verify.
  if (auto activated = db_->exec(
          "UPDATE league_keys SET active = CASE WHEN key_id = $1 THEN 1 ELSE 0 END, change = $2 "
          "WHERE active = 1 OR key_id = $1",
          Params{key.key_id, *stamp});
      !activated) {
    return activated.error();
  }
  return tx->commit();
}

DbResult<std::vector<LeagueKeyRecord>> SqlServerStore::league_keys() {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  auto rows = db_->exec("SELECT key_id, public_key, created_at, active FROM league_keys "
                        "ORDER BY created_at, key_id");
  if (!rows) return rows.error();
  std::vector<LeagueKeyRecord> keys;
  for (const auto& row : rows->rows) {
    keys.push_back(LeagueKeyRecord{text(row[0]), text(row[1]), from_ms(integer(row[2])),
                                   integer(row[3]) != 0});
  }
  return keys;
}

DbResult<Ok> SqlServerStore::add_badge(const BadgeRecord& badge) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  if (badge.serial.empty() || has_nul(badge.serial) || has_nul(badge.payload)) {
    return fail(DbError::invalid, "a badge needs a serial");
  }
  auto tx = begin_write(kLeagueScope);
  if (!tx) return tx.error();
  auto person = db_->exec("SELECT 1 FROM attendees WHERE id = $1", Params{badge.attendee_id});
  if (!person) return person.error();
  if (person->rows.empty()) {
    return fail(DbError::not_found,
                "no attendee '" + badge.attendee_id + "' for badge " + badge.serial);
  }
  if (!badge.event_id.empty()) {
    if (auto found = event_exists(badge.event_id); !found) return found.error();
  }
  std::int64_t change = 0;
  if (badge.revoked_at) { // kiosks must learn of a badge that arrives already revoked
    auto stamp = bump(*tx);
    if (!stamp) return stamp.error();
    change = *stamp;
  }
  auto inserted =
      db_->exec("INSERT INTO badges (serial, attendee_id, event_id, key_id, payload, issued_at, "
                "revoked_at, change) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                "ON CONFLICT (serial) DO NOTHING",
                Params{badge.serial, badge.attendee_id, badge.event_id, badge.key_id, badge.payload,
                       to_ms(badge.issued_at), optional_param(badge.revoked_at), change});
  if (!inserted) return inserted.error();
  if (inserted->affected == 0) {
    return fail(DbError::conflict, "a badge with serial " + badge.serial + " exists already");
  }
  return tx->commit();
}

DbResult<BadgeRecord> SqlServerStore::badge(std::string_view serial) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  return load_badge(serial);
}

DbResult<std::vector<BadgeRecord>> SqlServerStore::badges_for_event(std::string_view event_id) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  if (auto found = event_exists(event_id); !found) return found.error();
  auto rows = db_->exec("SELECT " + std::string(kBadgeColumns) +
                            " FROM badges WHERE event_id = $1 ORDER BY serial",
                        Params{std::string(event_id)});
  if (!rows) return rows.error();
  std::vector<BadgeRecord> all;
  for (const auto& row : rows->rows)
    all.push_back(badge_from(row));
  return all;
}

DbResult<BadgeRecord> SqlServerStore::revoke_badge(std::string_view serial, Instant when) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  auto tx = begin_write(kLeagueScope);
  if (!tx) return tx.error();
  auto current = load_badge(serial);
  if (!current) return current.error();
  if (current->revoked_at) return current; // revoked before: keep the first time
  auto stamp = bump(*tx);
  if (!stamp) return stamp.error();
  if (auto revoked = db_->exec("UPDATE badges SET revoked_at = $2, change = $3 WHERE serial = $1",
                               Params{std::string(serial), to_ms(when), *stamp});
      !revoked) {
    return revoked.error();
  }
  if (auto committed = tx->commit(); !committed) return committed.error();
  current->revoked_at = when;
  return current;
}

DbResult<BadgeRecord> SqlServerStore::load_badge(std::string_view serial) {
  auto rows = db_->exec("SELECT " + std::string(kBadgeColumns) + " FROM badges WHERE serial = $1",
                        Params{std::string(serial)});
  if (!rows) return rows.error();
  if (rows->rows.empty()) {
    return fail(DbError::not_found, "no badge with serial " + std::string(serial));
  }
  return badge_from(rows->rows[0]);
}

DbResult<Ok> SqlServerStore::add_device_certificate(const DeviceCertificateRecord& record) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  if (record.key_id.empty() || record.certificate_text.empty() || has_nul(record.key_id) ||
      has_nul(record.certificate_text) || has_nul(record.device_name)) {
    return fail(DbError::invalid, "a device certificate needs a key id and its MUC1 text");
  }
  auto tx = begin_write(kLeagueScope);
  if (!tx) return tx.error();
  auto stamp = bump(*tx);
  if (!stamp) return stamp.error();
  // Certifying a key again (a new expiry) replaces its certificate.
  if (auto saved =
          db_->exec("INSERT INTO device_certificates (key_id, device_name, certificate, "
                    "created_at, change) "
                    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key_id) DO UPDATE SET "
                    "device_name = excluded.device_name, certificate = excluded.certificate, "
                    "created_at = excluded.created_at, change = excluded.change",
                    Params{record.key_id, record.device_name, record.certificate_text,
                           to_ms(record.created_at), *stamp});
      !saved) {
    return saved.error();
  }
  return tx->commit();
}

DbResult<std::vector<DeviceCertificateRecord>> SqlServerStore::device_certificates() {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  auto rows =
      db_->exec("SELECT key_id, device_name, certificate, created_at FROM device_certificates "
                "ORDER BY key_id");
  if (!rows) return rows.error();
  std::vector<DeviceCertificateRecord> all;
  for (const auto& row : rows->rows) {
    all.push_back({text(row[0]), text(row[1]), text(row[2]), from_ms(integer(row[3]))});
  }
  return all;
}

} // namespace muster::server::store_impl
