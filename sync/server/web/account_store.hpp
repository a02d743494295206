#pragma once
// The web console's accounts, sign-in sessions and audit trail, beside ServerStore in
// the same database: the tables of schema migration 9 (server_store_schema.cpp). The SQL lives in
// account_store.cpp only; handlers and the CLI call these functions. open_account_store() opens
// the ServerStore first so an older database is upgraded before anything here runs. One
// connection: not thread-safe, open one per thread.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sync/server/server_store.hpp"

namespace muster::server {

class SqlConnection;

enum class ConsoleRole : std::uint8_t { viewer, staff, admin };
std::string_view to_string(ConsoleRole role);
std::optional<ConsoleRole> parse_console_role(std::string_view text);

struct ConsoleUser {
  std::string name;
  ConsoleRole role = ConsoleRole::viewer;
  std::string password_hash; // crypto_pwhash_str (Argon2id)
  Instant created_at;
};

struct ConsoleSession {
  std::string token_hash; // hash_secret(cookie value)
  std::string user_name;
  std::string csrf_token; // sent in forms; random per session
  Instant created_at;
  Instant expires_at;
};

struct AuditEntry {
  Instant at;
  std::string actor;  // the console user, or "cli"
  std::string action; // user-add, user-remove, user-passwd, sign-in, sign-out, close-event, ...
  std::string target;
  std::string detail;
};

class AccountStore {
public:
  explicit AccountStore(std::unique_ptr<SqlConnection> db);
  ~AccountStore();
  AccountStore(const AccountStore&) = delete;
  AccountStore& operator=(const AccountStore&) = delete;

  DbResult<Ok> add_user(const ConsoleUser& user); // conflict if the name exists
  DbResult<ConsoleUser> user(std::string_view name);
  DbResult<std::vector<ConsoleUser>> users();      // sorted by name
  DbResult<Ok> remove_user(std::string_view name); // and its sessions; not_found if none
  DbResult<Ok> set_password(std::string_view name, std::string_view password_hash, Instant now);

  DbResult<Ok> add_session(const ConsoleSession& session);
  // not_found when unknown or expired at `now` (an expired row is deleted).
  DbResult<ConsoleSession> session(std::string_view token_hash, Instant now);
  DbResult<Ok> remove_session(std::string_view token_hash);

  DbResult<Ok> append_audit(const AuditEntry& entry);
  DbResult<std::vector<AuditEntry>> audit(std::size_t limit); // newest first
  // Every entry of one action whose target starts with `target_prefix`, oldest first (the
  // console's review resolutions are such entries: the fact and its who, when and why).
  DbResult<std::vector<AuditEntry>> audit_of(std::string_view action,
                                             std::string_view target_prefix);

private:
  std::unique_ptr<SqlConnection> db_;
};

// Opens (and, through open_server_store, upgrades) the database; schema error when it is not
// initialised.
DbResult<std::unique_ptr<AccountStore>> open_account_store(std::string_view database);

} // namespace muster::server
