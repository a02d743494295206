// The venue relay's tables over SqlConnection: schema migration 10 (server_store_schema.cpp).
#include "sync/server/relay_store.hpp"

#include <utility>

#include "shared/scan_log.hpp"
#include "sync/server/league_key.hpp"
#include "sync/server/sql_connection.hpp"
#include "sync/server/sql_row.hpp"
#include "sync/server/sql_transaction.hpp"

namespace muster::server {

namespace {

using namespace sql_row; // NOLINT(google-build-using-namespace): the column helpers

constexpr std::string_view kRelayScope = "muster:relay";

} // namespace

RelayStore::RelayStore(std::unique_ptr<SqlConnection> db) : db_(std::move(db)) {}
RelayStore::~RelayStore() = default;

DbResult<Ok> RelayStore::add_relay_token(std::string_view token_hash, std::string_view event_id,
                                         std::string_view label, Instant now) {
  auto tx = SqlTransaction::begin_write(*db_, kRelayScope);
  if (!tx) return tx.error();
  auto event = db_->exec("SELECT 1 FROM events WHERE id = $1", Params{std::string(event_id)});
  if (!event) return event.error();
  if (event->rows.empty()) {
    return fail(DbError::not_found, "no event '" + std::string(event_id) + "' in the database");
  }
  if (auto inserted = db_->exec(
          "INSERT INTO relay_tokens (token_hash, event_id, label, "
          "created_at) VALUES ($1, $2, $3, $4)",
          Params{std::string(token_hash), std::string(event_id), std::string(label), to_ms(now)});
      !inserted) {
    return inserted.error();
  }
  return tx->commit();
}

DbResult<RelayTokenRecord> RelayStore::relay_token(std::string_view token_hash) {
  auto rows = db_->exec("SELECT event_id, label, revoked_at FROM relay_tokens WHERE "
                        "token_hash = $1",
                        Params{std::string(token_hash)});
  if (!rows) return rows.error();
  if (rows->rows.empty()) return fail(DbError::not_found, "no such relay token");
  const auto& row = rows->rows.front();
  return RelayTokenRecord{text(row[0]), text(row[1]), row[2].has_value()};
}

DbResult<std::uint64_t> RelayStore::revoke_relay_tokens(std::string_view token_hash,
                                                        std::string_view label, Instant now) {
  auto tx = SqlTransaction::begin_write(*db_, kRelayScope);
  if (!tx) return tx.error();
  auto revoked =
      token_hash.empty()
          ? db_->exec("UPDATE relay_tokens SET revoked_at = $2 WHERE label = $1 AND "
                      "revoked_at IS NULL",
                      Params{std::string(label), to_ms(now)})
          : db_->exec("UPDATE relay_tokens SET revoked_at = $2 WHERE token_hash = $1 AND "
                      "revoked_at IS NULL",
                      Params{std::string(token_hash), to_ms(now)});
  if (!revoked) return revoked.error();
  if (auto committed = tx->commit(); !committed) return committed.error();
  return revoked->affected;
}

namespace {

// Records that a relay registered the device: its token may push for it from now on.
DbResult<Ok> link_to_relay(SqlConnection& db, const std::string& device_id,
                           std::string_view relay_label, Instant now) {
  auto inserted = db.exec("INSERT INTO relay_devices (device_id, relay_label, registered_at) "
                          "VALUES ($1, $2, $3)",
                          Params{device_id, std::string(relay_label), to_ms(now)});
  if (!inserted) return inserted.error();
  return Ok{};
}

// The branch's lineage, written once: a branch of a device of the same event, and the
// parent marked rolled back (what the relay's own store did when the kiosk branched).
DbResult<Ok> link_branch(SqlConnection& db, DeviceRecord& device, const BranchLink& branch,
                         std::string_view event_id, Instant now) {
  if (branch.parent_id.empty()) return Ok{};
  if (branch.parent_id == device.id || branch.diverged_at == 0) {
    return fail(DbError::invalid, "a branch names another device as its parent and the "
                                  "sequence (>= 1) where it left it");
  }
  auto parent = db.exec("SELECT event_id FROM devices WHERE id = $1", Params{branch.parent_id});
  if (!parent) return parent.error();
  if (parent->rows.empty() || text(parent->rows.front()[0]) != event_id) {
    return fail(DbError::conflict, "device '" + device.id + "' names parent '" + branch.parent_id +
                                       "', which is no device of event '" + std::string(event_id) +
                                       "' here");
  }
  if (auto linked = db.exec(
          "UPDATE devices SET parent_id = $2, diverged_at = $3 WHERE "
          "id = $1",
          Params{device.id, branch.parent_id, static_cast<std::int64_t>(branch.diverged_at)});
      !linked) {
    return linked.error();
  }
  if (auto marked = db.exec("UPDATE devices SET rollbacks = rollbacks + 1, "
                            "rolled_back_at = $2 WHERE id = $1",
                            Params{branch.parent_id, to_ms(now)});
      !marked) {
    return marked.error();
  }
  device.parent_id = branch.parent_id;
  device.diverged_at = branch.diverged_at;
  return Ok{};
}

// A device the store knows already (`row`: name, event, created, relay label, key, parent):
// the same event, and the same key when both have one; a device no relay registered is taken
// over only with its own key.
DbResult<Ok> register_known_device(SqlConnection& db, DeviceRecord& device, const SqlRow& row,
                                   std::string_view event_id, std::string_view relay_label,
                                   Instant now, std::string_view public_key,
                                   const BranchLink& branch) {
  device.name = text(row[0]);
  device.event_id = text(row[1]);
  device.created_at = from_ms(integer(row[2]));
  device.public_key = text(row[4]);
  if (device.event_id != event_id) {
    return fail(DbError::conflict,
                "device '" + device.id + "' belongs to event '" + device.event_id + "'");
  }
  if (!public_key.empty() && !device.public_key.empty() && device.public_key != public_key) {
    return fail(DbError::conflict,
                "device '" + device.id + "' is registered with another public key");
  }
  if (!row[3].has_value()) {
    if (public_key.empty() || device.public_key != public_key) {
      return fail(DbError::conflict,
                  "device '" + device.id +
                      "' exists already and was not registered by a "
                      "relay (a relay may take it over only with the device's own public key)");
    }
    if (auto linked = link_to_relay(db, device.id, relay_label, now); !linked) {
      return linked.error();
    }
  } else if (device.public_key.empty() && !public_key.empty()) {
    if (auto keyed = db.exec("UPDATE devices SET public_key = $2 WHERE id = $1",
                             Params{device.id, std::string(public_key)});
        !keyed) {
      return keyed.error();
    }
    device.public_key = std::string(public_key);
  }
  device.parent_id = text(row[5]);
  // Registered before its relay knew it was a branch (an older relay): link it now.
  if (device.parent_id.empty() && !branch.parent_id.empty()) {
    return link_branch(db, device, branch, event_id, now);
  }
  return Ok{};
}

} // namespace

DbResult<DeviceRecord> RelayStore::register_relay_device(std::string_view device_id,
                                                         std::string_view device_name,
                                                         std::string_view event_id,
                                                         std::string_view relay_label, Instant now,
                                                         std::string_view public_key,
                                                         const BranchLink& branch) {
  // The device's own lock: its scan batches serialise on the same scope.
  auto tx = SqlTransaction::begin_write(*db_, "muster:device:" + std::string(device_id));
  if (!tx) return tx.error();
  auto existing =
      db_->exec("SELECT d.name, d.event_id, d.created_at, r.relay_label, d.public_key, "
                "d.parent_id FROM devices d LEFT JOIN relay_devices r ON r.device_id = d.id "
                "WHERE d.id = $1",
                Params{std::string(device_id)});
  if (!existing) return existing.error();
  DeviceRecord device;
  device.id = std::string(device_id);
  if (!existing->rows.empty()) {
    if (auto known = register_known_device(*db_, device, existing->rows.front(), event_id,
                                           relay_label, now, public_key, branch);
        !known) {
      return known.error();
    }
    if (auto committed = tx->commit(); !committed) return committed.error();
    return device;
  }
  device.name = std::string(device_name);
  device.event_id = std::string(event_id);
  device.created_at = now;
  device.public_key = std::string(public_key);
  // No token hash: no token matches it, so only a relay of the event reaches this device.
  if (auto inserted = db_->exec(
          "INSERT INTO devices (id, name, event_id, token_hash, created_at, last_seen, "
          "head_sequence, head_hash, public_key) VALUES ($1, $2, $3, '', $4, NULL, 0, $5, $6)",
          Params{device.id, device.name, device.event_id, to_ms(now), to_hex(kZeroDigest),
                 device.public_key});
      !inserted) {
    return inserted.error();
  }
  if (auto linked = link_to_relay(*db_, device.id, relay_label, now); !linked) {
    return linked.error();
  }
  if (auto linked = link_branch(*db_, device, branch, event_id, now); !linked) {
    return linked.error();
  }
  if (auto committed = tx->commit(); !committed) return committed.error();
  return device;
}

DbResult<std::optional<std::string>> RelayStore::relay_of_device(std::string_view device_id) {
  auto rows = db_->exec("SELECT relay_label FROM relay_devices WHERE device_id = $1",
                        Params{std::string(device_id)});
  if (!rows) return rows.error();
  if (rows->rows.empty()) return std::optional<std::string>{};
  return std::optional<std::string>{text(rows->rows.front()[0])};
}

DbResult<std::optional<std::string>> RelayStore::state(std::string_view name) {
  auto rows = db_->exec("SELECT value FROM relay_state WHERE name = $1", Params{std::string(name)});
  if (!rows) return rows.error();
  if (rows->rows.empty()) return std::optional<std::string>{};
  return std::optional<std::string>{text(rows->rows.front()[0])};
}

DbResult<Ok> RelayStore::set_state(const std::vector<std::pair<std::string, std::string>>& values) {
  auto tx = SqlTransaction::begin_write(*db_, kRelayScope);
  if (!tx) return tx.error();
  for (const auto& [name, value] : values) {
    if (auto written = db_->exec("INSERT INTO relay_state (name, value) VALUES ($1, $2) "
                                 "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                                 Params{name, value});
        !written) {
      return written.error();
    }
  }
  return tx->commit();
}

namespace {
RelayProgress progress_from(const SqlRow& row) {
  RelayProgress progress;
  progress.device_id = text(row[0]);
  progress.registered = integer(row[1]) != 0;
  progress.upstream_acked = static_cast<std::uint64_t>(integer(row[2]));
  progress.samples_through = integer(row[3]);
  progress.last_error = text(row[4]);
  return progress;
}
constexpr std::string_view kProgressColumns =
    "device_id, registered, upstream_acked, samples_through, last_error";
} // namespace

DbResult<RelayProgress> RelayStore::progress(std::string_view device_id) {
  auto rows = db_->exec("SELECT " + std::string(kProgressColumns) +
                            " FROM relay_forwarding WHERE device_id = $1",
                        Params{std::string(device_id)});
  if (!rows) return rows.error();
  if (rows->rows.empty()) {
    RelayProgress none;
    none.device_id = std::string(device_id);
    return none;
  }
  return progress_from(rows->rows.front());
}

DbResult<Ok> RelayStore::save_progress(const RelayProgress& progress, Instant now) {
  auto tx = SqlTransaction::begin_write(*db_, kRelayScope);
  if (!tx) return tx.error();
  if (auto written = db_->exec(
          "INSERT INTO relay_forwarding (device_id, registered, upstream_acked, samples_through, "
          "last_error, updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (device_id) DO "
          "UPDATE SET registered = excluded.registered, upstream_acked = excluded.upstream_acked, "
          "samples_through = excluded.samples_through, last_error = excluded.last_error, "
          "updated_at = excluded.updated_at",
          Params{progress.device_id, std::int64_t{progress.registered ? 1 : 0},
                 static_cast<std::int64_t>(progress.upstream_acked), progress.samples_through,
                 progress.last_error, to_ms(now)});
      !written) {
    return written.error();
  }
  return tx->commit();
}

DbResult<std::vector<RelayProgress>> RelayStore::all_progress() {
  auto rows = db_->exec("SELECT " + std::string(kProgressColumns) +
                        " FROM relay_forwarding ORDER BY device_id");
  if (!rows) return rows.error();
  std::vector<RelayProgress> out;
  for (const auto& row : rows->rows)
    out.push_back(progress_from(row));
  return out;
}

DbResult<std::vector<StoredClockSample>>
RelayStore::clock_samples_after(std::string_view device_id, std::int64_t received_after,
                                std::size_t limit) {
  auto rows = db_->exec(
      "SELECT boot_id, server_ms, device_wall_ms, monotonic_ms, uncertainty_ms, received_at "
      "FROM clock_samples WHERE device_id = $1 AND received_at > $2 "
      "ORDER BY received_at, boot_id, monotonic_ms, server_ms LIMIT $3",
      Params{std::string(device_id), received_after, static_cast<std::int64_t>(limit)});
  if (!rows) return rows.error();
  std::vector<StoredClockSample> out;
  for (const auto& row : rows->rows) {
    StoredClockSample stored;
    stored.sample.boot_id = text(row[0]);
    stored.sample.server_time = from_ms(integer(row[1]));
    stored.sample.device_wall = from_ms(integer(row[2]));
    stored.sample.monotonic_ms = integer(row[3]);
    stored.sample.uncertainty_ms = integer(row[4]);
    stored.received_ms = integer(row[5]);
    out.push_back(std::move(stored));
  }
  // Cut: drop the last arrival group, which may continue beyond the limit.
  if (out.size() == limit && limit > 0) {
    const std::int64_t last = out.back().received_ms;
    if (out.front().received_ms != last) {
      while (!out.empty() && out.back().received_ms == last)
        out.pop_back();
    }
  }
  return out;
}

DbResult<std::unique_ptr<RelayStore>> open_relay_store(std::string_view database) {
  return open_league_store<RelayStore>(database);
}

} // namespace muster::server
