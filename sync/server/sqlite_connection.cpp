// SqlConnection on SQLite: the server's default database, one file, no setup.
#include <sqlite3.h>

#include <climits>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "shared/sqlite_util.hpp"
#include "sync/server/sql_connection.hpp"

namespace muster::server {
namespace {

// Long enough for another server process or thread to finish a batch of scans.
constexpr int kBusyTimeoutMs = 15'000;

struct StatementFinalizer {
  void operator()(sqlite3_stmt* statement) const noexcept { sqlite3_finalize(statement); }
};
using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

DbError error_kind(int rc) {
  return (rc & 0xff) == SQLITE_CONSTRAINT ? DbError::conflict : DbError::io;
}

class SqliteConnection final : public SqlConnection {
public:
  SqliteConnection(sqlite::Connection db, std::string path)
      : db_(std::move(db)), path_(std::move(path)) {}
  ~SqliteConnection() override {
    statements_.clear(); // finalize before the connection closes
  }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  [[nodiscard]] std::string_view backend() const override { return "sqlite"; }

  using SqlConnection::exec;

  DbResult<SqlRows> exec(std::string_view sql, std::span<const SqlParam> params) override {
    auto prepared = statement(sql);
    if (!prepared) return prepared.error();
    sqlite3_stmt* stmt = *prepared;
    // Reset even on failure: a statement left mid-step would keep a read transaction open.
    struct Resetter {
      sqlite3_stmt* stmt;
      ~Resetter() {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
      }
    } resetter{stmt};
    if (auto bound = bind(stmt, params); !bound) return bound.error();

    SqlRows result;
    const int columns = sqlite3_column_count(stmt);
    for (;;) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return failure(rc, "running a statement");
      SqlRow row;
      row.reserve(static_cast<std::size_t>(columns));
      for (int column = 0; column < columns; ++column) {
        if (sqlite3_column_type(stmt, column) == SQLITE_NULL) {
          row.emplace_back(std::nullopt);
          continue;
        }
        const auto* text = sqlite3_column_text(stmt, column);
        const auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt, column));
        row.emplace_back(std::string(reinterpret_cast<const char*>(text), size));
      }
      result.rows.push_back(std::move(row));
    }
    result.affected = static_cast<std::uint64_t>(sqlite3_changes64(db_.get()));
    return result;
  }

  DbResult<Ok> exec_script(std::string_view sql) override {
    const int rc = sqlite3_exec(db_.get(), std::string(sql).c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return failure(rc, "running a script");
    return Ok{};
  }

  DbResult<Ok> begin_write(std::string_view /*lock_scope*/) override {
    // SQLite has one writer per file: IMMEDIATE takes it now (waiting up to the busy timeout),
    // so the reads that decide what to write cannot go stale.
    return exec_script("BEGIN IMMEDIATE");
  }
  DbResult<Ok> begin_read() override { return exec_script("BEGIN DEFERRED"); }
  DbResult<Ok> commit() override { return exec_script("COMMIT"); }
  void rollback() noexcept override {
    if (sqlite3_get_autocommit(db_.get()) == 0) {
      sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
  }

  DbResult<bool> has_table(std::string_view name) override {
    const SqlParam params[] = {std::string(name)};
    auto rows = exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1", params);
    if (!rows) return rows.error();
    return !rows->rows.empty();
  }

private:
  Error<DbError> failure(int rc, std::string_view action) const {
    return fail(error_kind(rc), "SQLite " + std::string(action) + " on " + path_ + ": " +
                                    sqlite3_errmsg(db_.get()));
  }

  DbResult<sqlite3_stmt*> statement(std::string_view sql) {
    auto found = statements_.find(sql);
    if (found != statements_.end()) return found->second.get();
    if (sql.size() > static_cast<std::size_t>(INT_MAX))
      return fail(DbError::invalid, "SQL too long");
    sqlite3_stmt* raw = nullptr;
    const int rc =
        sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
    StatementPtr owned(raw);
    if (rc != SQLITE_OK) return failure(rc, "preparing a statement");
    auto [inserted, _] = statements_.emplace(std::string(sql), std::move(owned));
    return inserted->second.get();
  }

  DbResult<Ok> bind(sqlite3_stmt* stmt, std::span<const SqlParam> params) {
    for (std::size_t i = 0; i < params.size(); ++i) {
      // `$n` is a named parameter to SQLite: bind by name so order of appearance is irrelevant.
      const std::string name = "$" + std::to_string(i + 1);
      const int index = sqlite3_bind_parameter_index(stmt, name.c_str());
      if (index == 0) continue; // not used by this statement
      int rc = SQLITE_OK;
      if (const auto* number = std::get_if<std::int64_t>(&params[i])) {
        rc = sqlite3_bind_int64(stmt, index, *number);
      } else if (const auto* text = std::get_if<std::string>(&params[i])) {
        rc = sqlite3_bind_text64(stmt, index, text->data(), text->size(), SQLITE_TRANSIENT,
                                 SQLITE_UTF8);
      } else {
        rc = sqlite3_bind_null(stmt, index);
      }
      if (rc != SQLITE_OK) return failure(rc, "binding a parameter");
    }
    return Ok{};
  }

  sqlite::Connection db_;
  std::string path_;
  std::map<std::string, StatementPtr, std::less<>> statements_;
};

} // namespace

DbResult<std::unique_ptr<SqlConnection>> open_sqlite_connection(const std::string& path) {
  auto opened = sqlite::open_connection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                                  SQLITE_OPEN_NOMUTEX);
  if (!opened) {
    return fail(DbError::cannot_open,
                "cannot open SQLite database " + path + ": " + opened.message());
  }
  sqlite3* db = opened->get();
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  auto connection = std::make_unique<SqliteConnection>(std::move(*opened), path);

  // A damaged file is refused before anything is written to it.
  auto check = connection->exec("PRAGMA integrity_check(10)");
  if (!check) {
    return fail(DbError::cannot_open,
                "cannot read " + path + " (not a database?): " + check.message());
  }
  std::string problems;
  for (const auto& row : check->rows) {
    const std::string text = row.empty() || !row[0] ? "" : *row[0];
    if (text == "ok") continue;
    problems += (problems.empty() ? "" : "; ") + text;
  }
  if (!problems.empty()) {
    return fail(DbError::cannot_open, path + " is damaged (integrity_check: " + problems + ")");
  }
  auto mode = connection->exec("PRAGMA journal_mode = WAL");
  if (!mode) return fail(DbError::cannot_open, mode.message());
  if (mode->rows.empty() || !mode->rows[0][0] || *mode->rows[0][0] != "wal") {
    return fail(DbError::cannot_open, path + ": could not switch to WAL journal mode");
  }
  // FULL: a scan batch is acknowledged only after its commit is on disk.
  if (auto pragmas = connection->exec_script("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON");
      !pragmas) {
    return fail(DbError::cannot_open, pragmas.message());
  }
  return std::unique_ptr<SqlConnection>(std::move(connection));
}

} // namespace muster::server
