#pragma once
// The League's credit records (issue 6), beside ServerStore in the same database: the officials'
// ledgers, their program data (term, designations), event closings and admin tokens. Tables come
// from schema migration 2 (server_store_schema.cpp); open_ledger_store() opens the ServerStore
// first so an older database is upgraded before anything here runs. Same SQL over both backends
// (sql_connection.hpp). One connection: not thread-safe, open one per thread.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shared/domain.hpp"
#include "shared/ledger.hpp"
#include "sync/server/server_store.hpp"

namespace muster::server {

class SqlConnection;

// An official's program data that the roster does not carry (the role comes from the roster).
struct OfficialRecord {
  std::string id;
  std::optional<Date> term_start;
  bool first_term = false;
  std::optional<Date> left_office;
  std::vector<Designation> designations; // sorted by level id
};

// The League's pre-approval of an in-person League event for an official who left office.
struct Preapproval {
  std::string official_id;
  std::string event_id;
  std::string reference; // where the approval is documented
};

struct EventClosing {
  std::string event_id;
  Instant closed_at;
  std::uint64_t scans_at_close = 0; // the event's stored scans when it was (last) posted
  std::optional<Instant> amended_at;
};

// A posted credit whose hours differ from what the scans give now (a late sync, a correction).
struct LedgerChange {
  std::string official_id;
  std::string entry_id;
  std::optional<double> posted_hours;   // nullopt: not posted before
  std::optional<double> computed_hours; // nullopt: the scans no longer give credit
};

struct PostOutcome {
  bool first_close = false;            // the event was not closed before: everything was posted now
  std::uint64_t posted = 0;            // entries written by this call (new or amended)
  std::vector<LedgerChange> changes;   // differences between the ledger and the scans (before)
  std::uint64_t scans_after_close = 0; // scans stored since the (last) close
  bool amended = false;
  EventClosing closing; // as stored after this call
};

class LedgerStore {
public:
  explicit LedgerStore(std::unique_ptr<SqlConnection> db);
  ~LedgerStore();
  LedgerStore(const LedgerStore&) = delete;
  LedgerStore& operator=(const LedgerStore&) = delete;

  // The ledger, sorted with ledger_order (official_id empty: every official's).
  DbResult<std::vector<LedgerEntry>> entries(std::string_view official_id);
  // The entries of several officials in one query (a chunk of a report or of a batch of
  // transcripts), sorted as entries("") sorts them: by official, then ledger_order.
  DbResult<std::vector<LedgerEntry>> entries_of(std::span<const std::string> official_ids);
  DbResult<std::vector<LedgerEntry>> entries_for_event(std::string_view event_id);

  // Records one entry (outside training, online course). conflict when the id exists for the
  // official; invalid for an empty id/official, negative hours.
  DbResult<Ok> add_entry(const LedgerEntry& entry, Instant now);

  // Sets the PDU category and competency (cycle programs) of the official's entries: the one
  // with `entry_id`, or every entry of `event_id`. Returns how many entries changed.
  DbResult<std::uint64_t> classify(std::string_view official_id, std::string_view entry_id,
                                   std::string_view event_id, std::string_view category,
                                   std::string_view competency);

  // Records a pre-approval (conflict when recorded before) and marks the official's entries of
  // the event already posted as approved; returns how many were. post_event marks later ones.
  DbResult<std::uint64_t> add_preapproval(const Preapproval& preapproval, Instant now);
  DbResult<std::vector<Preapproval>> preapprovals_for_event(std::string_view event_id);

  // Closing an event, in one write transaction. `computed` are the entries the scans give now
  // (one per eligible official and session with credit). First close: all are posted. Later:
  // nothing is written unless `amend`; the outcome lists the differences and the scans stored
  // since the close. Amending writes the differences (old hours kept in ledger_amendments; a
  // credit the scans no longer give is set to 0 h, never deleted) and moves the close mark.
  DbResult<PostOutcome> post_event(std::string_view event_id, std::span<const LedgerEntry> computed,
                                   std::uint64_t event_scan_count, Instant now, bool amend);
  // What post_event would report with `amend` false, without writing even at a first close: the
  // console's close preview.
  DbResult<PostOutcome> preview_event(std::string_view event_id,
                                      std::span<const LedgerEntry> computed,
                                      std::uint64_t event_scan_count);
  DbResult<std::optional<EventClosing>> closing(std::string_view event_id);

  // Program data; an official without a record has none of it (no term, no designations).
  DbResult<std::optional<OfficialRecord>> official(std::string_view official_id);
  DbResult<std::vector<OfficialRecord>> officials();
  // Replaces the record's term fields; designations are added or updated by level id.
  DbResult<Ok> put_official(const OfficialRecord& record);

  // Admin tokens for the HTTP API, stored as hash_secret(token).
  DbResult<Ok> add_admin_token(std::string_view token_hash, std::string_view label, Instant now);
  DbResult<bool> has_admin_token(std::string_view token_hash); // false once revoked
  // True when this hash was an admin token and was revoked (the API answers 401, not 403).
  DbResult<bool> admin_token_revoked(std::string_view token_hash);
  // Revokes the token with this hash, or (hash empty) every unrevoked token with this label;
  // the number revoked.
  DbResult<std::uint64_t> revoke_admin_tokens(std::string_view token_hash, std::string_view label,
                                              Instant now);

private:
  std::unique_ptr<SqlConnection> db_;
};

// Opens (and, through open_server_store, upgrades) the database. schema error when the
// database is not initialised.
DbResult<std::unique_ptr<LedgerStore>> open_ledger_store(std::string_view database);

} // namespace muster::server
