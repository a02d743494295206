#pragma once
// The mail outbox: every message the server mails (credit forms, reminders) is written here,
// whole and with its stable Message-ID, before it is sent, and marked sent only after the SMTP
// server accepted it. One row per key ("credit-form/EVENT/OFFICIAL", "reminder/DATE/OFFICIAL"):
// a re-run finds the key and queues nothing new; a credit form that a re-close changed is mailed
// again under "credit-form/EVENT/OFFICIAL/2", "/3", ... (mail-forms). The table is schema migration
// 13 (server_store_schema.cpp); the SQL lives here only. One connection: not thread-safe.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sync/server/server_store.hpp"

namespace muster::server {

class SqlConnection;

namespace mail {

enum class OutboxStatus : std::uint8_t {
  pending, // not yet accepted by an SMTP server
  sent,    // accepted (the server said 250 after the data)
  refused, // the SMTP server refused this recipient or message for good (5xx): not retried
};
std::string_view to_string(OutboxStatus status);

struct OutboxMessage {
  std::string message_id; // "<hex.kind@domain>"
  std::string key;        // one message per key, ever
  std::string kind;       // credit-form, verification-letter, reminder
  std::string attendee_id;
  std::string event_id;  // "" for reminders
  std::string recipient; // confidential: the commands never print it except in mail-status
  std::string content;   // the whole message (mime.hpp), 7-bit, CRLF; empty in listings
  Instant created_at;
  OutboxStatus status = OutboxStatus::pending;
  std::uint64_t attempts = 0; // sends started (a kill leaves attempts > 0 and pending)
  std::optional<Instant> last_attempt_at;
  std::optional<Instant> sent_at;
  std::string detail; // the SMTP server's answer for a refusal or a deferral
};

class OutboxStore {
public:
  explicit OutboxStore(std::unique_ptr<SqlConnection> db);
  ~OutboxStore();
  OutboxStore(const OutboxStore&) = delete;
  OutboxStore& operator=(const OutboxStore&) = delete;

  // Writes the message unless its key is there already: true when written.
  DbResult<bool> enqueue(const OutboxMessage& message);
  DbResult<bool> has_key(std::string_view key);
  // Pending message ids, oldest first, that no live run has claimed.
  DbResult<std::vector<std::string>> pending_ids(Instant now);
  // Claims one pending message for this run (claim: "host:pid") until `until`, and counts the
  // attempt; nullopt when it was sent, refused or claimed by another live run meanwhile. A claim
  // of a run on this host whose process is gone (killed) is taken over at once.
  DbResult<std::optional<OutboxMessage>> claim(std::string_view message_id, std::string_view claim,
                                               Instant now, Instant until);
  DbResult<Ok> mark_sent(std::string_view message_id, Instant now);
  DbResult<Ok> mark_refused(std::string_view message_id, Instant now, std::string_view detail);
  // Still pending: the claim is released, the reason kept for mail-status.
  DbResult<Ok> release(std::string_view message_id, std::string_view detail);
  // With content: the message of `key` and those of keys "key/..." (the replacements of a
  // corrected credit form), oldest first.
  DbResult<std::vector<OutboxMessage>> messages_of_key(std::string_view key);
  // Without content; of one event, or all when event_id is empty; oldest first.
  DbResult<std::vector<OutboxMessage>> messages(std::string_view event_id);

private:
  std::unique_ptr<SqlConnection> db_;
};

DbResult<std::unique_ptr<OutboxStore>> open_outbox_store(std::string_view database);

// This process's claim name: "<hostname>:<pid>".
std::string own_claim();

} // namespace mail
} // namespace muster::server
