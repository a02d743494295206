// SqlConnection on PostgreSQL (libpq), for Leagues that run several server instances.
#include <libpq-fe.h>

#include <charconv>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "shared/text.hpp"
#include "sync/server/sql_connection.hpp"

namespace muster::server {
namespace {

struct PgConnCloser {
  void operator()(PGconn* connection) const noexcept { PQfinish(connection); }
};
using PgConnPtr = std::unique_ptr<PGconn, PgConnCloser>;

struct PgResultClearer {
  void operator()(PGresult* result) const noexcept { PQclear(result); }
};
using PgResultPtr = std::unique_ptr<PGresult, PgResultClearer>;

// Notices ("relation already exists, skipping") are not errors; keep them off stderr.
void ignore_notice(void* /*arg*/, const char* /*message*/) {}

// libpq's messages end with a line end.
std::string trimmed(const char* text) {
  return std::string(trim_end(text != nullptr ? text : "", "\n "));
}

class PgConnection final : public SqlConnection {
public:
  explicit PgConnection(PgConnPtr connection) : connection_(std::move(connection)) {}

  [[nodiscard]] std::string_view backend() const override { return "postgresql"; }

  using SqlConnection::exec;

  DbResult<SqlRows> exec(std::string_view sql, std::span<const SqlParam> params) override {
    // Text parameters: the server infers each one's type from where it is used.
    std::vector<std::string> texts(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (std::size_t i = 0; i < params.size(); ++i) {
      if (const auto* number = std::get_if<std::int64_t>(&params[i])) {
        texts[i] = std::to_string(*number);
        values[i] = texts[i].c_str();
      } else if (const auto* text = std::get_if<std::string>(&params[i])) {
        values[i] = text->c_str();
      }
    }
    auto name = prepared(sql, static_cast<int>(params.size()));
    if (!name) return name.error();
    PgResultPtr result(PQexecPrepared(connection_.get(), name->c_str(),
                                      static_cast<int>(params.size()), values.data(), nullptr,
                                      nullptr, 0));
    if (auto failed = check(result.get()); !failed) return failed.error();

    SqlRows rows;
    const int count = PQntuples(result.get());
    const int columns = PQnfields(result.get());
    rows.rows.reserve(static_cast<std::size_t>(count));
    for (int r = 0; r < count; ++r) {
      SqlRow row;
      row.reserve(static_cast<std::size_t>(columns));
      for (int c = 0; c < columns; ++c) {
        if (PQgetisnull(result.get(), r, c) != 0) {
          row.emplace_back(std::nullopt);
        } else {
          row.emplace_back(std::string(PQgetvalue(result.get(), r, c),
                                       static_cast<std::size_t>(PQgetlength(result.get(), r, c))));
        }
      }
      rows.rows.push_back(std::move(row));
    }
    const std::string affected = PQcmdTuples(result.get());
    if (!affected.empty()) {
      std::from_chars(affected.data(), affected.data() + affected.size(), rows.affected);
    }
    return rows;
  }

  DbResult<Ok> exec_script(std::string_view sql) override {
    const std::string script(sql);
    PgResultPtr result(PQexec(connection_.get(), script.c_str()));
    if (auto failed = check(result.get()); !failed) return failed.error();
    return Ok{};
  }

  DbResult<Ok> begin_write(std::string_view lock_scope) override {
    if (auto begun = exec_script("BEGIN"); !begun) return begun;
    // A transaction-scoped advisory lock: held until COMMIT/ROLLBACK, shared by every server
    // instance on this database, and it works for rows that do not exist yet.
    const SqlParam params[] = {std::string(lock_scope)};
    if (auto locked = exec("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", params);
        !locked) {
      rollback();
      return locked.error();
    }
    return Ok{};
  }

  DbResult<Ok> begin_read() override {
    return exec_script("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  }
  DbResult<Ok> commit() override { return exec_script("COMMIT"); }
  void rollback() noexcept override {
    if (PQtransactionStatus(connection_.get()) != PQTRANS_IDLE) {
      PQclear(PQexec(connection_.get(), "ROLLBACK"));
    }
  }

  DbResult<bool> has_table(std::string_view name) override {
    const SqlParam params[] = {std::string(name)};
    auto rows = exec("SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() "
                     "AND tablename = $1",
                     params);
    if (!rows) return rows.error();
    return !rows->rows.empty();
  }

private:
  // Each statement is parsed and planned once per connection (a scan batch runs the same INSERT
  // a thousand times), as a named prepared statement. Types are inferred as PQexecParams does.
  DbResult<std::string> prepared(std::string_view sql, int parameters) {
    if (const auto found = prepared_.find(sql); found != prepared_.end()) return found->second;
    std::string name = "muster_" + std::to_string(prepared_.size() + 1);
    const std::string statement(sql);
    PgResultPtr result(
        PQprepare(connection_.get(), name.c_str(), statement.c_str(), parameters, nullptr));
    if (auto failed = check(result.get()); !failed) return failed.error();
    prepared_.emplace(statement, name);
    return name;
  }

  DbResult<Ok> check(PGresult* result) {
    const ExecStatusType status = PQresultStatus(result);
    if (result != nullptr && (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)) {
      return Ok{};
    }
    const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    // Class 23: integrity constraint violation (unique, foreign key, check). Class 22: data
    // exception (e.g. text that is not valid UTF-8), which the caller sent, not the database.
    const std::string_view sqlstate = state != nullptr ? state : "";
    const bool constraint = sqlstate.starts_with("23");
    const bool bad_data = sqlstate.starts_with("22");
    std::string message = result != nullptr ? trimmed(PQresultErrorMessage(result)) : "";
    if (message.empty()) message = trimmed(PQerrorMessage(connection_.get()));
    if (PQstatus(connection_.get()) == CONNECTION_BAD) {
      // Try once to reconnect, so the next request works after a database restart; this one
      // still fails because its transaction is gone.
      PQreset(connection_.get());
      prepared_.clear(); // a new session has no prepared statements
      return fail(DbError::io, "PostgreSQL connection lost: " + message);
    }
    const DbError kind = constraint ? DbError::conflict : bad_data ? DbError::invalid : DbError::io;
    return fail(kind, "PostgreSQL: " + message);
  }

  PgConnPtr connection_;
  std::map<std::string, std::string, std::less<>> prepared_; // SQL -> statement name
};

} // namespace

DbResult<std::unique_ptr<SqlConnection>> open_pg_connection(const std::string& url) {
  PgConnPtr connection(PQconnectdb(url.c_str()));
  if (!connection) return fail(DbError::cannot_open, "PostgreSQL: out of memory");
  if (PQstatus(connection.get()) != CONNECTION_OK) {
    // libpq's message names host and port but never the password.
    return fail(DbError::cannot_open,
                "cannot connect to PostgreSQL: " + trimmed(PQerrorMessage(connection.get())));
  }
  PQsetNoticeProcessor(connection.get(), ignore_notice, nullptr);
  auto pg = std::make_unique<PgConnection>(std::move(connection));
  // Times are stored as BIGINT milliseconds; UTC keeps any server-side display unambiguous.
  if (auto set = pg->exec_script("SET TIME ZONE 'UTC'"); !set) {
    return fail(DbError::cannot_open, set.message());
  }
  return std::unique_ptr<SqlConnection>(std::move(pg));
}

} // namespace muster::server
