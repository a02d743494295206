#include "shared/sqlite_util.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <climits>
#include <utility>

namespace muster::sqlite {

void ConnectionCloser::operator()(sqlite3* db) const noexcept {
  // close_v2 defers the close until stray statements are finalized instead of failing.
  sqlite3_close_v2(db);
}

void Statement::Finalizer::operator()(sqlite3_stmt* stmt) const noexcept {
  if (cache != nullptr) {
    cache->give_back(stmt);
  } else {
    sqlite3_finalize(stmt);
  }
}

void StatementCache::clear() noexcept {
  for (auto& [sql, statements] : idle_) {
    for (sqlite3_stmt* stmt : statements)
      sqlite3_finalize(stmt);
  }
  idle_.clear();
}

std::size_t StatementCache::idle() const noexcept {
  std::size_t count = 0;
  for (const auto& entry : idle_)
    count += entry.second.size();
  return count;
}

sqlite3_stmt* StatementCache::take(std::string_view sql) noexcept {
  try {
    const auto found = idle_.find(std::string(sql));
    if (found == idle_.end() || found->second.empty()) return nullptr;
    sqlite3_stmt* stmt = found->second.back();
    found->second.pop_back();
    return stmt;
  } catch (...) { // out of memory for the key: prepare afresh
    return nullptr;
  }
}

void StatementCache::give_back(sqlite3_stmt* stmt) noexcept {
  // Reset ends the statement's read or write of the file (no lock stays held by an idle
  // statement); unbinding drops the caller's values (badge payloads) from the cache.
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  try {
    const std::string sql = sqlite3_sql(stmt);
    auto found = idle_.find(sql);
    if (found == idle_.end()) {
      if (idle_.size() >= kMaxTexts) {
        sqlite3_finalize(stmt);
        return;
      }
      found = idle_.emplace(sql, std::vector<sqlite3_stmt*>{}).first;
    }
    if (found->second.size() >= kMaxPerText) {
      sqlite3_finalize(stmt);
      return;
    }
    found->second.push_back(stmt);
  } catch (...) { // out of memory: not kept
    sqlite3_finalize(stmt);
  }
}

Error<int> last_error(sqlite3* db, int rc) {
  const int primary = rc & 0xff;
  std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return fail(primary, std::move(message));
}

std::int64_t changes(sqlite3* db) { return sqlite3_changes64(db); }

SqlResult<Connection> open_connection(const std::string& path, int flags) {
  // A new database file is created owner-only (0600) whatever the umask: the kiosk store holds
  // the device token, the server's holds e-mail addresses and token hashes. SQLite gives its
  // -wal and -shm files the database file's mode.
  if ((flags & SQLITE_OPEN_CREATE) != 0 && !path.empty() && path != ":memory:" &&
      !path.starts_with("file:")) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd); // EEXIST: an existing file keeps its mode
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Connection connection(raw); // owned even on failure: SQLite hands back a handle to close
  if (rc != SQLITE_OK) return last_error(raw, rc);
  sqlite3_extended_result_codes(raw, 1);
  return connection;
}

SqlResult<Ok> exec(sqlite3* db, std::string_view sql) {
  const std::string text(sql);
  const int rc = sqlite3_exec(db, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return last_error(db, rc);
  return Ok{};
}

SqlResult<Statement> Statement::prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  if (sql.size() > static_cast<std::size_t>(INT_MAX)) return fail(SQLITE_TOOBIG, "SQL too long");
  const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(raw);
    return last_error(db, rc);
  }
  return Statement(db, raw);
}

SqlResult<Statement> Statement::prepare(sqlite3* db, std::string_view sql, StatementCache& cache) {
  if (sqlite3_stmt* kept = cache.take(sql)) return Statement(db, kept, &cache);
  sqlite3_stmt* raw = nullptr;
  if (sql.size() > static_cast<std::size_t>(INT_MAX)) return fail(SQLITE_TOOBIG, "SQL too long");
  // PERSISTENT: SQLite allocates a statement meant to live long outside its lookaside memory.
  const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(raw);
    return last_error(db, rc);
  }
  // Kept under the text SQLite stored (one statement: any trailing text is not part of it);
  // only statements whose text is exactly `sql` can be found again, the rest are finalized.
  if (raw != nullptr && std::string_view(sqlite3_sql(raw)) == sql) {
    return Statement(db, raw, &cache);
  }
  return Statement(db, raw);
}

void Statement::keep_bind_error(int rc) {
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
}

Statement& Statement::bind(int index, std::string_view text) {
  keep_bind_error(sqlite3_bind_text64(stmt_.get(), index, text.data(), text.size(),
                                      SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  keep_bind_error(sqlite3_bind_int64(stmt_.get(), index, value));
  return *this;
}

Statement& Statement::bind(int index, double value) {
  keep_bind_error(sqlite3_bind_double(stmt_.get(), index, value));
  return *this;
}

Statement& Statement::bind_blob(int index, std::span<const std::uint8_t> bytes) {
  keep_bind_error(
      sqlite3_bind_blob64(stmt_.get(), index, bytes.data(), bytes.size(), SQLITE_TRANSIENT));
  return *this;
}

Statement& Statement::bind_null(int index) {
  keep_bind_error(sqlite3_bind_null(stmt_.get(), index));
  return *this;
}

SqlResult<bool> Statement::step() {
  if (bind_error_ != 0) return fail(bind_error_ & 0xff, std::string(sqlite3_errstr(bind_error_)));
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return last_error(db_, rc);
}

SqlResult<Ok> Statement::run() {
  for (;;) {
    auto row = step();
    if (!row) return row.error();
    if (!*row) return Ok{};
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
  bind_error_ = 0;
}

std::string Statement::column_text(int column) const {
  const auto* text = sqlite3_column_text(stmt_.get(), column);
  const int size = sqlite3_column_bytes(stmt_.get(), column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

std::int64_t Statement::column_int64(int column) const {
  return sqlite3_column_int64(stmt_.get(), column);
}

double Statement::column_double(int column) const {
  return sqlite3_column_double(stmt_.get(), column);
}

std::vector<std::uint8_t> Statement::column_blob(int column) const {
  const auto* bytes = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_.get(), column));
  const int size = sqlite3_column_bytes(stmt_.get(), column);
  if (bytes == nullptr) return {};
  return std::vector<std::uint8_t>(bytes, bytes + size);
}

bool Statement::column_is_null(int column) const {
  return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
}

SqlResult<Transaction> Transaction::begin(sqlite3* db, Kind kind) {
  // IMMEDIATE takes the write lock up front, so a read-then-write cannot lose a race.
  auto started = exec(db, kind == Kind::immediate ? "BEGIN IMMEDIATE" : "BEGIN");
  if (!started) return started.error();
  return Transaction(db);
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Transaction::~Transaction() {
  // After SQLITE_FULL or an I/O error SQLite may already have rolled back on its own.
  if (db_ != nullptr && sqlite3_get_autocommit(db_) == 0) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

SqlResult<Ok> Transaction::commit() {
  auto committed = exec(db_, "COMMIT");
  if (committed) db_ = nullptr;
  return committed;
}

} // namespace muster::sqlite
