#pragma once
// A thin RAII layer over SQLite's C API: owned connections and statements, errors as values.
// Only .cpp files include <sqlite3.h>; this header forward-declares the C types.
// Not thread-safe by design: one connection per thread (design.md, "Threads talk by queues").
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "shared/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace muster::sqlite {

// Failures carry SQLite's primary result code (SQLITE_FULL, SQLITE_CORRUPT, ...) and its message.
template <class T> using SqlResult = Result<T, int>;

struct ConnectionCloser {
  void operator()(sqlite3* db) const noexcept;
};
using Connection = std::unique_ptr<sqlite3, ConnectionCloser>;

// Opens `path` with sqlite3_open_v2 flags; on failure the half-open handle is closed.
SqlResult<Connection> open_connection(const std::string& path, int flags);

// Runs one or more statements that return no rows the caller needs.
SqlResult<Ok> exec(sqlite3* db, std::string_view sql);

// The primary result code and message of the connection's last failure.
Error<int> last_error(sqlite3* db, int rc);

// Rows changed by the connection's last INSERT, UPDATE or DELETE.
std::int64_t changes(sqlite3* db);

// Prepared statements kept for reuse on one connection (issue 19: parsing and planning the same
// few statements on every scan took half of Checkin::accept's CPU). A Statement prepared through
// a cache goes back to it, reset and unbound, when it is destroyed; the next prepare of the same
// SQL text takes it instead of compiling again. Declare the cache after the connection it
// serves, so it finalizes its statements before the connection closes. Bounded: SQL beyond
// kMaxTexts distinct texts is compiled and finalized as without a cache.
class StatementCache {
public:
  static constexpr std::size_t kMaxTexts = 128;
  static constexpr std::size_t kMaxPerText = 4; // nested uses of one statement
  StatementCache() = default;
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;
  ~StatementCache() { clear(); }
  void clear() noexcept; // finalizes every idle statement
  [[nodiscard]] std::size_t idle() const noexcept;

private:
  friend class Statement;
  sqlite3_stmt* take(std::string_view sql) noexcept;
  void give_back(sqlite3_stmt* stmt) noexcept; // finalizes it when the cache is full
  std::unordered_map<std::string, std::vector<sqlite3_stmt*>> idle_;
};

// A prepared statement. Parameters are 1-based, columns 0-based, as in SQLite.
class Statement {
public:
  static SqlResult<Statement> prepare(sqlite3* db, std::string_view sql);
  // Reuses (or prepares and later keeps) the statement in `cache`; see StatementCache.
  static SqlResult<Statement> prepare(sqlite3* db, std::string_view sql, StatementCache& cache);

  // Bind failures (out of memory, too big) are kept and reported by the next step().
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, double value);
  Statement& bind_blob(int index, std::span<const std::uint8_t> bytes);
  Statement& bind_null(int index);

  // True when a row is ready, false when the statement is done.
  SqlResult<bool> step();
  // Steps to completion, for statements that return no rows.
  SqlResult<Ok> run();
  void reset(); // ready to bind and step again

  [[nodiscard]] std::string column_text(int column) const;
  [[nodiscard]] std::int64_t column_int64(int column) const;
  [[nodiscard]] double column_double(int column) const;
  [[nodiscard]] std::vector<std::uint8_t> column_blob(int column) const;
  [[nodiscard]] bool column_is_null(int column) const;

private:
  struct Finalizer {
    StatementCache* cache = nullptr; // set: back to the cache instead of finalized
    void operator()(sqlite3_stmt* stmt) const noexcept;
  };
  Statement(sqlite3* db, sqlite3_stmt* stmt, StatementCache* cache = nullptr)
      : db_(db), stmt_(stmt, Finalizer{cache}) {}
  void keep_bind_error(int rc);

  sqlite3* db_ = nullptr;
  std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
  int bind_error_ = 0;
};

// BEGIN on construction, ROLLBACK on destruction unless commit() succeeded, so an early return
// on any error leaves the file exactly as it was.
class Transaction {
public:
  enum class Kind : std::uint8_t { deferred, immediate };
  static SqlResult<Transaction> begin(sqlite3* db, Kind kind = Kind::deferred);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  SqlResult<Ok> commit();

private:
  explicit Transaction(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr; // null once committed or moved from
};

} // namespace muster::sqlite
