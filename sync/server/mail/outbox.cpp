// The mail outbox over SqlConnection (outbox.hpp): the table of schema migration 13
// (server_store_schema.cpp). Same SQL on SQLite and PostgreSQL.
#include "sync/server/mail/outbox.hpp"

#include <signal.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <utility>

#include "sync/server/sql_connection.hpp"
#include "sync/server/sql_row.hpp"

namespace muster::server::mail {

namespace {

using namespace sql_row; // NOLINT(google-build-using-namespace): the column helpers

OutboxStatus status_of(std::string_view text) {
  if (text == "sent") return OutboxStatus::sent;
  if (text == "refused") return OutboxStatus::refused;
  return OutboxStatus::pending;
}

std::string host_name() {
  std::array<char, 256> buffer{};
  if (gethostname(buffer.data(), buffer.size() - 1) != 0) return "localhost";
  return buffer.data();
}

// A claim "host:pid" of this host whose process no longer runs (a killed run).
bool claim_is_dead(std::string_view claim) {
  const auto colon = claim.rfind(':');
  if (colon == std::string_view::npos) return false;
  if (claim.substr(0, colon) != host_name()) return false; // another host: wait for the lease
  long pid = 0;
  const auto digits = claim.substr(colon + 1);
  if (std::from_chars(digits.data(), digits.data() + digits.size(), pid).ec != std::errc{} ||
      pid <= 0) {
    return false;
  }
  if (pid == static_cast<long>(getpid())) return true; // our own earlier claim
  return kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

constexpr std::string_view kColumns =
    "message_id, mail_key, kind, attendee_id, event_id, recipient, created_at, status, attempts, "
    "last_attempt_at, sent_at, detail";

OutboxMessage message_of(const SqlRow& row) {
  OutboxMessage m;
  m.message_id = text(row[0]);
  m.key = text(row[1]);
  m.kind = text(row[2]);
  m.attendee_id = text(row[3]);
  m.event_id = text(row[4]);
  m.recipient = text(row[5]);
  m.created_at = from_ms(integer(row[6]));
  m.status = status_of(text(row[7]));
  m.attempts = static_cast<std::uint64_t>(integer(row[8]));
  m.last_attempt_at = optional_instant(row[9]);
  m.sent_at = optional_instant(row[10]);
  m.detail = text(row[11]);
  if (row.size() > 12) m.content = text(row[12]);
  return m;
}

} // namespace

std::string_view to_string(OutboxStatus status) {
  switch (status) {
  case OutboxStatus::pending:
    return "pending";
  case OutboxStatus::sent:
    return "sent";
  case OutboxStatus::refused:
    return "refused";
  }
  return "pending";
}

std::string own_claim() { return host_name() + ":" + std::to_string(getpid()); }

OutboxStore::OutboxStore(std::unique_ptr<SqlConnection> db) : db_(std::move(db)) {}
OutboxStore::~OutboxStore() = default;

DbResult<bool> OutboxStore::enqueue(const OutboxMessage& m) {
  auto inserted = db_->exec(
      "INSERT INTO mail_outbox (message_id, mail_key, kind, attendee_id, event_id, recipient, "
      "content, created_at, status, attempts, detail, claimed_by, claimed_until) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, '', '', 0) ON CONFLICT DO NOTHING",
      Params{m.message_id, m.key, m.kind, m.attendee_id, m.event_id, m.recipient, m.content,
             to_ms(m.created_at)});
  if (!inserted) return inserted.error();
  return inserted->affected > 0;
}

DbResult<bool> OutboxStore::has_key(std::string_view key) {
  auto rows = db_->exec("SELECT 1 FROM mail_outbox WHERE mail_key = $1", Params{std::string(key)});
  if (!rows) return rows.error();
  return !rows->rows.empty();
}

DbResult<std::vector<std::string>> OutboxStore::pending_ids(Instant now) {
  auto rows = db_->exec("SELECT message_id, claimed_by, claimed_until FROM mail_outbox "
                        "WHERE status = 'pending' ORDER BY created_at, message_id",
                        Params{});
  if (!rows) return rows.error();
  std::vector<std::string> ids;
  for (const auto& row : rows->rows) {
    const std::string claimed_by = text(row[1]);
    const bool free =
        claimed_by.empty() || integer(row[2]) < to_ms(now) || claim_is_dead(claimed_by);
    if (free) ids.push_back(text(row[0]));
  }
  return ids;
}

DbResult<std::optional<OutboxMessage>> OutboxStore::claim(std::string_view message_id,
                                                          std::string_view claim, Instant now,
                                                          Instant until) {
  auto current = db_->exec("SELECT claimed_by, claimed_until, status FROM mail_outbox "
                           "WHERE message_id = $1",
                           Params{std::string(message_id)});
  if (!current) return current.error();
  if (current->rows.empty() || text(current->rows[0][2]) != "pending") {
    return std::optional<OutboxMessage>{};
  }
  const std::string previous = text(current->rows[0][0]);
  const bool free =
      previous.empty() || integer(current->rows[0][1]) < to_ms(now) || claim_is_dead(previous);
  if (!free) return std::optional<OutboxMessage>{};
  // Compare-and-set on the previous claim: of two runs taking it at once, one wins.
  auto updated = db_->exec(
      "UPDATE mail_outbox SET claimed_by = $2, claimed_until = $3, attempts = attempts + 1, "
      "last_attempt_at = $4 WHERE message_id = $1 AND status = 'pending' AND claimed_by = $5 "
      "RETURNING " +
          std::string(kColumns) + ", content",
      Params{std::string(message_id), std::string(claim), to_ms(until), to_ms(now), previous});
  if (!updated) return updated.error();
  if (updated->rows.empty()) return std::optional<OutboxMessage>{};
  return std::optional<OutboxMessage>{message_of(updated->rows[0])};
}

DbResult<Ok> OutboxStore::mark_sent(std::string_view message_id, Instant now) {
  auto updated = db_->exec("UPDATE mail_outbox SET status = 'sent', sent_at = $2, detail = '', "
                           "claimed_by = '', claimed_until = 0 WHERE message_id = $1",
                           Params{std::string(message_id), to_ms(now)});
  if (!updated) return updated.error();
  return Ok{};
}

DbResult<Ok> OutboxStore::mark_refused(std::string_view message_id, Instant now,
                                       std::string_view detail) {
  auto updated =
      db_->exec("UPDATE mail_outbox SET status = 'refused', last_attempt_at = $2, detail = $3, "
                "claimed_by = '', claimed_until = 0 WHERE message_id = $1",
                Params{std::string(message_id), to_ms(now), std::string(detail)});
  if (!updated) return updated.error();
  return Ok{};
}

DbResult<Ok> OutboxStore::release(std::string_view message_id, std::string_view detail) {
  auto updated = db_->exec("UPDATE mail_outbox SET detail = $2, claimed_by = '', "
                           "claimed_until = 0 WHERE message_id = $1 AND status = 'pending'",
                           Params{std::string(message_id), std::string(detail)});
  if (!updated) return updated.error();
  return Ok{};
}

DbResult<std::vector<OutboxMessage>> OutboxStore::messages_of_key(std::string_view key) {
  // substr, not LIKE: an event id may hold '_' or '%'.
  auto rows = db_->exec("SELECT " + std::string(kColumns) +
                            ", content FROM mail_outbox WHERE mail_key = $1 OR "
                            "substr(mail_key, 1, length(CAST($2 AS TEXT))) = CAST($2 AS TEXT) "
                            "ORDER BY created_at, mail_key",
                        Params{std::string(key), std::string(key) + "/"});
  if (!rows) return rows.error();
  std::vector<OutboxMessage> out;
  for (const auto& row : rows->rows)
    out.push_back(message_of(row));
  return out;
}

DbResult<std::vector<OutboxMessage>> OutboxStore::messages(std::string_view event_id) {
  const std::string sql = "SELECT " + std::string(kColumns) + " FROM mail_outbox" +
                          (event_id.empty() ? "" : " WHERE event_id = $1") +
                          " ORDER BY created_at, message_id";
  auto rows =
      event_id.empty() ? db_->exec(sql, Params{}) : db_->exec(sql, Params{std::string(event_id)});
  if (!rows) return rows.error();
  std::vector<OutboxMessage> out;
  out.reserve(rows->rows.size());
  for (const auto& row : rows->rows)
    out.push_back(message_of(row));
  return out;
}

DbResult<std::unique_ptr<OutboxStore>> open_outbox_store(std::string_view database) {
  return open_league_store<OutboxStore>(database);
}

} // namespace muster::server::mail
