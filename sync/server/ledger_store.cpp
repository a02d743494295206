// The credit records over SqlConnection: the tables of schema migration 2
// (server_store_schema.cpp).
#include "sync/server/ledger_store.hpp"
#include "shared/hours.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <utility>

#include "sync/server/sql_connection.hpp"
#include "sync/server/sql_row.hpp"
#include "sync/server/sql_transaction.hpp"

namespace muster::server {

namespace {

using namespace sql_row; // NOLINT(google-build-using-namespace): the column helpers

constexpr std::string_view kLedgerScope = "muster:ledger";
constexpr std::string_view kEntryColumns =
    "official_id, id, entry_date, hours, course_code, topic, title, source, approved, "
    "test_passed, points_event, category, competency, documents_ref, event_id, test_score, "
    "programs";

std::optional<Date> date_of(const std::optional<std::string>& value) {
  if (!value || value->empty()) return std::nullopt;
  return parse_date(*value);
}

std::string date_text(const std::optional<Date>& date) {
  return date ? format_date(*date) : std::string();
}

DbResult<SqlTransaction> begin(SqlConnection& db) {
  return SqlTransaction::begin_write(db, kLedgerScope);
}

std::string programs_text(const std::vector<std::string>& programs) {
  std::string text;
  for (const auto& id : programs)
    text += (text.empty() ? "" : ",") + id;
  return text;
}

LedgerEntry entry_from(const SqlRow& row) {
  LedgerEntry entry;
  entry.official_id = text(row[0]);
  entry.id = text(row[1]);
  entry.date = date_of(row[2]).value_or(Date{});
  entry.hours = parse_double(row[3]);
  entry.course_code = text(row[4]);
  entry.topic = text(row[5]);
  entry.title = text(row[6]);
  entry.source = parse_credit_source(text(row[7])).value_or(CreditSource::league_event);
  entry.approved = integer(row[8]) != 0;
  entry.test_passed = integer(row[9]) != 0;
  entry.points_event = text(row[10]);
  entry.category = text(row[11]);
  entry.competency = text(row[12]);
  entry.documents_ref = text(row[13]);
  entry.event_id = text(row[14]);
  if (row[15] && !row[15]->empty()) entry.test_score = parse_double(row[15]);
  // The programs the event granted credit under, comma-separated (ids hold no commas).
  std::string programs = text(row[16]);
  for (std::size_t start = 0; start < programs.size();) {
    const std::size_t comma = std::min(programs.find(',', start), programs.size());
    if (comma > start) entry.programs.push_back(programs.substr(start, comma - start));
    start = comma + 1;
  }
  return entry;
}

Params entry_params(const LedgerEntry& e, Instant now) {
  return Params{e.official_id,
                e.id,
                format_date(e.date),
                format_hours(e.hours, HoursStyle::exact),
                e.course_code,
                e.topic,
                e.title,
                std::string(to_string(e.source)),
                std::int64_t{e.approved ? 1 : 0},
                std::int64_t{e.test_passed ? 1 : 0},
                e.points_event,
                e.category,
                e.competency,
                e.documents_ref,
                e.event_id,
                to_ms(now),
                e.test_score ? format_hours(*e.test_score, HoursStyle::exact) : std::string(),
                programs_text(e.programs)};
}

constexpr std::string_view kInsertEntry =
    "INSERT INTO ledger_entries (official_id, id, entry_date, hours, course_code, topic, title, "
    "source, approved, test_passed, points_event, category, competency, documents_ref, "
    "event_id, posted_at, test_score, programs) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
    "$11, $12, $13, $14, $15, $16, $17, $18)";

DbResult<std::vector<LedgerEntry>> select_entries(SqlConnection& db, std::string_view where,
                                                  const Params& params) {
  auto rows = db.exec(
      "SELECT " + std::string(kEntryColumns) + " FROM ledger_entries" + std::string(where), params);
  if (!rows) return rows.error();
  std::vector<LedgerEntry> entries;
  entries.reserve(rows->rows.size());
  for (const auto& row : rows->rows)
    entries.push_back(entry_from(row));
  std::sort(entries.begin(), entries.end(), [](const LedgerEntry& a, const LedgerEntry& b) {
    if (a.official_id != b.official_id) return a.official_id < b.official_id;
    return ledger_order(a, b);
  });
  return entries;
}

DbResult<std::optional<EventClosing>> select_closing(SqlConnection& db, std::string_view event_id) {
  auto rows =
      db.exec("SELECT event_id, closed_at, scans_at_close, amended_at FROM event_closings WHERE "
              "event_id = $1",
              Params{std::string(event_id)});
  if (!rows) return rows.error();
  if (rows->rows.empty()) return std::optional<EventClosing>{};
  const SqlRow& row = rows->rows[0];
  EventClosing closing;
  closing.event_id = text(row[0]);
  closing.closed_at = from_ms(integer(row[1]));
  closing.scans_at_close = static_cast<std::uint64_t>(integer(row[2]));
  if (row[3]) closing.amended_at = from_ms(integer(row[3]));
  return std::optional<EventClosing>{closing};
}

bool same_hours(double a, double b) { return std::fabs(a - b) < 1e-9; }

} // namespace

LedgerStore::LedgerStore(std::unique_ptr<SqlConnection> db) : db_(std::move(db)) {}
LedgerStore::~LedgerStore() = default;

DbResult<std::vector<LedgerEntry>> LedgerStore::entries(std::string_view official_id) {
  if (official_id.empty()) return select_entries(*db_, "", {});
  return select_entries(*db_, " WHERE official_id = $1", Params{std::string(official_id)});
}

DbResult<std::vector<LedgerEntry>>
LedgerStore::entries_of(std::span<const std::string> official_ids) {
  std::vector<LedgerEntry> all;
  // At most 500 ids per statement: well under SQLite's and PostgreSQL's parameter limits.
  constexpr std::size_t kIdsPerQuery = 500;
  for (std::size_t start = 0; start < official_ids.size(); start += kIdsPerQuery) {
    const std::size_t end = std::min(official_ids.size(), start + kIdsPerQuery);
    std::string where = " WHERE official_id IN (";
    Params params;
    for (std::size_t i = start; i < end; ++i) {
      where += (i == start ? "$" : ", $") + std::to_string(i - start + 1);
      params.emplace_back(official_ids[i]);
    }
    where += ")";
    auto entries = select_entries(*db_, where, params);
    if (!entries) return entries.error();
    all.insert(all.end(), std::make_move_iterator(entries->begin()),
               std::make_move_iterator(entries->end()));
  }
  if (official_ids.size() > kIdsPerQuery) {
    std::stable_sort(all.begin(), all.end(), [](const LedgerEntry& a, const LedgerEntry& b) {
      return a.official_id < b.official_id;
    });
  }
  return all;
}

DbResult<std::vector<LedgerEntry>> LedgerStore::entries_for_event(std::string_view event_id) {
  return select_entries(*db_, " WHERE event_id = $1", Params{std::string(event_id)});
}

DbResult<Ok> LedgerStore::add_entry(const LedgerEntry& entry, Instant now) {
  if (entry.id.empty() || entry.official_id.empty()) {
    return fail(DbError::invalid, "a ledger entry needs an id and an official");
  }
  if (!std::isfinite(entry.hours) || entry.hours < 0) {
    return fail(DbError::invalid, "hours must be a number >= 0");
  }
  auto tx = begin(*db_);
  if (!tx) return tx.error();
  auto inserted = db_->exec(kInsertEntry, entry_params(entry, now));
  if (!inserted) {
    if (inserted.code() == DbError::conflict) {
      return fail(DbError::conflict, "official '" + entry.official_id +
                                         "' already has a ledger entry '" + entry.id + "'");
    }
    return inserted.error();
  }
  return tx->commit();
}

DbResult<std::uint64_t> LedgerStore::classify(std::string_view official_id,
                                              std::string_view entry_id, std::string_view event_id,
                                              std::string_view category,
                                              std::string_view competency) {
  if (entry_id.empty() == event_id.empty()) {
    return fail(DbError::invalid, "name either one entry or one event");
  }
  auto tx = begin(*db_);
  if (!tx) return tx.error();
  const bool one = !entry_id.empty();
  auto updated = db_->exec(std::string("UPDATE ledger_entries SET category = $3, competency = $4 "
                                       "WHERE official_id = $1 AND ") +
                               (one ? "id = $2" : "event_id = $2"),
                           Params{std::string(official_id), std::string(one ? entry_id : event_id),
                                  std::string(category), std::string(competency)});
  if (!updated) return updated.error();
  if (auto committed = tx->commit(); !committed) return committed.error();
  return static_cast<std::uint64_t>(updated->affected);
}

DbResult<std::uint64_t> LedgerStore::add_preapproval(const Preapproval& preapproval, Instant now) {
  if (preapproval.official_id.empty() || preapproval.event_id.empty()) {
    return fail(DbError::invalid, "a pre-approval needs an official and an event");
  }
  auto tx = begin(*db_);
  if (!tx) return tx.error();
  auto inserted = db_->exec(
      "INSERT INTO preapprovals (official_id, event_id, reference, recorded_at) VALUES ($1, $2, "
      "$3, $4)",
      Params{preapproval.official_id, preapproval.event_id, preapproval.reference, to_ms(now)});
  if (!inserted) {
    if (inserted.code() == DbError::conflict) {
      return fail(DbError::conflict, "official '" + preapproval.official_id +
                                         "' already has a pre-approval for event '" +
                                         preapproval.event_id + "'");
    }
    return inserted.error();
  }
  auto updated = db_->exec("UPDATE ledger_entries SET approved = 1 WHERE official_id = $1 AND "
                           "event_id = $2 AND source = 'league_event'",
                           Params{preapproval.official_id, preapproval.event_id});
  if (!updated) return updated.error();
  if (auto committed = tx->commit(); !committed) return committed.error();
  return static_cast<std::uint64_t>(updated->affected);
}

DbResult<std::vector<Preapproval>> LedgerStore::preapprovals_for_event(std::string_view event_id) {
  auto rows = db_->exec("SELECT official_id, event_id, reference FROM preapprovals WHERE "
                        "event_id = $1 ORDER BY official_id",
                        Params{std::string(event_id)});
  if (!rows) return rows.error();
  std::vector<Preapproval> result;
  for (const auto& row : rows->rows)
    result.push_back({text(row[0]), text(row[1]), text(row[2])});
  return result;
}

namespace {

// One change of an event's ledger: a new entry (`computed`, the entry to insert), or posted
// hours changed, with the old and new hours kept as an amendment.
DbResult<Ok> post_change(SqlConnection& db, const LedgerChange& change, const LedgerEntry* computed,
                         Instant now) {
  if (!change.posted_hours) {
    auto inserted = db.exec(kInsertEntry, entry_params(*computed, now));
    if (!inserted) return inserted.error();
    return Ok{};
  }
  const double hours = change.computed_hours.value_or(0);
  if (auto updated = db.exec("UPDATE ledger_entries SET hours = $3, posted_at = $4 WHERE "
                             "official_id = $1 AND id = $2",
                             Params{change.official_id, change.entry_id,
                                    format_hours(hours, HoursStyle::exact), to_ms(now)});
      !updated) {
    return updated.error();
  }
  auto kept = db.exec("INSERT INTO ledger_amendments (official_id, id, old_hours, "
                      "new_hours, amended_at) VALUES ($1, $2, $3, $4, $5)",
                      Params{change.official_id, change.entry_id,
                             format_hours(*change.posted_hours, HoursStyle::exact),
                             format_hours(hours, HoursStyle::exact), to_ms(now)});
  if (!kept) return kept.error();
  return Ok{};
}

// The entries in multi-row INSERTs (18 parameters a row, 100 rows: 1,800 parameters, well
// under both databases' limits).
DbResult<Ok> insert_entries(SqlConnection& db, std::span<const LedgerEntry* const> entries,
                            Instant now) {
  constexpr std::size_t kRowsPerInsert = 100;
  const std::string_view head = kInsertEntry.substr(0, kInsertEntry.find(" VALUES ") + 8);
  for (std::size_t start = 0; start < entries.size(); start += kRowsPerInsert) {
    const std::size_t end = std::min(entries.size(), start + kRowsPerInsert);
    std::string sql(head);
    Params params;
    for (std::size_t i = start; i < end; ++i) {
      Params row = entry_params(*entries[i], now);
      sql += i == start ? "(" : ", (";
      for (std::size_t c = 0; c < row.size(); ++c) {
        sql += (c == 0 ? "$" : ", $") + std::to_string(params.size() + 1);
        params.push_back(std::move(row[c]));
      }
      sql += ")";
    }
    if (auto inserted = db.exec(sql, params); !inserted) return inserted.error();
  }
  return Ok{};
}

// The differences between the posted entries and what the scans give now, and the scans stored
// since the close: the report part of post_event, shared with preview_event.
PostOutcome compare_with_ledger(const std::optional<EventClosing>& previous,
                                const std::vector<LedgerEntry>& posted,
                                std::span<const LedgerEntry> computed,
                                std::uint64_t event_scan_count) {
  PostOutcome outcome;
  outcome.first_close = !previous.has_value();
  std::map<std::pair<std::string, std::string>, const LedgerEntry*> before;
  for (const auto& entry : posted)
    before[{entry.official_id, entry.id}] = &entry;
  std::map<std::pair<std::string, std::string>, const LedgerEntry*> now_given;
  for (const auto& entry : computed)
    now_given[{entry.official_id, entry.id}] = &entry;
  for (const auto& [key, entry] : now_given) {
    const auto found = before.find(key);
    if (found == before.end()) {
      outcome.changes.push_back({key.first, key.second, std::nullopt, entry->hours});
    } else if (!same_hours(found->second->hours, entry->hours)) {
      outcome.changes.push_back({key.first, key.second, found->second->hours, entry->hours});
    }
  }
  for (const auto& [key, entry] : before) {
    if (!now_given.contains(key) && !same_hours(entry->hours, 0)) {
      outcome.changes.push_back({key.first, key.second, entry->hours, std::nullopt});
    }
  }
  if (previous) {
    outcome.closing = *previous;
    outcome.scans_after_close = event_scan_count > previous->scans_at_close
                                    ? event_scan_count - previous->scans_at_close
                                    : 0;
  }
  return outcome;
}

} // namespace

DbResult<PostOutcome> LedgerStore::preview_event(std::string_view event_id,
                                                 std::span<const LedgerEntry> computed,
                                                 std::uint64_t event_scan_count) {
  auto previous = select_closing(*db_, event_id);
  if (!previous) return previous.error();
  auto posted = entries_for_event(event_id);
  if (!posted) return posted.error();
  return compare_with_ledger(*previous, *posted, computed, event_scan_count);
}

DbResult<PostOutcome> LedgerStore::post_event(std::string_view event_id,
                                              std::span<const LedgerEntry> computed,
                                              std::uint64_t event_scan_count, Instant now,
                                              bool amend) {
  auto tx = begin(*db_);
  if (!tx) return tx.error();
  auto previous = select_closing(*db_, event_id);
  if (!previous) return previous.error();
  auto posted = entries_for_event(event_id);
  if (!posted) return posted.error();

  PostOutcome outcome = compare_with_ledger(*previous, *posted, computed, event_scan_count);
  std::map<std::pair<std::string, std::string>, const LedgerEntry*> now_given;
  for (const auto& entry : computed)
    now_given[{entry.official_id, entry.id}] = &entry;
  if (!outcome.first_close && !amend) return outcome; // report only; the transaction rolls back

  // New entries go in by rows_per_insert per statement (a first close posts one per official
  // and session: one statement each was most of a large event's close on PostgreSQL, a round
  // trip per row); changed hours, rare, one by one with their amendment.
  std::vector<const LedgerEntry*> inserts;
  for (const LedgerChange& change : outcome.changes) {
    if (!change.posted_hours) {
      inserts.push_back(now_given.at(std::make_pair(change.official_id, change.entry_id)));
    } else if (auto written = post_change(*db_, change, nullptr, now); !written) {
      return written.error();
    }
    ++outcome.posted;
  }
  if (auto written = insert_entries(*db_, inserts, now); !written) return written.error();
  if (outcome.first_close) {
    outcome.closing = EventClosing{std::string(event_id), now, event_scan_count, std::nullopt};
    if (auto inserted = db_->exec(
            "INSERT INTO event_closings (event_id, closed_at, "
            "scans_at_close, amended_at) VALUES ($1, $2, $3, NULL)",
            Params{std::string(event_id), to_ms(now), static_cast<std::int64_t>(event_scan_count)});
        !inserted) {
      return inserted.error();
    }
  } else {
    outcome.amended = true;
    outcome.closing.scans_at_close = event_scan_count;
    outcome.closing.amended_at = now;
    if (auto updated = db_->exec(
            "UPDATE event_closings SET scans_at_close = $2, amended_at = $3 "
            "WHERE event_id = $1",
            Params{std::string(event_id), static_cast<std::int64_t>(event_scan_count), to_ms(now)});
        !updated) {
      return updated.error();
    }
  }
  if (auto committed = tx->commit(); !committed) return committed.error();
  return outcome;
}

DbResult<std::optional<EventClosing>> LedgerStore::closing(std::string_view event_id) {
  return select_closing(*db_, event_id);
}

DbResult<std::optional<OfficialRecord>> LedgerStore::official(std::string_view official_id) {
  auto rows = db_->exec(
      "SELECT id, term_start, first_term, left_office FROM official_records WHERE id = $1",
      Params{std::string(official_id)});
  if (!rows) return rows.error();
  auto designations = db_->exec("SELECT level_id, earned_on FROM official_designations WHERE "
                                "official_id = $1 ORDER BY level_id",
                                Params{std::string(official_id)});
  if (!designations) return designations.error();
  if (rows->rows.empty() && designations->rows.empty()) return std::optional<OfficialRecord>{};
  OfficialRecord record;
  record.id = std::string(official_id);
  if (!rows->rows.empty()) {
    const SqlRow& row = rows->rows[0];
    record.term_start = date_of(row[1]);
    record.first_term = integer(row[2]) != 0;
    record.left_office = date_of(row[3]);
  }
  for (const auto& row : designations->rows) {
    record.designations.push_back({text(row[0]), date_of(row[1]).value_or(Date{})});
  }
  return std::optional<OfficialRecord>{std::move(record)};
}

DbResult<std::vector<OfficialRecord>> LedgerStore::officials() {
  // Three reads in all, not two per official (the reports read every official's record).
  auto ids = db_->exec("SELECT id FROM official_records UNION SELECT official_id FROM "
                       "official_designations ORDER BY 1");
  if (!ids) return ids.error();
  auto rows = db_->exec("SELECT id, term_start, first_term, left_office FROM official_records");
  if (!rows) return rows.error();
  auto designations = db_->exec("SELECT official_id, level_id, earned_on FROM "
                                "official_designations ORDER BY official_id, level_id");
  if (!designations) return designations.error();
  std::map<std::string, const SqlRow*, std::less<>> row_of;
  for (const auto& row : rows->rows)
    row_of.emplace(text(row[0]), &row);
  std::map<std::string, std::vector<Designation>, std::less<>> designations_of;
  for (const auto& row : designations->rows) {
    designations_of[text(row[0])].push_back({text(row[1]), date_of(row[2]).value_or(Date{})});
  }
  std::vector<OfficialRecord> records;
  records.reserve(ids->rows.size());
  for (const auto& id_row : ids->rows) {
    OfficialRecord record;
    record.id = text(id_row[0]);
    if (const auto found = row_of.find(record.id); found != row_of.end()) {
      const SqlRow& row = *found->second;
      record.term_start = date_of(row[1]);
      record.first_term = integer(row[2]) != 0;
      record.left_office = date_of(row[3]);
    }
    if (auto found = designations_of.find(record.id); found != designations_of.end()) {
      record.designations = std::move(found->second);
    }
    records.push_back(std::move(record));
  }
  return records;
}

DbResult<Ok> LedgerStore::put_official(const OfficialRecord& record) {
  if (record.id.empty()) return fail(DbError::invalid, "an official needs an id");
  auto tx = begin(*db_);
  if (!tx) return tx.error();
  const Params fields{record.id, date_text(record.term_start),
                      std::int64_t{record.first_term ? 1 : 0}, date_text(record.left_office)};
  auto updated = db_->exec("UPDATE official_records SET term_start = $2, first_term = $3, "
                           "left_office = $4 WHERE id = $1",
                           fields);
  if (!updated) return updated.error();
  if (updated->affected == 0) {
    if (auto inserted = db_->exec("INSERT INTO official_records (id, term_start, first_term, "
                                  "left_office) VALUES ($1, $2, $3, $4)",
                                  fields);
        !inserted) {
      return inserted.error();
    }
  }
  for (const Designation& designation : record.designations) {
    const Params params{record.id, designation.level_id, format_date(designation.earned_on)};
    if (auto removed =
            db_->exec("DELETE FROM official_designations WHERE official_id = $1 AND level_id = $2",
                      Params{record.id, designation.level_id});
        !removed) {
      return removed.error();
    }
    if (auto inserted = db_->exec("INSERT INTO official_designations (official_id, level_id, "
                                  "earned_on) VALUES ($1, $2, $3)",
                                  params);
        !inserted) {
      return inserted.error();
    }
  }
  return tx->commit();
}

DbResult<Ok> LedgerStore::add_admin_token(std::string_view token_hash, std::string_view label,
                                          Instant now) {
  auto tx = begin(*db_);
  if (!tx) return tx.error();
  if (auto inserted =
          db_->exec("INSERT INTO admin_tokens (token_hash, label, created_at) VALUES ($1, $2, $3)",
                    Params{std::string(token_hash), std::string(label), to_ms(now)});
      !inserted) {
    return inserted.error();
  }
  return tx->commit();
}

DbResult<bool> LedgerStore::has_admin_token(std::string_view token_hash) {
  auto rows = db_->exec("SELECT 1 FROM admin_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
                        Params{std::string(token_hash)});
  if (!rows) return rows.error();
  return !rows->rows.empty();
}

DbResult<bool> LedgerStore::admin_token_revoked(std::string_view token_hash) {
  auto rows =
      db_->exec("SELECT 1 FROM admin_tokens WHERE token_hash = $1 AND revoked_at IS NOT NULL",
                Params{std::string(token_hash)});
  if (!rows) return rows.error();
  return !rows->rows.empty();
}

DbResult<std::uint64_t> LedgerStore::revoke_admin_tokens(std::string_view token_hash,
                                                         std::string_view label, Instant now) {
  auto tx = begin(*db_);
  if (!tx) return tx.error();
  auto revoked =
      token_hash.empty()
          ? db_->exec("UPDATE admin_tokens SET revoked_at = $2 WHERE label = $1 AND "
                      "revoked_at IS NULL",
                      Params{std::string(label), to_ms(now)})
          : db_->exec("UPDATE admin_tokens SET revoked_at = $2 WHERE token_hash = $1 AND "
                      "revoked_at IS NULL",
                      Params{std::string(token_hash), to_ms(now)});
  if (!revoked) return revoked.error();
  if (auto committed = tx->commit(); !committed) return committed.error();
  return revoked->affected;
}

DbResult<std::unique_ptr<LedgerStore>> open_ledger_store(std::string_view database) {
  return open_league_store<LedgerStore>(database);
}

} // namespace muster::server
