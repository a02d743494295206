// The officials' page's tables over SqlConnection (official_store.hpp): schema migration 14.
#include "sync/server/web/official_store.hpp"

#include <charconv>
#include <utility>

#include "shared/ledger.hpp"
#include "sync/server/sql_connection.hpp"

namespace muster::server {

namespace {

using Params = std::vector<SqlParam>;

std::int64_t to_ms(Instant when) { return when.time_since_epoch().count(); }
Instant from_ms(std::int64_t ms) { return Instant{std::chrono::milliseconds{ms}}; }
std::string text(const std::optional<std::string>& value) { return value.value_or(""); }
std::int64_t integer(const std::optional<std::string>& value) {
  std::int64_t number = 0;
  if (value) std::from_chars(value->data(), value->data() + value->size(), number);
  return number;
}

} // namespace

OfficialStore::OfficialStore(std::unique_ptr<SqlConnection> db) : db_(std::move(db)) {}
OfficialStore::~OfficialStore() = default;

DbResult<Ok> OfficialStore::put_code(const SignInCode& code, Instant now) {
  if (auto old = db_->exec("DELETE FROM official_codes WHERE expires_at < $1 OR login_hash = $2",
                           Params{to_ms(now), code.login_hash});
      !old) {
    return old.error();
  }
  auto inserted = db_->exec("INSERT INTO official_codes (login_hash, attendee_id, code_hash, "
                            "created_at, expires_at, tries_left) VALUES ($1, $2, $3, $4, $5, $6)",
                            Params{code.login_hash, code.attendee_id, code.code_hash, to_ms(now),
                                   to_ms(code.expires_at), code.tries_left});
  if (!inserted) return inserted.error();
  return Ok{};
}

DbResult<SignInCode> OfficialStore::code(std::string_view login_hash, Instant now) {
  auto rows = db_->exec("SELECT login_hash, attendee_id, code_hash, expires_at, tries_left FROM "
                        "official_codes WHERE login_hash = $1 AND expires_at >= $2",
                        Params{std::string(login_hash), to_ms(now)});
  if (!rows) return rows.error();
  if (rows->rows.empty()) return fail(DbError::not_found, "no sign-in code (or it expired)");
  const auto& row = rows->rows[0];
  return SignInCode{text(row[0]), text(row[1]), text(row[2]), from_ms(integer(row[3])),
                    integer(row[4])};
}

DbResult<std::int64_t> OfficialStore::use_try(std::string_view login_hash) {
  auto rows = db_->exec("UPDATE official_codes SET tries_left = tries_left - 1 "
                        "WHERE login_hash = $1 AND tries_left > 0 RETURNING tries_left",
                        Params{std::string(login_hash)});
  if (!rows) return rows.error();
  if (rows->rows.empty()) return std::int64_t{-1};
  return integer(rows->rows[0][0]);
}

DbResult<Ok> OfficialStore::remove_code(std::string_view login_hash) {
  auto removed = db_->exec("DELETE FROM official_codes WHERE login_hash = $1",
                           Params{std::string(login_hash)});
  if (!removed) return removed.error();
  return Ok{};
}

DbResult<Ok> OfficialStore::confirm(const Confirmation& c) {
  auto inserted = db_->exec("INSERT INTO official_confirmations (official_id, event_id, "
                            "confirmed_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                            Params{c.official_id, c.event_id, to_ms(c.confirmed_at)});
  if (!inserted) return inserted.error();
  return Ok{};
}

DbResult<std::optional<Confirmation>> OfficialStore::confirmation(std::string_view official_id,
                                                                  std::string_view event_id) {
  auto rows = db_->exec("SELECT confirmed_at FROM official_confirmations WHERE official_id = $1 "
                        "AND event_id = $2",
                        Params{std::string(official_id), std::string(event_id)});
  if (!rows) return rows.error();
  if (rows->rows.empty()) return std::optional<Confirmation>{};
  return std::optional<Confirmation>{Confirmation{std::string(official_id), std::string(event_id),
                                                  from_ms(integer(rows->rows[0][0]))}};
}

DbResult<Ok> OfficialStore::add_dispute(const Dispute& d) {
  auto inserted =
      db_->exec("INSERT INTO official_disputes (official_id, event_id, session_id, "
                "note, created_at) VALUES ($1, $2, $3, $4, $5)",
                Params{d.official_id, d.event_id, d.session_id, d.note, to_ms(d.created_at)});
  if (!inserted) return inserted.error();
  return Ok{};
}

DbResult<std::vector<Dispute>> OfficialStore::disputes(std::string_view official_id,
                                                       std::string_view event_id) {
  auto rows = db_->exec("SELECT official_id, event_id, session_id, note, created_at FROM "
                        "official_disputes WHERE (CAST($1 AS TEXT) = '' OR official_id = $1) AND "
                        "(CAST($2 AS TEXT) = '' OR event_id = $2) ORDER BY created_at, official_id",
                        Params{std::string(official_id), std::string(event_id)});
  if (!rows) return rows.error();
  std::vector<Dispute> out;
  for (const auto& row : rows->rows) {
    out.push_back(
        Dispute{text(row[0]), text(row[1]), text(row[2]), text(row[3]), from_ms(integer(row[4]))});
  }
  return out;
}

void add_confirmation_line(PdfDocument& document, OfficialStore& officials,
                           std::string_view event_id, std::string_view official_id) {
  auto confirmed = officials.confirmation(official_id, event_id);
  if (!confirmed || !*confirmed) return;
  const Date day{std::chrono::floor<std::chrono::days>((*confirmed)->confirmed_at)};
  document.blocks.push_back(
      PdfBlock{{"Confirmed by the official on " + format_date(day) + " (UTC)."}, std::nullopt});
}

DbResult<std::unique_ptr<OfficialStore>> open_official_store(std::string_view database) {
  {
    auto store = open_server_store(database); // upgrades an older schema first
    if (!store) return store.error();
    if (auto league = (*store)->league(); !league) return league.error();
  }
  auto connection = is_postgres_url(database) ? open_pg_connection(std::string(database))
                                              : open_sqlite_connection(std::string(database));
  if (!connection) return connection.error();
  return std::make_unique<OfficialStore>(std::move(*connection));
}

} // namespace muster::server
