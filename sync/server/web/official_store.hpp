#pragma once
// What the officials' own page (/me/, me_routes.cpp) keeps beside ServerStore: the one-time
// sign-in codes (hashed), the officials' confirmations of their credit forms and their disputes
// of sessions (review items for staff). The tables of schema migration 14 (server_store.cpp);
// the SQL lives here only. Sign-in sessions are the console's (account_store.hpp), under the
// user name "official:<roster id>", which no console account can have. One connection: not
// thread-safe.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sync/server/credit_pdf.hpp"
#include "sync/server/server_store.hpp"

namespace muster::server {

class SqlConnection;

struct SignInCode {
  std::string login_hash;  // hash_secret of the browser's sign-in cookie
  std::string attendee_id; // "" when the address is not an official's (the flow looks the same)
  std::string code_hash;   // hash_secret of the code
  Instant expires_at;
  std::int64_t tries_left = 0;
};

struct Confirmation {
  std::string official_id;
  std::string event_id;
  Instant confirmed_at;
};

struct Dispute {
  std::string official_id;
  std::string event_id;
  std::string session_id;
  std::string note;
  Instant created_at;
};

class OfficialStore {
public:
  explicit OfficialStore(std::unique_ptr<SqlConnection> db);
  ~OfficialStore();
  OfficialStore(const OfficialStore&) = delete;
  OfficialStore& operator=(const OfficialStore&) = delete;

  // Replaces any code of the same sign-in cookie; deletes expired codes.
  DbResult<Ok> put_code(const SignInCode& code, Instant now);
  // not_found when unknown or expired.
  DbResult<SignInCode> code(std::string_view login_hash, Instant now);
  // One try used; returns the tries left.
  DbResult<std::int64_t> use_try(std::string_view login_hash);
  DbResult<Ok> remove_code(std::string_view login_hash);

  // Confirming again keeps the first date.
  DbResult<Ok> confirm(const Confirmation& confirmation);
  DbResult<std::optional<Confirmation>> confirmation(std::string_view official_id,
                                                     std::string_view event_id);
  DbResult<Ok> add_dispute(const Dispute& dispute);
  // Of one official (official_id) and/or one event; empty: any. Oldest first.
  DbResult<std::vector<Dispute>> disputes(std::string_view official_id, std::string_view event_id);

private:
  std::unique_ptr<SqlConnection> db_;
};

DbResult<std::unique_ptr<OfficialStore>> open_official_store(std::string_view database);

// Adds "Confirmed by the official on DATE." to a credit form document when the official
// confirmed it on /me/ (the console's, the CLI's and the mailed form show the same).
void add_confirmation_line(PdfDocument& document, OfficialStore& officials,
                           std::string_view event_id, std::string_view official_id);

} // namespace muster::server
