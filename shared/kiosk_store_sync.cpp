// Sync state in the kiosk store: the server's acknowledgements (the only thing about a scan
// that may change), the device's clock samples, and the named cursors and settings.
#include <string>
#include <utility>

#include "shared/kiosk_store_support.hpp"

namespace muster {

using namespace kiosk_store_support; // NOLINT(google-build-using-namespace)

Result<std::uint64_t, StoreError>
KioskStore::mark_acked(std::string_view device_id, std::uint64_t up_to_sequence, Instant acked_at) {
  constexpr std::string_view kAction = "saving the server's acknowledgement";
  if (auto refused = state_->refuse_if_read_only(kAction); !refused) return refused.error();
  auto transaction = Transaction::begin(state_->db(), Transaction::Kind::immediate);
  if (!transaction) return state_->error(transaction.error(), kAction);
  auto last = last_sequence(device_id);
  if (!last) return last.error();
  if (up_to_sequence > *last) {
    // The server holds scans this file does not: it was likely restored from an old backup,
    // and new scans would reuse sequence numbers. Staff must re-provision, not carry on.
    return fail(StoreError::invalid, "the server acknowledged scans up to " +
                                         std::to_string(up_to_sequence) + " of device " +
                                         std::string(device_id) + " but this kiosk recorded only " +
                                         std::to_string(*last) +
                                         "; was its data file restored from a backup? "
                                         "Re-provision the kiosk");
  }
  auto statement =
      state_->prepare("UPDATE scans SET acked_at_ms = ?1 WHERE device_id = ?2 AND sequence <= ?3 "
                      "AND acked_at_ms IS NULL",
                      kAction);
  if (!statement) return statement.error();
  statement->bind(1, to_ms(acked_at)).bind(2, device_id).bind(3, to_sql(up_to_sequence));
  if (auto done = statement->run(); !done) return state_->error(done.error(), kAction);
  const auto changed = to_u64(sqlite::changes(state_->db()));
  if (auto committed = transaction->commit(); !committed) {
    return state_->error(committed.error(), kAction);
  }
  return changed;
}

Result<std::uint64_t, StoreError> KioskStore::acked_through(std::string_view device_id) const {
  constexpr std::string_view kAction = "reading the sync state";
  auto statement =
      state_->prepare("SELECT coalesce(max(sequence), 0) FROM scans WHERE device_id = ?1 "
                      "AND acked_at_ms IS NOT NULL",
                      kAction);
  if (!statement) return statement.error();
  statement->bind(1, device_id);
  auto row = statement->step();
  if (!row) return state_->error(row.error(), kAction);
  return to_u64(statement->column_int64(0));
}

Result<std::uint64_t, StoreError> KioskStore::unacked_count() const {
  auto count = state_->query_int("SELECT count(*) FROM scans WHERE acked_at_ms IS NULL",
                                 "reading the sync state");
  if (!count) return count.error();
  return to_u64(*count);
}

// ---- Cursors and settings -------------------------------------------------------------------

Result<std::optional<std::string>, StoreError> KioskStore::cursor(std::string_view name) const {
  return state_->get_text("sync_cursors", "name", name);
}

Result<Ok, StoreError> KioskStore::set_cursor(std::string_view name, std::string_view value) {
  return state_->set_text("sync_cursors", "name", name, value);
}

Result<std::optional<std::string>, StoreError> KioskStore::setting(std::string_view key) const {
  return state_->get_text("settings", "key", key);
}

Result<Ok, StoreError> KioskStore::set_setting(std::string_view key, std::string_view value) {
  return state_->set_text("settings", "key", key, value);
}

// ---- Clock samples ----------------------------------------------------------------------------

namespace {
constexpr std::string_view kSampleColumns =
    "id, boot_id, server_time_ms, device_wall_ms, monotonic_ms, uncertainty_ms";

std::pair<std::int64_t, ClockSample> read_sample(const Statement& row) {
  ClockSample sample;
  sample.boot_id = row.column_text(1);
  sample.server_time = from_ms(row.column_int64(2));
  sample.device_wall = from_ms(row.column_int64(3));
  sample.monotonic_ms = row.column_int64(4);
  sample.uncertainty_ms = row.column_int64(5);
  return {row.column_int64(0), std::move(sample)};
}
} // namespace

Result<Ok, StoreError> KioskStore::add_clock_sample(const ClockSample& sample) {
  constexpr std::string_view kAction = "saving a clock sample";
  if (auto refused = state_->refuse_if_read_only(kAction); !refused) return refused.error();
  if (sample.boot_id.empty()) return fail(StoreError::invalid, "a clock sample needs a boot id");
  auto insert = state_->prepare("INSERT INTO clock_samples (boot_id, server_time_ms, "
                                "device_wall_ms, monotonic_ms, uncertainty_ms) "
                                "VALUES (?1, ?2, ?3, ?4, ?5)",
                                kAction);
  if (!insert) return insert.error();
  insert->bind(1, sample.boot_id).bind(2, to_ms(sample.server_time));
  insert->bind(3, to_ms(sample.device_wall)).bind(4, sample.monotonic_ms);
  insert->bind(5, sample.uncertainty_ms);
  if (auto done = insert->run(); !done) return state_->error(done.error(), kAction);
  return Ok{};
}

Result<std::vector<std::pair<std::int64_t, ClockSample>>, StoreError>
KioskStore::unsent_clock_samples(std::size_t limit) const {
  constexpr std::string_view kAction = "reading clock samples";
  auto statement = state_->prepare("SELECT " + std::string(kSampleColumns) +
                                       " FROM clock_samples WHERE sent_at_ms IS NULL "
                                       "ORDER BY id LIMIT ?1",
                                   kAction);
  if (!statement) return statement.error();
  statement->bind(1, to_sql(limit));
  std::vector<std::pair<std::int64_t, ClockSample>> samples;
  for (;;) {
    auto row = statement->step();
    if (!row) return state_->error(row.error(), kAction);
    if (!*row) return samples;
    samples.push_back(read_sample(*statement));
  }
}

Result<Ok, StoreError> KioskStore::mark_clock_samples_sent(std::int64_t up_to_id, Instant sent_at) {
  constexpr std::string_view kAction = "saving that the server stored the clock samples";
  if (auto refused = state_->refuse_if_read_only(kAction); !refused) return refused.error();
  auto statement = state_->prepare(
      "UPDATE clock_samples SET sent_at_ms = ?1 WHERE id <= ?2 AND sent_at_ms IS NULL", kAction);
  if (!statement) return statement.error();
  statement->bind(1, to_ms(sent_at)).bind(2, up_to_id);
  if (auto done = statement->run(); !done) return state_->error(done.error(), kAction);
  return Ok{};
}

Result<std::optional<ClockSample>, StoreError>
KioskStore::latest_clock_sample(std::string_view boot_id) const {
  constexpr std::string_view kAction = "reading clock samples";
  // Two statements: an empty text may bind as NULL, which equals nothing.
  auto statement = state_->prepare("SELECT " + std::string(kSampleColumns) + " FROM clock_samples" +
                                       (boot_id.empty() ? "" : " WHERE boot_id = ?1") +
                                       " ORDER BY id DESC LIMIT 1",
                                   kAction);
  if (!statement) return statement.error();
  if (!boot_id.empty()) statement->bind(1, boot_id);
  auto row = statement->step();
  if (!row) return state_->error(row.error(), kAction);
  if (!*row) return std::optional<ClockSample>{};
  return std::optional<ClockSample>{read_sample(*statement).second};
}

} // namespace muster
