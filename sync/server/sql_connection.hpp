#pragma once
// The seam under ServerStore: the few things SQLite and PostgreSQL do differently (opening,
// parameter binding, write locks, catalog look-ups). The rules live once, in server_store_*.cpp,
// written in one SQL dialect both accept: `$1` parameters, TEXT ids, BIGINT millisecond times,
// 0/1 BIGINT flags, `INSERT ... ON CONFLICT DO NOTHING`, `UPDATE ... RETURNING`.
// No sqlite3 or libpq type appears here. One connection per thread: not thread-safe.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "sync/server/server_store.hpp"

namespace muster::server {

// A parameter: NULL, an integer, or text. PostgreSQL receives them as text and infers the
// column's type; SQLite binds them natively (so INTEGER comparisons stay numeric).
using SqlParam = std::variant<std::monostate, std::int64_t, std::string>;
using SqlRow = std::vector<std::optional<std::string>>; // each column as text, NULL as nullopt

struct SqlRows {
  std::vector<SqlRow> rows;
  std::uint64_t affected = 0; // rows changed by an INSERT, UPDATE or DELETE
};

class SqlConnection {
public:
  virtual ~SqlConnection() = default;
  SqlConnection() = default;
  SqlConnection(const SqlConnection&) = delete;
  SqlConnection& operator=(const SqlConnection&) = delete;

  [[nodiscard]] virtual std::string_view backend() const = 0; // "sqlite" or "postgresql"

  // One statement with `$1`..`$n` parameters. Constraint violations come back as conflict,
  // anything else as io (the message names the database's own words).
  virtual DbResult<SqlRows> exec(std::string_view sql, std::span<const SqlParam> params) = 0;
  DbResult<SqlRows> exec(std::string_view sql) { return exec(sql, {}); }
  // Several statements without parameters (schema migrations).
  virtual DbResult<Ok> exec_script(std::string_view sql) = 0;

  // A write transaction that excludes every other writer of `lock_scope` until commit or
  // rollback, across connections and server instances. SQLite: BEGIN IMMEDIATE (one writer
  // per file, waits up to the busy timeout). PostgreSQL: BEGIN + pg_advisory_xact_lock.
  virtual DbResult<Ok> begin_write(std::string_view lock_scope) = 0;
  // A read transaction that sees one consistent snapshot.
  virtual DbResult<Ok> begin_read() = 0;
  virtual DbResult<Ok> commit() = 0;
  virtual void rollback() noexcept = 0;

  virtual DbResult<bool> has_table(std::string_view name) = 0;
};

// Opens (creating when missing) a SQLite file: WAL, synchronous=FULL, foreign keys, a busy
// timeout, and integrity_check before anything else, once per file and process.
DbResult<std::unique_ptr<SqlConnection>> open_sqlite_connection(const std::string& path);
// How many integrity checks this process ran (tests: per request would let any caller make the
// server read the whole database).
std::uint64_t sqlite_integrity_checks_run();
// Connects with a libpq URL ("postgresql://user@host:port/db").
DbResult<std::unique_ptr<SqlConnection>> open_pg_connection(const std::string& url);
// "postgresql://..." or "postgres://..." opens PostgreSQL; anything else is a SQLite file path.
DbResult<std::unique_ptr<SqlConnection>> open_sql_connection(std::string_view database);
// The connection of a store that shares the League's database with ServerStore (the ledger, the
// relay's tables, the console's accounts): a ServerStore opens it first, which upgrades an older
// schema, and an uninitialised database is refused (DbError::schema).
DbResult<std::unique_ptr<SqlConnection>> open_league_connection(std::string_view database);
// Such a store (constructed from its connection) opened on `database`.
template <class Store>
DbResult<std::unique_ptr<Store>> open_league_store(std::string_view database) {
  auto connection = open_league_connection(database);
  if (!connection) return connection.error();
  return std::make_unique<Store>(std::move(*connection));
}

} // namespace muster::server
