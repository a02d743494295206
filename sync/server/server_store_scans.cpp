// ServerStore's scans read back: a device's chain head, an event's or a device's scans, the
// other doors' attendance scans, and when each scan was first stored.

#include "sync/server/sql_server_store.hpp"

namespace muster::server::store_impl {

DbResult<ChainAnchor> SqlServerStore::chain_head(std::string_view device_id) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  auto rows = db_->exec("SELECT head_sequence, head_hash FROM devices WHERE id = $1",
                        Params{std::string(device_id)});
  if (!rows) return rows.error();
  if (rows->rows.empty()) return unknown_device(device_id);
  return ChainAnchor{unsigned_integer(rows->rows[0][0]), digest(rows->rows[0][1])};
}

DbResult<std::vector<Scan>> SqlServerStore::scans_for_event(std::string_view event_id) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  if (auto found = event_exists(event_id); !found) return found.error();
  return load_scans("event_id", event_id);
}

DbResult<std::vector<Scan>> SqlServerStore::scans_for_device(std::string_view device_id) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  auto found = device(device_id);
  if (!found) return found.error();
  return load_scans("device_id", device_id);
}

DbResult<std::vector<Scan>> SqlServerStore::load_scans(std::string_view column,
                                                       std::string_view value) {
  auto rows = db_->exec("SELECT " + std::string(kScanColumns) + " FROM scans WHERE " +
                            std::string(column) + " = $1 ORDER BY device_id, seq",
                        Params{std::string(value)});
  if (!rows) return rows.error();
  std::vector<Scan> all;
  all.reserve(rows->rows.size());
  for (const auto& row : rows->rows)
    all.push_back(scan_from(row));
  return all;
}

DbResult<PeerScans> SqlServerStore::peer_scans(std::string_view event_id,
                                               std::string_view except_device,
                                               const PeerCursor& after, std::size_t limit) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  const auto fetch = static_cast<std::int64_t>(limit) + 1; // one more tells "more"
  auto rows = db_->exec("SELECT " + std::string(kScanColumns) +
                            ", received_at FROM scans WHERE event_id = $1 AND device_id <> $2 "
                            "AND kind IN ('arrive', 'leave', 'correction') "
                            "AND (received_at > $3 OR (received_at = $3 AND (device_id > $4 "
                            "OR (device_id = $4 AND seq > $5)))) "
                            "ORDER BY received_at, device_id, seq LIMIT $6",
                        Params{std::string(event_id), std::string(except_device), after.received_ms,
                               after.device_id, static_cast<std::int64_t>(after.sequence), fetch});
  if (!rows) return rows.error();
  PeerScans out;
  out.cursor = after;
  for (const auto& row : rows->rows) {
    if (out.scans.size() == limit) {
      out.more = true;
      break;
    }
    out.scans.push_back(scan_from(row));
    out.cursor = PeerCursor{integer(row[kScanColumnCount]), out.scans.back().device_id,
                            out.scans.back().sequence};
  }
  return out;
}

DbResult<std::uint64_t> SqlServerStore::scan_count() {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  auto rows = db_->exec("SELECT count(*) FROM scans");
  if (!rows) return rows.error();
  return rows->rows.empty() ? std::uint64_t{0} : unsigned_integer(rows->rows[0][0]);
}

DbResult<std::uint64_t> SqlServerStore::event_scan_count(std::string_view event_id) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  auto rows =
      db_->exec("SELECT count(*) FROM scans WHERE event_id = $1", Params{std::string(event_id)});
  if (!rows) return rows.error();
  return rows->rows.empty() ? std::uint64_t{0} : unsigned_integer(rows->rows[0][0]);
}

DbResult<std::vector<ScanReceipt>> SqlServerStore::scan_receipts(std::string_view event_id) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  auto rows = db_->exec(
      "SELECT device_id, seq, received_at FROM scans WHERE event_id = $1 ORDER BY device_id, seq",
      Params{std::string(event_id)});
  if (!rows) return rows.error();
  std::vector<ScanReceipt> out;
  out.reserve(rows->rows.size());
  for (const auto& row : rows->rows) {
    out.push_back(ScanReceipt{text(row[0]), unsigned_integer(row[1]), from_ms(integer(row[2]))});
  }
  return out;
}

} // namespace muster::server::store_impl
