// ServerStore's scan ingest storage: a device's pushed batch stored exactly once per
// (device, sequence) on its hash chain, with the walk-ins and reprints it carries.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sync/server/sql_server_store.hpp"

namespace muster::server::store_impl {

DbResult<IngestOutcome> SqlServerStore::store_scans(std::string_view device_id,
                                                    std::string_view event_id,
                                                    std::span<const Scan> scans,
                                                    Instant received_at) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  auto tx = begin_write(device_scope(device_id));
  if (!tx) return tx.error();
  auto head_rows = db_->exec("SELECT head_sequence, head_hash FROM devices WHERE id = $1",
                             Params{std::string(device_id)});
  if (!head_rows) return head_rows.error();
  if (head_rows->rows.empty()) return unknown_device(device_id);
  const ChainAnchor head{unsigned_integer(head_rows->rows[0][0]), digest(head_rows->rows[0][1])};
  auto session_ids = session_ids_of(event_id);
  if (!session_ids) return session_ids.error();

  IngestOutcome outcome;
  outcome.highest_contiguous = head.sequence;
  auto reject = [&](IngestRejection rejection) {
    IngestOutcome rejected;
    rejected.highest_contiguous = head.sequence;
    rejected.rejection = std::move(rejection);
    return rejected; // the transaction rolls back: nothing of the batch is stored
  };
  auto refused = check_batch(device_id, event_id, scans, *session_ids);
  if (!refused) return refused.error();
  if (*refused) return reject(std::move(**refused));
  auto fresh = fresh_scans(device_id, scans, head);
  if (!fresh) return fresh.error();
  if (fresh->rejection) return reject(std::move(*fresh->rejection));
  outcome.duplicates = fresh->duplicates;
  if (auto written = write_scans(*tx, device_id, event_id, fresh->scans, received_at); !written) {
    return written.error();
  }
  if (!fresh->scans.empty()) outcome.highest_contiguous = fresh->scans.back().sequence;
  if (auto committed = tx->commit(); !committed) return committed.error();
  outcome.stored = fresh->scans.size();
  return outcome;
}

// The ids of the event's sessions (not_found: no such event).
DbResult<std::set<std::string, std::less<>>>
SqlServerStore::session_ids_of(std::string_view event_id) {
  auto sessions =
      db_->exec("SELECT id FROM sessions WHERE event_id = $1", Params{std::string(event_id)});
  if (!sessions) return sessions.error();
  if (sessions->rows.empty()) {
    if (auto found = event_exists(event_id); !found) return found.error();
  }
  std::set<std::string, std::less<>> session_ids;
  for (const auto& row : sessions->rows)
    session_ids.insert(text(row[0]));
  return session_ids;
}

DbResult<std::optional<IngestRejection>>
SqlServerStore::check_batch(std::string_view device_id, std::string_view event_id,
                            std::span<const Scan> scans,
                            const std::set<std::string, std::less<>>& session_ids) {
  const auto refuse = [](std::uint64_t sequence, std::string reason) {
    return std::optional<IngestRejection>{IngestRejection{sequence, std::move(reason)}};
  };
  for (const Scan& scan : scans) {
    if (scan.device_id != device_id) {
      return refuse(scan.sequence, "scan " + std::to_string(scan.sequence) + " is of device '" +
                                       scan.device_id + "', not of device '" +
                                       std::string(device_id) + "'");
    }
    if (scan.sequence == 0 || scan.sequence > static_cast<std::uint64_t>(kMaxInt64)) {
      return refuse(scan.sequence, "scan sequence numbers start at 1");
    }
    const bool event_level = scan.kind == ScanKind::checkin ||
                             scan.kind == ScanKind::registration || scan.kind == ScanKind::reprint;
    if (!(event_level && scan.session_id.empty()) && !session_ids.contains(scan.session_id)) {
      return fail(DbError::invalid, "scan " + std::to_string(scan.sequence) + " names session '" +
                                        scan.session_id + "', which is not part of event '" +
                                        std::string(event_id) + "'");
    }
    if (scan.voids_sequence > static_cast<std::uint64_t>(kMaxInt64)) {
      return fail(DbError::invalid,
                  "scan " + std::to_string(scan.sequence) + " voids an impossible sequence number");
    }
    for (const std::string* field :
         {&scan.attendee_id, &scan.badge_serial, &scan.badge_payload, &scan.session_id,
          &scan.staff_id, &scan.reason, &scan.voids_device_id, &scan.details, &scan.boot_id}) {
      if (has_nul(*field)) {
        return fail(DbError::invalid,
                    "scan " + std::to_string(scan.sequence) + " contains a NUL character");
      }
    }
  }
  return std::optional<IngestRejection>{};
}

// Records the server holds already must be exactly what it holds (a retry); the rest must
// continue the stored chain from its head.
DbResult<FreshScans> SqlServerStore::fresh_scans(std::string_view device_id,
                                                 std::span<const Scan> scans,
                                                 const ChainAnchor& head) {
  FreshScans fresh;
  std::uint64_t lowest_known = std::numeric_limits<std::uint64_t>::max();
  for (const Scan& scan : scans) {
    if (scan.sequence <= head.sequence) lowest_known = std::min(lowest_known, scan.sequence);
  }
  std::map<std::uint64_t, std::string> stored_hashes;
  if (lowest_known <= head.sequence) {
    auto rows =
        db_->exec("SELECT seq, hash FROM scans WHERE device_id = $1 AND seq >= $2 AND seq <= $3",
                  Params{std::string(device_id), static_cast<std::int64_t>(lowest_known),
                         static_cast<std::int64_t>(head.sequence)});
    if (!rows) return rows.error();
    for (const auto& row : rows->rows)
      stored_hashes[unsigned_integer(row[0])] = text(row[1]);
  }
  for (const Scan& scan : scans) {
    if (scan.sequence > head.sequence) {
      fresh.scans.push_back(scan);
      continue;
    }
    auto stored = stored_hashes.find(scan.sequence);
    const bool same = stored != stored_hashes.end() && stored->second == to_hex(scan.hash) &&
                      compute_hash(scan) == scan.hash;
    if (!same) {
      fresh.rejection =
          IngestRejection{scan.sequence, "a different scan is already stored under sequence " +
                                             std::to_string(scan.sequence) +
                                             " (edited record or reused sequence number)"};
      return fresh;
    }
    ++fresh.duplicates;
  }
  if (auto broken = verify_device_chain(device_id, fresh.scans, head)) {
    fresh.rejection = IngestRejection{broken->first_bad_sequence, broken->message};
  }
  return fresh;
}

// Inserts the new scans, applies the walk-ins and reprints they carry, and moves the device's
// chain head to the last one.
DbResult<Ok> SqlServerStore::write_scans(StoreTransaction& tx, std::string_view device_id,
                                         std::string_view event_id, const std::vector<Scan>& fresh,
                                         Instant received_at) {
  // A branch's re-chained walk-ins keep the id their kiosk gave them under an ancestor's id.
  std::vector<std::string> walk_in_devices{std::string(device_id)};
  if (std::any_of(fresh.begin(), fresh.end(),
                  [](const Scan& s) { return s.kind == ScanKind::registration; })) {
    auto ancestors = lineage(device_id);
    if (!ancestors) return ancestors.error();
    for (const LineageStep& step : *ancestors)
      walk_in_devices.push_back(step.device_id);
  }
  // The rows first, in a few multi-row statements (insert_scans), then the walk-ins and reprints
  // in batch order: they touch attendees and badges only, never scans, so the order between the
  // two does not change what is stored, and any failure rolls the whole batch back.
  if (auto inserted = insert_scans(fresh, event_id, received_at); !inserted) {
    return inserted.error();
  }
  for (const Scan& scan : fresh) {
    if (scan.kind == ScanKind::reprint) {
      if (auto applied = apply_reprint(tx, scan, event_id, received_at); !applied) {
        return applied.error();
      }
    }
    if (scan.kind == ScanKind::registration) {
      if (auto added = apply_registration(tx, scan, walk_in_devices); !added) {
        return added.error();
      }
    }
  }
  if (fresh.empty()) return Ok{};
  const Scan& last = fresh.back();
  auto moved = db_->exec(
      "UPDATE devices SET head_sequence = $2, head_hash = $3 WHERE id = $1",
      Params{std::string(device_id), static_cast<std::int64_t>(last.sequence), to_hex(last.hash)});
  if (!moved) return moved.error();
  return Ok{};
}

DbResult<Ok> SqlServerStore::apply_registration(StoreTransaction& tx, const Scan& scan,
                                                const std::vector<std::string>& devices) {
  // A device names only its own walk-ins: an id of the roster, or one the roster may take
  // later, would let a walk-in's provisional state shadow a real attendee's credit.
  const bool own = std::any_of(devices.begin(), devices.end(), [&](const std::string& d) {
    return is_walk_in_id_of(scan.attendee_id, d);
  });
  if (!is_valid_badge_id(scan.attendee_id) || !own) {
    return fail(DbError::invalid, "registration scan " + std::to_string(scan.sequence) +
                                      " names an invalid attendee id (a walk-in's id is "
                                      "WALKIN-" +
                                      scan.device_id + "-<n>)");
  }
  auto existing = db_->exec("SELECT 1 FROM attendees WHERE id = $1", Params{scan.attendee_id});
  if (!existing) return existing.error();
  if (!existing->rows.empty()) return Ok{};
  const auto details = nlohmann::json::parse(scan.details, nullptr, false);
  const auto field = [&](const char* name) {
    std::string value;
    if (details.is_object() && details.contains(name) && details[name].is_string()) {
      value = details[name].get<std::string>();
    }
    std::erase(value, '\0');
    return value;
  };
  for (const char* name : {"first_name", "last_name", "municipality"}) {
    if (!is_valid_walk_in_field(field(name))) {
      return fail(DbError::invalid, "registration scan " + std::to_string(scan.sequence) +
                                        ": the walk-in's " + name + " is longer than " +
                                        std::to_string(kMaxWalkInField) +
                                        " bytes or holds control characters");
    }
  }
  const auto role = parse_role(field("role")).value_or(Role::guest);
  auto stamp = bump(tx);
  if (!stamp) return stamp.error();
  if (auto inserted = db_->exec(
          "INSERT INTO attendees (id, first_name, last_name, role, municipality, email, change, "
          "provisional) VALUES ($1, $2, $3, $4, $5, '', $6, 1) ON CONFLICT (id) DO NOTHING",
          Params{scan.attendee_id, field("first_name"), field("last_name"),
                 std::string(to_string(role)), field("municipality"), *stamp});
      !inserted) {
    return inserted.error();
  }
  return Ok{};
}

DbResult<Ok> SqlServerStore::apply_reprint(StoreTransaction& tx, const Scan& scan,
                                           std::string_view event_id, Instant received_at) {
  if (scan.badge_serial.empty() || scan.attendee_id.empty()) {
    return fail(DbError::invalid, "reprint scan " + std::to_string(scan.sequence) +
                                      " needs its attendee and new badge serial");
  }
  std::string old_serial;
  const auto details = nlohmann::json::parse(scan.details, nullptr, false);
  if (details.is_object() && details.contains("old_serial") && details["old_serial"].is_string()) {
    old_serial = details["old_serial"].get<std::string>();
  }
  if (has_nul(old_serial) || old_serial == scan.badge_serial) {
    return fail(DbError::invalid,
                "reprint scan " + std::to_string(scan.sequence) + " names an invalid old serial");
  }
  auto stamp = bump(tx);
  if (!stamp) return stamp.error();
  const Instant revoked_at = scan.wall_time;
  // The key id is the payload's fifth field: MU1.<league>.<attendee>.<serial>.<key id>.<sig>.
  std::string key_id;
  {
    std::size_t field = 0;
    std::size_t begin = 0;
    for (std::size_t i = 0; i <= scan.badge_payload.size(); ++i) {
      if (i == scan.badge_payload.size() || scan.badge_payload[i] == '.') {
        if (field == 4) key_id = scan.badge_payload.substr(begin, i - begin);
        ++field;
        begin = i + 1;
      }
    }
  }
  if (auto inserted = db_->exec(
          "INSERT INTO badges (serial, attendee_id, event_id, key_id, payload, issued_at, "
          "revoked_at, change) VALUES ($1, $2, $3, $4, $5, $6, NULL, 0) "
          "ON CONFLICT (serial) DO NOTHING",
          Params{scan.badge_serial, scan.attendee_id, std::string(event_id), key_id,
                 scan.badge_payload, to_ms(received_at)});
      !inserted) {
    return inserted.error();
  }
  if (!old_serial.empty()) {
    // Authority follows the fact: a reprint may revoke only a badge of the attendee it
    // reprinted for. A serial the server never issued is refused as well: it may be another
    // attendee's badge the server has not heard of yet.
    auto owner = db_->exec("SELECT attendee_id FROM badges WHERE serial = $1", Params{old_serial});
    if (!owner) return owner.error();
    if (owner->rows.empty()) {
      // A venue relay (sync/server/relay.hpp) knows no issued badges (packages do not carry
      // them): the League server, which does, decides when the relay forwards the scan.
      auto relay = db_->exec("SELECT 1 FROM relay_state WHERE name = 'event_id'");
      if (!relay) return relay.error();
      if (!relay->rows.empty()) return Ok{};
    }
    if (owner->rows.empty() || text(owner->rows[0][0]) != scan.attendee_id) {
      return fail(DbError::invalid, "reprint scan " + std::to_string(scan.sequence) +
                                        " names an old serial that is not a badge of " +
                                        scan.attendee_id);
    }
    if (auto revoked = db_->exec("UPDATE badges SET revoked_at = $2, change = $3 "
                                 "WHERE serial = $1 AND revoked_at IS NULL",
                                 Params{old_serial, to_ms(revoked_at), *stamp});
        !revoked) {
      return revoked.error();
    }
    return Ok{};
  }
  if (auto revoked =
          db_->exec("UPDATE badges SET revoked_at = $3, change = $4 "
                    "WHERE attendee_id = $1 AND serial <> $2 AND revoked_at IS NULL",
                    Params{scan.attendee_id, scan.badge_serial, to_ms(revoked_at), *stamp});
      !revoked) {
    return revoked.error();
  }
  return Ok{};
}

namespace {

constexpr std::size_t kInsertedColumns = 22; // the columns insert_scans_sql names
// Rows per INSERT statement at most. A batch of n rows goes out as the binary digits of n
// (128 + 64 + ... + 1), so each connection prepares at most eight statements, and PostgreSQL
// pays one round trip per 128 rows instead of one per row (issue 19). 128 x 22 parameters
// stays far below both backends' limits (SQLite 32766, PostgreSQL 65535).
constexpr std::size_t kRowsPerInsert = 128;

// "INSERT INTO scans (...) VALUES ($1, ..., $22), ($23, ...)" for `rows` rows.
const std::string& insert_scans_sql(std::size_t rows) {
  static const std::vector<std::string> statements = [] {
    std::vector<std::string> all(kRowsPerInsert + 1);
    for (std::size_t n = 1; n <= kRowsPerInsert; n *= 2) {
      std::string sql =
          "INSERT INTO scans (device_id, seq, event_id, attendee_id, badge_serial, "
          "badge_payload, session_id, kind, wall_ms, monotonic_ms, clock_offset_ms, correction, "
          "effective_ms, staff_id, reason, voids_device_id, voids_sequence, prev_hash, hash, "
          "received_at, details, boot_id) VALUES ";
      std::size_t parameter = 0;
      for (std::size_t row = 0; row < n; ++row) {
        sql += row == 0 ? "(" : ", (";
        for (std::size_t column = 0; column < kInsertedColumns; ++column) {
          sql += (column == 0 ? "$" : ", $") + std::to_string(++parameter);
        }
        sql += ')';
      }
      all[n] = std::move(sql);
    }
    return all;
  }();
  return statements[rows];
}

void append_scan_params(std::vector<SqlParam>& params, const Scan& scan, std::string_view event_id,
                        Instant received_at) {
  params.emplace_back(scan.device_id);
  params.emplace_back(static_cast<std::int64_t>(scan.sequence));
  params.emplace_back(std::string(event_id));
  params.emplace_back(scan.attendee_id);
  params.emplace_back(scan.badge_serial);
  params.emplace_back(scan.badge_payload);
  params.emplace_back(scan.session_id);
  params.emplace_back(std::string(to_string(scan.kind)));
  params.emplace_back(to_ms(scan.wall_time));
  params.emplace_back(scan.monotonic_ms);
  params.emplace_back(scan.clock_offset_ms);
  params.emplace_back(std::string(to_string(scan.correction)));
  params.emplace_back(to_ms(scan.effective_time));
  params.emplace_back(scan.staff_id);
  params.emplace_back(scan.reason);
  params.emplace_back(scan.voids_device_id);
  params.emplace_back(static_cast<std::int64_t>(scan.voids_sequence));
  params.emplace_back(to_hex(scan.prev_hash));
  params.emplace_back(to_hex(scan.hash));
  params.emplace_back(to_ms(received_at));
  params.emplace_back(scan.details);
  params.emplace_back(scan.boot_id);
}

} // namespace

// Plain INSERTs (no ON CONFLICT): the caller holds the device's write lock and inserts only
// sequences above the stored head, so a conflict here is a broken invariant and fails the batch.
DbResult<Ok> SqlServerStore::insert_scans(const std::vector<Scan>& scans, std::string_view event_id,
                                          Instant received_at) {
  std::vector<SqlParam> params;
  params.reserve(kRowsPerInsert * kInsertedColumns);
  std::size_t next = 0;
  while (next < scans.size()) {
    std::size_t rows = kRowsPerInsert;
    while (rows > scans.size() - next)
      rows /= 2;
    params.clear();
    for (std::size_t i = next; i < next + rows; ++i)
      append_scan_params(params, scans[i], event_id, received_at);
    if (auto inserted = db_->exec(insert_scans_sql(rows), params); !inserted) {
      return inserted.error();
    }
    next += rows;
  }
  return Ok{};
}

} // namespace muster::server::store_impl
