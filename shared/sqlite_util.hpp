#pragma once
// A thin RAII layer over SQLite's C API: owned connections and statements, errors as values.
// Only .cpp files include <sqlite3.h>; this header forward-declares the C types.
// Not thread-safe by design: one connection per thread (design.md, "Threads talk by queues").
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
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

// A prepared statement. Parameters are 1-based, columns 0-based, as in SQLite.
class Statement {
public:
  static SqlResult<Statement> prepare(sqlite3* db, std::string_view sql);

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
    void operator()(sqlite3_stmt* stmt) const noexcept;
  };
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
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
