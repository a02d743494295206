// SqlConnection on SQLite: the server's default database, one file, no setup.
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

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

// SQLite has one writer per file. Threads of this process that want to write the same file
// queue on this lock (fair enough, and a waiter wakes the moment the writer commits) instead of in
// SQLite's busy handler, which sleeps in steps of up to 100 ms: with 20 kiosks pushing at once
// the file's write lock sat idle most of the time. Other processes still meet BEGIN IMMEDIATE
// and the busy timeout. One lock per database path, never freed (a server opens one or two).
std::string lock_key(const std::string& path) {
  std::error_code ec;
  auto canonical = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : canonical.string();
}

std::shared_ptr<std::timed_mutex> writer_lock_for(const std::string& path) {
  static std::mutex guard;
  static std::map<std::string, std::shared_ptr<std::timed_mutex>, std::less<>> locks;
  const std::string key = lock_key(path);
  const std::lock_guard lock(guard);
  auto& entry = locks[key];
  if (!entry) entry = std::make_shared<std::timed_mutex>();
  return entry;
}

DbError error_kind(int rc) {
  return (rc & 0xff) == SQLITE_CONSTRAINT ? DbError::conflict : DbError::io;
}

class SqliteConnection final : public SqlConnection {
public:
  SqliteConnection(sqlite::Connection db, std::string path)
      : db_(std::move(db)), path_(std::move(path)), writers_(writer_lock_for(path_)) {}
  ~SqliteConnection() override {
    rollback();          // an open write transaction ends before this process's lock is released
    statements_.clear(); // finalize before the connection closes
  }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  [[nodiscard]] std::string_view backend() const override { return "sqlite"; }

  using SqlConnection::exec;

  DbResult<SqlRows> exec(std::string_view sql, std::span<const SqlParam> params) override {
    auto prepared = statement(sql);
    if (!prepared) return prepared.error();
    sqlite3_stmt* stmt = (*prepared)->stmt.get();
    // A write outside begin_write() (an autocommit UPDATE) queues on this process's writer lock
    // too, rather than sleeping in SQLite's busy handler. Released after the reset below.
    std::unique_lock<std::timed_mutex> autocommit_write(*writers_, std::defer_lock);
    if (!writing_.owns_lock() && sqlite3_get_autocommit(db_.get()) != 0 &&
        sqlite3_stmt_readonly(stmt) == 0 &&
        !autocommit_write.try_lock_for(std::chrono::milliseconds(kBusyTimeoutMs))) {
      return fail(DbError::io, "SQLite on " + path_ +
                                   ": another writer of this process held the "
                                   "database for " +
                                   std::to_string(kBusyTimeoutMs / 1000) + " s");
    }
    // Reset even on failure: a statement left mid-step would keep a read transaction open.
    struct Resetter {
      sqlite3_stmt* stmt;
      ~Resetter() {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
      }
    } resetter{stmt};
    if (auto bound = bind(**prepared, params); !bound) return bound.error();

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
    // so the reads that decide what to write cannot go stale. This process's writers queue on
    // writer_lock_for() first; the lock is held until COMMIT or ROLLBACK.
    std::unique_lock writing(*writers_, std::defer_lock);
    if (!writing.try_lock_for(std::chrono::milliseconds(kBusyTimeoutMs))) {
      return fail(DbError::io, "SQLite on " + path_ +
                                   ": another writer of this process held the "
                                   "database for " +
                                   std::to_string(kBusyTimeoutMs / 1000) + " s");
    }
    if (auto began = exec_script("BEGIN IMMEDIATE"); !began) return began;
    writing_ = std::move(writing);
    return Ok{};
  }
  DbResult<Ok> begin_read() override { return exec_script("BEGIN DEFERRED"); }
  DbResult<Ok> commit() override {
    auto committed = exec_script("COMMIT");
    // A failed COMMIT leaves the transaction open; the caller's rollback() releases the lock.
    if (committed || sqlite3_get_autocommit(db_.get()) != 0) release_writer();
    return committed;
  }
  void rollback() noexcept override {
    if (sqlite3_get_autocommit(db_.get()) == 0) {
      sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
    release_writer();
  }

  DbResult<bool> has_table(std::string_view name) override {
    const SqlParam params[] = {std::string(name)};
    auto rows = exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1", params);
    if (!rows) return rows.error();
    return !rows->rows.empty();
  }

private:
  void release_writer() noexcept {
    if (writing_.owns_lock()) writing_.unlock();
  }

  Error<DbError> failure(int rc, std::string_view action) const {
    return fail(error_kind(rc), "SQLite " + std::string(action) + " on " + path_ + ": " +
                                    sqlite3_errmsg(db_.get()));
  }

  // A prepared statement and where each of its `$n` parameters sits (SQLite numbers named
  // parameters in order of first appearance), looked up once, not on every bind.
  struct Prepared {
    StatementPtr stmt;
    std::vector<int> index_of; // [n - 1]: the index of `$n`, 0 when the statement lacks it
  };

  DbResult<Prepared*> statement(std::string_view sql) {
    auto found = statements_.find(sql);
    if (found != statements_.end()) return &found->second;
    if (sql.size() > static_cast<std::size_t>(INT_MAX))
      return fail(DbError::invalid, "SQL too long");
    sqlite3_stmt* raw = nullptr;
    const int rc =
        sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
    StatementPtr owned(raw);
    if (rc != SQLITE_OK) return failure(rc, "preparing a statement");
    Prepared entry{std::move(owned), {}};
    // `$n` is a named parameter to SQLite: found by name so order of appearance is irrelevant.
    const int count = sqlite3_bind_parameter_count(entry.stmt.get());
    for (int n = 1; n <= count; ++n) {
      const std::string name = "$" + std::to_string(n);
      entry.index_of.push_back(sqlite3_bind_parameter_index(entry.stmt.get(), name.c_str()));
    }
    auto [inserted, _] = statements_.emplace(std::string(sql), std::move(entry));
    return &inserted->second;
  }

  DbResult<Ok> bind(const Prepared& prepared, std::span<const SqlParam> params) {
    sqlite3_stmt* stmt = prepared.stmt.get();
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int index = i < prepared.index_of.size() ? prepared.index_of[i] : 0;
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
  std::map<std::string, Prepared, std::less<>> statements_;
  std::shared_ptr<std::timed_mutex> writers_;
  std::unique_lock<std::timed_mutex> writing_; // held from begin_write to COMMIT/ROLLBACK
};

DbResult<std::unique_ptr<SqlConnection>> finish_open(std::unique_ptr<SqliteConnection> connection,
                                                     const std::string& path);

std::atomic<std::uint64_t> integrity_checks{0};

} // namespace

std::uint64_t sqlite_integrity_checks_run() { return integrity_checks.load(); }

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

  // A damaged file is refused before anything is written to it. Once per file and process:
  // the check reads the whole database, and the server opens connections per request (a
  // pool, the ledger), where a full scan each time would let any caller load the disk.
  static std::mutex checked_guard;
  static std::set<std::string, std::less<>> checked;
  const std::string key = lock_key(path);
  {
    const std::lock_guard lock(checked_guard);
    if (checked.contains(key)) return finish_open(std::move(connection), path);
  }
  integrity_checks.fetch_add(1);
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
  auto opened_connection = finish_open(std::move(connection), path);
  if (opened_connection) {
    const std::lock_guard lock(checked_guard);
    checked.insert(key);
  }
  return opened_connection;
}

namespace {
// WAL and durability settings, on every connection.
DbResult<std::unique_ptr<SqlConnection>> finish_open(std::unique_ptr<SqliteConnection> connection,
                                                     const std::string& path) {
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

} // namespace

} // namespace muster::server
