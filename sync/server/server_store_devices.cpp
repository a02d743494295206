// ServerStore's devices: provisioning codes and the device tokens they give, registering a
// kiosk's own key, revoking, and the branches of a kiosk restored from an old backup.

#include "sync/server/sql_server_store.hpp"

namespace muster::server::store_impl {

DbResult<Ok> SqlServerStore::add_provisioning_code(std::string_view code_hash,
                                                   std::string_view event_id,
                                                   std::string_view device_name,
                                                   Instant expires_at) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  if (code_hash.empty() || has_nul(code_hash) || has_nul(device_name)) {
    return fail(DbError::invalid, "a provisioning code needs a hash");
  }
  auto tx = begin_write(kProvisioningScope);
  if (!tx) return tx.error();
  if (auto found = event_exists(event_id); !found) return found.error();
  auto inserted =
      db_->exec("INSERT INTO provisioning_codes (code_hash, event_id, device_name, expires_at) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT (code_hash) DO NOTHING",
                Params{std::string(code_hash), std::string(event_id), std::string(device_name),
                       to_ms(expires_at)});
  if (!inserted) return inserted.error();
  if (inserted->affected == 0) {
    return fail(DbError::conflict, "this provisioning code exists already");
  }
  return tx->commit();
}

DbResult<DeviceRecord> SqlServerStore::redeem_provisioning_code(std::string_view code_hash,
                                                                std::string_view device_id,
                                                                std::string_view token_hash,
                                                                Instant now,
                                                                std::string_view public_key) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  if (device_id.empty() || token_hash.empty() || has_nul(device_id) || has_nul(token_hash) ||
      has_nul(public_key)) {
    return fail(DbError::invalid, "a device needs an id and a token hash");
  }
  auto tx = begin_write(kProvisioningScope);
  if (!tx) return tx.error();
  // The guard is in the UPDATE itself: of two concurrent redeems, exactly one changes the row.
  auto claimed = db_->exec("UPDATE provisioning_codes SET used_at = $2, device_id = $3 "
                           "WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2 "
                           "RETURNING event_id, device_name",
                           Params{std::string(code_hash), to_ms(now), std::string(device_id)});
  if (!claimed) return claimed.error();
  if (claimed->rows.empty()) {
    auto code = db_->exec("SELECT used_at FROM provisioning_codes WHERE code_hash = $1",
                          Params{std::string(code_hash)});
    if (!code) return code.error();
    if (code->rows.empty()) return fail(DbError::not_found, "unknown provisioning code");
    if (code->rows[0][0]) return fail(DbError::conflict, "this provisioning code was used already");
    // Expired is as good as unknown to the person typing it: ask for a new one (404).
    return fail(DbError::not_found, "this provisioning code has expired");
  }
  DeviceRecord device;
  device.id = std::string(device_id);
  device.event_id = text(claimed->rows[0][0]);
  device.name = text(claimed->rows[0][1]);
  device.token_hash = std::string(token_hash);
  device.created_at = now;
  device.public_key = std::string(public_key);
  auto inserted =
      db_->exec("INSERT INTO devices (id, name, event_id, token_hash, created_at, last_seen, "
                "head_sequence, head_hash, public_key) VALUES ($1, $2, $3, $4, $5, NULL, 0, $6, "
                "$7) ON CONFLICT (id) DO NOTHING",
                Params{device.id, device.name, device.event_id, device.token_hash, to_ms(now),
                       to_hex(kZeroDigest), device.public_key});
  if (!inserted) return inserted.error();
  if (inserted->affected == 0) {
    // The kiosk's own id, known already (register-device, an earlier provisioning): the same
    // key proves it is the same kiosk, which gets the new token and keeps its chain.
    const auto taken = [&] {
      return fail(DbError::conflict, "a device '" + device.id + "' exists already");
    };
    if (public_key.empty()) return taken();
    auto updated = db_->exec(
        "UPDATE devices SET token_hash = $2, name = $3, event_id = $4 "
        "WHERE id = $1 AND public_key = $5",
        Params{device.id, device.token_hash, device.name, device.event_id, device.public_key});
    if (!updated) return updated.error();
    if (updated->affected == 0) return taken();
    auto stored = db_->exec("SELECT " + std::string(kDeviceColumns) + " FROM devices WHERE id = $1",
                            Params{device.id});
    if (!stored) return stored.error();
    if (stored->rows.empty()) return unknown_device(device.id);
    device = device_from(stored->rows[0]);
  }
  if (auto committed = tx->commit(); !committed) return committed.error();
  return device;
}

DbResult<DeviceRecord> SqlServerStore::register_device(const DeviceRecord& wanted, Instant now) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  if (wanted.id.empty() || wanted.public_key.empty() || has_nul(wanted.id) ||
      has_nul(wanted.name) || has_nul(wanted.public_key)) {
    return fail(DbError::invalid, "a registered device needs an id and a public key");
  }
  auto tx = begin_write(kProvisioningScope);
  if (!tx) return tx.error();
  auto event = db_->exec("SELECT id FROM events WHERE id = $1", Params{wanted.event_id});
  if (!event) return event.error();
  if (event->rows.empty()) return fail(DbError::not_found, "no such event: " + wanted.event_id);
  // No token: the device cannot call the API until it provisions (with the same key).
  auto inserted =
      db_->exec("INSERT INTO devices (id, name, event_id, token_hash, created_at, last_seen, "
                "head_sequence, head_hash, public_key) VALUES ($1, $2, $3, '', $4, NULL, 0, $5, "
                "$6) ON CONFLICT (id) DO NOTHING",
                Params{wanted.id, wanted.name, wanted.event_id, to_ms(now), to_hex(kZeroDigest),
                       wanted.public_key});
  if (!inserted) return inserted.error();
  if (inserted->affected == 0) {
    // Known already: the same key is a repeat; a device provisioned before kiosks had keys
    // gets this one; another key is another kiosk.
    auto updated = db_->exec("UPDATE devices SET public_key = $2 WHERE id = $1 AND (public_key = "
                             "'' OR public_key = $2)",
                             Params{wanted.id, wanted.public_key});
    if (!updated) return updated.error();
    if (updated->affected == 0) {
      return fail(DbError::conflict, "device '" + wanted.id + "' is registered with another key");
    }
  }
  auto stored = db_->exec("SELECT " + std::string(kDeviceColumns) + " FROM devices WHERE id = $1",
                          Params{wanted.id});
  if (!stored) return stored.error();
  if (stored->rows.empty()) return unknown_device(wanted.id);
  DeviceRecord device = device_from(stored->rows[0]);
  if (auto committed = tx->commit(); !committed) return committed.error();
  return device;
}

DbResult<DeviceRecord> SqlServerStore::device(std::string_view device_id) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  auto rows = db_->exec("SELECT " + std::string(kDeviceColumns) + " FROM devices WHERE id = $1",
                        Params{std::string(device_id)});
  if (!rows) return rows.error();
  if (rows->rows.empty()) return unknown_device(device_id);
  return device_from(rows->rows[0]);
}

DbResult<std::vector<DeviceRecord>> SqlServerStore::devices() {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  auto rows =
      db_->exec("SELECT " + std::string(kDeviceColumns) + " FROM devices ORDER BY created_at, id");
  if (!rows) return rows.error();
  std::vector<DeviceRecord> all;
  for (const auto& row : rows->rows)
    all.push_back(device_from(row));
  return all;
}

DbResult<Ok> SqlServerStore::touch_device(std::string_view device_id, Instant seen_at) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  // Only forward: two servers touching out of order keep the latest time.
  auto touched = db_->exec(
      "UPDATE devices SET last_seen = $2 WHERE id = $1 AND (last_seen IS NULL OR last_seen < $2)",
      Params{std::string(device_id), to_ms(seen_at)});
  if (!touched) return touched.error();
  if (touched->affected == 0) {
    auto found = device(device_id);
    if (!found) return found.error();
  }
  return Ok{};
}

DbResult<Ok> SqlServerStore::revoke_device(std::string_view device_id) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  auto tx = begin_write(device_scope(device_id));
  if (!tx) return tx.error();
  // No hash matches an empty one: the token stops working on the very next request, while
  // the device's record and scans stay for the record.
  auto updated =
      db_->exec("UPDATE devices SET token_hash = '' WHERE id = $1", Params{std::string(device_id)});
  if (!updated) return updated.error();
  if (updated->affected == 0) return unknown_device(device_id);
  return tx->commit();
}

DbResult<BranchOutcome> SqlServerStore::branch_device(
    std::string_view parent_id, std::uint64_t diverged_at, std::string_view kiosk_hash,
    const std::function<std::string(const std::string&)>& token_hash_for, Instant now) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  if (!token_hash_for || has_nul(parent_id) || !digest_from_hex(kiosk_hash) || diverged_at == 0 ||
      diverged_at > static_cast<std::uint64_t>(kMaxInt64)) {
    return fail(DbError::invalid, "a branch needs a sequence >= 1, the kiosk's hash there "
                                  "(64 hex) and a token");
  }
  // The parent's scan lock: a branch is decided against the chain as stored, not one a
  // concurrent push is extending.
  auto tx = begin_write(device_scope(parent_id));
  if (!tx) return tx.error();
  auto parent_rows = db_->exec("SELECT " + std::string(kDeviceColumns) +
                                   ", head_sequence FROM devices WHERE id = $1",
                               Params{std::string(parent_id)});
  if (!parent_rows) return parent_rows.error();
  if (parent_rows->rows.empty()) return unknown_device(parent_id);
  const DeviceRecord parent = device_from(parent_rows->rows[0]);
  const std::uint64_t head = unsigned_integer(parent_rows->rows[0][kDeviceColumnCount]);
  const std::string hash = to_hex(*digest_from_hex(kiosk_hash));
  // The same request again (its answer was lost): the same branch, with the new token.
  auto existing = db_->exec("SELECT id FROM devices WHERE parent_id = $1 AND diverged_at = $2 "
                            "AND diverged_hash = $3",
                            Params{parent.id, static_cast<std::int64_t>(diverged_at), hash});
  if (!existing) return existing.error();
  if (!existing->rows.empty()) {
    const std::string id = text(existing->rows[0][0]);
    if (auto updated = db_->exec("UPDATE devices SET token_hash = $2 WHERE id = $1",
                                 Params{id, token_hash_for(id)});
        !updated) {
      return updated.error();
    }
    if (auto committed = tx->commit(); !committed) return committed.error();
    auto branch = device(id);
    if (!branch) return branch.error();
    return BranchOutcome{std::move(*branch), false};
  }
  if (diverged_at > head) {
    return fail(DbError::conflict, "device '" + parent.id + "' holds scans up to " +
                                       std::to_string(head) + " only: nothing diverged at " +
                                       std::to_string(diverged_at) + "; push from there");
  }
  auto stored = db_->exec("SELECT hash FROM scans WHERE device_id = $1 AND seq = $2",
                          Params{parent.id, static_cast<std::int64_t>(diverged_at)});
  if (!stored) return stored.error();
  if (!stored->rows.empty() && text(stored->rows[0][0]) == hash) {
    return fail(DbError::conflict, "device '" + parent.id + "' holds this very scan under " +
                                       std::to_string(diverged_at) + ": nothing diverged");
  }
  auto count = db_->exec("SELECT count(*) FROM devices WHERE parent_id = $1", Params{parent.id});
  if (!count) return count.error();
  std::uint64_t n = unsigned_integer(count->rows[0][0]);
  std::string id;
  for (int attempt = 0; attempt < 1000; ++attempt) {
    id = parent.id + "-B" + std::to_string(++n);
    auto inserted = db_->exec(
        "INSERT INTO devices (id, name, event_id, token_hash, created_at, last_seen, "
        "head_sequence, head_hash, parent_id, diverged_at, diverged_hash, public_key) "
        "VALUES ($1, $2, $3, $4, $5, NULL, 0, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING",
        Params{id, parent.name, parent.event_id, token_hash_for(id), to_ms(now),
               to_hex(kZeroDigest), parent.id, static_cast<std::int64_t>(diverged_at), hash,
               parent.public_key});
    if (!inserted) return inserted.error();
    if (inserted->affected == 1) break;
    id.clear();
  }
  if (id.empty()) return fail(DbError::conflict, "no free branch id for '" + parent.id + "'");
  if (auto marked = db_->exec(
          "UPDATE devices SET rollbacks = rollbacks + 1, rolled_back_at = $2 WHERE id = $1",
          Params{parent.id, to_ms(now)});
      !marked) {
    return marked.error();
  }
  if (auto committed = tx->commit(); !committed) return committed.error();
  auto branch = device(id);
  if (!branch) return branch.error();
  return BranchOutcome{std::move(*branch), true};
}

DbResult<std::vector<LineageStep>> SqlServerStore::lineage(std::string_view device_id) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  std::vector<LineageStep> steps;
  std::string current(device_id);
  // Bounded: a chain of branches is short; a cycle cannot be written, but never loop on one.
  for (int depth = 0; depth < 64; ++depth) {
    auto rows =
        db_->exec("SELECT parent_id, diverged_at FROM devices WHERE id = $1", Params{current});
    if (!rows) return rows.error();
    if (rows->rows.empty()) {
      if (depth == 0) return unknown_device(device_id);
      break;
    }
    const std::string parent = text(rows->rows[0][0]);
    if (parent.empty()) break;
    steps.push_back(LineageStep{parent, unsigned_integer(rows->rows[0][1])});
    current = parent;
  }
  return steps;
}

} // namespace muster::server::store_impl
