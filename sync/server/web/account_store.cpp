// The console's accounts, sessions and audit trail over SqlConnection: the tables of schema
// migration 9 (server_store_schema.cpp). Same SQL on SQLite and PostgreSQL.
#include "sync/server/web/account_store.hpp"

#include <utility>

#include "sync/server/sql_connection.hpp"
#include "sync/server/sql_row.hpp"
#include "sync/server/sql_transaction.hpp"

namespace muster::server {

namespace {

using namespace sql_row; // NOLINT(google-build-using-namespace): the column helpers
constexpr std::string_view kScope = "muster:console";

ConsoleUser user_of(const SqlRow& row) {
  return ConsoleUser{text(row[0]), parse_console_role(text(row[1])).value_or(ConsoleRole::viewer),
                     text(row[2]), from_ms(integer(row[3]))};
}

// Changes one console user (`change`, whose $1 is the user's name) and signs every session of
// the account out, in one transaction: a removed user or a new password leaves no session.
DbResult<Ok> change_user_ending_sessions(SqlConnection& db, std::string_view change,
                                         const Params& params, std::string_view name) {
  auto tx = SqlTransaction::begin_write(db, kScope);
  if (!tx) return tx.error();
  auto changed = db.exec(change, params);
  if (!changed) return changed.error();
  if (changed->affected == 0) {
    return fail(DbError::not_found, "no console user '" + std::string(name) + "'");
  }
  auto ended =
      db.exec("DELETE FROM console_sessions WHERE user_name = $1", Params{std::string(name)});
  if (!ended) return ended.error();
  return tx->commit();
}

} // namespace

std::string_view to_string(ConsoleRole role) {
  switch (role) {
  case ConsoleRole::viewer:
    return "viewer";
  case ConsoleRole::staff:
    return "staff";
  case ConsoleRole::admin:
    return "admin";
  }
  return "viewer";
}

std::optional<ConsoleRole> parse_console_role(std::string_view text) {
  if (text == "viewer") return ConsoleRole::viewer;
  if (text == "staff") return ConsoleRole::staff;
  if (text == "admin") return ConsoleRole::admin;
  return std::nullopt;
}

AccountStore::AccountStore(std::unique_ptr<SqlConnection> db) : db_(std::move(db)) {}
AccountStore::~AccountStore() = default;

DbResult<Ok> AccountStore::add_user(const ConsoleUser& user) {
  auto inserted = db_->exec("INSERT INTO console_users (name, role, password_hash, created_at, "
                            "password_changed_at) VALUES ($1, $2, $3, $4, $4) "
                            "ON CONFLICT (name) DO NOTHING",
                            Params{user.name, std::string(to_string(user.role)), user.password_hash,
                                   to_ms(user.created_at)});
  if (!inserted) return inserted.error();
  if (inserted->affected == 0) {
    return fail(DbError::conflict, "the console user '" + user.name + "' exists already");
  }
  return Ok{};
}

DbResult<ConsoleUser> AccountStore::user(std::string_view name) {
  auto rows =
      db_->exec("SELECT name, role, password_hash, created_at FROM console_users WHERE name = $1",
                Params{std::string(name)});
  if (!rows) return rows.error();
  if (rows->rows.empty())
    return fail(DbError::not_found, "no console user '" + std::string(name) + "'");
  return user_of(rows->rows[0]);
}

DbResult<std::vector<ConsoleUser>> AccountStore::users() {
  auto rows =
      db_->exec("SELECT name, role, password_hash, created_at FROM console_users ORDER BY name");
  if (!rows) return rows.error();
  std::vector<ConsoleUser> list;
  for (const auto& row : rows->rows)
    list.push_back(user_of(row));
  return list;
}

DbResult<Ok> AccountStore::remove_user(std::string_view name) {
  return change_user_ending_sessions(*db_, "DELETE FROM console_users WHERE name = $1",
                                     Params{std::string(name)}, name);
}

DbResult<Ok> AccountStore::set_password(std::string_view name, std::string_view password_hash,
                                        Instant now) {
  // A new password signs every session of the account out.
  return change_user_ending_sessions(
      *db_, "UPDATE console_users SET password_hash = $2, password_changed_at = $3 WHERE name = $1",
      Params{std::string(name), std::string(password_hash), to_ms(now)}, name);
}

DbResult<Ok> AccountStore::add_session(const ConsoleSession& session) {
  auto inserted = db_->exec("INSERT INTO console_sessions (token_hash, user_name, csrf_token, "
                            "created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
                            Params{session.token_hash, session.user_name, session.csrf_token,
                                   to_ms(session.created_at), to_ms(session.expires_at)});
  if (!inserted) return inserted.error();
  return Ok{};
}

DbResult<ConsoleSession> AccountStore::session(std::string_view token_hash, Instant now) {
  auto rows = db_->exec("SELECT token_hash, user_name, csrf_token, created_at, expires_at "
                        "FROM console_sessions WHERE token_hash = $1",
                        Params{std::string(token_hash)});
  if (!rows) return rows.error();
  if (rows->rows.empty()) return fail(DbError::not_found, "no such session");
  const auto& row = rows->rows[0];
  ConsoleSession found{text(row[0]), text(row[1]), text(row[2]), from_ms(integer(row[3])),
                       from_ms(integer(row[4]))};
  if (found.expires_at <= now) {
    (void)remove_session(token_hash);
    return fail(DbError::not_found, "the session has expired");
  }
  return found;
}

DbResult<Ok> AccountStore::remove_session(std::string_view token_hash) {
  auto removed = db_->exec("DELETE FROM console_sessions WHERE token_hash = $1",
                           Params{std::string(token_hash)});
  if (!removed) return removed.error();
  return Ok{};
}

DbResult<Ok> AccountStore::append_audit(const AuditEntry& entry) {
  auto inserted =
      db_->exec("INSERT INTO console_audit (at_ms, actor, action, target, detail) VALUES ($1, $2, "
                "$3, $4, $5)",
                Params{to_ms(entry.at), entry.actor, entry.action, entry.target, entry.detail});
  if (!inserted) return inserted.error();
  return Ok{};
}

DbResult<std::vector<AuditEntry>> AccountStore::audit(std::size_t limit) {
  auto rows = db_->exec("SELECT at_ms, actor, action, target, detail FROM console_audit "
                        "ORDER BY at_ms DESC LIMIT $1",
                        Params{static_cast<std::int64_t>(limit)});
  if (!rows) return rows.error();
  std::vector<AuditEntry> list;
  for (const auto& row : rows->rows) {
    list.push_back(AuditEntry{from_ms(integer(row[0])), text(row[1]), text(row[2]), text(row[3]),
                              text(row[4])});
  }
  return list;
}

DbResult<std::vector<AuditEntry>> AccountStore::audit_of(std::string_view action,
                                                         std::string_view target_prefix) {
  auto rows = db_->exec("SELECT at_ms, actor, action, target, detail FROM console_audit "
                        "WHERE action = $1 ORDER BY at_ms",
                        Params{std::string(action)});
  if (!rows) return rows.error();
  std::vector<AuditEntry> list;
  for (const auto& row : rows->rows) {
    AuditEntry entry{from_ms(integer(row[0])), text(row[1]), text(row[2]), text(row[3]),
                     text(row[4])};
    if (entry.target.starts_with(target_prefix)) list.push_back(std::move(entry));
  }
  return list;
}

DbResult<std::unique_ptr<AccountStore>> open_account_store(std::string_view database) {
  return open_league_store<AccountStore>(database);
}

} // namespace muster::server
