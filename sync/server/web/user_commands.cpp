#include "sync/server/web/user_commands.hpp"

#include <chrono>

#include "shared/time.hpp"
#include "sync/server/web/account_store.hpp"
#include "sync/server/web/accounts.hpp"

namespace muster::server {

namespace {

Instant now_ms() {
  return std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

int failed(std::ostream& err, const std::string& message) {
  err << "error: " << message << '\n';
  return 1;
}

// One line from standard input, without its line ending; nullopt at end of input.
std::optional<std::string> read_password(std::istream& in) {
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// A new password from standard input, hashed; nothing when it is missing, too weak or cannot be
// hashed (said on `err`).
std::optional<std::string> read_new_password_hash(std::istream& in, std::ostream& err) {
  const auto password = read_password(in);
  if (!password) {
    failed(err, "the password is read from standard input (one line)");
    return std::nullopt;
  }
  if (auto problem = password_problem(*password)) {
    failed(err, *problem);
    return std::nullopt;
  }
  std::string hash = hash_password(*password);
  if (hash.empty()) {
    failed(err, "the password could not be hashed (out of memory?)");
    return std::nullopt;
  }
  return hash;
}

} // namespace

int run_user_add(const std::string& database, const std::string& name, const std::string& role,
                 std::istream& in, std::ostream& out, std::ostream& err) {
  if (!valid_user_name(name)) {
    return failed(err, "a user name is 1 to 64 letters, digits, '.', '_', '@' or '-'");
  }
  const auto parsed = parse_console_role(role);
  if (!parsed) return failed(err, "--role must be admin, staff or viewer");
  const auto hash = read_new_password_hash(in, err);
  if (!hash) return 1;
  auto accounts = open_account_store(database);
  if (!accounts) return failed(err, accounts.message());
  if (auto added = (*accounts)->add_user(ConsoleUser{name, *parsed, *hash, now_ms()}); !added) {
    return failed(err, added.message());
  }
  (void)(*accounts)->append_audit(AuditEntry{now_ms(), "cli", "user-add", name, role});
  out << "Added console user '" << name << "' (" << role << ")\n";
  return 0;
}

int run_user_list(const std::string& database, std::ostream& out, std::ostream& err) {
  auto accounts = open_account_store(database);
  if (!accounts) return failed(err, accounts.message());
  auto users = (*accounts)->users();
  if (!users) return failed(err, users.message());
  out << "name\trole\tcreated\n";
  for (const auto& user : *users) {
    out << user.name << '\t' << to_string(user.role) << '\t' << format_utc(user.created_at) << '\n';
  }
  return 0;
}

int run_user_remove(const std::string& database, const std::string& name, std::ostream& out,
                    std::ostream& err) {
  auto accounts = open_account_store(database);
  if (!accounts) return failed(err, accounts.message());
  if (auto removed = (*accounts)->remove_user(name); !removed)
    return failed(err, removed.message());
  (void)(*accounts)->append_audit(AuditEntry{now_ms(), "cli", "user-remove", name, ""});
  out << "Removed console user '" << name << "' and signed out their sessions\n";
  return 0;
}

int run_user_passwd(const std::string& database, const std::string& name, std::istream& in,
                    std::ostream& out, std::ostream& err) {
  const auto hash = read_new_password_hash(in, err);
  if (!hash) return 1;
  auto accounts = open_account_store(database);
  if (!accounts) return failed(err, accounts.message());
  if (auto set = (*accounts)->set_password(name, *hash, now_ms()); !set) {
    return failed(err, set.message());
  }
  (void)(*accounts)->append_audit(AuditEntry{now_ms(), "cli", "user-passwd", name, ""});
  out << "Changed the password of '" << name << "' and signed out their sessions\n";
  return 0;
}

bool ensure_console_user(const std::string& database, const std::string& name,
                         const std::string& role, const std::string& password, std::string& error) {
  const auto parsed = parse_console_role(role);
  if (!parsed || !valid_user_name(name)) {
    error = "bad demo account";
    return false;
  }
  auto accounts = open_account_store(database);
  if (!accounts) {
    error = accounts.message();
    return false;
  }
  if ((*accounts)->user(name)) return true;
  auto added = (*accounts)->add_user(ConsoleUser{name, *parsed, hash_password(password), now_ms()});
  if (!added) {
    error = added.message();
    return false;
  }
  return true;
}

} // namespace muster::server
