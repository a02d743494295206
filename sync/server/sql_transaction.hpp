#pragma once
// The one transaction type of the stores over SqlConnection (ServerStore, LedgerStore,
// RelayStore): it rolls back unless committed, so every early return of a store method leaves
// nothing behind.
#include <string_view>
#include <utility>

#include "sync/server/sql_connection.hpp"

namespace muster::server {

class SqlTransaction {
public:
  // A write transaction that excludes every other writer of `lock_scope` (SqlConnection::
  // begin_write).
  static DbResult<SqlTransaction> begin_write(SqlConnection& db, std::string_view lock_scope) {
    if (auto began = db.begin_write(lock_scope); !began) return began.error();
    return SqlTransaction(db);
  }
  // A read transaction over one snapshot; dropping it (without commit) ends it.
  static DbResult<SqlTransaction> begin_read(SqlConnection& db) {
    if (auto began = db.begin_read(); !began) return began.error();
    return SqlTransaction(db);
  }

  SqlTransaction(SqlTransaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  SqlTransaction& operator=(SqlTransaction&&) = delete;
  SqlTransaction(const SqlTransaction&) = delete;
  SqlTransaction& operator=(const SqlTransaction&) = delete;
  ~SqlTransaction() {
    if (db_ != nullptr) db_->rollback();
  }

  DbResult<Ok> commit() {
    auto committed = db_->commit();
    if (!committed) db_->rollback();
    db_ = nullptr;
    return committed;
  }

private:
  explicit SqlTransaction(SqlConnection& db) : db_(&db) {}
  SqlConnection* db_;
};

} // namespace muster::server
