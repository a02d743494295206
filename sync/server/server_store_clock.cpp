// ServerStore's clock samples: what devices sent of their clocks, kept once each, read back
// per event (shared/clock_correction.hpp places scans in true time with them).

#include "sync/server/sql_server_store.hpp"

namespace muster::server::store_impl {

DbResult<Ok> SqlServerStore::store_clock_samples(std::string_view device_id,
                                                 std::span<const ClockSample> samples,
                                                 Instant received_at) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  if (samples.empty()) return Ok{};
  for (const ClockSample& sample : samples) {
    if (sample.boot_id.empty() || has_nul(sample.boot_id)) {
      return fail(DbError::invalid, "a clock sample needs a boot id without NUL characters");
    }
  }
  auto tx = begin_write(device_scope(device_id));
  if (!tx) return tx.error();
  auto known = db_->exec("SELECT id FROM devices WHERE id = $1", Params{std::string(device_id)});
  if (!known) return known.error();
  if (known->rows.empty()) return unknown_device(device_id);
  for (const ClockSample& sample : samples) {
    auto inserted =
        db_->exec("INSERT INTO clock_samples (device_id, boot_id, server_ms, device_wall_ms, "
                  "monotonic_ms, uncertainty_ms, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
                  "ON CONFLICT DO NOTHING",
                  Params{std::string(device_id), sample.boot_id, to_ms(sample.server_time),
                         to_ms(sample.device_wall), sample.monotonic_ms, sample.uncertainty_ms,
                         to_ms(received_at)});
    if (!inserted) return inserted.error();
  }
  return tx->commit();
}

DbResult<std::vector<DeviceClockSample>>
SqlServerStore::clock_samples_for_event(std::string_view event_id) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  auto rows = db_->exec(
      "SELECT c.device_id, c.boot_id, c.server_ms, c.device_wall_ms, c.monotonic_ms, "
      "c.uncertainty_ms FROM clock_samples c JOIN devices d ON d.id = c.device_id "
      "WHERE d.event_id = $1 ORDER BY c.device_id, c.boot_id, c.monotonic_ms, c.server_ms",
      Params{std::string(event_id)});
  if (!rows) return rows.error();
  std::vector<DeviceClockSample> out;
  for (const auto& row : rows->rows) {
    DeviceClockSample item;
    item.device_id = text(row[0]);
    item.sample.boot_id = text(row[1]);
    item.sample.server_time = from_ms(integer(row[2]));
    item.sample.device_wall = from_ms(integer(row[3]));
    item.sample.monotonic_ms = integer(row[4]);
    item.sample.uncertainty_ms = integer(row[5]);
    out.push_back(std::move(item));
  }
  return out;
}

} // namespace muster::server::store_impl
